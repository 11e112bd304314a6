"""Catalogue: a broken or foreign export file stops at the file source, naming the line (or the
JSON item), and nothing changes: not the checkout, not the remote, not the platform.

Each case is a small variation of the company's own export with one hire (line 8) added.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import git
import pytest

from tests.conftest import BASE_ROWS, COLUMNS
from tests.hostile.harness import assert_refused, export_path, make_company
from tests.hostile.test_ids import NEW


@pytest.fixture
def company(tmp_path, monkeypatch):
    monkeypatch.setenv("HRSYNC_TODAY", "2026-11-25")
    return make_company(tmp_path)


def csv_text(rows=(*BASE_ROWS, NEW), columns=COLUMNS, delimiter=",") -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(rows)
    return buffer.getvalue()


def with_hire(**cells: str) -> str:
    row = list(NEW)
    for column, value in cells.items():
        row[COLUMNS.index(column)] = value
    return csv_text(rows=(*BASE_ROWS, row))


def hire_line(text: str, edit) -> str:
    """The export with the hire's line (line 8) rewritten by `edit`."""
    lines = text.split("\n")
    lines[7] = edit(lines[7])
    return "\n".join(lines)


def records() -> list[dict]:
    return [dict(zip(COLUMNS, row, strict=True)) for row in (*BASE_ROWS, NEW)]


def point_source_at(root: Path, export: Path, **settings: str) -> None:
    """hrsync.yaml's source reads `export` with `settings`; committed and pushed, as a person
    changing the configuration would."""
    config = root / "hrsync.yaml"
    text = config.read_text(encoding="utf-8")
    # the source block comes first; the target's path below it stays as it is
    text = re.sub(r"^  path: \S+", f"  path: {export}", text, count=1, flags=re.M)
    extra = "".join(f"  {key}: {json.dumps(value)}\n" for key, value in settings.items())
    config.write_text(text.replace("  type: file\n", "  type: file\n" + extra), encoding="utf-8")
    repo = git.Repo(root)
    repo.git.commit("-qam", "source settings")
    repo.git.push("-q", "origin", "main")


LINE_CASES = {
    "an unclosed quote swallowing the next rows": (
        hire_line(csv_text(), lambda line: line.replace("Gil", '"Gil', 1))
        + "8,Ha,Next,ha@acme.example,active,D2,Engineering,D1,J3,Engineer,2,2021-01-01,,1,1,x\n",
        "line 8",
        "never closed",
    ),
    "a quote closed in the middle of a field": (
        hire_line(csv_text(), lambda line: line.replace("Gil", '"Gi"l', 1)),
        "line 8",
        "a quote ends in the middle of a field",
    ),
    "too many fields": (
        hire_line(csv_text(), lambda line: line.replace("Gil,New", "Gil,de,New", 1)),
        "line 8",
        "17 fields where the header has 16",
    ),
    "too few fields": (
        hire_line(csv_text(), lambda line: line.rsplit(",", 2)[0]),
        "line 8",
        "14 fields where the header has 16",
    ),
    "status 'maybe'": (with_hire(status="maybe"), "line 8", "status 'maybe'"),
    "a date that is not ISO": (
        with_hire(start_date="31.12.2025"),
        "line 8",
        "start_date '31.12.2025' is not an ISO date",
    ),
    "a required column missing": (
        csv_text(
            rows=[row[:4] + row[5:] for row in (*BASE_ROWS, NEW)],
            columns=COLUMNS[:4] + COLUMNS[5:],
        ),
        "line 1",
        "missing column(s): status",
    ),
    "a NUL byte": (
        hire_line(csv_text(), lambda line: line.replace("Gil", "Gi\0l", 1)),
        "line 8",
        "NUL character",
    ),
    "a 50 MB value in a cell": (
        with_hire(home_address="A" * 50_000_000),
        "line 8",
        "a field is longer than 131072 characters",
    ),
    "two departments whose names give one id": (
        csv_text(
            rows=[
                *BASE_ROWS,
                [*NEW[:5], "", "R&D", *NEW[7:]],
                ["8", "Ha", "Next", "ha@acme.example", "active", "", "R D", *NEW[7:]],
            ]
        ),
        "'R&D'",
        "'R D'",
        "both give the id 'r-d'",
    ),
}


