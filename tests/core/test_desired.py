"""desired.py: the snapshot derived into the tree it implies (pure)."""

from __future__ import annotations

from datetime import date

from reconciler.core.desired import derive, with_coaches
from reconciler.core.model import DesiredState, Employee, Member, Snapshot, Team
from reconciler.core.policies import Policy

TODAY = date(2026, 6, 1)


def employee(id, **fields):
    return Employee(id, f"e{id}@a.example", "E", id, **fields)


def test_a_team_that_is_its_own_ancestor_loses_one_parent_with_a_warning():
    teams = (Team("A", "A", "C"), Team("B", "B", "A"), Team("C", "C", "B"), Team("D", "D", "A"))
    derived = derive(
        Snapshot("x", "t", (employee("1"),), teams), DesiredState(), Policy.default(), TODAY
    )
    parents = {k: t.parent for k, t in derived.state.teams.items()}
    assert sum(1 for k in "ABC" if parents[k] is None) == 1  # one link broken, not all
    assert parents["D"] == "A"
    assert any("its parent chain is a cycle" in w for w in derived.warnings)


def test_a_manager_cycle_is_broken_once_with_a_warning():
    people = (employee("1", manager="2"), employee("2", manager="1"), employee("3", manager="1"))
    derived = derive(Snapshot("x", "t", people), DesiredState(), Policy.default(), TODAY)
    managers = {k: m.manager for k, m in derived.state.members.items()}
    assert [managers["1"], managers["2"]].count(None) == 1 and managers["3"] == "1"
    assert any("manager chain is a cycle" in w for w in derived.warnings)


def test_coaches_come_only_from_active_members():
    teams = {"T": Team("T", "T")}
    members = {
        "1": Member("1", "a@a.example", "A", "1", True, "T", None, None),
        "2": Member("2", "b@a.example", "B", "2", True, "T", None, "1"),
        "3": Member("3", "c@a.example", "C", "3", False, "T", None, "4"),
        "4": Member("4", "d@a.example", "D", "4", True, None, None, None),
    }
    assert with_coaches(teams, members)["T"].coaches == ("1",)


def test_a_leaver_is_kept_deactivated_and_a_future_hire_waits():
    current = DesiredState(members={"1": Member("1", "e1@a.example", "E", "1")})
    snap = Snapshot(
        "x",
        "t",
        (
            employee("1", end_date=date(2026, 5, 1)),
            employee("2", start_date=date(2026, 6, 10)),
        ),
    )
    derived = derive(snap, current, Policy.default(), TODAY)
    assert derived.state.members["1"].active is False
    assert "2" not in derived.state.members
    assert derived.waiting and "starts on 2026-06-10" in derived.waiting[0]
