"""Catalogue: hostile ids and values from a file export stop at the snapshot boundary."""

from __future__ import annotations

import json

import pytest

from tests.conftest import BASE_ROWS, COLUMNS, rows_with, write_export
from tests.hostile.harness import assert_refused, export_path, make_company


@pytest.fixture
def company(tmp_path, monkeypatch):
    monkeypatch.setenv("HRSYNC_TODAY", "2026-11-25")
    return make_company(tmp_path)


NEW = [
    "7",
    "Gil",
    "New",
    "gil@acme.example",
    "active",
    "D2",
    "Engineering",
    "D1",
    "J3",
    "Engineer",
    "2",
    "2021-01-01",
    "",
    "1",
    "1990-01-01",
    "x",
]


def hire(**cells: str) -> list[list[str]]:
    row = list(NEW)
    for column, value in cells.items():
        row[COLUMNS.index(column)] = value
    return rows_with({}, extra=[row])


CASES = {
    "employee id climbs out of state/": (
        hire(employee_id="../../policies/exclude"),
        "../../policies/exclude",
    ),
    "employee id names the config": (hire(employee_id="../../hrsync"), "../../hrsync"),
    "absolute employee id": (hire(employee_id="/tmp/owned"), "/tmp/owned"),
    "employee id with a slash": (hire(employee_id="a/b"), "'a/b'"),
    "employee id with a backslash": (hire(employee_id="a\\b"), "a\\\\b"),
    "employee id with a leading dot": (hire(employee_id=".hidden"), ".hidden"),
    "employee id with a space": (hire(employee_id="10 07"), "10 07"),
    "employee id with backticks and HTML": (hire(employee_id="`<b>x</b>`"), "<b>x</b>"),
    "employee id of 129 characters": (hire(employee_id="9" * 129), "longer than 128"),
    "employee id with a newline": (hire(employee_id="7\nHrsync-Kind: teams"), "Hrsync-Kind"),
    "e-mail without @": (hire(email="gil.acme.example"), "gil.acme.example"),
    "name of 201 characters": (hire(first_name="G" * 201), "longer than 200"),
    "name with a right-to-left override": (hire(last_name="Ne\u202ew"), "text-direction"),
    "department id climbs out of state/": (hire(department_id="../../../x"), "../../../x"),
    "job id with a slash": (hire(job_id="J/3"), "J/3"),
    "manager id with markup": (hire(manager_id="<script>"), "<script>"),
    "parent department id with a slash": (
        hire(department_id="D9", parent_department_id="a/b"),
        "a/b",
    ),
    "two employees with id 6": (
        rows_with(
            {},
            extra=[
                [
                    "6",
                    "Ola",
                    "Other",
                    "ola@acme.example",
                    "active",
                    "D3",
                    "Sales",
                    "D1",
                    "J5",
                    "Sales Rep",
                    "5",
                    "2022-01-01",
                    "",
                    "1",
                    "1999-01-01",
                    "y",
                ]
            ],
        ),
        "also the id of the record at",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_hostile_csv_value_is_refused_and_changes_nothing(company, case):
    rows, named = CASES[case]
    export = export_path(company)
    write_export(export, rows)
    outcome = assert_refused(company, ("sync",), named, export.name)
    assert "line" in outcome.output


def test_a_hostile_json_export_is_refused_and_changes_nothing(company):
    export = export_path(company)
    records = [dict(zip(COLUMNS, row, strict=True)) for row in BASE_ROWS]
    records.append({**records[0], "employee_id": "../../hrsync"})
    json_export = export.with_suffix(".json")
    json_export.write_text(json.dumps(records), encoding="utf-8")
    config = company / "hrsync.yaml"
    config.write_text(config.read_text().replace(export.name, json_export.name))
    import git

    repo = git.Repo(company)
    repo.git.commit("-qam", "json export")
    repo.git.push("-q", "origin", "main")
    assert_refused(company, ("sync",), "../../hrsync", json_export.name)
