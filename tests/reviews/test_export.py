import io
from datetime import UTC, date, datetime

import pypdf
import pytest
import yaml

from reconciler.errors import InvalidInput
from reconciler.reviews.export import (
    FAILED,
    FOUND,
    NOT_TRIED,
    REFUSED,
    UPLOADED,
    export_reviews,
)
from reconciler.reviews.fonts import report_fonts
from reconciler.reviews.ledger import PENDING, FilingLedger, Version
from reconciler.reviews.model import ReviewSubject
from tests.reviews.fakes import FakeSource
from tests.reviews.fixtures import SUBJECTS, review
from tests.reviews.fontmaker import JAPANESE, build_font

TODAY = date(2027, 1, 20)


class ListStore:
    label = "test store"

    def __init__(self, *reviews):
        self.items = list(reviews)

    def reviews(self):
        return sorted(self.items, key=lambda r: r.id)


def _export(store, source, ledger, subjects=SUBJECTS, dry_run=False, fonts=None):
    return export_reviews(
        store,
        subjects,
        source,
        ledger,
        company="Acme GmbH",
        dry_run=dry_run,
        today=TODAY,
        clock=lambda: datetime(2027, 1, 20, 22, 0, tzinfo=UTC),
        fonts=fonts,
    )


def _ledger(path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))["reviews"]


def test_first_run_files_each_review_and_the_second_run_uploads_nothing(tmp_path):
    ledger = tmp_path / "reviews" / "ledger.yaml"
    store = ListStore(review("rv-1", "1001"), review("rv-2", "1002"))
    source = FakeSource()
    result = _export(store, source, ledger)
    assert [i.outcome for i in result.items] == [UPLOADED, UPLOADED]
    assert source.uploads == [
        ("1001", "2026-Q4 review — Zoë Øvergaard.pdf"),
        ("1002", "2026-Q4 review — Ana María Núñez.pdf"),
    ]
    assert result.items[0].location == (
        "fake-hris › 1001 › Documents › 2026-Q4 review — Zoë Øvergaard.pdf"
    )
    entry = _ledger(ledger)["rv-1"]
    assert entry["member_id"] == "1001"
    assert entry["versions"] == [
        {
            "version": 1,
            "sha256": review("rv-1", "1001").content_hash(),
            "filename": "2026-Q4 review — Zoë Øvergaard.pdf",
            "status": "filed",
            "document_id": "doc-1",
            "uploaded_at": "2027-01-20T22:00:00+00:00",
            "location": "fake-hris › 1001 › Documents › 2026-Q4 review — Zoë Øvergaard.pdf",
        }
    ]

    again = _export(store, source, ledger)
    assert len(source.uploads) == 2 and source.lookups == []
    assert [i.outcome for i in again.items] == ["skipped", "skipped"]
    assert again.skipped[0].location == result.items[0].location


def test_refinished_review_is_filed_as_a_new_version_and_the_old_one_kept(tmp_path):
    ledger = tmp_path / "ledger.yaml"
    source = FakeSource()
    _export(ListStore(review("rv-1", "1001")), source, ledger)
    refinished = review("rv-1", "1001", finished_at="2027-02-02T09:00:00+01:00", answer="Better.")
    result = _export(ListStore(refinished), source, ledger)
    assert result.items[0].action == "new version" and result.items[0].version == 2
    assert source.uploads[-1] == ("1001", "2026-Q4 review — Zoë Øvergaard (v2).pdf")
    versions = _ledger(ledger)["rv-1"]["versions"]
    assert [(v["version"], v["status"]) for v in versions] == [(1, "filed"), (2, "filed")]
    assert versions[1]["sha256"] == refinished.content_hash() != versions[0]["sha256"]
    assert len(_export(ListStore(refinished), source, ledger).uploaded) == 0


def test_failure_mid_batch_then_next_run_uploads_exactly_the_missing_ones(tmp_path):
    ledger = tmp_path / "ledger.yaml"
    subjects = {
        str(n): ReviewSubject(str(n), f"Person {n}", f"p{n}@acme.example") for n in range(1, 6)
    }
    store = ListStore(*(review(f"rv-{n}", str(n)) for n in range(1, 6)))
    source = FakeSource(fail_on={3})
    first = _export(store, source, ledger, subjects)
    assert [i.outcome for i in first.items] == [UPLOADED, UPLOADED, FAILED, UPLOADED, UPLOADED]
    assert "503 Service Unavailable" in first.failed[0].error
    assert _ledger(ledger)["rv-3"]["versions"][0]["status"] == PENDING

    second = _export(store, source, ledger, subjects)
    assert [i.review_id for i in second.uploaded] == ["rv-3"]
    assert sorted(e for e, _ in source.uploads) == ["1", "2", "3", "4", "5"]
    assert source.lookups == [("3", "2026-Q4 review — Person 3.pdf")]


