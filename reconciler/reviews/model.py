"""A performance review as the platform holds it, and the person it is about.

`Review` is what the platform stores (the JSON shape of `schemas/review.schema.json`);
`ReviewSubject` is what the state tree says about the member it concerns (name, team, job,
manager), so that the PDF names them as hrsync manages them.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date

from reconciler.core.dates import iso_date

STATUSES = ("draft", "finished")


@dataclass(frozen=True)
class Reviewer:
    name: str
    role: str  # e.g. "manager", "peer", "self"


@dataclass(frozen=True)
class Question:
    text: str
    rating: int | None
    scale: int  # ratings run from 1 to scale
    answer: str | None


@dataclass(frozen=True)
class Section:
    title: str
    questions: tuple[Question, ...]


@dataclass(frozen=True)
class Review:
    id: str
    member_id: str  # the member's HRIS id
    cycle: str  # e.g. "2026-Q4"
    period_start: date
    period_end: date
    reviewers: tuple[Reviewer, ...]
    status: str  # "draft" | "finished"
    finished_at: str | None  # ISO 8601 date-time, set once finished
    sections: tuple[Section, ...]

    @property
    def finished(self) -> bool:
        return self.status == "finished"

    def to_data(self) -> dict:
        """The review in the JSON shape of review.schema.json, keys in schema order."""
        return {
            "id": self.id,
            "member_id": self.member_id,
            "cycle": self.cycle,
            "period_start": self.period_start.isoformat(),
            "period_end": self.period_end.isoformat(),
            "status": self.status,
            "finished_at": self.finished_at,
            "reviewers": [{"name": r.name, "role": r.role} for r in self.reviewers],
            "sections": [
                {
                    "title": s.title,
                    "questions": [
                        {"text": q.text, "rating": q.rating, "scale": q.scale, "answer": q.answer}
                        for q in s.questions
                    ],
                }
                for s in self.sections
            ],
        }

    @classmethod
    def from_data(cls, data: dict) -> Review:
        """A review from schema-valid data (validate first: this trusts the shape)."""
        return cls(
            id=data["id"],
            member_id=data["member_id"],
            cycle=data["cycle"],
            period_start=iso_date(data["period_start"]),
            period_end=iso_date(data["period_end"]),
            status=data["status"],
            finished_at=data.get("finished_at"),
            reviewers=tuple(Reviewer(r["name"], r["role"]) for r in data.get("reviewers", [])),
            sections=tuple(
                Section(
                    s["title"],
                    tuple(
                        Question(q["text"], q.get("rating"), q["scale"], q.get("answer"))
                        for q in s.get("questions", [])
                    ),
                )
                for s in data.get("sections", [])
            ),
        )

    def to_json(self) -> str:
        """Canonical JSON: the same review always gives the same text (and `content_hash`)."""
        return json.dumps(self.to_data(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    def content_hash(self) -> str:
        """sha256 of the review's content. It changes when a review is re-opened and finished
        again (new finished_at, new answers), which is what makes the ledger file a new version."""
        return hashlib.sha256(self.to_json().encode()).hexdigest()


@dataclass(frozen=True)
class ReviewSubject:
    """A managed member as the PDF names them; built from the state tree by the caller."""

    member_id: str
    name: str
    email: str
    team: str | None = None  # display names, not ids
    job: str | None = None
    manager: str | None = None
