"""A saved plan is data: what `plan --out` writes, `apply PLANFILE` reads back whole."""

from __future__ import annotations

from reconciler.core.ids import is_email
from reconciler.core.model import DesiredState, Member
from reconciler.core.plan import Plan, compute_plan
from reconciler.core.platform import PlatformState, UnmanagedMember


def test_a_saved_plan_keeps_its_conflicts_and_changes():
    desired = DesiredState(
        members={
            "1": Member("1", "hand@a.example", "H", "M"),
            "2": Member("2", "new@a.example", "N", "W"),
        }
    )
    platform = PlatformState(unmanaged=(UnmanagedMember("p9", "hand@a.example", "H", "M"),))
    plan = compute_plan(desired, platform)
    assert [c.member_id for c in plan.conflicts] == ["1"]
    again = Plan.from_data(plan.data)
    assert again.conflicts == plan.conflicts
    assert again.changes == plan.changes
    assert again.state_digest == plan.state_digest


def test_an_email_at_the_schema_limit_passes_one_more_character_does_not():
    local = "a" * 64
    domain = "b" * (254 - 64 - 1 - 4) + ".com"
    assert is_email(f"{local}@{domain}") and len(f"{local}@{domain}") == 254
    assert not is_email(f"{local}a@{domain}")