@pytest.mark.parametrize("case", sorted(LINE_CASES))
def test_a_broken_csv_export_is_refused_naming_the_line(company, case):
    text, *named = LINE_CASES[case]
    export = export_path(company)
    export.write_text(text, encoding="utf-8")
    outcome = assert_refused(company, ("sync",), export.name, *named)
    assert len(outcome.output) < 1_000, outcome.output


@pytest.mark.parametrize(
    ("encoding", "line", "suggested"),
    [
        ("latin-1", "line 8", "cp1252"),
        ("cp1252", "line 8", "cp1252"),
        ("utf-16", "line 1", "utf-16"),
    ],
)
def test_an_export_in_another_encoding_is_refused_with_the_setting_to_read_it(
    company, encoding, line, suggested
):
    export = export_path(company)
    export.write_bytes(with_hire(first_name="Gilbért").encode(encoding))
    assert_refused(company, ("sync",), export.name, line, f"`encoding: {suggested}`")


def test_a_semicolon_export_with_a_comma_delimiter_setting_is_named_with_the_fix(company):
    export = export_path(company).with_name("excel-nl.csv")
    export.write_text(csv_text(delimiter=";"), encoding="utf-8-sig")
    point_source_at(company, export, delimiter=",")
    assert_refused(
        company,
        ("sync",),
        "excel-nl.csv, line 1",
        "missing column(s)",
        "the header looks ';'-separated",
        '`delimiter: ";"`',
    )


def test_an_unknown_encoding_setting_is_refused(company):
    point_source_at(company, export_path(company), encoding="latin-9000")
    assert_refused(company, ("sync",), "encoding 'latin-9000' is not known")


JSON_CASES = {
    "not a list": ({"employees": "everyone"}, "line 1", "expected a list of employee objects"),
    "an object without employees": ({"data": records()}, "line 1", "a JSON object"),
    "an item that is not an object": (
        [*records()[:6], ["7", "Gil"]],
        "item 7",
        "is a JSON list, not an object",
    ),
    "a name that is a number": (
        [*records()[:6], {**records()[6], "first_name": 7}],
        "item 7",
        "first_name: 7 is a JSON number, not text",
    ),
    "a 50 MB name": (
        [*records()[:6], {**records()[6], "last_name": "N" * 50_000_000}],
        "item 7",
        "(50000000 characters)",
    ),
}


@pytest.mark.parametrize("case", sorted(JSON_CASES))
def test_a_broken_json_export_is_refused_naming_the_item(company, case):
    data, *named = JSON_CASES[case]
    export = export_path(company).with_name("export.json")
    export.write_text(json.dumps(data), encoding="utf-8")
    point_source_at(company, export)
    outcome = assert_refused(company, ("sync",), "export.json", *named)
    assert len(outcome.output) < 1_000, outcome.output


def test_the_same_export_in_excel_flavours_is_accepted(company):
    """The other side of the catalogue: a byte-order mark, CRLF, ';' and trailing blank lines are
    what Excel writes, and must not be refused."""
    export = export_path(company).with_name("excel.csv")
    text = csv_text(delimiter=";").replace("\n", "\r\n") + "\r\n\r\n"
    export.write_bytes(text.encode("utf-8-sig"))
    point_source_at(company, export)
    from tests.hostile.harness import run

    outcome = run(company, "sync")
    assert outcome.exit_code == 0, outcome.output
    member = (company / "state/members/7.yaml").read_text(encoding="utf-8")
    assert "email: gil@acme.example" in member
