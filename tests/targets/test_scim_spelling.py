"""A provider that spells attribute names its own way (RFC 7643 §2.1: names are case-insensitive)
and adds sub-attributes hrsync does not write: no drift, and an apply with nothing to do sends
no write. The provider is the real scim2-server behind a proxy that re-spells its answers."""

from __future__ import annotations

import json

import pytest

from reconciler.core.plan import compute_plan
from reconciler.targets.scim_mapping import DEFAULT_TEAM_EXTENSION, ENTERPRISE
from tests.fakes.scim_server import start_scim_server
from tests.targets import test_scim
from tests.targets.test_scim import (
    assert_converged,
    edit,
    groups,
    open_scim,
    org,
    sync,
    users,
)

# How this provider spells what scim2-server answers in the RFC's spelling.
SPELLING = {
    "userName": "username",
    "externalId": "externalid",
    "emails": "Emails",
    "value": "Value",
    "primary": "Primary",
    "name": "Name",
    "givenName": "givenname",
    "active": "Active",
    "title": "Title",
    "displayName": "DISPLAYNAME",
    "members": "Members",
    "manager": "Manager",
    "department": "Department",
    "costCenter": "costcenter",
    "employeeNumber": "EmployeeNumber",
    "Resources": "resources",
    "totalResults": "TotalResults",
    "schemaExtensions": "SchemaExtensions",
    "Operations": "operations",
    "bulkId": "BulkID",
    "location": "Location",
    ENTERPRISE: ENTERPRISE.replace("enterprise", "Enterprise").replace(":User", ":user"),
    DEFAULT_TEAM_EXTENSION: DEFAULT_TEAM_EXTENSION.upper(),
    "parent": "Parent",
}


def respelled(node, parent: str | None = None, *, member_refs: bool = True):
    """scim2-server's answer as this provider gives it: names re-spelled, and the sub-attributes
    providers add of their own: an e-mail's `display`, a manager's `displayName` and `$ref`, a
    group member's `display` (and `$ref` and `type` with `member_refs`)."""
    if isinstance(node, list):
        return [respelled(item, parent, member_refs=member_refs) for item in node]
    if not isinstance(node, dict):
        return node
    out = {
        SPELLING.get(key, key): respelled(value, key, member_refs=member_refs)
        for key, value in node.items()
    }
    value = out.get("Value")
    if parent == "emails":
        out["display"] = f"Work <{value}>"
    elif parent == "manager":
        out.update({"displayName": "The Boss", "$ref": f"https://people.example/Users/{value}"})
    elif parent == "members":
        out["display"] = "Someone"
        if member_refs:
            out.update({"$ref": f"../Users/{value}", "type": "User"})
    return out


def respell_answer(method: str, path: str, payload: bytes, *, member_refs: bool = True) -> bytes:
    try:
        body = json.loads(payload)
    except ValueError:
        return payload
    return json.dumps(respelled(body, member_refs=member_refs)).encode()


def respell_without_member_refs(method: str, path: str, payload: bytes) -> bytes:
    """A group member's `$ref` and `type` are immutable: a provider takes them back in a PUT
    only as it holds them, and scim2-server holds none of the ones this proxy makes up."""
    return respell_answer(method, path, payload, member_refs=False)


# The SCIM target's fixtures: a scim2-server process, fault proxies in front of it.
server, proxies = test_scim.server, test_scim.proxies


def test_the_answers_really_are_spelled_otherwise(server, proxies):
    proxy = proxies(server.url, answers=respell_answer)
    target = open_scim(server, proxy.url)
    sync(target, org(5))
    some = server.all("/Users")[0]
    answered = json.loads(respell_answer("GET", "", json.dumps({"Resources": [some]}).encode()))[
        "resources"
    ][0]
    assert {"username", "externalid", "Emails"} <= set(answered)
    assert "userName" not in answered and "emails" not in answered
    assert answered["Emails"][0]["display"].startswith("Work <")


