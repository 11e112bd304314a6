"""The SCIM target against a real scim2-server process on 127.0.0.1 (and a fault proxy)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from reconciler.core.interfaces import Step
from reconciler.core.model import DesiredState, Job, Member, Team
from reconciler.core.plan import compute_plan
from reconciler.errors import ConfigError, TargetError
from reconciler.targets.scim import JOBS_LIMIT, TEAM_TREE_LIMIT, open_target
from reconciler.targets.scim_mapping import DEFAULT_TEAM_EXTENSION, ENTERPRISE
from tests.fakes.fault_proxy import Fault, FaultProxy, too_many, unavailable
from tests.fakes.scim_server import start_scim_server

EXT = DEFAULT_TEAM_EXTENSION


@pytest.fixture
def server():
    server = start_scim_server()
    yield server
    server.stop()


@pytest.fixture
def proxies():
    started: list[FaultProxy] = []

    def start(upstream: str, **kwargs) -> FaultProxy:
        started.append(FaultProxy(upstream, **kwargs))
        return started[-1]

    yield start
    for proxy in started:
        proxy.stop()


def fail_first(method: str, path: str, fault: Fault):
    """Proxy faults: `fault` for the first `method` request to a path starting with `path`."""
    hit: list[int] = []

    def faults(n: int, m: str, p: str) -> Fault | None:
        if m == method and p.startswith(path) and not hit:
            hit.append(n)
            return fault
        return None

    return faults


def open_scim(server, url: str | None = None, *, writable: bool = True, **settings):
    settings = {"base_url": url or server.url, **settings}
    return open_target(settings, Path("."), {"SCIM_TOKEN": server.token}, writable=writable)


def org(size: int = 30) -> DesiredState:
    """A director, three leads reporting to her, engineers reporting to the leads."""
    teams = {
        "ENG": Team("ENG", "Engineering", coaches=("1000",)),
        "PLT": Team("PLT", "Platform", parent="ENG", coaches=("1001",)),
        "APP": Team("APP", "Apps | Mobile", parent="ENG", coaches=("1002",)),
        "OPS": Team("OPS", "Operations", coaches=("1003",)),
    }
    jobs = {
        "DIR": Job("DIR", "Director"),
        "LEAD": Job("LEAD", "Team lead"),
        "DEV": Job("DEV", "Engineer <senior>"),
    }
    members = {"1000": Member("1000", "dana@acme.com", "Dana", "Keller", team="ENG", job="DIR")}
    for lead, team in zip(("1001", "1002", "1003"), ("PLT", "APP", "OPS"), strict=True):
        members[lead] = Member(
            lead,
            f"lead{lead}@acme.com",
            "Lee",
            f"Lead {lead}",
            team=team,
            job="LEAD",
            manager="1000",
        )
    for n in range(size - 4):
        lead = ("1001", "1002", "1003")[n % 3]
        member_id = str(2000 + n)
        members[member_id] = Member(
            member_id,
            f"dev{n}@acme.com",
            f"Dev{n}",
            "Ünal-O'Brien",
            team=members[lead].team,
            job="DEV",
            manager=lead,
        )
    return DesiredState(teams, jobs, members)


def edit(desired: DesiredState, kind: str, key: str, **changes) -> DesiredState:
    entities = dict(desired.of(kind))
    if changes.pop("delete", False):
        del entities[key]
    else:
        entities[key] = dataclasses.replace(entities[key], **changes)
    return dataclasses.replace(desired, **{kind: entities})


def sync(target, desired: DesiredState, on_applied=None):
    plan = compute_plan(desired, target.read())
    target.apply(plan.changes, on_applied)
    return plan


def assert_converged(target, desired: DesiredState) -> None:
    plan = compute_plan(desired, target.read())
    assert [(c.kind, c.action, c.id, c.changed_fields()) for c in plan.changes] == []


def users(server) -> dict[str, dict]:
    """Managed users by externalId, asserting there is exactly one per id."""
    managed = [u for u in server.all("/Users") if u.get("externalId")]
    by_ext = {u["externalId"]: u for u in managed}
    assert len(by_ext) == len(managed), "duplicate accounts for one HRIS id"
    return by_ext


def groups(server) -> dict[str, dict]:
    return {g["externalId"]: g for g in server.all("/Groups") if g.get("externalId")}


def member_ids(server, team: str) -> set[str]:
    by_scim = {u["id"]: u.get("externalId") for u in server.all("/Users")}
    return {by_scim[m["value"]] for m in groups(server)[team].get("members") or []}


def test_first_apply_writes_the_org_and_a_second_plan_is_empty(server):
    desired = org()
    target = open_scim(server)
    applied = []
    plan = sync(target, desired, applied.append)

    assert plan.summary["create"] == 4 + 3 + 30
    assert applied == list(plan.changes)
    held = users(server)
    assert len(held) == 30
    dev = held["2000"]
    assert dev["userName"] == "dev0@acme.com"
    assert dev["emails"] == [{"value": "dev0@acme.com", "type": "work", "primary": True}]
    assert dev["name"] == {"givenName": "Dev0", "familyName": "Ünal-O'Brien"}
    assert dev["title"] == "Engineer <senior>" and dev["active"] is True
    enterprise = dev[ENTERPRISE]
    assert enterprise["employeeNumber"] == "2000"
    assert enterprise["department"] == "Platform"
    assert enterprise["costCenter"] == "DEV"
    # The managers chain holds SCIM ids, all the way up.
    assert enterprise["manager"]["value"] == held["1001"]["id"]
    assert held["1001"][ENTERPRISE]["manager"]["value"] == held["1000"]["id"]
    assert "manager" not in held["1000"][ENTERPRISE]
    teams = groups(server)
    assert teams["PLT"]["displayName"] == "Platform"
    assert teams["PLT"][EXT] == {"parent": "ENG", "coaches": ["1001"]}
    assert member_ids(server, "PLT") == {"1001"} | {str(2000 + n) for n in range(0, 26, 3)}
    assert member_ids(server, "ENG") == {"1000"}

    state = target.read()
    assert state.limits == (JOBS_LIMIT,)
    assert state.jobs == desired.jobs
    assert_converged(target, desired)


def test_renames_of_a_team_and_a_job_reach_every_user(server):
    desired = org()
    target = open_scim(server)
    sync(target, desired)

    renamed = edit(
        edit(desired, "teams", "PLT", name="Platform & Infra"),
        "jobs",
        "DEV",
        name="Software engineer",
    )
    plan = sync(target, renamed)

    assert [(c.kind, c.action, c.id) for c in plan.changes] == [
        ("teams", "update", "PLT"),
        ("jobs", "update", "DEV"),
    ]
    held = users(server)
    assert groups(server)["PLT"]["displayName"] == "Platform & Infra"
    assert held["2000"][ENTERPRISE]["department"] == "Platform & Infra"
    assert held["1001"][ENTERPRISE]["department"] == "Platform & Infra"
    assert {u["title"] for u in held.values() if u[ENTERPRISE]["costCenter"] == "DEV"} == {
        "Software engineer"
    }
    assert held["1000"]["title"] == "Director"
    assert_converged(target, renamed)


def test_move_manager_change_and_leaver(server):
    desired = org()
    target = open_scim(server)
    sync(target, desired)

    changed = edit(desired, "members", "2000", team="OPS", manager="1003")
    changed = edit(changed, "members", "2001", manager="1000", job="LEAD")
    changed = edit(changed, "members", "2002", active=False)
    plan = sync(target, changed)

    assert sorted((c.action, c.id) for c in plan.changes) == [
        ("deactivate", "2002"),
        ("update", "2000"),
        ("update", "2001"),
    ]
    held = users(server)
    assert "2000" in member_ids(server, "OPS") and "2000" not in member_ids(server, "PLT")
    assert held["2000"][ENTERPRISE]["department"] == "Operations"
    assert held["2000"][ENTERPRISE]["manager"]["value"] == held["1003"]["id"]
    assert held["2001"][ENTERPRISE]["manager"]["value"] == held["1000"]["id"]
    assert held["2001"]["title"] == "Team lead"
    assert held["2002"]["active"] is False  # deactivated, account kept
    assert_converged(target, changed)

    rehired = edit(changed, "members", "2002", active=True)
    assert [c.action for c in sync(target, rehired).changes] == ["reactivate"]
    assert users(server)["2002"]["active"] is True
    assert len(users(server)) == 30


def test_cleanup_deletes_members_then_jobs_then_teams(server):
    desired = org()
    target = open_scim(server)
    sync(target, desired)

    # OPS goes, with its lead and engineers; the LEAD job goes once nobody holds it.
    gone = {k for k, m in desired.members.items() if m.team == "OPS" or m.job == "LEAD"}
    members = {k: m for k, m in desired.members.items() if k not in gone}
    members = {
        k: dataclasses.replace(m, manager=None if m.manager in gone else m.manager)
        for k, m in members.items()
    }
    teams = {k: t for k, t in desired.teams.items() if k != "OPS"}
    jobs = {k: j for k, j in desired.jobs.items() if k != "LEAD"}
    cleaned = DesiredState(teams, jobs, members)
    plan = sync(target, cleaned)

    deletes = [(c.kind, c.id) for c in plan.changes if c.action == "delete"]
    assert deletes[-2:] == [("jobs", "LEAD"), ("teams", "OPS")]
    assert set(users(server)) == set(members)
    assert set(groups(server)) == {"ENG", "PLT", "APP"}
    assert_converged(target, cleaned)


def test_drift_made_on_the_provider_is_reverted(server):
    desired = org()
    target = open_scim(server)
    sync(target, desired)
    held, teams = users(server), groups(server)
    patch = "urn:ietf:params:scim:api:messages:2.0:PatchOp"

    def drift(path: str, *ops: dict) -> None:
        server.client.patch(
            path, json={"schemas": [patch], "Operations": list(ops)}
        ).raise_for_status()

    drift(
        f"/Users/{held['2003']['id']}",
        {"op": "replace", "path": "title", "value": "Ninja"},
        {"op": "replace", "path": "name.givenName", "value": "Mallory"},
    )
    drift(f"/Users/{held['2004']['id']}", {"op": "replace", "path": "active", "value": False})
    drift(
        f"/Groups/{teams['APP']['id']}",
        {"op": "replace", "path": "displayName", "value": "Shadow IT"},
        {"op": "remove", "path": f'members[value eq "{held["2007"]["id"]}"]'},
    )
    drift(
        f"/Groups/{teams['PLT']['id']}",
        {"op": "add", "path": "members", "value": [{"value": held["2008"]["id"]}]},
    )

    plan = sync(target, desired)

    assert {(c.kind, c.id) for c in plan.changes} >= {
        ("jobs", "DEV"),
        ("members", "2003"),
        ("members", "2004"),
        ("teams", "APP"),
        ("members", "2007"),
        ("members", "2008"),
    }
    held = users(server)
    assert held["2003"]["title"] == "Engineer <senior>"
    assert held["2003"]["name"]["givenName"] == "Dev3"
    assert held["2004"]["active"] is True
    assert groups(server)["APP"]["displayName"] == "Apps | Mobile"
    assert "2007" in member_ids(server, "APP")
    assert "2008" not in member_ids(server, "PLT") and "2008" in member_ids(server, "OPS")
    assert_converged(target, desired)


def hand_made(server, email: str) -> dict:
    body = {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": email,
        "name": {"givenName": "Hand", "familyName": "Made"},
        "phoneNumbers": [{"value": "+31 20 000 0000", "type": "work"}],
    }
    return server.client.post("/Users", json=body).raise_for_status().json()


def test_hand_made_user_is_left_alone_until_adopted(server):
    desired = org(8)
    target = open_scim(server)
    sync(target, desired)
    made = hand_made(server, "pat@acme.com")
    other = hand_made(server, "visitor@partner.example")

    pat = Member("3000", "pat@acme.com", "Pat", "Jansen", team="APP", job="DEV", manager="1002")
    wanted = dataclasses.replace(desired, members={**desired.members, "3000": pat})
    state = target.read()
    assert [u.email for u in state.unmanaged] == ["pat@acme.com", "visitor@partner.example"]
    plan = sync(target, wanted)
    assert plan.changes == () and [c.email for c in plan.conflicts] == ["pat@acme.com"]
    assert server.client.get(f"/Users/{made['id']}").json().get("externalId") is None

    found = target.find_unmanaged("PAT@acme.com")
    assert found is not None and found.platform_id == made["id"]
    target.adopt(found.platform_id, "3000")
    plan = sync(target, wanted)
    assert [(c.action, c.id) for c in plan.changes] == [("update", "3000")]

    adopted = server.client.get(f"/Users/{made['id']}").json()
    assert adopted["externalId"] == "3000" and adopted["name"]["givenName"] == "Pat"
    assert adopted["phoneNumbers"][0]["value"] == "+31 20 000 0000"  # not ours: kept
    assert "3000" in member_ids(server, "APP")
    assert server.client.get(f"/Users/{other['id']}").json() == other  # never written
    assert_converged(target, wanted)


@pytest.mark.parametrize(("bulk", "cut_after"), [("off", 20), ("auto", 11)])
def test_apply_cut_off_midway_then_rerun_converges_without_duplicates(
    server, proxies, bulk, cut_after
):
    desired = org()
    # After `cut_after` requests the provider is unreachable: the first apply dies part-way
    # (with Bulk: after the leads' bulk request, before the engineers').
    proxy = proxies(
        server.url, faults=lambda n, m, p: Fault(drop="before") if n > cut_after else None
    )
    broken = open_scim(server, proxy.url, retries=0, bulk=bulk)
    applied = []
    with pytest.raises(TargetError, match="failed after 1 tries"):
        sync(broken, desired, applied.append)
    assert 0 < len(users(server)) < 30
    assert len(applied) < 37

    target = open_scim(server)
    sync(target, desired)
    assert len(users(server)) == 30
    assert len(server.all("/Users")) == 30
    assert len(server.all("/Groups")) == 4
    assert_converged(target, desired)


@pytest.mark.parametrize(
    ("bulk", "endpoint", "lost"), [("off", "/v2/Users", 3), ("auto", "/v2/Bulk", 2)]
)
def test_create_whose_answer_was_lost_is_not_made_twice(server, proxies, bulk, endpoint, lost):
    """The provider makes the users but its answer never arrives. The create is not sent again
    blindly: the user is looked up by its externalId (with Bulk: the users are read again after
    the engineers' bulk request, the second) and found. More in test_scim_lost_answers."""
    desired = org(10)
    posts = []

    def lose_answer(n: int, method: str, path: str):
        if method == "POST" and path.startswith(endpoint):
            posts.append(n)
            if len(posts) == lost:
                return Fault(drop="after")
        return None

    proxy = proxies(server.url, faults=lose_answer)
    target = open_scim(server, proxy.url, retries=2, bulk=bulk)
    sync(target, desired)

    dropped = posts[lost - 1]
    later = [(m, p) for n, m, p in sorted(proxy.arrived) if n > dropped]
    if bulk == "auto":
        assert later[0][0] == "GET" and later[0][1].startswith("/v2/Users?")  # re-read
        assert ("POST", "/v2/Users") not in later
    else:
        assert any(m == "GET" and "filter=externalId" in p for m, p in later)
        assert [p for m, p in proxy.writes() if m == "POST"].count("/v2/Users") == 10
    assert len(server.all("/Users")) == 10
    assert len(users(server)) == 10
    assert_converged(target, desired)


def test_failing_progress_callback_stops_apply_and_rerun_converges(server):
    desired = org(12)
    target = open_scim(server)
    calls = []

    def crash_on_fifth(change):
        calls.append(change)
        if len(calls) == 5:
            raise KeyboardInterrupt("operator pressed ^C")

    with pytest.raises(KeyboardInterrupt):
        sync(target, desired, crash_on_fifth)
    assert len(users(server)) < 12
    sync(target, desired)
    assert len(server.all("/Users")) == 12
    assert_converged(target, desired)


@pytest.mark.parametrize("bulk", ["off", "auto"])
def test_a_long_members_phase_reports_users_written_before_it_ends(server, bulk):
    desired = org(40)
    target = open_scim(server, bulk=bulk, concurrency=4)
    plan = compute_plan(desired, target.read())
    events: list = []
    target.apply(plan.changes, events.append, events.append)
    members_done = next(i for i, e in enumerate(events) if getattr(e, "kind", "") == "members")
    written = [e for e in events[:members_done] if isinstance(e, Step)]
    # Counted from the writing threads, reported in order: 0, up to every user, never past it.
    counts = [step.done for step in written]
    assert counts[0] == 0 and counts[-1] == 40 and counts == sorted(counts)
    assert {(s.task, s.total, s.unit) for s in written} == {("apply members", 40, "users written")}
    assert len(counts) > 2  # more than the start and the end
    assert_converged(target, desired)


def test_bad_token_gives_a_clear_error_without_the_token(server):
    secret = "s3cr3t-not-the-right-one"
    target = open_target(
        {"base_url": server.url, "token_env": "PEOPLE_SCIM_TOKEN"},
        Path("."),
        {"PEOPLE_SCIM_TOKEN": secret},
        writable=False,
    )
    with pytest.raises(TargetError) as caught:
        target.read()
    message = str(caught.value)
    assert "HTTP 401" in message and "PEOPLE_SCIM_TOKEN" in message
    assert secret not in message and server.token not in message

    with pytest.raises(ConfigError, match="PEOPLE_SCIM_TOKEN is not set"):
        open_target(
            {"base_url": server.url, "token_env": "PEOPLE_SCIM_TOKEN"},
            Path("."),
            {},
            writable=False,
        )


@pytest.mark.parametrize("bulk", ["off", "auto"])
def test_uniqueness_conflict_names_the_email_and_the_link_command(server, bulk):
    desired = org(6)
    target = open_scim(server, bulk=bulk)
    plan = compute_plan(desired, target.read())
    # Someone makes an account by hand between plan and apply.
    hand_made(server, "dev1@acme.com")
    with pytest.raises(TargetError) as caught:
        target.apply(plan.changes)
    message = str(caught.value)
    assert "dev1@acme.com" in message
    assert "hrsync link --email dev1@acme.com" in message


def test_read_only_target_refuses_writes_before_any_request(server, proxies):
    proxy = proxies(server.url)
    target = open_scim(server, proxy.url, writable=False)
    plan = compute_plan(org(5), target.read())
    reads = proxy.count()
    with pytest.raises(TargetError, match="opened read-only"):
        target.apply(plan.changes)
    with pytest.raises(TargetError, match="opened read-only"):
        target.adopt("anything", "1000")
    assert proxy.count() == reads
    assert server.all("/Users") == []


@pytest.mark.parametrize("bulk", ["off", "auto"])
def test_rate_limits_and_server_errors_are_survived(server, proxies, bulk):
    def flaky(n: int, method: str, path: str):
        if n % 4 == 0:
            return too_many("0")
        if n % 7 == 0:
            return Fault(status=503, headers=(("Retry-After", "0"),))
        if n == 9:
            return unavailable()  # no Retry-After: the client backs off on its own
        return None

    proxy = proxies(server.url, faults=flaky)
    desired = org()
    target = open_scim(server, proxy.url, concurrency=4, bulk=bulk)
    sync(target, desired)

    outcomes = [outcome for *_, outcome in proxy.seen]
    assert outcomes.count(429) >= 4 and outcomes.count(503) >= 2
    assert len(server.all("/Users")) == 30
    assert_converged(target, desired)


def test_provider_without_patch_or_filter_gets_guarded_puts(proxies):
    server = start_scim_server(
        config={"patch": {"supported": False}, "filter": {"supported": False, "maxResults": 7}}
    )
    try:
        # A concurrent edit between our first GET and PUT: the provider answers 412.
        proxy = proxies(server.url, faults=fail_first("PUT", "/v2/", Fault(status=412)))
        target = open_scim(server, proxy.url)
        desired = org()
        sync(target, desired)
        moved = edit(
            edit(desired, "members", "2000", team="APP", manager="1002"),
            "teams",
            "APP",
            name="Apps",
        )
        sync(target, moved)

        methods = {method for _, method, _, _ in proxy.seen}
        assert "PATCH" not in methods and "PUT" in methods
        assert any(outcome == 412 for *_, outcome in proxy.seen)
        held = users(server)
        assert held["2000"][ENTERPRISE]["department"] == "Apps"
        assert "2000" in member_ids(server, "APP")
        # Pages of at most 7 (the announced maxResults), read to totalResults.
        pages = [p for _, m, p, _ in proxy.seen if m == "GET" and p.startswith("/v2/Users?")]
        assert len(pages) >= 5
        assert_converged(target, moved)
        assert target.find_unmanaged("dev0@acme.com") is None
    finally:
        server.stop()


def test_without_the_team_extension_parents_and_coaches_are_not_written():
    server = start_scim_server(team_extension=None)
    try:
        target = open_scim(server)
        desired = org(6)
        held = target.holdable(desired)
        sync(target, held)
        state = target.read()
        assert TEAM_TREE_LIMIT in state.limits
        assert all(EXT not in g for g in server.all("/Groups"))
        assert state.teams["PLT"] == Team("PLT", "Platform")
        assert state.members == desired.members
        # Compared with what the provider can hold, nothing is left; compared with the whole
        # state, every team with a parent or coaches would show as an update after every apply.
        assert held.teams["PLT"] == Team("PLT", "Platform")
        assert_converged(target, held)
        assert {c.id for c in compute_plan(desired, state).changes} == set(desired.teams)
    finally:
        server.stop()


def test_a_job_nobody_holds_is_not_planned_as_a_create_for_ever(server):
    desired = org(6)
    intern = Job("INT", "Intern")
    wanted = dataclasses.replace(desired, jobs={**desired.jobs, "INT": intern})
    target = open_scim(server)

    held = target.holdable(wanted)
    assert "INT" not in held.jobs and held.jobs == desired.jobs
    assert held.teams == wanted.teams  # the team extension is announced: teams held whole
    sync(target, held)
    assert_converged(target, target.holdable(wanted))

    # Once someone holds it, the job is planned and written with them.
    hired = edit(wanted, "members", "2000", job="INT")
    plan = compute_plan(target.holdable(hired), target.read())
    assert [(c.kind, c.action, c.id) for c in plan.changes] == [
        ("jobs", "create", "INT"),
        ("members", "update", "2000"),
    ]
    target.apply(plan.changes)
    assert users(server)["2000"]["title"] == "Intern"
    assert_converged(target, target.holdable(hired))


def test_an_email_passed_from_one_member_to_a_new_one_in_one_plan(server):
    desired = org(6)
    target = open_scim(server)
    sync(target, desired)
    renamed = edit(desired, "members", "2000", email="dev0.old@acme.com")
    newcomer = Member("3001", "dev0@acme.com", "New", "Dev", team="PLT", job="DEV", manager="1001")
    wanted = dataclasses.replace(renamed, members={**renamed.members, "3001": newcomer})
    sync(target, wanted)

    held = users(server)
    assert held["2000"]["userName"] == "dev0.old@acme.com"
    assert held["3001"]["userName"] == "dev0@acme.com"
    assert_converged(target, wanted)


def test_job_id_attribute_in_a_schema_the_provider_lacks_is_refused(server):
    target = open_scim(server, job_id_attribute="urn:example:params:scim:schemas:jobs:1.0:User:id")
    with pytest.raises(ConfigError, match="job_id_attribute"):
        target.read()


def bulk_requests(proxy) -> list[int | str]:
    return [outcome for _, m, p, outcome in proxy.seen if m == "POST" and p == "/v2/Bulk"]


def test_users_memberships_and_deletes_go_in_bulk_where_announced(server, proxies):
    proxy = proxies(server.url)
    target = open_scim(server, proxy.url)
    desired = org()
    sync(target, desired)

    # Waves: the director alone (one request), the leads, the engineers, the memberships.
    assert bulk_requests(proxy) == [200, 200, 200]
    assert proxy.count("POST") == 4 + 1 + 3  # teams, the director, the bulk requests
    assert proxy.count("PATCH") == 0
    assert_converged(target, desired)

    gone = {k for k, m in desired.members.items() if m.team == "APP" and m.job == "DEV"}
    cleaned = dataclasses.replace(
        desired, members={k: m for k, m in desired.members.items() if k not in gone}
    )
    before = len(bulk_requests(proxy))
    sync(target, cleaned)
    assert len(bulk_requests(proxy)) == before + 1  # every deletion in one request
    assert proxy.count("DELETE") == 0
    assert set(users(server)) == set(cleaned.members)
    assert_converged(target, cleaned)


def test_bulk_requests_keep_to_the_announced_operations_and_payload(proxies):
    server = start_scim_server(
        config={"bulk": {"supported": True, "maxOperations": 5, "maxPayloadSize": 4000}}
    )
    try:
        proxy = proxies(server.url)
        target = open_scim(server, proxy.url)
        desired = org()
        sync(target, desired)

        sent = bulk_requests(proxy)
        # 26 engineers in at most 5 per request, each request under 4000 bytes: a 413 would
        # show that a request was too large.
        assert len(sent) >= 6 and set(sent) == {200}
        assert len(users(server)) == 30
        assert_converged(target, desired)
    finally:
        server.stop()


@pytest.mark.parametrize("announced", [False, True])
def test_without_bulk_writes_are_single_requests(proxies, announced):
    """A provider that does not announce Bulk, or a target configured `bulk: off`."""
    config = None if announced else {"bulk": {"supported": False}}
    server = start_scim_server(config=config)
    try:
        proxy = proxies(server.url)
        target = open_scim(server, proxy.url, **({"bulk": "off"} if announced else {}))
        desired = org(12)
        sync(target, desired)
        assert bulk_requests(proxy) == []
        assert proxy.count("POST") == 4 + 12
        assert len(users(server)) == 12
        assert_converged(target, desired)
    finally:
        server.stop()


def test_bulk_setting_is_checked(server):
    with pytest.raises(ConfigError, match="bulk is 'sometimes'"):
        open_scim(server, bulk="sometimes")


def test_a_bulk_request_refused_as_too_large_is_split(server, proxies):
    proxy = proxies(server.url, faults=fail_first("POST", "/v2/Bulk", Fault(status=413)))
    target = open_scim(server, proxy.url)
    desired = org()
    sync(target, desired)

    # The leads' request (3 users) is refused, then sent as 1 + 2.
    assert bulk_requests(proxy)[:3] == [413, 200, 200]
    assert len(server.all("/Users")) == 30
    assert_converged(target, desired)