def test_repeated_failures_stop_the_run_and_the_rest_follow_next_time(tmp_path):
    ledger = tmp_path / "ledger.yaml"
    subjects = {
        str(n): ReviewSubject(str(n), f"Person {n}", f"p{n}@acme.example") for n in range(1, 7)
    }
    store = ListStore(*(review(f"rv-{n}", str(n)) for n in range(1, 7)))
    source = FakeSource(fail_on={2, 3, 4})
    first = _export(store, source, ledger, subjects)
    assert first.stopped
    assert [i.outcome for i in first.items] == [
        UPLOADED,
        FAILED,
        FAILED,
        FAILED,
        NOT_TRIED,
        NOT_TRIED,
    ]
    assert source.attempts == 4
    second = _export(store, source, ledger, subjects)
    assert not second.stopped and not second.failed
    assert sorted(e for e, _ in source.uploads) == ["1", "2", "3", "4", "5", "6"]


def _crash_after_upload(tmp_path, source):
    """The state a run leaves when killed after the upload, before the ledger write."""
    ledger_path = tmp_path / "ledger.yaml"
    r = review("rv-1", "1001")
    filename = "2026-Q4 review — Zoë Øvergaard.pdf"
    ledger = FilingLedger.load(ledger_path, "ledger.yaml")
    ledger.set_latest("rv-1", "1001", Version(1, r.content_hash(), filename, PENDING))
    ledger.save()
    source.documents[("1001", filename)] = b"%PDF- uploaded before the crash"
    return ListStore(r), ledger_path


def test_crash_between_upload_and_ledger_write_causes_no_duplicate(tmp_path):
    source = FakeSource()
    store, ledger = _crash_after_upload(tmp_path, source)
    result = _export(store, source, ledger)
    assert source.uploads == []
    assert [i.outcome for i in result.items] == [FOUND]
    version = _ledger(ledger)["rv-1"]["versions"][0]
    assert version["status"] == "filed"
    assert version["document_id"] == "found-2026-Q4 review — Zoë Øvergaard.pdf"
    assert version["note"] == "found in the HRIS after an interrupted run"
    assert _export(store, source, ledger).uploaded == ()


def test_vendor_that_cannot_list_documents_gets_the_pending_review_again(tmp_path):
    source = FakeSource(can_list=False)
    store, ledger = _crash_after_upload(tmp_path, source)
    result = _export(store, source, ledger)
    assert [(i.action, i.outcome) for i in result.items] == [("retry", UPLOADED)]
    assert source.uploads == [("1001", "2026-Q4 review — Zoë Øvergaard.pdf")]
    assert [v["version"] for v in _ledger(ledger)["rv-1"]["versions"]] == [1]


def test_pending_version_superseded_by_new_content_is_replaced_not_kept(tmp_path):
    source = FakeSource()
    ledger_path = tmp_path / "ledger.yaml"
    ledger = FilingLedger.load(ledger_path, "ledger.yaml")
    stale = Version(1, "0" * 64, "2026-Q4 review — Zoë Øvergaard.pdf", PENDING)
    ledger.set_latest("rv-1", "1001", stale)
    ledger.save()
    _export(ListStore(review("rv-1", "1001")), source, ledger_path)
    versions = _ledger(ledger_path)["rv-1"]["versions"]
    assert [(v["version"], v["status"]) for v in versions] == [(1, "filed")]
    assert versions[0]["sha256"] == review("rv-1", "1001").content_hash()


def test_drafts_and_unmanaged_members_are_not_exported(tmp_path):
    ledger = tmp_path / "ledger.yaml"
    store = ListStore(
        review("rv-1", "1001"),
        review("rv-2", "1002", status="draft"),
        review("rv-3", "7777"),  # not in the state tree
    )
    source = FakeSource()
    result = _export(store, source, ledger)
    assert [i.review_id for i in result.items] == ["rv-1"]
    assert result.drafts == 1 and result.unmanaged == ("rv-3",)
    assert [e for e, _ in source.uploads] == ["1001"]
    assert set(_ledger(ledger)) == {"rv-1"}


def test_dry_run_touches_neither_the_hris_nor_the_ledger(tmp_path):
    ledger = tmp_path / "ledger.yaml"
    result = _export(ListStore(review("rv-1", "1001")), None, ledger, dry_run=True)
    assert [(i.action, i.outcome) for i in result.items] == [("upload", "would upload")]
    assert not ledger.exists()