@pytest.mark.parametrize("bulk", ["auto", "off"])
def test_other_spelling_and_extra_sub_attributes_are_not_drift(server, proxies, bulk):
    proxy = proxies(server.url, answers=respell_answer)
    target = open_scim(server, proxy.url, bulk=bulk)
    desired = org(12)
    sync(target, desired)

    # What was written is the RFC's spelling, whatever the provider answers in.
    held = users(server)
    assert len(held) == 12
    assert held["2000"][ENTERPRISE]["manager"] == {"value": held["1001"]["id"]}
    state = target.read()
    assert state.members == desired.members
    assert state.teams == desired.teams
    assert state.jobs == desired.jobs
    assert state.duplicates == ()
    assert_converged(target, desired)

    before = len(proxy.writes())
    plan = sync(target, desired)  # a second apply
    assert plan.changes == ()
    assert proxy.writes()[before:] == []


def test_a_change_writes_only_what_changed(server, proxies):
    proxy = proxies(server.url, answers=respell_answer)
    target = open_scim(server, proxy.url)
    desired = org(12)
    sync(target, desired)
    held = users(server)

    promoted = edit(desired, "members", "2003", job="LEAD")
    before = len(proxy.writes())
    plan = sync(target, promoted)

    assert [(c.id, c.changed_fields()) for c in plan.changes] == [
        ("2003", [("job", "DEV", "LEAD")])
    ]
    sent = [(n, m, p) for n, m, p, _ in sorted(proxy.seen) if m != "GET"][-1:]
    assert [(m, p) for _, m, p in sent] == [("PATCH", f"/v2/Users/{held['2003']['id']}")]
    assert len(proxy.writes()) == before + 1
    ops = json.loads(proxy.bodies[sent[0][0]])["Operations"]
    # The title and the job id: not the e-mails, the manager or the name, which hold already.
    assert sorted(op["path"] for op in ops) == ["title", f"{ENTERPRISE}:costCenter"]
    assert_converged(target, promoted)


def test_a_provider_without_patch_gets_puts_in_the_rfc_spelling(proxies):
    server = start_scim_server(config={"patch": {"supported": False}})
    try:
        proxy = proxies(server.url, answers=respell_without_member_refs)
        target = open_scim(server, proxy.url)
        desired = org(8)
        sync(target, desired)
        renamed = edit(
            edit(desired, "members", "2001", first_name="Ada", job="LEAD"),
            "teams",
            "APP",
            name="Apps",
        )
        before = len(proxy.writes())
        first = len(proxy.seen)
        sync(target, renamed)

        puts = [p for m, p in proxy.writes()[before:]]
        held = users(server)
        assert sorted(puts) == sorted(
            [f"/v2/Users/{held['2001']['id']}", f"/v2/Groups/{groups(server)['APP']['id']}"]
            + [f"/v2/Users/{held[m]['id']}" for m in ("1002",)]
        )
        ada = held["2001"]
        assert ada["name"]["givenName"] == "Ada" and ada["title"] == "Team lead"
        # The full resource sent back holds each attribute once, in the RFC's spelling (with
        # what the provider added kept as it was).
        assert [(e["value"], e["type"], e["primary"]) for e in ada["emails"]] == [
            ("dev1@acme.com", "work", True)
        ]
        for n, body in proxy.bodies.items():
            sent = json.loads(body)
            if n > first:
                assert len({key.lower() for key in sent}) == len(sent)
                assert not {"Emails", "username", "externalid", "Members"} & set(sent)
        assert ada[ENTERPRISE]["department"] == "Apps"
        assert groups(server)["APP"]["displayName"] == "Apps"
        assert_converged(target, renamed)
        before = len(proxy.writes())
        assert sync(target, renamed).changes == ()
        assert proxy.writes()[before:] == []
    finally:
        server.stop()


def test_a_plan_against_a_respelling_provider_reads_every_field(server, proxies):
    """Read through the re-spelling proxy, the platform is what was written: the same plan
    as read directly."""
    desired = org(8)
    sync(open_scim(server), desired)
    proxy = proxies(server.url, answers=respell_answer)
    direct = open_scim(server, writable=False).read()
    through = open_scim(server, proxy.url, writable=False).read()
    assert through == direct
    assert compute_plan(desired, through).changes == ()
