"""The HiBob connector against a Bob double on 127.0.0.1 (real HTTP, no mocks)."""

from __future__ import annotations

import base64
import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from reconciler.core.employment import is_active
from reconciler.core.interfaces import Step
from reconciler.core.model import Employee, Job, Team
from reconciler.core.snapshot_check import check_snapshot
from reconciler.errors import ConfigError, InvalidInput, SourceError
from reconciler.sources import open_source as open_configured_source
from reconciler.sources.hibob import open_source
from tests.fakes.hibob_server import (
    ENV,
    SEED_TODAY,
    SERVICE_USER_ID,
    SERVICE_USER_TOKEN,
    employee_id,
    hibob_employees,
    start_hibob_server,
    stop,
)

SEARCH = "/v1/people/search"
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"


@pytest.fixture
def bob():
    server, base_url = start_hibob_server()
    yield server.api, base_url
    stop(server)


def connect(base_url: str, env=ENV, sleeps: list | None = None, **settings):
    return open_source(
        {"type": "hibob", "base_url": base_url, **settings},
        Path("."),
        env,
        sleep=(sleeps if sleeps is not None else []).append,
        today=lambda: SEED_TODAY,
    )


def by_id(snapshot) -> dict[str, Employee]:
    return {e.id: e for e in snapshot.employees}


def test_one_search_returns_everyone_mapped_to_the_model(bob):
    api, base_url = bob
    steps: list[Step] = []

    snapshot = connect(base_url).fetch(progress=steps.append)

    assert len(snapshot.employees) == 40
    assert steps == [Step("fetch HiBob", 40, 40, "employees")]
    [search] = api.requests_to(SEARCH, "POST")
    assert search.json()["showInactive"] is True
    assert {"root.id", "root.email", "work.department", "work.title", "work.reportsTo"} <= set(
        search.json()["fields"]
    )
    user_token = base64.b64encode(f"{SERVICE_USER_ID}:{SERVICE_USER_TOKEN}".encode()).decode()
    assert search.headers["Authorization"] == f"Basic {user_token}"
    assert by_id(snapshot)[employee_id(12)] == Employee(
        id="3332883884017700012",
        email="katherine.hopper@bob.example",
        first_name="Katherine",
        last_name="Hopper",
        active=True,
        team="209192170",
        job="301",
        manager=employee_id(2),
        start_date=date(2016, 1, 4) + timedelta(days=204),
        end_date=None,
    )
    assert by_id(snapshot)[employee_id(1)].manager is None


def test_departments_nest_into_teams_and_titles_become_jobs(bob):
    _, base_url = bob

    snapshot = connect(base_url).fetch()

    assert snapshot.teams == (
        Team("209192100", "Company", None),
        Team("209192163", "Engineering", "209192100"),
        Team("209192164", "Platform", "209192163"),
        Team("209192165", "Mobile", "209192163"),
        Team("209192170", "Sales", "209192100"),
        Team("209192180", "People", "209192100"),
    )
    assert snapshot.jobs == (
        Job("301", "Software Engineer"),
        Job("302", "Engineering Manager"),
        Job("303", "Account Executive"),
        Job("304", "People Partner"),
        Job("305", "CEO"),
    )


@pytest.mark.parametrize("shape", ["items", "values"])
def test_named_lists_in_either_shape(shape):
    server, base_url = start_hibob_server(list_shape=shape)
    try:
        teams = {t.id: t for t in connect(base_url).fetch().teams}
    finally:
        stop(server)
    assert teams["209192164"].name == "Platform"
    assert teams["209192164"].parent == ("209192163" if shape == "items" else None)


def test_pii_never_reaches_the_snapshot(bob):
    api, base_url = bob
    api.honor_fields = False  # Bob sends everything; the connector must still drop it

    text = json.dumps(connect(base_url).fetch().to_data(), ensure_ascii=False)

    for person in api.employees:
        assert person["personal"]["birthday"] not in text
        assert person["financial"]["iban"] not in text
        assert person["address"]["fullAddress"] not in text
        assert f'"base": {person["payroll"]["salary"]["base"]}' not in text
    assert "GBP" not in text and "salary" not in text and "London" not in text


def test_leavers_are_inactive_and_future_hires_carry_their_start(bob):
    _, base_url = bob

    employees = by_id(connect(base_url).fetch())

    assert is_active(employees[employee_id(10)], SEED_TODAY) is False  # Inactive, terminated
    assert employees[employee_id(10)].end_date == SEED_TODAY - timedelta(days=40)
    assert (
        is_active(employees[employee_id(4)], SEED_TODAY) is False
    )  # termination date passed, still Active
    assert is_active(employees[employee_id(6)], SEED_TODAY) is True
    assert employees[employee_id(6)].start_date == SEED_TODAY + timedelta(days=14)


