"""The removal guard's rule (pure): a window, an allowance with a floor, a pause."""

from __future__ import annotations

from reconciler.core.guard import allowed_removals, apply_guard
from reconciler.core.model import DesiredState, Member
from reconciler.core.policies import Policy
from reconciler.core.propose import Proposal, ProposedChange


def proposal_removing(count: int, managed: int = 40) -> Proposal:
    members = {str(i): Member(str(i), f"m{i}@a.example", "M", "N") for i in range(managed)}
    current = DesiredState(members=members)
    changes = tuple(
        ProposedChange("members", "cleanup", str(i), members[str(i)], None, "automatic")
        for i in range(count)
    )
    return Proposal(changes, (), current, current, "d", "file:x")


def test_allowance_is_the_share_with_a_floor():
    policy = Policy.default("automatic")
    assert allowed_removals(policy, 40) == 4 and allowed_removals(policy, 5) == 3


def test_at_the_allowance_nothing_is_held_one_more_trips():
    policy = Policy.default("automatic")
    assert not apply_guard(proposal_removing(2), policy, {"members": 2}, frozenset()).held
    decision = apply_guard(proposal_removing(3), policy, {"members": 2}, frozenset())
    assert decision.tripped == {"members": (5, 40)}
    assert {c.mode for c in decision.proposal.changes} == {"manual"}


def test_a_paused_kind_holds_even_one_removal():
    decision = apply_guard(proposal_removing(1), Policy.default(), {}, frozenset({"members"}))
    assert decision.held == {"members": 1} and not decision.tripped
    assert decision.proposal.warnings[0].startswith("Removal guard: automatic members")
