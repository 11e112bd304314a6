"""What an on-demand or incremental run may propose (pure): named ids, what they need, no other
cleanup; an incremental fetch laid over the tree never makes a leaver."""

from __future__ import annotations

from datetime import date

import pytest

from reconciler.core.model import DesiredState, Employee, Job, Member, Snapshot, Team
from reconciler.core.plan import compute_plan
from reconciler.core.platform import PlatformState
from reconciler.core.policies import Policy
from reconciler.core.propose import propose
from reconciler.core.scope import (
    Scope,
    ScopeSyntaxError,
    UnknownInScope,
    overlay,
    plan_in_scope,
)

TODAY = date(2026, 3, 1)
TEAMS = (Team("T0", "Root"), Team("T1", "One", "T0"), Team("T2", "Two"))
JOBS = (Job("J1", "Engineer"),)


def employee(id, team=None, job=None, manager=None, active=True, last="L"):
    return Employee(id, f"e{id}@a.example", "E", last, active, team, job, manager)


def member(id, team=None, job=None, manager=None, last="L"):
    return Member(id, f"e{id}@a.example", "E", last, True, team, job, manager)


def snapshot(*employees):
    return Snapshot("file:x", "t", tuple(employees), TEAMS, JOBS)


def keys(proposal):
    return [(c.kind, c.action, c.id) for c in proposal.changes]


@pytest.mark.parametrize(
    "words",
    [["member:../x"], ["member:"], ["people:1"], ["1004"], ["team:a\nb"], ["job:x.."], []],
)
def test_only_words_that_name_an_entity_by_a_valid_id(words):
    with pytest.raises(ScopeSyntaxError):
        Scope.parse(words)


def test_a_member_brings_its_team_with_parents_and_its_job_and_nothing_else():
    snap = snapshot(employee("1", "T1", "J1"), employee("2", "T2", "J1"))
    proposal = propose(snap, DesiredState(), Policy.default(), TODAY, Scope.parse(["member:1"]))
    assert keys(proposal) == [
        ("teams", "import", "T0"),
        ("teams", "import", "T1"),
        ("jobs", "import", "J1"),
        ("members", "import", "1"),
    ]


def test_only_a_named_leaver_is_cleaned_up_and_the_mass_judgement_is_the_whole_snapshots():
    tree = DesiredState(members={str(i): member(str(i)) for i in range(1, 11)})
    snap = snapshot(*(employee(str(i)) for i in range(1, 6)))  # 6 to 10 gone: a mass removal
    proposal = propose(snap, tree, Policy.default("automatic"), TODAY, Scope.parse(["member:7"]))
    assert keys(proposal) == [("members", "cleanup", "7")]
    assert proposal.changes[0].mode == "manual"  # the whole snapshot looked like a lost export
    assert proposal.warnings[0].startswith("This would remove or deactivate 5 of 10")


def test_an_id_neither_the_hris_nor_the_tree_knows_is_refused():
    with pytest.raises(UnknownInScope, match="team T9"):
        scope = Scope.parse(["team:T9"])
        propose(snapshot(employee("1")), DesiredState(), Policy.default(), TODAY, scope)


def test_an_incremental_fetch_makes_no_leaver_and_proposes_no_cleanup():
    tree = DesiredState(
        teams={"T2": Team("T2", "Two")},
        members={"1": member("1", "T2"), "2": member("2", "T2", manager="1")},
    )
    changed = Snapshot("file:x", "t", (employee("2", "T2", manager="1", last="New"),), (), ())
    whole = overlay(changed, tree)
    assert {e.id for e in whole.employees} == {"1", "2"}
    proposal = propose(whole, tree, Policy.default(), TODAY, Scope.of_snapshot(changed))
    assert keys(proposal) == [("members", "sync", "2")]
    assert proposal.changes[0].after.manager == "1"  # the manager, not in the fetch, still is


def test_a_plan_for_one_member_holds_the_creations_it_waits_for_in_order():
    desired = DesiredState(
        teams={t.id: t for t in TEAMS},
        jobs={"J1": Job("J1", "Engineer")},
        members={"1": member("1", "T2"), "2": member("2", "T1", "J1", manager="1")},
    )
    platform = PlatformState(teams={"T2": Team("T2", "Two")})
    whole = compute_plan(desired, platform)
    plan = plan_in_scope(whole, Scope.parse(["member:2"]), desired, platform)
    assert [(c.action, c.kind, c.id) for c in plan.changes] == [
        ("create", "teams", "T0"),
        ("create", "teams", "T1"),
        ("create", "jobs", "J1"),
        ("create", "members", "1"),
        ("create", "members", "2"),
    ]
    with pytest.raises(UnknownInScope, match="member 9"):
        plan_in_scope(plan, Scope.parse(["member:9"]), desired, platform)


def test_an_on_demand_run_says_why_a_named_person_is_left_out_and_only_that():
    twin = Employee("2", "e1@a.example", "E", "L", True)
    snap = snapshot(employee("1", manager="9"), twin, employee("3", manager="8"))
    proposal = propose(snap, DesiredState(), Policy.default(), TODAY, Scope.parse(["member:2"]))
    assert proposal.changes == ()
    assert proposal.warnings == (
        "employee 2 has the e-mail e1@a.example of employee 1; it is left out until the HRIS "
        "is corrected",
    )
