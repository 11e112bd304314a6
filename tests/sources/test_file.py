"""The file source: CSV and JSON exports, bad rows named, nothing beyond the model kept."""

from __future__ import annotations

import json

import pytest

from reconciler.core.snapshot_check import check_snapshot
from reconciler.errors import ConfigError, InvalidInput, SourceError
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
    assert "status 'on leave' of employee '2' is not 'active' or 'inactive'" in message
    assert "missing email (line 5)" in message
    assert "start_date '01/02/2021' is not an ISO date (YYYY-MM-DD) (line 6)" in message


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


HEADER = "employee_id,first_name,last_name,email,status,department,job_title"
ZOE = "7,Zoë,Ørsted,zoe@acme.example,active,Forschung,Entwicklerin"
ANA = "8,Ana,Lima,ana@acme.example,active,Forschung,Entwicklerin"


def write_text(tmp_path, lines, name="export.csv", encoding="utf-8", newline="\n"):
    (tmp_path / name).write_bytes(newline.join(lines).encode(encoding))


def problems_of(tmp_path, settings=None, name="export.csv"):
    with pytest.raises(InvalidInput) as info:
        open_source({"type": "file", "path": name, **(settings or {})}, tmp_path).fetch()
    return str(info.value)


def test_an_unclosed_quote_is_named_and_never_swallows_the_next_employee(tmp_path):
    broken = '7,"Zoë,Ørsted,zoe@acme.example,active,Forschung,Entwicklerin'
    write_text(tmp_path, [HEADER, broken, ANA, ""])
    message = problems_of(tmp_path)
    assert "export.csv, line 2" in message
    assert "never closed" in message


@pytest.mark.parametrize(
    ("closing_row", "error"),
    [
        ('9,Bea,"Ng",bea@acme.example,active,X,Y', "a quote ends in the middle of a field"),
        ('9,Bea,Ng,bea@acme.example,active,X,Y"', "2 fields where the header has 7"),
    ],
)
def test_a_quote_closed_rows_later_is_named_by_the_row_it_opens_in(tmp_path, closing_row, error):
    broken = '7,"Zoë,Ørsted,zoe@acme.example,active,Forschung,Entwicklerin'
    write_text(tmp_path, [HEADER, broken, ANA, closing_row])
    message = problems_of(tmp_path)
    assert "export.csv, line 2" in message
    assert f"{error}; the row runs on to line 4 inside quotes: a quote left open?" in message


def test_rows_with_too_many_or_too_few_fields_are_named(tmp_path):
    write_text(tmp_path, [HEADER, ZOE + ",extra", ANA, "9,Bea,Ng,bea@acme.example,active"])
    message = problems_of(tmp_path)
    assert "export.csv, line 2" in message
    assert "8 fields where the header has 7" in message
    assert "5 fields where the header has 7 (line 4)" in message


def test_a_value_over_several_lines_inside_quotes_is_valid_csv(tmp_path):
    write_text(
        tmp_path,
        [HEADER + ",home_address", ZOE + ',"Kanaalweg 1\n1234 AB Utrecht"', ANA + ",x"],
        newline="\r\n",
    )
    snapshot = fetch(tmp_path)
    assert [e.id for e in snapshot.employees] == ["7", "8"]
    assert snapshot.employees[1].origin == "export.csv, line 4"


def test_a_byte_order_mark_and_blank_trailing_lines_are_fine(tmp_path):
    (tmp_path / "export.csv").write_bytes(
        b"\xef\xbb\xbf" + "\r\n".join([HEADER, ZOE, "", "", ""]).encode()
    )
    assert [e.first_name for e in fetch(tmp_path).employees] == ["Zoë"]


def test_a_header_without_rows_is_an_empty_snapshot_but_an_empty_file_is_an_error(tmp_path):
    write_text(tmp_path, [HEADER, ""])
    assert fetch(tmp_path).employees == ()
    write_text(tmp_path, [""])
    assert "not even a header line" in problems_of(tmp_path)


@pytest.mark.parametrize(
    ("encoding", "suggested"), [("cp1252", "cp1252"), ("latin-1", "cp1252"), ("utf-16", "utf-16")]
)
def test_another_encoding_is_named_with_the_setting_that_reads_it(tmp_path, encoding, suggested):
    write_text(tmp_path, [HEADER, ANA, ZOE], encoding=encoding)
    message = problems_of(tmp_path)
    assert "export.csv, line" in message
    assert f"`encoding: {suggested}`" in message
    snapshot = open_source(
        {"type": "file", "path": "export.csv", "encoding": encoding}, tmp_path
    ).fetch()
    assert [e.last_name for e in snapshot.employees] == ["Lima", "Ørsted"]


def test_utf16_without_a_byte_order_mark_is_not_read_as_nul_separated_text(tmp_path):
    write_text(tmp_path, [HEADER, ANA], encoding="utf-16-le")
    message = problems_of(tmp_path)
    assert "export.csv, line 1" in message
    assert "NUL" in message and "`encoding: utf-16`" in message


