"""A small state repository on disk for the runner and CLI tests: config, tree, platform DB."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from reconciler.core.model import Job, Member, Team
from reconciler.reviews.ledger import FILED, PENDING, FilingLedger, Version
from reconciler.reviews.store import upsert_review
from reconciler.state.entities import render_entity
from reconciler.state.policy_files import policy_text
from tests.reviews.fixtures import review

MEMBERS = (
    Member(
        "1001",
        "zoe@acme.example",
        "Zoë",
        "Øvergaard",
        team="payments",
        job="senior-eng",
        manager="1004",
    ),
    Member("1002", "ana@acme.example", "Ana María", "Núñez", team="payments", manager="1004"),
    Member("1003", "jo@acme.example", "Jo <b>|</b>", "Bar", active=False),
    Member("1004", "lukasz@acme.example", "Łukasz", "Żółć", team="payments"),
    Member("1005", "dana@acme.example", "Dana", "Keller"),
)


def make_repo(root: Path, *, source_path: str = "hris/employees.csv") -> Path:
    (root / "hrsync.yaml").write_text(
        f"company: Acme GmbH\nsource:\n  type: file\n  path: {source_path}\n", encoding="utf-8"
    )
    (root / "policies").mkdir()
    (root / "policies/sync.yaml").write_text(policy_text("manual"), encoding="utf-8")
    entities = {
        "teams": (Team("payments", "Payments"),),
        "jobs": (Job("senior-eng", "Senior Engineer"),),
        "members": MEMBERS,
    }
    for kind, items in entities.items():
        folder = root / "state" / kind
        folder.mkdir(parents=True)
        for entity in items:
            (folder / f"{entity.id}.yaml").write_text(render_entity(kind, entity), "utf-8")
    (root / ".hrsync").mkdir()
    db = sqlite3.connect(root / ".hrsync" / "platform.db")
    for r in (
        review("rv-1001-q4", "1001"),
        review("rv-1002-q4", "1002"),
        review("rv-1003-q4", "1003"),
        review("rv-1004-q4", "1004", status="draft"),
        review("rv-1005-q4", "1005", answer="Refinished with new notes."),
        review("rv-9001-q4", "9001"),
    ):
        upsert_review(db, r)
    db.close()
    return root


def add_history(root: Path) -> None:
    """A ledger where 1002 is filed as is, 1003 was pending and 1005 changed since filing."""
    ledger = FilingLedger.load(root / "reviews" / "ledger.yaml", "reviews/ledger.yaml")
    ledger.set_latest(
        "rv-1002-q4",
        "1002",
        Version(
            1,
            review("rv-1002-q4", "1002").content_hash(),
            "2026-Q4 review — Ana María Núñez.pdf",
            FILED,
            "doc-7",
            "2027-01-10T22:00:00+00:00",
            "documents/1002/2026-Q4 review — Ana María Núñez.pdf",
        ),
    )
    ledger.set_latest(
        "rv-1003-q4",
        "1003",
        Version(
            1,
            review("rv-1003-q4", "1003").content_hash(),
            "2026-Q4 review — Jo b b Bar.pdf",
            PENDING,
        ),
    )
    ledger.set_latest(
        "rv-1005-q4",
        "1005",
        Version(
            1,
            review("rv-1005-q4", "1005").content_hash(),
            "2026-Q4 review — Dana Keller.pdf",
            FILED,
            "doc-9",
            "2027-01-10T22:00:00+00:00",
            "documents/1005/2026-Q4 review — Dana Keller.pdf",
        ),
    )
    ledger.save()
