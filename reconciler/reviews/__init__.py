"""Performance reviews → PDF → each employee's HRIS personnel file, filed exactly once.

model (Review, ReviewSubject) · store (platform SQLite or JSON folder) · pdf (the report) ·
fonts (what the report's fonts can draw, and the fallback fonts) ·
naming (file names) · ledger (reviews/ledger.yaml) · export (the pipeline) · listing (text) ·
runner (wired to a repository's config, state tree and source).
"""
