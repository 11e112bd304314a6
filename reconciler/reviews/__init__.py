"""Performance reviews → PDF → each employee's HRIS personnel file, filed exactly once.

model (Review, ReviewSubject) · store (platform SQLite or JSON folder) · pdf (the report) ·
naming (file names) · ledger (reviews/ledger.yaml) · export (the pipeline) · listing (text) ·
runner (wired to a repository's config, state tree and source).
"""