def test_show_inactive_can_be_turned_off(bob):
    api, base_url = bob

    snapshot = connect(base_url, show_inactive=False).fetch()

    assert api.requests_to(SEARCH, "POST")[0].json()["showInactive"] is False
    assert len(snapshot.employees) == 36


def test_a_renamed_department_keeps_its_id(bob):
    api, base_url = bob
    source = connect(base_url)
    before = {t.id: t.name for t in source.fetch().teams}

    api.rename_department("209192170", "Revenue")
    after = {t.id: t.name for t in source.fetch().teams}

    assert (before["209192170"], after["209192170"]) == ("Sales", "Revenue")
    assert before.keys() == after.keys()


def test_titles_given_as_names_map_through_the_list_and_free_text_gets_a_slug(bob):
    api, base_url = bob
    for person in api.employees:
        person["work"]["title"] = api.titles.get(person["work"]["title"])
    api.employees[2]["work"]["title"] = "Chief Happiness Officer"

    snapshot = connect(base_url).fetch()

    assert by_id(snapshot)[employee_id(12)].job == "301"
    assert by_id(snapshot)[employee_id(3)].job == "chief-happiness-officer"
    assert Job("chief-happiness-officer", "Chief Happiness Officer") in snapshot.jobs


def test_custom_field_paths_and_flat_keys(bob):
    api, base_url = bob
    for person in api.employees:
        person["work"]["customDepartment"] = person["work"].pop("department")
    flat = {"/work/customDepartment": {"value": "209192180"}}
    api.employees[0] = {**api.employees[0], **flat}
    del api.employees[0]["work"]["customDepartment"]

    snapshot = connect(base_url, department_field="work.customDepartment").fetch()

    assert by_id(snapshot)[employee_id(12)].team == "209192170"
    assert by_id(snapshot)[employee_id(1)].team == "209192180"
    assert "work.customDepartment" in api.requests_to(SEARCH, "POST")[0].json()["fields"]


def test_a_field_the_service_user_may_not_read_is_named():
    server, base_url = start_hibob_server(hidden_fields={"root.email"})
    try:
        with pytest.raises(SourceError, match="no employee carries root.email; give the service"):
            connect(base_url).fetch()
    finally:
        stop(server)


def test_without_any_status_field_leavers_cannot_be_told_apart():
    hidden = {"internal.status", "internal.lifecycleStatus", "internal.terminationDate"}
    server, base_url = start_hibob_server(hidden_fields=hidden)
    try:
        with pytest.raises(SourceError, match="internal.status"):
            connect(base_url).fetch()
    finally:
        stop(server)


def test_a_rate_limit_waits_as_told(bob):
    api, base_url = bob
    api.inject("POST", SEARCH, "rate_limit", retry_after="3")
    sleeps: list[float] = []

    snapshot = connect(base_url, sleeps=sleeps).fetch()

    assert sleeps == [3.0]
    assert len(snapshot.employees) == 40


def test_a_503_on_a_named_list_is_retried(bob):
    api, base_url = bob
    api.inject("GET", "/v1/company/named-lists/department", "unavailable")
    sleeps: list[float] = []

    assert len(connect(base_url, sleeps=sleeps).fetch().teams) == 6
    assert len(sleeps) == 1


def test_a_truncated_answer_fails_the_fetch(bob):
    api, base_url = bob
    api.inject("POST", SEARCH, "truncated")

    with pytest.raises(SourceError, match="not JSON"):
        connect(base_url).fetch()


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda body: {"people": body["employees"]}, "without an employees list"),
        (lambda body: {"employees": []}, "returned no employees"),
    ],
)
def test_an_incomplete_search_answer_fails_the_fetch(bob, edit, message):
    api, base_url = bob
    api.inject("POST", SEARCH, "edit", edit=edit)

    with pytest.raises(SourceError, match=message):
        connect(base_url).fetch()


def test_one_id_twice_reaches_the_check_with_both_records(bob):
    api, base_url = bob
    twin = dict(api.employees[4], firstName="Other", email="other@bob.example")
    api.employees.append(twin)

    snapshot = connect(base_url).fetch()

    twins = [e for e in snapshot.employees if e.id == employee_id(5)]
    assert {e.first_name for e in twins} == {"Edsger", "Other"}
    with pytest.raises(InvalidInput) as refused:
        check_snapshot(snapshot)
    assert f"is also the id of the record at HiBob employee '{employee_id(5)}'" in str(
        refused.value
    )


