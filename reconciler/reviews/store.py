"""Where finished reviews come from: the embedded platform's SQLite database, or a folder of
review JSON files (one review per file, as review.schema.json describes).

Both stores check every review against the schema and report every problem with the file (or
database row) it is in before anything is exported.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Protocol

from reconciler.core.dates import NotADate, iso_date
from reconciler.errors import InvalidInput, Problem
from reconciler.reviews.model import Review
from reconciler.state.loader import Lines
from reconciler.state.schemas import schema_problems

# Executed by the sqlite target when it creates the platform database. `document` holds the
# review as JSON in review.schema.json's shape; the other columns repeat what queries need.
REVIEWS_DDL = """
CREATE TABLE IF NOT EXISTS reviews (
  review_id TEXT PRIMARY KEY,
  member_external_id TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('draft','finished')),
  finished_at TEXT,
  document TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS reviews_member ON reviews (member_external_id);
"""


class ReviewStore(Protocol):
    label: str  # how errors and listings name the store, e.g. ".hrsync/platform.db"

    def reviews(self) -> list[Review]:
        """Every review (drafts too), ordered by id. Raises `InvalidInput` naming each bad one."""
        ...


def parse_review(text: str, label: str) -> Review:
    """A review from its JSON text; every problem is reported with `label` and a line."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            [Problem(label, exc.lineno, f"JSON syntax: {exc.msg}", column=exc.colno)]
        ) from None
    lines = Lines(text)
    subject = f'review "{data["id"]}"' if isinstance(data, dict) and "id" in data else "review"
    problems = schema_problems("review", data, lines, label, subject=subject)
    if not problems:
        problems = _meaning_problems(data, lines, label, subject)
    if problems:
        raise InvalidInput(problems)
    return Review.from_data(data)


def _meaning_problems(data: dict, lines: Lines, label: str, subject: str) -> list[Problem]:
    """What a JSON Schema cannot say: real calendar dates, period order, rating within scale."""
    problems = []
    days = {}
    for key in ("period_start", "period_end"):
        try:
            days[key] = iso_date(data[key])
        except NotADate as exc:
            problems.append(Problem(label, lines.of((key,)), f"{key}: {exc}", subject=subject))
    if len(days) == 2 and days["period_end"] < days["period_start"]:
        problems.append(
            Problem(
                label,
                lines.of(("period_end",)),
                "period_end is before period_start",
                subject=subject,
            )
        )
    for s, section in enumerate(data["sections"]):
        for q, question in enumerate(section["questions"]):
            rating = question.get("rating")
            if rating is not None and rating > question["scale"]:
                path = ("sections", s, "questions", q, "rating")
                problems.append(
                    Problem(
                        label,
                        lines.of(path),
                        f"{'.'.join(map(str, path))}: {rating} is above the scale of "
                        f"{question['scale']}",
                        subject=subject,
                    )
                )
    return problems


class DirectoryReviewStore:
    """A folder of `*.json` review files (an export of a platform hrsync does not embed)."""

    def __init__(self, folder: Path, label: str | None = None):
        self.folder = folder
        self.label = label or str(folder)

    def reviews(self) -> list[Review]:
        if not self.folder.is_dir():
            raise InvalidInput([Problem(self.label, None, "review folder not found")])
        problems: list[Problem] = []
        by_id: dict[str, tuple[Review, str]] = {}
        for path in sorted(self.folder.glob("*.json")):
            label = f"{self.label}/{path.name}"
            try:
                review = parse_review(path.read_text(encoding="utf-8"), label)
            except UnicodeDecodeError as exc:
                problems.append(Problem(label, None, f"not UTF-8 text ({exc.reason})"))
                continue
            except InvalidInput as exc:
                problems.extend(exc.problems)
                continue
            if review.id in by_id:
                other = by_id[review.id][1]
                problems.append(Problem(label, None, f"review id {review.id!r} is also in {other}"))
                continue
            by_id[review.id] = (review, label)
        if problems:
            raise InvalidInput(problems)
        return [by_id[key][0] for key in sorted(by_id)]


class SqliteReviewStore:
    """The `reviews` table of the embedded platform's database, opened read-only."""

    def __init__(self, path: Path, label: str | None = None):
        self.path = path
        self.label = label or str(path)

    def reviews(self) -> list[Review]:
        if not self.path.is_file():
            return []  # no platform yet, so no reviews yet
        db = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            has_table = db.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'reviews'"
            ).fetchone()
            rows = (
                db.execute(
                    "SELECT review_id, member_external_id, status, document FROM reviews"
                    " ORDER BY review_id"
                ).fetchall()
                if has_table
                else []
            )
        finally:
            db.close()
        problems: list[Problem] = []
        reviews = []
        for review_id, member_id, status, document in rows:
            label = f"{self.label}, reviews row {review_id!r}"
            try:
                review = parse_review(document, label)
            except InvalidInput as exc:
                problems.extend(exc.problems)
                continue
            columns = {
                "review_id": review.id,
                "member_external_id": review.member_id,
                "status": review.status,
            }
            stored = {"review_id": review_id, "member_external_id": member_id, "status": status}
            for column, value in columns.items():
                if stored[column] != value:
                    problems.append(
                        Problem(
                            label,
                            None,
                            f"column {column} is {stored[column]!r}, the document says {value!r}",
                        )
                    )
            reviews.append(review)
        if problems:
            raise InvalidInput(problems)
        return reviews


_UPSERT = """
INSERT INTO reviews (review_id, member_external_id, status, finished_at, document)
VALUES (?, ?, ?, ?, ?)
ON CONFLICT (review_id) DO UPDATE SET
  member_external_id = excluded.member_external_id,
  status = excluded.status,
  finished_at = excluded.finished_at,
  document = excluded.document
"""


def upsert_review(db: sqlite3.Connection, review: Review) -> None:
    """Insert or replace one review in the platform database (creating the table if needed)."""
    db.executescript(REVIEWS_DDL)
    with db:
        db.execute(
            _UPSERT,
            (
                review.id,
                review.member_id,
                review.status,
                review.finished_at,
                json.dumps(review.to_data(), ensure_ascii=False, indent=2),
            ),
        )
