"""Plan: state vs platform → ordered, typed changes; safety thresholds."""

from __future__ import annotations

import json

import pytest

from reconciler.core.model import DesiredState, Job, Member, Team
from reconciler.core.plan import Plan, check_deletes, compute_plan
from reconciler.core.platform import PlatformState, UnmanagedMember
from reconciler.errors import SafetyError
from reconciler.state.schemas import validator


def m(id, manager=None, team=None, active=True, email=None):
    return Member(
        id, email or f"p{id}@acme.example", f"F{id}", f"L{id}", active, team, None, manager
    )


def steps(plan):
    return [(c.action, c.kind, c.id) for c in plan.changes]


def test_creates_come_in_dependency_order_and_deletes_in_reverse():
    desired = DesiredState(
        teams={"child": Team("child", "Child", "root"), "root": Team("root", "Root")},
        jobs={"dev": Job("dev", "Dev")},
        members={"3": m("3", "2"), "2": m("2", "1"), "1": m("1")},
    )
    platform = PlatformState(
        teams={"old": Team("old", "Old")}, jobs={"gone": Job("gone", "G")}, members={"9": m("9")}
    )
    assert steps(compute_plan(desired, platform)) == [
        ("create", "teams", "root"),
        ("create", "teams", "child"),
        ("create", "jobs", "dev"),
        ("create", "members", "1"),
        ("create", "members", "2"),
        ("create", "members", "3"),
        ("delete", "members", "9"),
        ("delete", "jobs", "gone"),
        ("delete", "teams", "old"),
    ]


def test_updates_list_each_field_and_activation_has_its_own_change():
    desired = DesiredState(members={"1": m("1", team="a"), "2": m("2", active=False), "3": m("3")})
    platform = PlatformState(
        members={"1": m("1", team="b"), "2": m("2"), "3": m("3", active=False)}
    )
    plan = compute_plan(desired, platform)
    assert steps(plan) == [
        ("update", "members", "1"),
        ("deactivate", "members", "2"),
        ("reactivate", "members", "3"),
    ]
    assert plan.changes[0].changed_fields() == [("team", "b", "a")]
    assert plan.summary == {"create": 0, "update": 1, "deactivate": 1, "reactivate": 1, "delete": 0}


def test_hand_made_accounts_are_left_alone_and_block_a_create_with_their_email():
    desired = DesiredState(members={"1": m("1", email="ann@acme.example")})
    platform = PlatformState(
        unmanaged=(
            UnmanagedMember("41", "ANN@acme.example", "Ann", "X"),
            UnmanagedMember("42", "other@acme.example", "O", "X"),
        )
    )
    plan = compute_plan(desired, platform)
    assert plan.changes == ()
    assert plan.conflicts[0].message().endswith("`hrsync link --email ann@acme.example`")


def test_a_rehire_under_a_new_id_moves_the_account_instead_of_delete_and_create():
    desired = DesiredState(members={"9": m("9", email="ann@acme.example")})
    platform = PlatformState(members={"2": m("2", email="ann@acme.example", active=False)})
    plan = compute_plan(desired, platform)
    assert steps(plan) == [("reactivate", "members", "9")]
    assert ("id", "2", "9") in plan.changes[0].changed_fields()


def test_no_changes_when_platform_matches():
    desired = DesiredState(members={"1": m("1")})
    plan = compute_plan(desired, PlatformState(members={"1": m("1")}))
    assert plan.changes == () and plan.summary_line().startswith("No changes")


def test_plan_json_follows_its_schema_and_round_trips():
    desired = DesiredState(
        teams={"t": Team("t", "T", None, ("1",))}, members={"1": m("1", None, "t")}
    )
    plan = compute_plan(desired, PlatformState(members={"2": m("2")}))
    data = json.loads(json.dumps(plan.data))
    assert not list(validator("plan").iter_errors(data))
    assert Plan.from_data(data) == plan


@pytest.mark.parametrize(("deletes", "allowed"), [(5, True), (6, False)])
def test_delete_threshold_at_n_and_n_plus_one(deletes, allowed):
    platform = PlatformState(members={str(i): m(str(i)) for i in range(deletes)})
    plan = compute_plan(DesiredState(), platform)
    if allowed:
        check_deletes(plan, 5)
    else:
        with pytest.raises(SafetyError, match="raise --max-deletes to 6"):
            check_deletes(plan, 5)


def test_the_summary_line_counts_every_action_in_order():
    desired = DesiredState(
        teams={"t": Team("t", "T")},
        members={"1": m("1", team="t"), "2": m("2", active=False), "3": m("3")},
    )
    platform = PlatformState(
        members={"1": m("1"), "2": m("2"), "3": m("3", active=False), "9": m("9")}
    )
    plan = compute_plan(desired, platform)
    assert plan.summary == {"create": 1, "update": 1, "deactivate": 1, "reactivate": 1, "delete": 1}
    assert plan.summary_line() == (
        "Plan: 1 to create, 1 to update, 1 to deactivate, 1 to reactivate, 1 to delete."
    )
    assert compute_plan(desired, desired_platform(desired)).summary_line() == (
        "No changes. The platform matches state/."
    )


def desired_platform(desired: DesiredState) -> PlatformState:
    return PlatformState(teams=desired.teams, jobs=desired.jobs, members=desired.members)
