"""The Personio connector against a Personio double on 127.0.0.1 (real HTTP, no mocks)."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from reconciler.core.employment import is_active
from reconciler.core.interfaces import Step
from reconciler.core.model import Employee, Team
from reconciler.core.snapshot_check import check_snapshot
from reconciler.errors import ConfigError, InvalidInput, SourceError
from reconciler.sources import open_source as open_configured_source
from reconciler.sources.personio import open_source
from tests.fakes.personio_server import (
    CLIENT_ID,
    ENV,
    SEED_TODAY,
    FakePersonio,
    personio_employees,
    start_personio_server,
    stop,
)

EMPLOYEES_PATH = "/v1/company/employees"
CREDENTIALS = {"client_id": CLIENT_ID, "client_secret": ENV["PERSONIO_CLIENT_SECRET"]}
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture
def personio():
    server, base_url = start_personio_server()
    yield server.api, base_url
    stop(server)


class RecordedTime:
    """Waits recorded in `sleeps` instead of waited: the clock moves on by what was slept."""

    def __init__(self, sleeps: list[float]):
        self.sleeps = sleeps
        self.slept = 0.0
        self.lock = threading.Lock()

    def sleep(self, seconds: float) -> None:
        with self.lock:
            self.sleeps.append(seconds)
            self.slept += seconds

    def monotonic(self) -> float:
        return time.monotonic() + self.slept


def connect(base_url: str, env=ENV, sleeps: list | None = None, real_time=False, **settings):
    """A source whose waits are recorded in `sleeps`, not waited (unless `real_time`)."""
    waits = RecordedTime([] if sleeps is None else sleeps)
    return open_source(
        {"type": "personio", "base_url": base_url, **settings},
        Path("."),
        env,
        sleep=time.sleep if real_time else waits.sleep,
        monotonic=time.monotonic if real_time else waits.monotonic,
        today=lambda: SEED_TODAY,
    )


def offsets(api) -> list[int]:
    """The offsets asked for, in order of page (parallel pages arrive in any order)."""
    return sorted(int(r.arg("offset")) for r in api.requests_to(EMPLOYEES_PATH))


def by_id(snapshot) -> dict[str, Employee]:
    return {e.id: e for e in snapshot.employees}


def test_fetch_reads_every_page_and_maps_employees(personio):
    api, base_url = personio
    steps: list[Step] = []

    snapshot = connect(base_url).fetch(progress=steps.append)

    assert len(snapshot.employees) == 250
    assert offsets(api) == [0, 100, 200]
    assert {r.arg("limit") for r in api.requests_to(EMPLOYEES_PATH)} == {"100"}
    assert [(s.done, s.total, s.unit) for s in steps] == [
        (1, 3, "pages"),
        (2, 3, "pages"),
        (3, 3, "pages"),
    ]
    assert by_id(snapshot)["12"] == Employee(
        id="12",
        email="dana.keller.12@acme.example",
        first_name="Dana",
        last_name="Keller",
        active=True,
        team="281521",
        job="hr-partner",
        manager="1",
        start_date=date(2015, 1, 1) + timedelta(days=108),
        end_date=None,
    )
    assert by_id(snapshot)["1"].manager is None
    assert by_id(snapshot)["250"].manager == "25"
    assert snapshot.complete and snapshot.source == "personio"


def test_teams_are_the_departments_employees_name_and_jobs_are_position_slugs(personio):
    _, base_url = personio

    snapshot = connect(base_url).fetch()

    assert snapshot.teams == (
        Team("281521", "Customer Support"),
        Team("281522", "Engineering"),
        Team("281523", "Sales"),
        Team("281524", "Finance"),
        Team("281525", "People & Culture"),
        Team("281526", "Platform"),
    )
    assert {(j.id, j.name) for j in snapshot.jobs} >= {
        ("site-reliability-engineer", "Site Reliability Engineer"),
        ("hr-partner", "HR Partner"),
    }
    assert len(snapshot.jobs) == 8


def test_pii_attributes_never_reach_the_snapshot(personio):
    api, base_url = personio
    api.honor_projection = False  # the API sends everything; the connector must still drop it

    snapshot = connect(base_url).fetch()

    text = json.dumps(snapshot.to_data(), ensure_ascii=False)
    for employee in api.employees:
        for key in ("fix_salary", "date_of_birth", "dynamic_1001", "dynamic_2001"):
            assert str(employee[key]["value"]) not in text
    assert "Hauptstraße" not in text and "IBAN" not in text
    requested = set(api.requests_to(EMPLOYEES_PATH)[0].query["attributes[]"])
    assert requested.isdisjoint({"fix_salary", "date_of_birth", "dynamic_1001", "dynamic_2001"})
    assert {"id", "email", "department", "position", "supervisor"} <= requested


def test_leavers_are_inactive_and_future_hires_carry_their_start_date(personio):
    _, base_url = personio

    employees = by_id(connect(base_url).fetch())

    assert is_active(employees["25"], SEED_TODAY) is False  # status inactive
    assert employees["25"].end_date == SEED_TODAY - timedelta(days=30)
    assert (
        is_active(employees["11"], SEED_TODAY) is False
    )  # termination date passed, status not yet updated
    assert employees["11"].end_date == SEED_TODAY - timedelta(days=3)
    assert is_active(employees["7"], SEED_TODAY) is True  # on leave is still employed
    assert is_active(employees["13"], SEED_TODAY) is True  # onboarding
    assert employees["13"].start_date == SEED_TODAY + timedelta(days=20)


def test_a_renamed_department_keeps_its_id(personio):
    api, base_url = personio
    source = connect(base_url)
    before = {t.id: t.name for t in source.fetch().teams}

    api.rename_department(281521, "Customer Care")
    after = {t.id: t.name for t in source.fetch().teams}

    assert before["281521"] == "Customer Support"
    assert after["281521"] == "Customer Care"
    assert before.keys() == after.keys()


def test_a_rate_limit_in_the_middle_waits_as_told_and_completes(personio):
    api, base_url = personio
    api.inject("GET", EMPLOYEES_PATH, "rate_limit", after=1, retry_after="7")
    sleeps: list[float] = []

    snapshot = connect(base_url, sleeps=sleeps, max_in_flight=1).fetch()

    assert sleeps == [pytest.approx(7.0, abs=0.5)]
    assert len(snapshot.employees) == 250
    assert [r.arg("offset") for r in api.requests_to(EMPLOYEES_PATH)] == ["0", "100", "100", "200"]


def test_a_503_is_retried(personio):
    api, base_url = personio
    api.inject("GET", EMPLOYEES_PATH, "unavailable", after=2, times=2)
    sleeps: list[float] = []

    snapshot = connect(base_url, sleeps=sleeps).fetch()

    assert len(snapshot.employees) == 250
    assert len(sleeps) == 2


def test_a_truncated_page_fails_the_whole_fetch(personio):
    api, base_url = personio
    api.inject("GET", EMPLOYEES_PATH, "truncated", after=1)

    with pytest.raises(SourceError, match="not JSON"):
        connect(base_url).fetch()


def test_a_page_with_fewer_rows_than_announced_fails_the_whole_fetch(personio):
    api, base_url = personio
    api.inject("GET", EMPLOYEES_PATH, "edit", after=2, edit=lambda b: {**b, "data": b["data"][:-1]})

    with pytest.raises(SourceError, match=r"page 3/3 held 49 employees where 50 were announced"):
        connect(base_url, max_in_flight=1).fetch()


def test_a_missing_page_fails_the_whole_fetch(personio):
    api, base_url = personio
    api.inject("GET", EMPLOYEES_PATH, "missing", after=1)

    with pytest.raises(SourceError, match="returned HTTP 404"):
        connect(base_url).fetch()


def test_success_false_fails_the_fetch(personio):
    api, base_url = personio
    failed = {"success": False, "error": {"code": 500, "message": "Internal error"}}
    api.inject("GET", EMPLOYEES_PATH, "edit", after=1, edit=lambda _: failed)

    with pytest.raises(SourceError, match="employee page 2 did not succeed: Internal error"):
        connect(base_url, max_in_flight=1).fetch()


def test_a_list_that_grows_while_paging_fails_rather_than_mixing(personio):
    api, base_url = personio

    def grown(body):
        body["metadata"]["total_elements"] += 1
        return body

    api.inject("GET", EMPLOYEES_PATH, "edit", after=1, edit=grown)

    with pytest.raises(SourceError, match="changed while it was read"):
        connect(base_url).fetch()


def test_an_employee_on_two_pages_means_the_list_shifted(personio):
    api, base_url = personio
    last_of_page_one = {"type": "Employee", "attributes": api.employees[99]}

    def shifted(body):
        body["data"][0] = last_of_page_one  # someone left: page 2 starts one record early
        return body

    api.inject("GET", EMPLOYEES_PATH, "edit", after=1, edit=shifted)

    with pytest.raises(SourceError, match="employee '100' came back on two pages"):
        connect(base_url).fetch()


def test_every_employee_says_where_it_came_from(personio):
    _, base_url = personio

    employees = by_id(connect(base_url).fetch())

    assert employees["12"].origin == "Personio employee '12'"
    assert all(e.origin == f"Personio employee '{e.id}'" for e in employees.values())


def test_two_names_under_one_id_both_reach_the_check(personio):
    api, base_url = personio
    # Two spellings of one position give one slug; one department under two names.
    api.employees[0]["position"]["value"] = "Team  Lead"
    api.employees[1]["position"]["value"] = "Team-Lead"
    api.employees[2]["department"]["value"]["attributes"]["name"] = "Support (old)"

    snapshot = connect(base_url).fetch()

    assert {j.name for j in snapshot.jobs if j.id == "team-lead"} == {
        "Team Lead",
        "Team  Lead",
        "Team-Lead",
    }
    department = api.employees[2]["department"]["value"]["attributes"]["id"]
    names = {t.name for t in snapshot.teams if t.id == str(department)}
    assert len(names) == 2 and "Support (old)" in names
    with pytest.raises(InvalidInput) as refused:
        check_snapshot(snapshot)
    assert "'Team  Lead'" in str(refused.value) and "'Support (old)'" in str(refused.value)


def test_an_empty_employee_list_is_an_error():
    server, base_url = start_personio_server(employees=[])
    try:
        with pytest.raises(SourceError, match="employee list is empty"):
            connect(base_url).fetch()
    finally:
        stop(server)


def test_an_attribute_the_credential_may_not_read_is_named(personio):
    api, base_url = personio
    for employee in api.employees:
        del employee["email"]

    with pytest.raises(SourceError, match="Personio employee '1' has no 'email' attribute"):
        connect(base_url).fetch()


def test_wrong_credentials_name_the_variables_never_the_value(personio):
    _, base_url = personio
    env = {"HR_ID": CLIENT_ID, "HR_SECRET": "wrong-secret-value-42"}

    with pytest.raises(SourceError) as caught:
        connect(base_url, env=env, client_id_env="HR_ID", client_secret_env="HR_SECRET").fetch()

    message = str(caught.value)
    assert message.startswith("Personio: authentication failed (HTTP 401)")
    assert "HR_ID" in message and "HR_SECRET" in message
    assert "wrong-secret-value-42" not in message and CLIENT_ID not in message
    assert "\n" not in message


def test_a_missing_variable_is_named():
    with pytest.raises(SourceError, match="PERSONIO_CLIENT_SECRET is not set"):
        connect("http://127.0.0.1:9", env={"PERSONIO_CLIENT_ID": CLIENT_ID})


def test_rotating_tokens_are_followed(personio):
    api, base_url = personio
    api.rotate_tokens = True
    source = connect(base_url, category_id=3)

    snapshot = source.fetch()
    source.upload_document("12", "review.pdf", PDF, title="Review 2024")

    used = [r.headers["Authorization"] for r in api.requests if r.path != "/v1/auth"]
    assert len(used) == len(set(used)) == 4
    assert len(api.requests_to("/v1/auth", "POST")) == 1
    assert len(snapshot.employees) == 250


def test_a_refused_token_is_renewed_once(personio):
    api, base_url = personio
    source = connect(base_url)
    source.fetch()
    api.tokens.clear()  # as if the 24-hour token expired between two calls

    assert len(source.fetch().employees) == 250
    assert len(api.requests_to("/v1/auth", "POST")) == 2


def test_uploading_a_pdf_files_it_under_the_employee(personio):
    api, base_url = personio
    source = connect(base_url, category_id=3)

    uploaded = source.upload_document("12", "review-2024.pdf", PDF, title="Performance review 2024")

    assert api.uploads == [
        {
            "id": 9001,
            "employee_id": 12,
            "category_id": 3,
            "title": "Performance review 2024",
            "filename": "review-2024.pdf",
            "content": PDF,
        }
    ]
    assert uploaded.document_id == "9001"
    assert uploaded.location == "Personio › employee 12 › Documents (category 3)"
    assert source.find_document("12", "review-2024.pdf") is None


def test_uploading_for_an_unknown_employee_names_the_problem(personio):
    _, base_url = personio

    with pytest.raises(SourceError, match=r"HTTP 404: No query results for model \[Employee\] 999"):
        connect(base_url, category_id=3).upload_document("999", "r.pdf", PDF, title="Review")


def test_uploading_for_an_id_that_is_not_personios_is_refused_before_sending(personio):
    api, base_url = personio

    with pytest.raises(SourceError, match="'anna@acme.example' is not a Personio employee id"):
        connect(base_url, category_id=3).upload_document(
            "anna@acme.example", "r.pdf", PDF, title="Review"
        )
    assert api.requests_to("/v1/company/documents", "POST") == []


def test_uploading_needs_a_category(personio):
    _, base_url = personio

    with pytest.raises(ConfigError, match="category_id is not set"):
        connect(base_url).upload_document("12", "r.pdf", PDF, title="Review")


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"page_size": 101}, "page_size must be a whole number from 1 to 100"),
        ({"page_size": 0}, "page_size"),
        ({"team_attribute": "office"}, "team_attribute 'office' is not department, team"),
        ({"category_id": "reviews"}, "category_id must be the number"),
        ({"max_in_flight": 9}, "max_in_flight must be a whole number from 1 to 8"),
        ({"max_in_flight": 0}, "max_in_flight"),
        ({"max_in_flight": True}, "max_in_flight"),
        ({"requests_per_second": 16}, "requests_per_second must be a whole number from 1 to 15"),
        ({"requests_per_minute": 301}, "requests_per_minute must be a whole number from 1 to 300"),
    ],
)
def test_wrong_settings_are_config_errors(settings, message):
    with pytest.raises(ConfigError, match=message):
        connect("http://127.0.0.1:9", **settings)


def test_the_team_can_come_from_the_team_or_a_custom_attribute(personio):
    _, base_url = personio

    by_team = connect(base_url, team_attribute="team").fetch()
    by_guild = connect(base_url, team_attribute="dynamic_3001", page_size=60).fetch()

    assert [t.id for t in by_team.teams] == ["59026", "59027", "59028"]
    assert by_id(by_team)["4"].team is None  # every 4th employee has no team
    assert by_id(by_team)["5"].team == "59028"
    assert [(t.id, t.name) for t in by_guild.teams] == [
        ("guild-a", "Guild A"),
        ("guild-b", "Guild B"),
        ("guild-c", "Guild C"),
    ]


def test_org_units_bring_the_department_hierarchy(personio):
    api, base_url = personio

    teams = {t.id: t for t in connect(base_url, org_units=True).fetch().teams}

    assert teams["281526"] == Team("281526", "Platform", "281522")
    assert teams["281522"].parent == "281500"
    assert teams["281500"] == Team("281500", "Company", None)
    assert [r.arg("cursor") for r in api.requests_to("/v2/org-units")] == [None, "5"]


def test_open_source_by_type_and_a_base_url_with_the_version(personio):
    _, base_url = personio
    settings = {"type": "personio", "base_url": base_url + "/v1/", "page_size": 100}

    source = open_configured_source(settings, Path("."), ENV)

    assert source.name == "personio"
    assert len(source.fetch().employees) == 250


def test_a_small_company_fits_on_one_page():
    server, base_url = start_personio_server(employees=personio_employees(3))
    try:
        snapshot = connect(base_url).fetch()
    finally:
        stop(server)
    assert [e.id for e in snapshot.employees] == ["1", "2", "3"]
    assert isinstance(server.api, FakePersonio)


# -- pages in parallel --------------------------------------------------------------------------


@pytest.fixture
def big_personio():
    """1 234 employees on 25 pages of 50; every answer takes 20 ms, so parallel calls overlap."""
    server, base_url = start_personio_server(personio_employees(1234), latency=0.02)
    yield server.api, base_url
    stop(server)


def test_pages_in_parallel_give_the_same_snapshot_as_one_at_a_time(big_personio):
    api, base_url = big_personio
    one_lines: list[Step] = []
    many_lines: list[Step] = []

    one_at_a_time = connect(base_url, page_size=50, max_in_flight=1).fetch(one_lines.append)
    assert api.most_in_flight == 1
    api.most_in_flight = 0
    parallel = connect(base_url, page_size=50, max_in_flight=8).fetch(many_lines.append)

    assert parallel.digest() == one_at_a_time.digest()
    assert [e.id for e in parallel.employees] == [e.id for e in one_at_a_time.employees]
    assert 1 < api.most_in_flight <= 8
    assert many_lines == one_lines  # in page order, the same lines
    assert [(s.done, s.total) for s in many_lines] == [(n, 25) for n in range(1, 26)]
    assert offsets(api) == sorted(2 * list(range(0, 1234, 50)))  # each page once per fetch


@pytest.mark.parametrize("bound", [2, 3])
def test_requests_in_flight_never_exceed_the_bound(big_personio, bound):
    api, base_url = big_personio

    connect(base_url, page_size=50, max_in_flight=bound).fetch()

    assert api.most_in_flight == bound


def test_four_in_flight_by_default(big_personio):
    api, base_url = big_personio

    source = connect(base_url, page_size=50)
    source.fetch()

    assert source.config.max_in_flight == 4
    assert api.most_in_flight == 4


def test_a_rate_limit_mid_way_pauses_every_page_and_completes(big_personio):
    api, base_url = big_personio
    expected = connect(base_url, page_size=50, max_in_flight=1).fetch().digest()
    api.requests.clear()
    api.inject("GET", EMPLOYEES_PATH, "rate_limit", after=10, retry_after="7")
    sleeps: list[float] = []

    snapshot = connect(base_url, sleeps=sleeps, page_size=50, max_in_flight=4).fetch()

    assert snapshot.digest() == expected
    # The refused page waits the 7 s it was told; pages that asked after the 429 wait with it.
    assert max(sleeps) == pytest.approx(7.0, abs=0.5)
    assert all(s <= 7.0 for s in sleeps)
    assert sleeps.count(max(sleeps)) == 1
    assert len(api.requests_to(EMPLOYEES_PATH)) == 25 + 1


def test_after_a_429_no_new_page_is_asked_for_until_retry_after_has_passed(big_personio):
    api, base_url = big_personio
    api.inject("GET", EMPLOYEES_PATH, "rate_limit", after=10, retry_after="1")

    snapshot = connect(base_url, real_time=True, page_size=100, max_in_flight=4).fetch()

    assert len(snapshot.employees) == 1234
    pages = [at for at, path in api.arrivals if path == EMPLOYEES_PATH]
    answered = pages[10] + api.latency  # when the 429 went out
    during_pause = [at for at in pages if answered + 0.05 < at < answered + 0.9]
    assert len(during_pause) <= 3  # only pages booked before the 429 came back (4 - 1)
    assert any(answered + 0.95 < at for at in pages)  # and then the rest


def test_a_short_page_mid_way_fails_the_parallel_fetch(big_personio):
    api, base_url = big_personio
    api.inject("GET", EMPLOYEES_PATH, "edit", after=12, edit=lambda b: {**b, "data": b["data"][1:]})

    with pytest.raises(SourceError, match=r"page \d+/25 held 49 employees where 50 were announced"):
        connect(base_url, page_size=50, max_in_flight=8).fetch()


def test_a_page_refused_early_stops_the_other_pages_before_the_error_leaves(big_personio):
    api, base_url = big_personio
    api.inject("GET", EMPLOYEES_PATH, "edit", after=1, edit=lambda b: {**b, "data": b["data"][1:]})

    with pytest.raises(SourceError, match="were announced"):
        connect(base_url, page_size=50, max_in_flight=2).fetch()

    asked = len(api.requests_to(EMPLOYEES_PATH))
    time.sleep(0.1)
    assert len(api.requests_to(EMPLOYEES_PATH)) == asked  # nothing goes on in the background
    assert asked < 25  # and the pages after it were never asked for


def test_a_missing_page_mid_way_fails_the_parallel_fetch_and_stops_asking(big_personio):
    api, base_url = big_personio
    api.inject("GET", EMPLOYEES_PATH, "missing", after=5)

    with pytest.raises(SourceError, match="returned HTTP 404"):
        connect(base_url, page_size=50, max_in_flight=4).fetch()

    assert len(api.requests_to(EMPLOYEES_PATH)) < 25  # pages not yet started were not asked for


def test_the_rate_stays_under_the_configured_limit():
    server, base_url = start_personio_server(personio_employees(110), latency=0.02)
    source = connect(base_url, real_time=True, page_size=10, max_in_flight=8, requests_per_second=5)
    sent: list[float] = []  # when each page request left (arrival times jitter on loopback)
    source.http.client.event_hooks["request"].append(
        lambda request: sent.append(time.monotonic()) if request.method == "GET" else None
    )
    try:
        snapshot = source.fetch()
    finally:
        stop(server)

    assert len(snapshot.employees) == 110
    assert len(sent) == 11
    # No 1-second window holds more than 5: the 6th request after any one is a second later.
    assert all(later - earlier >= 0.99 for earlier, later in zip(sent, sent[5:], strict=False))
    assert 2.0 <= sent[-1] - sent[0] < 2.5  # and no slower than that


def test_single_use_tokens_are_followed_one_page_at_a_time(big_personio):
    api, base_url = big_personio
    api.rotate_tokens = True

    snapshot = connect(base_url, page_size=50, max_in_flight=8).fetch()

    assert len(snapshot.employees) == 1234
    assert api.most_in_flight == 1
    used = [r.headers["Authorization"] for r in api.requests_to(EMPLOYEES_PATH)]
    assert len(used) == len(set(used)) == 25
    assert len(api.requests_to("/v1/auth", "POST")) == 1


def test_a_token_refused_mid_way_is_renewed_once_for_all_pages(big_personio):
    api, base_url = big_personio
    answer = api._employees

    def expiring(request, headers):
        if len(api.requests_to(EMPLOYEES_PATH)) == 10:
            api.tokens.clear()  # the 24-hour token ends while pages are under way
        return answer(request, headers)

    api._employees = expiring

    snapshot = connect(base_url, page_size=50, max_in_flight=8).fetch()

    assert len(snapshot.employees) == 1234
    assert len(api.requests_to("/v1/auth", "POST")) == 2


# -- updated_since: what changed since a moment (`hrsync sync --incremental`) -----------------


def test_fetch_changed_lists_only_employees_updated_since(personio):
    api, base_url = personio
    api.change(7, datetime(2025, 3, 1, 9, 30), last_name="Neumann")
    api.change(12, datetime(2025, 3, 1, 7, 0), status="inactive")
    source = connect(base_url, page_size=2)
    snapshot = source.fetch_changed(datetime(2025, 3, 1, 8, 0, tzinfo=UTC))
    assert [(e.id, e.last_name) for e in snapshot.employees] == [("7", "Neumann")]
    assert api.updated_since_asked == ["2025-03-01T08:00:00"]  # UTC, as Personio writes it
    # A department and position come with it: the references the changed record makes.
    assert [t.id for t in snapshot.teams] == [snapshot.employees[0].team]
    earlier = source.fetch_changed(datetime(2025, 3, 1, 6, 0, tzinfo=UTC))
    assert [e.id for e in earlier.employees] == ["7", "12"]


def test_fetch_changed_pages_like_the_whole_list(personio):
    api, base_url = personio
    for number in range(1, 8):
        api.change(number, datetime(2025, 3, 1, 10, number), first_name=f"Changed{number}")
    snapshot = connect(base_url, page_size=3).fetch_changed(datetime(2025, 3, 1, tzinfo=UTC))
    assert [e.first_name for e in snapshot.employees] == [f"Changed{n}" for n in range(1, 8)]
    assert offsets(api) == [0, 3, 6]


def test_changes_sent_all_at_once_as_personio_once_did_are_taken_whole(personio):
    api, base_url = personio
    api.paged_changes = False
    for number in range(1, 8):
        api.change(number, datetime(2025, 3, 1, 10, number), first_name=f"Changed{number}")
    snapshot = connect(base_url, page_size=3).fetch_changed(datetime(2025, 3, 1, tzinfo=UTC))
    assert [e.first_name for e in snapshot.employees] == [f"Changed{n}" for n in range(1, 8)]
    assert offsets(api) == [0]


def test_an_attribute_hrsync_does_not_read_selects_nobody(personio):
    api, base_url = personio
    api.change(7, datetime(2025, 3, 1, 9, 30), fix_salary=99999.0)
    snapshot = connect(base_url).fetch_changed(datetime(2025, 3, 1, tzinfo=UTC))
    assert snapshot.employees == ()  # nothing changed that hrsync carries: an empty list is fine


def test_the_double_refuses_an_updated_since_that_is_not_a_time(personio):
    _, base_url = personio
    with httpx.Client(base_url=base_url) as client:
        token = client.post("/v1/auth", json=CREDENTIALS).json()["data"]["token"]
        response = client.get(
            EMPLOYEES_PATH,
            params={"updated_since": "yesterday"},
            headers={"Authorization": f"Bearer {token}"},
        )
    assert response.status_code == 422 and response.json()["success"] is False