def test_two_reviews_of_one_cycle_get_distinct_file_names(tmp_path):
    ledger = tmp_path / "ledger.yaml"
    source = FakeSource()
    store = ListStore(review("rv-a", "1003"), review("rv-b", "1003"))
    _export(store, source, ledger)
    assert source.uploads == [
        ("1003", "2026-Q4 review — Dana Keller.pdf"),
        ("1003", "2026-Q4 review — Dana Keller (rv-b).pdf"),
    ]


def test_pending_version_is_on_disk_before_the_upload_starts(tmp_path):
    ledger = tmp_path / "ledger.yaml"
    seen = []

    class Watching(FakeSource):
        def upload_document(self, employee_id, filename, content, *, title):
            seen.append(_ledger(ledger)["rv-1"]["versions"][-1])
            return super().upload_document(employee_id, filename, content, title=title)

    _export(ListStore(review("rv-1", "1001")), Watching(), ledger)
    assert seen == [
        {
            "version": 1,
            "sha256": review("rv-1", "1001").content_hash(),
            "filename": "2026-Q4 review — Zoë Øvergaard.pdf",
            "status": PENDING,
        }
    ]


def test_damaged_ledger_is_reported_by_name(tmp_path):
    ledger = tmp_path / "ledger.yaml"
    ledger.write_text("reviews:\n  rv-1: [oops\n", encoding="utf-8")
    syntax = r"reviews/ledger.yaml, line 3, column 1\n  - YAML syntax"
    with pytest.raises(InvalidInput, match=syntax):
        FilingLedger.load(ledger, "reviews/ledger.yaml")
    ledger.write_text("reviews:\n  rv-1:\n    versions: []\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="reviews/ledger.yaml\n  - not a review ledger"):
        FilingLedger.load(ledger, "reviews/ledger.yaml")


def _pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(content)).pages)


def test_review_with_characters_no_font_draws_is_refused_and_the_others_filed(tmp_path):
    ledger = tmp_path / "ledger.yaml"
    japanese = review("rv-2", "1002", answer=f"Summary: {JAPANESE}")
    store = ListStore(review("rv-1", "1001"), japanese, review("rv-3", "1003"))
    source = FakeSource()
    result = _export(store, source, ledger)
    assert [(i.review_id, i.outcome) for i in result.items] == [
        ("rv-1", UPLOADED),
        ("rv-2", REFUSED),
        ("rv-3", UPLOADED),
    ]
    assert [employee for employee, _ in source.uploads] == ["1001", "1003"]
    refused = result.refused[0]
    assert refused.member_name == "Ana María Núñez" and refused.member_id == "1002"
    assert refused.error.startswith("cannot draw U+65E5 '日', U+672C '本', U+8A9E '語'")
    assert result.failed == (refused,)
    # Nothing is recorded for it: no pending entry that a later run would look up.
    assert sorted(_ledger(ledger)) == ["rv-1", "rv-3"]

    # With a font that has the characters, the next run files exactly that review.
    fonts = report_fonts([str(build_font(tmp_path / "jp.ttf", JAPANESE))], tmp_path)
    again = _export(store, source, ledger, fonts=fonts)
    assert [i.outcome for i in again.items] == ["skipped", UPLOADED, "skipped"]
    filed = source.documents[("1002", "2026-Q4 review — Ana María Núñez.pdf")]
    assert f"Summary: {JAPANESE}" in _pdf_text(filed)
    assert _ledger(ledger)["rv-2"]["versions"][0]["status"] == "filed"


def test_dry_run_shows_the_review_an_export_would_refuse(tmp_path):
    store = ListStore(review("rv-1", "1001"), review("rv-2", "1002", answer="Great 🚀"))
    result = _export(store, None, tmp_path / "ledger.yaml", dry_run=True)
    assert [i.outcome for i in result.items] == ["would upload", REFUSED]
    assert "U+1F680 '🚀' (in section 1, question 1, answer;" in result.items[1].error
    assert not (tmp_path / "ledger.yaml").exists()


def test_refused_reviews_do_not_count_as_an_unreachable_hris(tmp_path):
    emoji = [review(f"rv-{n}", "1001", answer="Great 🚀") for n in range(1, 5)]
    store = ListStore(*emoji, review("rv-5", "1002"))
    source = FakeSource()
    result = _export(store, source, tmp_path / "ledger.yaml")
    assert not result.stopped
    assert [i.outcome for i in result.items] == [REFUSED] * 4 + [UPLOADED]
