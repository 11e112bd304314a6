"""reviews/ledger.yaml: which review version went into which personnel file, and when.

The ledger lives in the repository, so filing history is reviewed and audited like the state
tree. Each review has a list of versions; a version is `pending` from just before its upload
until the HRIS has confirmed it, then `filed`. Old versions stay for audit. Every write replaces
the file atomically, so a crash leaves either the old or the new ledger, never half of one.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path

from reconciler.errors import InvalidInput, Problem
from reconciler.state.loader import dump_yaml, parse_yaml

PENDING = "pending"
FILED = "filed"

HEADER = (
    "# Reviews filed into HRIS personnel files by `hrsync reviews export`.\n"
    "# Written by hrsync; a 'pending' version was being uploaded when a run stopped and is\n"
    "# checked (or uploaded again) by the next run."
)


@dataclass(frozen=True)
class Version:
    version: int
    sha256: str
    filename: str
    status: str  # PENDING | FILED
    document_id: str | None = None
    uploaded_at: str | None = None
    location: str | None = None
    note: str | None = None  # e.g. "found in the HRIS after an interrupted run"


@dataclass
class ReviewRecord:
    member_id: str
    versions: list[Version] = field(default_factory=list)

    @property
    def latest(self) -> Version | None:
        return self.versions[-1] if self.versions else None


@dataclass
class FilingLedger:
    path: Path
    label: str
    reviews: dict[str, ReviewRecord] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path, label: str) -> FilingLedger:
        if not path.is_file():
            return cls(path, label)
        data = parse_yaml(path.read_text(encoding="utf-8"), label)
        reviews: dict[str, ReviewRecord] = {}
        try:
            for review_id, record in (data or {}).get("reviews", {}).items():
                reviews[str(review_id)] = ReviewRecord(
                    member_id=str(record["member_id"]),
                    versions=[Version(**v) for v in record["versions"]],
                )
        except (AttributeError, KeyError, TypeError) as exc:
            raise InvalidInput(
                [Problem(label, None, f"not a review ledger ({exc}); restore it from git history")]
            ) from None
        return cls(path, label, reviews)

    def filenames_of(self, member_id: str) -> set[str]:
        return {
            v.filename
            for record in self.reviews.values()
            if record.member_id == member_id
            for v in record.versions
        }

    def set_latest(self, review_id: str, member_id: str, version: Version) -> None:
        """Record `version` as the review's newest, replacing a newest one of the same number."""
        record = self.reviews.setdefault(review_id, ReviewRecord(member_id))
        if record.latest and record.latest.version == version.version:
            record.versions[-1] = version
        else:
            record.versions.append(version)

    def drop_latest(self, review_id: str) -> None:
        record = self.reviews[review_id]
        record.versions.pop()
        if not record.versions:
            del self.reviews[review_id]

    def save(self) -> None:
        data = {
            "reviews": {
                review_id: {
                    "member_id": record.member_id,
                    "versions": [_version_data(v) for v in record.versions],
                }
                for review_id, record in sorted(self.reviews.items())
            }
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, tmp = tempfile.mkstemp(prefix=".ledger-", suffix=".tmp", dir=self.path.parent)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(dump_yaml(data, HEADER))
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def _version_data(version: Version) -> dict:
    return {key: value for key, value in vars(version).items() if value is not None}


def filed(
    version: Version, document_id: str, uploaded_at: str, location: str, note: str | None = None
) -> Version:
    return replace(
        version,
        status=FILED,
        document_id=document_id,
        uploaded_at=uploaded_at,
        location=location,
        note=note,
    )
