"""AFAS Profit source against a loopback Profit REST server."""

from __future__ import annotations

import base64
import json
from datetime import date, timedelta

import pytest

from reconciler.core.employment import is_active
from reconciler.core.interfaces import Step
from reconciler.core.snapshot_check import check_snapshot
from reconciler.errors import ConfigError, InvalidInput, SourceError
from reconciler.sources import open_source
from reconciler.sources.afas import AfasSource
from tests.fakes.afas_server import (
    ATTACHMENTS,
    EMPLOYMENTS,
    ORG_UNITS,
    TOKEN_XML,
    USERS,
    AfasData,
    days_from_today,
    generate_company,
    start_afas_server,
)
from tests.fakes.sample_pdf import small_pdf


@pytest.fixture
def afas():
    server, base_url = start_afas_server(AfasData(connectors=generate_company(2500)))
    yield server.data, base_url
    server.shutdown()
    server.server_close()


def make_source(base_url: str, token: str = TOKEN_XML, **settings) -> tuple[AfasSource, list]:
    sleeps: list[float] = []
    source = open_source(
        {"type": "afas", "base_url": base_url, **settings}, None, {"AFAS_TOKEN": token}
    )
    source.http.sleep = sleeps.append
    return source, sleeps


def by_id(snapshot):
    return {e.id: e for e in snapshot.employees}


def test_fetch_pages_through_every_connector_with_a_stable_order(afas):
    data, base_url = afas
    steps: list[Step] = []
    source, _ = make_source(base_url)

    snapshot = source.fetch(progress=steps.append)

    assert len(snapshot.employees) == 2500
    user_calls = [q for m, p, q in data.requests if p.endswith(f"/connectors/{USERS}")]
    assert [q["skip"] for q in user_calls] == ["0", "1000", "2000"]
    assert all(q["take"] == "1000" for q in user_calls)
    assert all(q.get("orderbyfieldids") for m, p, q in data.requests if m == "GET")
    # No total before the last page: rows so far, one step per page.
    employee_rows = [s.done for s in steps if s.task == "fetch AFAS employees"]
    assert employee_rows == [1000, 2000, 2500]
    assert {s.total for s in steps} == {None}


def test_employee_fields_names_with_prefix_team_job_and_manager(afas):
    _, base_url = afas
    source, _ = make_source(base_url)

    snapshot = source.fetch()

    jan = by_id(snapshot)["10003"]
    assert (jan.first_name, jan.last_name, jan.email) == ("Jan3", "de Vries3", "jan3@example.nl")
    assert (jan.team, jan.job, jan.manager, jan.active) == ("OPS", "MGR", "10000", True)
    assert jan.start_date == date(2020, 1, 1) and jan.end_date is None
    assert by_id(snapshot)["10001"].last_name == "Vries1"
    teams = {t.id: t for t in snapshot.teams}
    assert teams["FIN"].name == "Financiën" and teams["FIN"].parent == "DIR"
    assert teams["DIR"].parent is None
    assert {j.id: j.name for j in snapshot.jobs} == {
        "DEV": "Developer",
        "ACC": "Accountant",
        "OPM": "Operator",
        "MGR": "Manager",
    }


def test_pii_in_rows_never_reaches_the_snapshot(afas):
    _, base_url = afas
    source, _ = make_source(base_url)

    text = json.dumps(source.fetch().to_data())

    for forbidden in ("100000007", "NL91ABNA", "Kerkstraat", "1980-05-17", "4207", "Johannes"):
        assert forbidden not in text


def test_renamed_org_unit_keeps_its_id(afas):
    data, base_url = afas
    source, _ = make_source(base_url)
    before = {t.id: t.name for t in source.fetch().teams}
    next(u for u in data.connectors[ORG_UNITS] if u["ExternalId"] == "ICT")["DisplayName"] = (
        "Informatie & Technologie"
    )

    after = source.fetch()

    assert before["ICT"] == "ICT"
    assert {t.id: t.name for t in after.teams}["ICT"] == "Informatie & Technologie"
    assert by_id(after)["10001"].team == "ICT"


