"""`hrsync reviews export` through each vendor connector into its loopback fake: one valid PDF per
finished review, in the right personnel file and folder, recorded in the ledger, exactly once."""

from __future__ import annotations

import io
from pathlib import Path

import pypdf
import pytest
import yaml

from reconciler.reviews.store import upsert_review
from reconciler.state.tree import read_state
from reconciler.targets.sqlite import SqlitePlatform
from tests.conftest import commit_all
from tests.e2e.conftest import hrsync
from tests.reviews.fixtures import review


def managed_with_reviews(root: Path, count: int) -> dict[str, str]:
    """Sync everyone onto the embedded platform, then finish a review for `count` active members.
    Gives {review id: the member's full name}."""
    hrsync(root, "propose", "--write", "all")
    commit_all(root)
    hrsync(root, "apply", "--auto-approve")
    active = [m for m in read_state(root).members.values() if m.active]
    # Names beyond ASCII first, where the vendor has them: the PDF must carry them intact.
    members = sorted(active, key=lambda m: f"{m.first_name}{m.last_name}".isascii())[:count]
    platform = SqlitePlatform(root / ".hrsync/platform.db", writable=True)
    reviewed = {}
    for member in members:
        review_id = f"rv-{member.id}-2026q4"
        upsert_review(platform.db, review(review_id, member.id))
        reviewed[review_id] = f"{member.first_name} {member.last_name}"
    platform.db.close()
    return reviewed


def pdf_text(content: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(content))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def name_in(upload, name: str) -> bool:
    """A PDF that opens, whose text carries the person's name."""
    return upload.content.startswith(b"%PDF") and name in pdf_text(upload.content)


def ledger(root: Path) -> dict:
    return yaml.safe_load((root / "reviews/ledger.yaml").read_text(encoding="utf-8"))["reviews"]


def test_each_review_is_filed_once_as_a_pdf_in_the_right_place(running, repo):
    vendor, fake = running.vendor, running.fake
    reviewed = managed_with_reviews(repo, 3)

    hrsync(repo, "reviews", "export")
    uploads = vendor.uploads(fake)
    assert len(uploads) == len(reviewed)
    filed = ledger(repo)
    assert set(filed) == set(reviewed)
    for review_id, name in reviewed.items():
        member_id = review_id.split("-")[1]
        upload = next(u for u in uploads if u.employee_id == member_id)
        assert upload.place == vendor.place
        assert name_in(upload, name)
        version = filed[review_id]["versions"][-1]
        assert filed[review_id]["member_id"] == member_id
        assert (version["status"], version["filename"]) == ("filed", upload.filename)

    again = hrsync(repo, "reviews", "export")
    assert len(vendor.uploads(fake)) == len(reviewed), again.output
    assert ledger(repo) == filed


@pytest.mark.parametrize("running", ["personio"], indirect=True)
def test_a_failed_upload_exits_one_and_only_it_is_uploaded_next_time(running, repo):
    vendor, fake = running.vendor, running.fake
    reviewed = managed_with_reviews(repo, 3)
    fake.inject("POST", "/v1/company/documents", "missing", after=1)

    failed = hrsync(repo, "reviews", "export", code=1)
    first = vendor.uploads(fake)
    assert len(first) == len(reviewed) - 1, failed.output
    statuses = {rid: entry["versions"][-1]["status"] for rid, entry in ledger(repo).items()}
    missing = [rid for rid, status in statuses.items() if status != "filed"]
    assert len(missing) == 1 and statuses[missing[0]] == "pending"

    hrsync(repo, "reviews", "export")
    second = vendor.uploads(fake)[len(first) :]
    assert [u.employee_id for u in second] == [missing[0].split("-")[1]]
    assert name_in(second[0], reviewed[missing[0]])
    assert {entry["versions"][-1]["status"] for entry in ledger(repo).values()} == {"filed"}
