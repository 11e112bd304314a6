"""The file source: CSV and JSON exports, bad rows named, nothing beyond the model kept."""

from __future__ import annotations

import json

import pytest

from reconciler.errors import InvalidInput, SourceError
from reconciler.sources import open_source
from tests.conftest import BASE_ROWS, write_export


def fetch(tmp_path, name="export.csv"):
    return open_source({"type": "file", "path": name}, tmp_path).fetch()


def test_csv_export_becomes_employees_teams_and_jobs(tmp_path):
    write_export(tmp_path / "export.csv", BASE_ROWS)
    snapshot = fetch(tmp_path)
    assert [e.id for e in snapshot.employees] == ["1", "2", "3", "4", "5", "6"]
    bo = snapshot.employees[1]
    assert (bo.email, bo.team, bo.job, bo.manager) == ("bo@acme.example", "D2", "J2", "1")
    assert {t.id: t.parent for t in snapshot.teams} == {"D1": None, "D2": "D1", "D3": "D1"}
    assert [j.name for j in snapshot.jobs] == [
        "CEO",
        "CTO",
        "Engineer",
        "Head of Sales",
        "Sales Rep",
    ]


def test_salary_birth_date_and_address_never_reach_the_snapshot(tmp_path):
    write_export(tmp_path / "export.csv", BASE_ROWS)
    text = json.dumps(fetch(tmp_path).to_data())
    for secret in ("250000", "1970-01-01", "1 Main", "salary", "date_of_birth"):
        assert secret not in text


def test_ids_are_slugs_of_names_when_the_export_has_none(tmp_path):
    (tmp_path / "export.json").write_text(
        json.dumps(
            [
                {
                    "employee_id": 7,
                    "first_name": "Zoë",
                    "last_name": "Ø",
                    "email": "z@acme.example",
                    "status": "active",
                    "department": "Research & Development",
                    "job_title": "Lead — R&D",
                },
            ]
        )
    )
    snapshot = fetch(tmp_path, "export.json")
    assert snapshot.employees[0].id == "7"
    assert snapshot.teams[0].id == "research-development"
    assert snapshot.jobs[0].id == "lead-r-d"


def test_every_bad_row_is_named_by_line(tmp_path):
    rows = [list(r) for r in BASE_ROWS]
    rows[1][4] = "on leave"
    rows[3][3] = ""
    rows[4][11] = "01/02/2021"
    write_export(tmp_path / "export.csv", rows)
    with pytest.raises(InvalidInput) as info:
        fetch(tmp_path)
    message = str(info.value)
    assert "export.csv, line 3" in message
    assert "status 'on leave' of employee 2 is not 'active' or 'inactive'" in message
    assert "missing email (line 5)" in message
    assert "date '01/02/2021' is not an ISO date" in message


def test_missing_columns_and_missing_file(tmp_path):
    (tmp_path / "export.csv").write_text("employee_id,email\n1,a@b.example\n")
    with pytest.raises(InvalidInput, match="missing column"):
        fetch(tmp_path)
    with pytest.raises(SourceError, match="not found"):
        fetch(tmp_path, "nope.csv")


def test_documents_are_filed_and_found(tmp_path):
    write_export(tmp_path / "hris/export.csv", BASE_ROWS)
    source = open_source({"type": "file", "path": "hris/export.csv"}, tmp_path)
    assert source.find_document("3", "review.pdf") is None
    uploaded = source.upload_document("3", "review.pdf", b"%PDF-1.4 x", title="Review")
    assert (tmp_path / "hris/documents/3/review.pdf").read_bytes() == b"%PDF-1.4 x"
    assert uploaded.location == "hris/documents/3/review.pdf"
    assert source.find_document("3", "review.pdf") == "review.pdf"
    with pytest.raises(SourceError):
        source.upload_document("3", "../escape.pdf", b"x", title="x")
