"""Creates whose answer was lost, and resources held twice: one resource per externalId, always.

The provider is a real scim2-server process; a fault proxy in front of it lets it do the work
and then loses the answer (a reset connection, a 502, an answer later than the client waits).
scim2-server, like many providers, does not keep externalIds unique, so a create sent again
blindly makes a second Group, or a second User where the userName differs.
"""

from __future__ import annotations

import dataclasses
import json
import random
from collections import Counter
from dataclasses import dataclass

import pytest

from reconciler.core.plan import compute_plan
from reconciler.core.platform import Duplicate
from reconciler.errors import TargetError
from reconciler.targets.scim import ScimTarget
from reconciler.targets.scim_http import ScimHttp
from reconciler.targets.scim_mapping import (
    CORE_GROUP,
    CORE_USER,
    DEFAULT_JOB_ID_ATTRIBUTE,
    DEFAULT_TEAM_EXTENSION,
    ENTERPRISE,
)
from tests.fakes.fault_proxy import (
    Fault,
    FaultProxy,
    answer_lost,
    failed_after_work,
    too_many,
)
from tests.fakes.scim_server import start_scim_server
from tests.targets import test_scim
from tests.targets.test_scim import (
    assert_converged,
    groups,
    member_ids,
    open_scim,
    org,
    sync,
    users,
)

# The SCIM target's fixtures: a scim2-server process, fault proxies in front of it.
server, proxies = test_scim.server, test_scim.proxies


def claims(server, endpoint: str) -> Counter:
    """How many resources at `endpoint` hold each externalId."""
    return Counter(r["externalId"] for r in server.all(endpoint) if r.get("externalId"))


def duplicated(server) -> dict[str, list[str]]:
    """externalIds held more than once, per endpoint (empty lists left out)."""
    found = {
        endpoint: sorted(ext for ext, n in claims(server, endpoint).items() if n > 1)
        for endpoint in ("/Users", "/Groups")
    }
    return {endpoint: exts for endpoint, exts in found.items() if exts}


@dataclass
class OnFirst:
    """Proxy faults: `fault` for the first `method` request to exactly `path` (query aside);
    `hit` is that request's number once it came."""

    method: str
    path: str
    fault: Fault
    hit: int | None = None

    def __call__(self, n: int, method: str, path: str) -> Fault | None:
        if self.hit is None and method == self.method and path.split("?")[0] == self.path:
            self.hit = n
            return self.fault
        return None


def after(proxy: FaultProxy, n: int) -> list[tuple[str, str]]:
    """(method, path) of the requests that came after request `n`."""
    return [(m, p) for k, m, p in sorted(proxy.arrived) if k > n]


@pytest.mark.parametrize(
    ("fault", "timeout"),
    [
        (answer_lost(), 30.0),
        (failed_after_work(502), 30.0),
        (Fault(delay=1.5), 0.5),  # the answer comes after the client stopped waiting
    ],
    ids=["reset", "502", "timeout"],
)
def test_a_group_create_whose_answer_was_lost_is_made_once(server, proxies, fault, timeout):
    lose = OnFirst("POST", "/v2/Groups", fault)
    proxy = proxies(server.url, faults=lose)
    target = open_scim(server, proxy.url, timeout=timeout)
    desired = org(8)
    sync(target, desired)

    assert claims(server, "/Groups") == Counter({"ENG": 1, "PLT": 1, "APP": 1, "OPS": 1})
    assert len(server.all("/Groups")) == 4
    # Looked up by its externalId, found, adopted: never sent again.
    assert [p for m, p in proxy.writes() if m == "POST"].count("/v2/Groups") == 4
    assert any(m == "GET" and "filter=externalId" in p for m, p in after(proxy, lose.hit))
    assert member_ids(server, "PLT") == {"1001", "2000", "2003"}
    assert_converged(target, desired)


def test_a_user_create_whose_answer_was_lost_is_adopted_not_sent_again(server, proxies):
    proxy = proxies(server.url, faults=OnFirst("POST", "/v2/Users", answer_lost()))
    target = open_scim(server, proxy.url, bulk="off")
    desired = org(10)
    sync(target, desired)

    assert [p for m, p in proxy.writes() if m == "POST"].count("/v2/Users") == 10
    assert len(server.all("/Users")) == 10 and len(users(server)) == 10
    assert_converged(target, desired)


def test_a_lost_create_that_never_arrived_is_sent_again(server, proxies):
    """Dropped before it reached the provider: the look-up finds nothing, so it is sent again."""
    proxy = proxies(server.url, faults=OnFirst("POST", "/v2/Groups", Fault(drop="before")))
    target = open_scim(server, proxy.url)
    desired = org(6)
    sync(target, desired)
    assert [p for m, p in proxy.writes()].count("/v2/Groups") == 5
    assert claims(server, "/Groups") == Counter({"ENG": 1, "PLT": 1, "APP": 1, "OPS": 1})
    assert_converged(target, desired)


