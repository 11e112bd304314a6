"""Safety lives in the plan: deletions over max_deletes and deactivations over the share (with
its floor) are named with the numbers and the flag, at N and N+1."""

from __future__ import annotations

import pytest

from reconciler.core.model import DesiredState, Member
from reconciler.core.plan import compute_plan, raise_if_unsafe, safety_problems
from reconciler.core.platform import PlatformState
from reconciler.errors import SafetyError


def members(count: int, active_until: int) -> dict:
    return {
        str(i): Member(str(i), f"m{i}@a.example", "M", str(i), i < active_until)
        for i in range(count)
    }


def plan_deactivating(n: int, managed: int = 40):
    platform = PlatformState(members=members(managed, managed))
    return compute_plan(DesiredState(members=members(managed, managed - n)), platform)


def test_deactivations_at_the_allowance_pass_one_more_is_named():
    assert safety_problems(plan_deactivating(4), 5, 0.10, 3) == []
    (problem,) = safety_problems(plan_deactivating(5), 5, 0.10, 3)
    assert problem == (
        "apply would deactivate 5 of 40 managed members (12% > 10%); "
        "raise --max-deactivations to 5 if this is intended"
    )


def test_a_small_company_is_not_stopped_by_the_share():
    assert safety_problems(plan_deactivating(3, managed=5), 5, 0.10, 3) == []


def test_deletions_at_max_deletes_pass_one_more_raises():
    platform = PlatformState(members=members(10, 10))
    plan = compute_plan(DesiredState(members=members(5, 5)), platform)
    raise_if_unsafe(plan, 5)
    with pytest.raises(SafetyError, match="raise --max-deletes to 5"):
        raise_if_unsafe(plan, 4)