def test_leaver_is_inactive_and_future_hire_waits(afas):
    data, base_url = afas
    positions = {p["Medewerker"]: p for p in data.connectors[EMPLOYMENTS]}
    positions["10001"]["Einddatum_functie"] = days_from_today(-10)
    positions["10002"]["Begindatum_functie"] = days_from_today(30)
    source, _ = make_source(base_url)

    employees = by_id(source.fetch())

    assert is_active(employees["10001"], date.today()) is False
    assert employees["10001"].end_date == date.today() - timedelta(days=10)
    # a future hire is active-to-be; the start-date rule imports it from its first day
    assert is_active(employees["10002"], date.today()) is True
    assert employees["10002"].start_date == date.today() + timedelta(days=30)
    assert is_active(employees["10003"], date.today()) is True


def test_a_rehire_counts_by_the_running_position(afas):
    data, base_url = afas
    data.connectors[EMPLOYMENTS].append(
        {
            **next(p for p in data.connectors[EMPLOYMENTS] if p["Medewerker"] == "10005"),
            "ExternalID": "10005-0",
            "Begindatum_functie": "2010-01-01T00:00:00Z",
            "Einddatum_functie": "2015-12-31T00:00:00Z",
            "Functie_code": "DEV",
        }
    )
    source, _ = make_source(base_url)

    rehired = by_id(source.fetch())["10005"]

    assert rehired.active is True and rehired.start_date == date(2020, 1, 1)
    assert rehired.job == "ACC"


def test_rate_limit_and_maintenance_mid_fetch_are_waited_out(afas):
    data, base_url = afas
    data.inject(USERS, 1000, "429")
    data.inject(EMPLOYMENTS, 2000, "503")
    source, sleeps = make_source(base_url)

    snapshot = source.fetch()

    assert len(snapshot.employees) == 2500
    assert sleeps[0] == 3.0 and len(sleeps) == 2


def test_truncated_page_fails_the_whole_fetch(afas):
    data, base_url = afas
    data.inject(USERS, 2000, "truncated")
    source, _ = make_source(base_url)

    with pytest.raises(SourceError, match="not JSON"):
        source.fetch()


def test_no_employees_is_an_error_not_an_empty_snapshot(afas):
    data, base_url = afas
    data.connectors[USERS] = []
    source, _ = make_source(base_url)

    with pytest.raises(SourceError, match="no employees"):
        source.fetch()


def test_wrong_token_names_the_variable_not_the_value(afas):
    _, base_url = afas
    wrong = "<token><version>1</version><data>DEADBEEF</data></token>"
    source, _ = make_source(base_url, token=wrong)

    with pytest.raises(SourceError) as raised:
        source.fetch()

    message = str(raised.value)
    assert message == "AFAS: token rejected; check AFAS_TOKEN"
    assert "DEADBEEF" not in message and "\n" not in message


def test_token_given_as_base64_works_and_garbage_is_refused(afas):
    _, base_url = afas
    encoded = base64.b64encode(TOKEN_XML.encode()).decode()
    source, _ = make_source(base_url, token=encoded, token_env="AFAS_TOKEN")
    assert len(source.fetch().employees) == 2500

    with pytest.raises(SourceError, match="AFAS_TOKEN holds neither") as raised:
        make_source(base_url, token="not-a-token")
    assert "not-a-token" not in str(raised.value)


def test_profit_error_message_is_reported(afas):
    _, base_url = afas
    source, _ = make_source(base_url, connectors={"employees": "Missing_Connector"})

    with pytest.raises(SourceError, match="GetConnector not supported for this app"):
        source.fetch()


def test_single_connector_with_position_fields(afas):
    data, base_url = afas
    positions = {p["Medewerker"]: p for p in data.connectors[EMPLOYMENTS]}
    data.connectors[USERS] = [{**u, **positions[u["Medewerker"]]} for u in data.connectors[USERS]]
    data.connectors[EMPLOYMENTS] = []
    source, _ = make_source(base_url, connectors={"employments": None, "org_units": None})

    snapshot = source.fetch()

    assert by_id(snapshot)["10002"].team == "FIN" and snapshot.teams == ()
    assert not any(p.endswith(EMPLOYMENTS) for _, p, _ in data.requests)