def test_a_create_with_no_answer_ever_is_an_error_naming_it(server, proxies):
    def never(n: int, method: str, path: str) -> Fault | None:
        return Fault(drop="before") if (method, path) == ("POST", "/v2/Groups") else None

    proxy = proxies(server.url, faults=never)
    target = open_scim(server, proxy.url, retries=1)
    target.http.http.sleep = lambda seconds: None
    with pytest.raises(TargetError, match=r"POST /Groups failed after 2 tries: no answer"):
        sync(target, org(4))
    assert server.all("/Groups") == []


def test_a_lost_bulk_answer_is_not_sent_again(server, proxies):
    """The engineers' bulk request (the second) is carried out, its answer lost: the users are
    read again and found by externalId; no request creating users goes out again."""
    bulks: list[int] = []

    def lose_second_bulk(n: int, method: str, path: str) -> Fault | None:
        if (method, path) == ("POST", "/v2/Bulk"):
            bulks.append(n)
            if len(bulks) == 2:
                return answer_lost()
        return None

    proxy = proxies(server.url, faults=lose_second_bulk)
    target = open_scim(server, proxy.url)
    desired = org(12)
    sync(target, desired)

    lost_at = bulks[1]
    later = after(proxy, lost_at)
    assert later[0][0] == "GET" and later[0][1].startswith("/v2/Users?")  # read again
    assert ("POST", "/v2/Users") not in later
    for n in bulks:
        if n > lost_at:  # the memberships' PATCHes only
            operations = json.loads(proxy.bodies[n])["Operations"]
            assert {op["method"] for op in operations} == {"PATCH"}
    assert len(server.all("/Users")) == 12 and len(users(server)) == 12
    assert_converged(target, desired)


def add_group(server, ext: str, name: str, members: list[str] = ()) -> dict:
    body = {
        "schemas": [CORE_GROUP],
        "externalId": ext,
        "displayName": name,
        "members": [{"value": m} for m in members],
    }
    return server.client.post("/Groups", json=body).raise_for_status().json()


def test_a_group_held_twice_shows_in_the_plan_and_apply_keeps_the_full_one(server):
    desired = org(8)
    target = open_scim(server)
    sync(target, desired)
    kept = groups(server)["PLT"]["id"]
    copy = add_group(server, "PLT", "Platform")  # empty, as a create sent twice leaves it

    state = target.read()
    assert state.duplicates == (Duplicate("teams", "PLT", kept=kept, extra=(copy["id"],)),)
    assert state.teams == desired.teams  # the kept one is read
    plan = compute_plan(desired, state)
    assert [(c.kind, c.action, c.id, c.changed_fields()) for c in plan.changes] == [
        ("teams", "update", "PLT", [])
    ]
    assert [d.message() for d in plan.duplicates] == [
        f"team PLT is held 2 times on the platform; apply keeps {kept} and removes {copy['id']}"
    ]

    target.apply(plan.changes)
    assert [g["id"] for g in server.all("/Groups") if g["externalId"] == "PLT"] == [kept]
    assert member_ids(server, "PLT") == {"1001", "2000", "2003"}
    assert target.read().duplicates == ()
    assert_converged(target, desired)


def test_of_two_groups_the_one_with_members_is_kept_whichever_came_first(server):
    desired = org(8)
    target = open_scim(server)
    sync(target, desired)
    first = groups(server)["APP"]
    # The first one lost its members (say a tool emptied it), a later copy holds them.
    server.client.patch(
        f"/Groups/{first['id']}",
        json={
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "remove", "path": "members"}],
        },
    ).raise_for_status()
    held = [m["value"] for m in first["members"]]
    copy = add_group(server, "APP", "Apps | Mobile", held)
    server.client.patch(
        f"/Groups/{copy['id']}",
        json={
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [
                {"op": "add", "path": f"{DEFAULT_TEAM_EXTENSION}:parent", "value": "ENG"},
                {"op": "add", "path": f"{DEFAULT_TEAM_EXTENSION}:coaches", "value": ["1002"]},
            ],
        },
    ).raise_for_status()

    state = target.read()
    assert state.duplicates == (Duplicate("teams", "APP", kept=copy["id"], extra=(first["id"],)),)
    plan = sync(target, desired)
    assert [(c.kind, c.id) for c in plan.changes] == [("teams", "APP")]
    assert [g["id"] for g in server.all("/Groups") if g["externalId"] == "APP"] == [copy["id"]]
    assert member_ids(server, "APP") == {"1002", "2001"}
    assert_converged(target, desired)


def add_user(server, ext: str, email: str, *, active: bool = True) -> dict:
    body = {
        "schemas": [CORE_USER],
        "externalId": ext,
        "userName": email,
        "emails": [{"value": email, "type": "work", "primary": True}],
        "active": active,
    }
    return server.client.post("/Users", json=body).raise_for_status().json()