def test_every_employee_says_where_it_came_from(bob):
    _, base_url = bob

    employees = connect(base_url).fetch().employees

    assert all(e.origin == f"HiBob employee '{e.id}'" for e in employees)


def test_two_free_text_titles_with_one_slug_both_reach_the_check(bob):
    api, base_url = bob
    api.employees[1]["work"]["title"] = "Data Scientist"
    api.employees[2]["work"]["title"] = "Data-Scientist"

    snapshot = connect(base_url).fetch()

    assert {j.name for j in snapshot.jobs if j.id == "data-scientist"} == {
        "Data Scientist",
        "Data-Scientist",
    }
    with pytest.raises(InvalidInput, match="'Data Scientist' and 'Data-Scientist' both give"):
        check_snapshot(snapshot)


def test_a_broken_named_list_fails_the_fetch(bob):
    api, base_url = bob
    api.inject("GET", "/v1/company/named-lists/title", "edit", edit=lambda _: {"name": "title"})

    with pytest.raises(SourceError, match="named list 'title' holds no items"):
        connect(base_url).fetch()


def test_wrong_credentials_name_the_variables_never_the_value(bob):
    _, base_url = bob
    env = {"BOB_USER": SERVICE_USER_ID, "BOB_TOKEN": "not-the-token-31337"}

    with pytest.raises(SourceError) as caught:
        connect(
            base_url, env, service_user_id_env="BOB_USER", service_user_token_env="BOB_TOKEN"
        ).fetch()

    message = str(caught.value)
    assert message.startswith("HiBob: access denied (HTTP 401)")
    assert "BOB_USER" in message and "BOB_TOKEN" in message
    assert "not-the-token-31337" not in message and SERVICE_USER_ID not in message


def test_a_missing_variable_is_named():
    with pytest.raises(SourceError, match="HIBOB_SERVICE_USER_TOKEN is not set"):
        connect("http://127.0.0.1:9", env={"HIBOB_SERVICE_USER_ID": SERVICE_USER_ID})


def test_uploading_a_pdf_files_it_in_the_shared_folder_and_finds_it_again(bob):
    api, base_url = bob
    source = connect(base_url)
    person = employee_id(12)

    assert source.find_document(person, "review-2024.pdf") is None
    uploaded = source.upload_document(person, "review-2024.pdf", PDF, title="Review 2024")

    [document] = api.documents
    assert (document["employee_id"], document["folder"]) == (person, "shared")
    assert (document["name"], document["content"]) == ("review-2024.pdf", PDF)
    assert uploaded.document_id == str(document["id"])
    assert uploaded.location == f"HiBob › employee {person} › Docs › Shared folder"
    assert source.find_document(person, "review-2024.pdf") == uploaded.document_id
    assert source.find_document(employee_id(13), "review-2024.pdf") is None


@pytest.mark.parametrize(
    ("folder", "stored", "where"),
    [("confidential", "confidential", "Confidential folder"), ("4242", "4242", "folder 4242")],
)
def test_uploading_to_another_folder(bob, folder, stored, where):
    api, base_url = bob

    uploaded = connect(base_url, document_folder=folder).upload_document(
        employee_id(5), "r.pdf", PDF, title="Review"
    )

    assert api.documents[0]["folder"] == stored
    assert uploaded.location.endswith(where)


def test_a_file_over_the_custom_folder_limit_is_refused_before_sending(bob):
    api, base_url = bob
    source = connect(base_url, document_folder="4242")

    with pytest.raises(SourceError, match="at most 1048576 bytes in the folder 4242"):
        source.upload_document(employee_id(5), "big.pdf", b"%PDF" + b"0" * 2**20, title="Big")
    assert api.documents == []


def test_uploading_for_an_unknown_employee_names_the_problem(bob):
    _, base_url = bob

    with pytest.raises(SourceError, match="HTTP 404: Employee not found"):
        connect(base_url).upload_document("999", "r.pdf", PDF, title="Review")


def test_wrong_settings_are_config_errors():
    with pytest.raises(ConfigError, match="show_inactive must be true or false"):
        connect("http://127.0.0.1:9", show_inactive="yes")
    with pytest.raises(ConfigError, match="email_field must not be empty"):
        connect("http://127.0.0.1:9", email_field=" ")


def test_open_source_by_type_and_a_base_url_with_the_version():
    server, base_url = start_hibob_server(employees=hibob_employees(3))
    try:
        source = open_configured_source(
            {"type": "hibob", "base_url": base_url + "/v1"}, Path("."), ENV
        )
        assert [e.id for e in source.fetch().employees] == [employee_id(n) for n in (1, 2, 3)]
    finally:
        stop(server)
    assert source.name == "hibob"