def test_an_unknown_encoding_or_delimiter_setting_is_a_configuration_error(tmp_path):
    with pytest.raises(ConfigError, match="encoding 'klingon'"):
        open_source({"type": "file", "path": "x.csv", "encoding": "klingon"}, tmp_path)
    with pytest.raises(ConfigError, match="delimiter '|'"):
        open_source({"type": "file", "path": "x.csv", "delimiter": "|"}, tmp_path)


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_semicolon_and_tab_exports_are_detected(tmp_path, delimiter):
    lines = [line.replace(",", delimiter) for line in (HEADER, ZOE, ANA)]
    write_text(
        tmp_path, [*lines, '9;"Ng, Bea";X;b@acme.example;active;R;S'.replace(";", delimiter)]
    )
    snapshot = fetch(tmp_path)
    assert [e.id for e in snapshot.employees] == ["7", "8", "9"]
    assert snapshot.employees[2].first_name == "Ng, Bea"


def test_a_wrong_delimiter_setting_is_named_with_the_one_that_fits(tmp_path):
    write_text(tmp_path, [line.replace(",", ";") for line in (HEADER, ZOE)])
    message = problems_of(tmp_path, {"delimiter": ","})
    assert "export.csv, line 1" in message
    assert "missing column(s): employee_id" in message
    assert "the header looks ';'-separated: set `delimiter: \";\"`" in message
    snapshot = open_source(
        {"type": "file", "path": "export.csv", "delimiter": ";"}, tmp_path
    ).fetch()
    assert snapshot.employees[0].email == "zoe@acme.example"


def test_a_column_named_twice_is_an_error(tmp_path):
    write_text(tmp_path, [HEADER + ",email", ZOE + ",other@acme.example"])
    assert "column 'email' appears twice" in problems_of(tmp_path)


def test_an_export_outside_the_repository_is_read_where_it_is(tmp_path):
    outside = tmp_path / "hr-share" / "export.csv"
    outside.parent.mkdir()
    write_text(outside.parent, [HEADER, ZOE])
    repository = tmp_path / "repo"
    repository.mkdir()
    source = open_source({"type": "file", "path": str(outside)}, repository)
    assert source.fetch().employees[0].origin == f"{outside}, line 2"


def test_teams_and_jobs_whose_names_derive_one_id_both_reach_the_snapshot(tmp_path):
    write_text(
        tmp_path,
        [HEADER, ZOE.replace("Forschung", "R&D"), ANA.replace("Forschung", "R D"), ""],
    )
    snapshot = fetch(tmp_path)
    assert [(t.id, t.name) for t in snapshot.teams] == [("r-d", "R D"), ("r-d", "R&D")]
    with pytest.raises(InvalidInput, match="the names 'R D' and 'R&D' both give the id 'r-d'"):
        check_snapshot(snapshot)


def test_json_ids_may_be_numbers_but_other_values_must_be_text(tmp_path):
    (tmp_path / "export.json").write_text(
        json.dumps(
            [
                {
                    "employee_id": 7,
                    "first_name": "Zoë",
                    "last_name": "Ø",
                    "email": "z@a.example",
                    "status": "active",
                    "manager_id": 8,
                    "salary": 91000.5,
                },
                {
                    "employee_id": 8.0,
                    "first_name": ["Ana"],
                    "last_name": "Lima",
                    "email": "a@a.example",
                    "status": True,
                },
                "9,Bea,Ng",
            ]
        )
    )
    message = problems_of(tmp_path, name="export.json")
    assert "export.json, item 2" in message
    assert "employee_id: 8.0 is a JSON number, not text" in message
    assert "first_name: ['Ana'] is a JSON list, not text" in message
    assert "status: True is a JSON true/false, not text" in message
    assert "export.json, item 3\n  - is a JSON string, not an object" in message
    assert "item 1" not in message


def test_a_json_export_that_is_not_a_list_is_named(tmp_path):
    (tmp_path / "export.json").write_text(json.dumps({"data": []}))
    assert "export.json, line 1" in problems_of(tmp_path, name="export.json")
    (tmp_path / "export.json").write_text('[{"employee_id": 1,}]')
    assert "not valid JSON" in problems_of(tmp_path, name="export.json")


def test_json_records_say_which_item_they_came_from(tmp_path):
    (tmp_path / "export.json").write_text(
        json.dumps(
            {
                "employees": [
                    {
                        "employee_id": 7,
                        "first_name": "Zoë",
                        "last_name": "Ø",
                        "email": "z@a.example",
                        "status": "active",
                        "manager_id": 8,
                    }
                ]
            }
        )
    )
    employee = fetch(tmp_path, "export.json").employees[0]
    assert (employee.id, employee.manager, employee.origin) == ("7", "8", "export.json, item 1")


def test_a_row_with_a_department_id_but_no_name_does_not_rename_the_department(tmp_path):
    rows = [list(r) for r in BASE_ROWS]
    rows[3][6] = ""  # Di's row: department_id D2, no department name
    rows[3][9] = ""  # ... and job_id J3, no title
    write_export(tmp_path / "export.csv", rows)
    snapshot = check_snapshot(fetch(tmp_path))
    assert {t.id: t.name for t in snapshot.teams}["D2"] == "Engineering"
    assert {j.id: j.name for j in snapshot.jobs}["J3"] == "Engineer"
    rows = [r for r in rows if r[5] != "D2" or r[0] == "4"]  # only Di is left in D2
    write_export(tmp_path / "export.csv", rows)
    assert {t.id: t.name for t in fetch(tmp_path).teams}["D2"] == "D2"