def test_an_inactive_copy_of_a_user_is_removed(server):
    desired = org(8)
    target = open_scim(server)
    sync(target, desired)
    original = next(u for u in server.all("/Users") if u["externalId"] == "2000")
    copy = add_user(server, "2000", "dev0.old@acme.com", active=False)

    state = target.read()
    assert state.duplicates == (
        Duplicate("members", "2000", kept=original["id"], extra=(copy["id"],)),
    )
    plan = sync(target, desired)
    assert [(c.kind, c.action, c.id) for c in plan.changes] == [("members", "update", "2000")]
    assert server.client.get(f"/Users/{copy['id']}").status_code == 404
    assert users(server)["2000"]["id"] == original["id"]
    assert_converged(target, desired)


def test_the_active_latest_copy_of_a_manager_is_kept_and_links_move_to_it(server):
    """Two active accounts for the lead of PLT: the later one is kept. Her reports' manager
    links and her team membership point at the first; apply moves them, then removes it."""
    desired = org(8)
    target = open_scim(server)
    sync(target, desired)
    first = users(server)["1001"]
    copy = add_user(server, "1001", "lee.lead@acme.com")

    state = target.read()
    assert state.duplicates == (
        Duplicate("members", "1001", kept=copy["id"], extra=(first["id"],)),
    )
    plan = compute_plan(desired, state)
    # The kept account is read as it is: not yet in the team, no job, and her reports' links
    # point at the copy, so they read as without a manager.
    assert {c.id: [f for f, _, _ in c.changed_fields()] for c in plan.changes} == {
        "1001": ["email", "first_name", "last_name", "team", "job", "manager"],
        "2000": ["manager"],
        "2003": ["manager"],
    }
    target.apply(plan.changes)

    held = users(server)
    assert held["1001"]["id"] == copy["id"] and held["1001"]["userName"] == "lead1001@acme.com"
    assert server.client.get(f"/Users/{first['id']}").status_code == 404
    for report in ("2000", "2003"):
        assert held[report][ENTERPRISE]["manager"]["value"] == copy["id"]
    plt = groups(server)["PLT"]
    assert {m["value"] for m in plt["members"]} == {
        copy["id"],
        held["2000"]["id"],
        held["2003"]["id"],
    }
    assert_converged(target, desired)


def test_a_team_held_twice_and_removed_from_state_goes_entirely(server):
    desired = org(8)
    target = open_scim(server)
    sync(target, desired)
    add_group(server, "OPS", "Operations")
    moved = {
        k: dataclasses.replace(m, team="ENG") if m.team == "OPS" else m
        for k, m in desired.members.items()
    }
    without = dataclasses.replace(
        desired,
        teams={k: t for k, t in desired.teams.items() if k != "OPS"},
        members=moved,
    )
    sync(target, without)
    assert "OPS" not in claims(server, "/Groups")
    assert_converged(target, without)


# -- fault runs ---------------------------------------------------------------------------


@dataclass(frozen=True)
class FaultRun:
    seed: int
    failed: bool  # the faulty apply stopped with an error
    duplicated: dict  # externalIds held twice right after the faulty apply
    left: dict  # … and after the follow-up apply
    pending: int  # plan changes after the follow-up apply


def chaos(seed: int):
    """Proxy faults for one run: writes lose their answer (after the work), fail before it or
    are refused for a while; reads fail now and then."""

    def faults(n: int, method: str, path: str) -> Fault | None:
        roll = random.Random(f"{seed}/{n}").random()
        if method == "GET":
            return Fault(drop="before") if roll < 0.05 else None
        for limit, fault in (
            (0.12, answer_lost()),
            (0.18, failed_after_work(502)),
            (0.22, Fault(drop="before")),
            (0.26, Fault(status=503, headers=(("Retry-After", "0"),))),
            (0.30, too_many("0")),
        ):
            if roll < limit:
                return fault
        return None

    return faults


def scim_target(server, url: str, *, bulk: bool) -> ScimTarget:
    http = ScimHttp(
        url, server.token, token_env="SCIM_TOKEN", retries=3, bulk=bulk, sleep=lambda s: None
    )
    return ScimTarget(
        http,
        writable=True,
        team_extension=DEFAULT_TEAM_EXTENSION,
        job_id_attribute=DEFAULT_JOB_ID_ATTRIBUTE,
    )


def fault_run(seed: int, size: int = 12) -> FaultRun:
    """One apply of a new org through a faulty provider, then one through a sound one."""
    server = start_scim_server()
    proxy = FaultProxy(server.url, faults=chaos(seed))
    try:
        desired = org(size)
        failed = False
        try:
            sync(scim_target(server, proxy.url, bulk=seed % 2 == 0), desired)
        except TargetError:
            failed = True
        duplicates = duplicated(server)
        sound = scim_target(server, server.url, bulk=True)
        sync(sound, desired)
        pending = len(compute_plan(desired, sound.read()).changes)
        return FaultRun(seed, failed, duplicates, duplicated(server), pending)
    finally:
        proxy.stop()
        server.stop()


@pytest.mark.parametrize("seed", range(20))
def test_fault_runs_leave_one_resource_per_external_id(seed):
    run = fault_run(seed)
    assert run.duplicated == {}
    assert run.left == {}
    assert run.pending == 0
