"""Plans in an order the platform can follow: an e-mail that moves from one member to another
is released before it is taken (found by the plan → apply → plan law)."""

from __future__ import annotations

from reconciler.core.model import DesiredState, Member
from reconciler.core.plan import compute_plan
from reconciler.targets.sqlite import SqlitePlatform


def test_an_email_moving_to_a_new_member_is_released_first(tmp_path):
    platform = SqlitePlatform(tmp_path / "platform.db", writable=True)
    try:
        before = DesiredState(members={"8": Member("8", "p1@acme.example", "P", "8")})
        platform.apply(compute_plan(before, platform.read()).changes)
        after = DesiredState(
            members={
                "1": Member("1", "p1@acme.example", "P", "1"),
                "8": Member("8", "p8@acme.example", "P", "8"),
            }
        )
        plan = compute_plan(after, platform.read())
        assert [(c.action, c.id) for c in plan.changes] == [("update", "8"), ("create", "1")]
        platform.apply(plan.changes)
        assert compute_plan(after, platform.read()).changes == ()
    finally:
        platform.close()
