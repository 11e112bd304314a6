import json
import sqlite3

import pytest

from reconciler.errors import InvalidInput
from reconciler.reviews.store import (
    REVIEWS_DDL,
    DirectoryReviewStore,
    SqliteReviewStore,
    upsert_review,
)
from tests.reviews.fixtures import review


def _write(folder, name, data):
    (folder / name).write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")


def _error(folder, label="x") -> str:
    with pytest.raises(InvalidInput) as caught:
        DirectoryReviewStore(folder, label).reviews()
    return str(caught.value)


def test_directory_store_reads_reviews_in_id_order(tmp_path):
    _write(tmp_path, "b.json", review("rv-2", "1002").to_data())
    _write(tmp_path, "a.json", review("rv-1", "1001", status="draft").to_data())
    reviews = DirectoryReviewStore(tmp_path, "reviews/exported").reviews()
    assert [r.id for r in reviews] == ["rv-1", "rv-2"]
    assert reviews[1] == review("rv-2", "1002")
    assert reviews[0].status == "draft" and reviews[0].finished_at is None


def test_bad_review_file_is_named_with_line_and_reason(tmp_path):
    data = review("rv-1").to_data()
    data["sections"][0]["questions"][0]["rating"] = 7  # scale is 5
    del data["cycle"]
    _write(tmp_path, "good.json", review("rv-2").to_data())
    _write(tmp_path, "bad.json", data)
    message = _error(tmp_path, "reviews/exported")
    assert 'Invalid review "rv-1", reviews/exported/bad.json, line' in message
    assert "'cycle' is a required property" in message
    assert "good.json" not in message


def test_rating_above_scale_and_impossible_dates_are_caught(tmp_path):
    data = review("rv-1").to_data()
    data["sections"][1]["questions"][0]["rating"] = 7
    data["period_end"] = "2026-02-30"
    _write(tmp_path, "r.json", data)
    message = _error(tmp_path)
    assert "sections.1.questions.0.rating: 7 is above the scale of 5" in message
    assert "period_end: '2026-02-30' is not an ISO date" in message


def test_finished_review_needs_finished_at_and_json_syntax_is_reported(tmp_path):
    data = review("rv-1").to_data()
    data["finished_at"] = None
    _write(tmp_path, "r.json", data)
    (tmp_path / "broken.json").write_text('{"id": "rv-9",\n  "cycle": }', encoding="utf-8")
    message = _error(tmp_path)
    assert "x/broken.json, line 2" in message and "JSON syntax" in message
    assert "x/r.json" in message and "finished_at" in message


def test_duplicate_review_ids_across_files_are_refused(tmp_path):
    _write(tmp_path, "a.json", review("rv-1").to_data())
    _write(tmp_path, "b.json", review("rv-1").to_data())
    assert "review id 'rv-1' is also in x/a.json" in _error(tmp_path)


def test_sqlite_store_round_trips_and_upsert_replaces(tmp_path):
    path = tmp_path / "platform.db"
    db = sqlite3.connect(path)
    db.executescript(REVIEWS_DDL)  # as the sqlite target does when it creates the platform
    upsert_review(db, review("rv-1", "1001", status="draft"))
    upsert_review(db, review("rv-2", "1002"))
    upsert_review(db, review("rv-1", "1001"))
    status = db.execute("SELECT status FROM reviews WHERE review_id = 'rv-1'").fetchone()
    db.close()
    assert status == ("finished",)
    assert SqliteReviewStore(path).reviews() == [review("rv-1", "1001"), review("rv-2", "1002")]


def test_sqlite_store_without_database_or_table_has_no_reviews(tmp_path):
    assert SqliteReviewStore(tmp_path / "missing.db").reviews() == []
    sqlite3.connect(tmp_path / "empty.db").close()
    assert SqliteReviewStore(tmp_path / "empty.db").reviews() == []


def test_sqlite_row_whose_columns_contradict_its_document_is_refused(tmp_path):
    path = tmp_path / "platform.db"
    db = sqlite3.connect(path)
    upsert_review(db, review("rv-1", "1001"))
    with db:
        db.execute("UPDATE reviews SET member_external_id = '9999'")
    db.close()
    with pytest.raises(InvalidInput) as caught:
        SqliteReviewStore(path, ".hrsync/platform.db").reviews()
    assert ".hrsync/platform.db, reviews row 'rv-1'" in str(caught.value)
    assert "member_external_id is '9999', the document says '1001'" in str(caught.value)
