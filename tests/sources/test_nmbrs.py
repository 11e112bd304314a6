"""Nmbrs SOAP source against a loopback SOAP v3 server."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from reconciler.core.employment import is_active
from reconciler.core.interfaces import Step
from reconciler.errors import ConfigError, SourceError
from reconciler.sources import open_source
from reconciler.sources.nmbrs import NmbrsSource, payroll_period
from tests.fakes.nmbrs_server import (
    COMPANY_ID,
    DEBTOR_ID,
    DOMAIN,
    TOKEN,
    USERNAME,
    function_record,
    generate_company,
    soap_date,
    start_nmbrs_server,
)
from tests.fakes.sample_pdf import small_pdf

GUID = "c21d471a-2d8c-47a7-b8c4-9bde8d188b13"


@pytest.fixture
def nmbrs():
    server, base_url = start_nmbrs_server(generate_company(300))
    yield server.data, base_url
    server.shutdown()
    server.server_close()


def make_source(base_url: str, token: str = TOKEN, **settings) -> tuple[NmbrsSource, list]:
    sleeps: list[float] = []
    config = {"type": "nmbrs", "base_url": base_url, "domain": DOMAIN, "company_id": COMPANY_ID}
    env = {"NMBRS_USERNAME": USERNAME, "NMBRS_TOKEN": token}
    source = open_source({**config, **settings}, None, env)
    source.soap.http.sleep = sleeps.append
    return source, sleeps


def by_id(snapshot):
    return {e.id: e for e in snapshot.employees}


def test_fetch_reads_every_employee_type_and_the_latest_records(nmbrs):
    data, base_url = nmbrs
    steps: list[Step] = []
    source, _ = make_source(base_url, debtor_id=DEBTOR_ID)

    snapshot = source.fetch(progress=steps.append)

    assert len(snapshot.employees) == 300
    assert data.calls.count("List_GetByCompany") == 2
    assert Step("fetch Nmbrs employees", 300, 300, "employees") in steps
    managers = [s for s in steps if s.task == "fetch Nmbrs managers"]
    assert managers[-1].done == managers[-1].total and managers[-1].total > 0
    jan = by_id(snapshot)["600003"]
    assert (jan.first_name, jan.last_name, jan.email) == ("Jan3", "de Vries3", "jan3@example.nl")
    assert (jan.team, jan.job, jan.active, jan.start_date) == ("40", "4", True, date(2020, 1, 1))
    assert by_id(snapshot)["600001"].last_name == "Vries1"
    assert {t.id: t.name for t in snapshot.teams}["30"] == "Financiën"
    assert all(t.parent is None for t in snapshot.teams)
    assert {j.id: j.name for j in snapshot.jobs} == {
        "1": "Developer",
        "2": "Accountant",
        "3": "Operator",
        "4": "Manager",
    }


def test_functions_nested_under_function_give_every_member_a_job(nmbrs):
    # Function_GetAll_AllEmployeesByCompany_V2 nests Code/Description under <Function>: read
    # flat, every member came out with job null.
    data, base_url = nmbrs
    source, _ = make_source(base_url)  # no debtor: jobs come from the records themselves

    snapshot = source.fetch()

    assert {e.job for e in snapshot.employees} == {"1", "2", "3", "4"}
    assert {(j.id, j.name) for j in snapshot.jobs} == {
        ("1", "Developer"),
        ("2", "Accountant"),
        ("3", "Operator"),
        ("4", "Manager"),
    }


def test_each_record_says_where_it_came_from(nmbrs):
    _, base_url = nmbrs
    source, _ = make_source(base_url)

    employees = by_id(source.fetch())

    assert employees["600003"].origin == f"Nmbrs employee '600003' (company {COMPANY_ID}, type 1)"
    assert employees["600010"].origin.endswith("type 2)")


def test_a_department_or_function_entered_for_next_month_waits_for_it(nmbrs):
    data, base_url = nmbrs
    employee = data.employee(600001)  # department 20 (ICT), function 2 since January 2020
    employee.departments.append(
        {
            "Id": 950,
            "Code": 50,
            "Description": "Data",
            "CreationDate": "2026-11-20T09:00:00",
            "StartPeriod": 12,
            "StartYear": 2026,
        }
    )
    analyst = {"Id": 850, "Code": 5, "Description": "Analyst"}
    employee.functions.append(function_record(99, analyst, 2026, 12, "2026-11-20T09:05:00"))
    source, _ = make_source(base_url)

    source.today = lambda: date(2026, 11, 30)
    before = source.fetch()
    source.today = lambda: date(2026, 12, 1)
    after = source.fetch()

    assert (by_id(before)["600001"].team, by_id(before)["600001"].job) == ("20", "2")
    assert "50" not in {t.id for t in before.teams} and "5" not in {j.id for j in before.jobs}
    assert (by_id(after)["600001"].team, by_id(after)["600001"].job) == ("50", "5")
    assert {t.id: t.name for t in after.teams}["50"] == "Data"
    assert {j.id: j.name for j in after.jobs}["5"] == "Analyst"


def test_within_one_period_the_record_entered_last_counts(nmbrs):
    data, base_url = nmbrs
    # Entered on 2026-03-02 for March, corrected on 2026-03-05 for March too.
    for created, code, name in (
        ("2026-03-02T09:00:00", 60, "Sales"),
        ("2026-03-05T09:00:00", 70, "Support"),
    ):
        data.employee(600002).departments.append(
            {
                "Id": 900 + code,
                "Code": code,
                "Description": name,
                "CreationDate": created,
                "StartPeriod": 3,
                "StartYear": 2026,
            }
        )
    source, _ = make_source(base_url)
    source.today = lambda: date(2026, 3, 15)

    assert by_id(source.fetch())["600002"].team == "70"


def test_payroll_periods_are_months_unless_configured():
    day = date(2026, 12, 30)  # ISO week 53 of 2026
    assert payroll_period(day) == (2026, 12)
    assert payroll_period(day, "weekly") == (2026, 53)
    assert payroll_period(day, "four_weekly") == (2026, 13)
    assert payroll_period(date(2027, 1, 1), "four_weekly") == (2026, 13)  # still ISO 2026
    assert payroll_period(date(2026, 2, 2), "four_weekly") == (2026, 2)  # ISO week 6


def test_a_four_weekly_company_counts_its_own_periods(nmbrs):
    data, base_url = nmbrs
    data.employee(600001).departments.append(
        {
            "Id": 950,
            "Code": 50,
            "Description": "Data",
            "CreationDate": "2026-01-20T09:00:00",
            "StartPeriod": 3,  # four-weekly period 3: ISO weeks 9-12, from 23 February 2026
            "StartYear": 2026,
        }
    )
    monthly, _ = make_source(base_url)
    four_weekly, _ = make_source(base_url, payroll_periods="four_weekly")
    for source in (monthly, four_weekly):
        source.today = lambda: date(2026, 2, 25)  # February, but four-weekly period 3

    assert by_id(monthly.fetch())["600001"].team == "20"
    assert by_id(four_weekly.fetch())["600001"].team == "50"


def test_managers_are_linked_by_work_email_or_left_empty(nmbrs):
    data, base_url = nmbrs
    data.employee(600002).manager = {
        "Number": 9,
        "FirstName": "Extern",
        "Name": "Coach",
        "Email": "coach@elsewhere.nl",
    }
    source, _ = make_source(base_url)

    employees = by_id(source.fetch())

    assert employees["600001"].manager == "600000"
    assert employees["600002"].manager is None
    assert employees["600000"].manager is None
    assert data.calls.count("Manager_GetCurrent") == 300
    source, _ = make_source(base_url, managers="off")
    assert by_id(source.fetch())["600001"].manager is None
    assert data.calls.count("Manager_GetCurrent") == 300


def test_pii_never_reaches_the_snapshot(nmbrs):
    _, base_url = nmbrs
    source, _ = make_source(base_url)

    text = json.dumps(source.fetch().to_data())

    for forbidden in ("200000005", "1981-02-03", "privemail", "0612345678", "Johannes", "0201234"):
        assert forbidden not in text


def test_renamed_department_keeps_its_id(nmbrs):
    data, base_url = nmbrs
    source, _ = make_source(base_url, debtor_id=DEBTOR_ID)
    assert {t.id: t.name for t in source.fetch().teams}["20"] == "ICT"
    data.departments[1]["Description"] = "Informatie & Technologie"

    after = source.fetch()

    assert {t.id: t.name for t in after.teams}["20"] == "Informatie & Technologie"
    assert by_id(after)["600001"].team == "20"


def test_without_debtor_teams_come_from_current_assignments(nmbrs):
    data, base_url = nmbrs
    data.employee(600001).departments.append(
        {
            "Id": 950,
            "Code": 50,
            "Description": "Data",
            "CreationDate": "2023-03-01T09:00:00",
            "StartPeriod": 3,
            "StartYear": 2023,
        }
    )
    source, _ = make_source(base_url)

    snapshot = source.fetch()

    assert by_id(snapshot)["600001"].team == "50"
    assert {t.id: t.name for t in snapshot.teams}["50"] == "Data"
    assert "DebtorService" not in " ".join(data.calls)


def test_leaver_future_hire_and_rehire(nmbrs):
    data, base_url = nmbrs
    data.employee(600001).employments[0]["EndDate"] = soap_date(-5)
    data.employee(600002).employments[0]["StartDate"] = soap_date(20)
    data.employee(600003).employments[0]["EndDate"] = "2021-06-30T00:00:00"
    data.employee(600003).employments.append(
        {
            "EmploymentId": 2,
            "CreationDate": "2023-01-01T09:00:00",
            "StartDate": "2023-01-01T00:00:00",
            "EndDate": None,
        }
    )
    source, _ = make_source(base_url)

    employees = by_id(source.fetch())

    assert is_active(employees["600001"], date.today()) is False
    assert employees["600001"].end_date == date.today() - timedelta(days=5)
    # a future hire is active-to-be; the start-date rule imports it from its first day
    assert is_active(employees["600002"], date.today()) is True
    assert employees["600002"].start_date == date.today() + timedelta(days=20)
    assert is_active(employees["600003"], date.today()) is True
    assert employees["600003"].start_date == date(2023, 1, 1)
    assert data.calls.count("Manager_GetCurrent") == 298


def test_rate_limit_and_unavailable_are_waited_out(nmbrs):
    data, base_url = nmbrs
    data.inject("Department_GetAll_AllEmployeesByCompany", "429")
    data.inject("Manager_GetCurrent", "503")
    source, sleeps = make_source(base_url)

    snapshot = source.fetch()

    assert len(snapshot.employees) == 300
    assert sleeps[0] == 2.0 and len(sleeps) == 2


def test_truncated_answer_fails_the_whole_fetch(nmbrs):
    data, base_url = nmbrs
    data.inject("Function_GetAll_AllEmployeesByCompany_V2", "truncated")
    source, _ = make_source(base_url)

    with pytest.raises(SourceError, match="not complete XML"):
        source.fetch()


def test_no_employees_is_an_error(nmbrs):
    data, base_url = nmbrs
    data.employees.clear()
    source, _ = make_source(base_url)

    with pytest.raises(SourceError, match="lists no employees"):
        source.fetch()


def test_bad_credentials_name_the_variables_not_the_values(nmbrs):
    data, base_url = nmbrs
    source, _ = make_source(base_url, token="wrong-token-value")

    with pytest.raises(SourceError) as raised:
        source.fetch()

    message = str(raised.value)
    assert message == (
        "Nmbrs: invalid authentication; check NMBRS_USERNAME / NMBRS_TOKEN (and domain)"
    )
    assert "wrong-token-value" not in message
    assert len(data.calls) == 1  # a fault is final, never retried


def test_other_faults_carry_the_nmbrs_code(nmbrs):
    _, base_url = nmbrs
    source, _ = make_source(base_url, company_id=1)

    with pytest.raises(SourceError, match="List_GetByCompany failed: 2004: Unauthorized company"):
        source.fetch()


def test_upload_sends_the_pdf_for_the_right_employee(nmbrs):
    data, base_url = nmbrs
    source, _ = make_source(base_url, document_type_guid=GUID)
    content = small_pdf()

    uploaded = source.upload_document("600007", "review-2024.pdf", content, title="Review 2024")

    [received] = data.uploads
    assert received["content"] == content and content.startswith(b"%PDF")
    assert (received["employee"], received["name"], received["type"]) == (
        600007,
        "review-2024.pdf",
        GUID,
    )
    assert "Review 2024" in uploaded.location
    assert source.find_document("600007", "review-2024.pdf") is None


def test_upload_needs_a_document_type_and_an_extension(nmbrs):
    data, base_url = nmbrs
    source, _ = make_source(base_url)
    with pytest.raises(ConfigError, match="document_type_guid"):
        source.upload_document("600007", "review.pdf", small_pdf(), title="Review")

    source, _ = make_source(base_url, document_type_guid=GUID)
    with pytest.raises(SourceError, match="extension"):
        source.upload_document("600007", "review", small_pdf(), title="Review")
    assert data.uploads == []


def test_two_names_under_one_code_both_reach_the_snapshot(nmbrs):
    data, base_url = nmbrs
    data.employee(600001).departments[0]["Description"] = "ICT & Data"  # 600005 still says ICT
    source, _ = make_source(base_url)

    teams = source.fetch().teams

    assert {(t.id, t.name) for t in teams if t.id == "20"} == {("20", "ICT"), ("20", "ICT & Data")}


def test_payroll_periods_setting_is_checked(nmbrs):
    _, base_url = nmbrs
    with pytest.raises(ConfigError, match="payroll_periods must be one of monthly"):
        make_source(base_url, payroll_periods="quarterly")


def test_missing_settings_are_config_errors():
    with pytest.raises(ConfigError, match="source.domain"):
        open_source({"type": "nmbrs", "company_id": 1}, None, {})
    with pytest.raises(SourceError, match="NMBRS_TOKEN is not set"):
        open_source(
            {"type": "nmbrs", "company_id": 1, "domain": "x"}, None, {"NMBRS_USERNAME": "u"}
        )


def test_no_employments_refuses_instead_of_deactivating_everyone(nmbrs):
    data, base_url = nmbrs
    for employee in data.employees:
        employee.employments.clear()
    source, _ = make_source(base_url)

    with pytest.raises(SourceError, match="no employments for 300 employees"):
        source.fetch()