def test_one_row_per_position_is_one_employee(afas):
    data, base_url = afas
    positions = {p["Medewerker"]: p for p in data.connectors[EMPLOYMENTS]}
    rows = [{**u, **positions[u["Medewerker"]]} for u in data.connectors[USERS][:20]]
    earlier = {**rows[3], "Begindatum_functie": "2018-01-01T00:00:00Z"}
    earlier["Einddatum_functie"] = "2019-12-31T00:00:00Z"
    data.connectors[USERS] = [*rows, earlier]
    source, _ = make_source(base_url, connectors={"employments": None, "org_units": None})

    snapshot = source.fetch()

    assert len(snapshot.employees) == 20
    assert by_id(snapshot)["10003"].start_date == date(2020, 1, 1)
    check_snapshot(snapshot)


def test_two_different_people_under_one_number_both_reach_the_check(afas):
    data, base_url = afas
    users = data.connectors[USERS]
    users.append({**users[7], "Roepnaam": "Piet", "Email_werk": "piet@example.nl"})
    source, _ = make_source(base_url)

    snapshot = source.fetch()

    twins = [e for e in snapshot.employees if e.id == "10007"]
    assert {e.first_name for e in twins} == {"Jan7", "Piet"}
    assert {e.origin for e in twins} == {
        "AFAS Medewerker '10007' (T4E_HelloID_Users_v2, row 8)",
        "AFAS Medewerker '10007' (T4E_HelloID_Users_v2, row 9)",
    }
    with pytest.raises(InvalidInput, match="also the id of the record at AFAS Medewerker '10007'"):
        check_snapshot(snapshot)


def test_every_employee_says_which_connector_row_it_came_from(afas):
    _, base_url = afas
    source, _ = make_source(base_url, connectors={"employees": USERS})

    employees = by_id(source.fetch())

    assert employees["10000"].origin == "AFAS Medewerker '10000' (T4E_HelloID_Users_v2, row 1)"
    assert employees["12499"].origin.endswith("row 2500)")


def test_an_org_unit_under_two_names_reaches_the_check_as_two_records(afas):
    data, base_url = afas
    data.connectors[ORG_UNITS].append(
        {"ExternalId": "ICT", "DisplayName": "ICT & Data", "ParentExternalId": "DIR"}
    )
    source, _ = make_source(base_url)

    snapshot = source.fetch()

    assert {t.name for t in snapshot.teams if t.id == "ICT"} == {"ICT", "ICT & Data"}
    with pytest.raises(InvalidInput, match="'ICT' and 'ICT & Data' both give the id 'ICT'"):
        check_snapshot(snapshot)


def test_upload_files_the_pdf_in_the_employee_dossier(afas):
    data, base_url = afas
    source, _ = make_source(base_url, dossier_item_type=19, connectors={"attachments": ATTACHMENTS})
    content = small_pdf()
    assert source.find_document("10004", "review-2024.pdf") is None

    uploaded = source.upload_document("10004", "review-2024.pdf", content, title="Review 2024")

    [received] = data.uploads
    assert received["content"] == content and received["content"].startswith(b"%PDF")
    assert (received["employee"], received["StId"], received["Ds"]) == ("10004", 19, "Review 2024")
    assert uploaded.document_id == received["SbId"]
    assert "Review 2024" in uploaded.location
    assert source.find_document("10004", "review-2024.pdf") == received["SbId"]
    assert source.find_document("10005", "review-2024.pdf") is None


def test_upload_for_an_unknown_employee_reports_profit_message(afas):
    _, base_url = afas
    source, _ = make_source(base_url, dossier_item_type=19)

    with pytest.raises(SourceError, match="'Employee' does not exist"):
        source.upload_document("99999", "r.pdf", small_pdf(), title="Review")


def test_upload_without_dossier_item_type_says_what_to_set(afas):
    _, base_url = afas
    source, _ = make_source(base_url)

    with pytest.raises(ConfigError, match="dossier_item_type"):
        source.upload_document("10004", "r.pdf", small_pdf(), title="Review")
    assert source.find_document("10004", "r.pdf") is None


def test_empty_positions_connector_refuses_instead_of_deactivating_everyone(afas):
    data, base_url = afas
    data.connectors[EMPLOYMENTS] = []
    source, _ = make_source(base_url)

    with pytest.raises(SourceError, match="no positions for 2500 employees"):
        source.fetch()
