"""The embedded platform: apply converges, is idempotent, resumes after a kill, protects admins."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from reconciler.core.model import DesiredState, Job, Member, Team
from reconciler.core.plan import compute_plan
from reconciler.errors import SafetyError, TargetError
from reconciler.targets.sqlite import SqlitePlatform


def org(n: int = 30) -> DesiredState:
    teams = {
        "root": Team("root", "Root"),
        "a": Team("a", "A", "root", ("1",)),
        "b": Team("b", "B", "root", ("1",)),
    }
    members = {"1": Member("1", "p1@acme.example", "F", "L", True, "root", "dev", None)}
    for i in range(2, n + 1):
        members[str(i)] = Member(
            str(i), f"p{i}@acme.example", "F", "L", True, "a" if i % 2 else "b", "dev", "1"
        )
    return DesiredState(teams=teams, jobs={"dev": Job("dev", "Developer")}, members=members)


def converge(platform: SqlitePlatform, desired: DesiredState):
    plan = compute_plan(desired, platform.read())
    platform.apply(plan.changes)
    return plan


@pytest.fixture
def platform(tmp_path):
    p = SqlitePlatform(tmp_path / "platform.db", writable=True)
    yield p
    p.close()


def test_apply_makes_the_platform_match_and_a_second_plan_is_empty(platform):
    desired = org()
    converge(platform, desired)
    state = platform.read()
    assert (state.teams, state.jobs, state.members) == (
        desired.teams,
        desired.jobs,
        desired.members,
    )
    assert compute_plan(desired, platform.read()).changes == ()


def test_applying_the_same_plan_twice_creates_no_duplicates(platform):
    desired = org()
    plan = compute_plan(desired, platform.read())
    platform.apply(plan.changes)
    platform.apply(plan.changes)
    (count,) = platform.db.execute("SELECT COUNT(*) FROM members").fetchone()
    assert count == 30


def test_interrupted_apply_converges_when_run_again(platform):
    desired = org()
    plan = compute_plan(desired, platform.read())

    def crash_after_ten(change, seen=[]):  # noqa: B006 - a counter that lives for this test
        seen.append(change)
        if len(seen) == 10:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        platform.apply(plan.changes, crash_after_ten)
    remaining = compute_plan(desired, platform.read())
    assert 0 < len(remaining.changes) < len(plan.changes)
    platform.apply(remaining.changes)
    assert compute_plan(desired, platform.read()).changes == ()


def test_drift_on_the_platform_is_reverted(platform):
    desired = org()
    converge(platform, desired)
    platform.db.execute("UPDATE teams SET name = 'Renamed by hand' WHERE external_id = 'a'")
    platform.db.execute("UPDATE members SET can_login = 0 WHERE external_id = '7'")
    plan = converge(platform, desired)
    assert [(c.action, c.id) for c in plan.changes] == [("update", "a"), ("reactivate", "7")]
    assert compute_plan(desired, platform.read()).changes == ()


def test_hand_made_members_are_untouched_until_adopted(platform):
    desired = org(3)
    pk = platform.add_member_by_hand("p3@acme.example", "Hand", "Made")
    platform.add_member_by_hand("visitor@else.example", "Vi", "Sitor")
    plan = converge(platform, desired)
    assert [c.member_id for c in plan.conflicts] == ["3"]
    assert sorted(u.email for u in platform.read().unmanaged) == [
        "p3@acme.example",
        "visitor@else.example",
    ]
    platform.adopt(pk, "3")
    converge(platform, desired)
    state = platform.read()
    assert state.members["3"] == desired.members["3"]
    assert [u.email for u in state.unmanaged] == ["visitor@else.example"]


def test_cleanup_of_a_team_keeps_its_members(platform):
    desired = org(4)
    converge(platform, desired)
    smaller = DesiredState(
        teams={k: v for k, v in desired.teams.items() if k != "b"},
        jobs=desired.jobs,
        members={
            k: (
                v
                if v.team != "b"
                else Member(
                    v.id, v.email, v.first_name, v.last_name, v.active, None, v.job, v.manager
                )
            )
            for k, v in desired.members.items()
        },
    )
    converge(platform, smaller)
    assert len(platform.read().members) == 4 and "b" not in platform.read().teams


def test_read_only_platform_refuses_writes(tmp_path):
    writable = SqlitePlatform(tmp_path / "p.db", writable=True)
    converge(writable, org(3))
    writable.close()
    readonly = SqlitePlatform(tmp_path / "p.db")
    plan = compute_plan(org(4), readonly.read())
    with pytest.raises(TargetError, match="read-only"):
        readonly.apply(plan.changes)
    with pytest.raises(sqlite3.OperationalError):
        readonly.db.execute("DELETE FROM members")
    assert SqlitePlatform(tmp_path / "never.db").read().members == {}
    assert not (tmp_path / "never.db").exists()


def test_the_last_admin_is_never_deactivated(platform):
    desired = org(3)
    converge(platform, desired)
    platform.set_role("2", "admin")
    leaving = DesiredState(
        desired.teams,
        desired.jobs,
        {**desired.members, "2": Member("2", "p2@acme.example", "F", "L", False, "b", "dev", "1")},
    )
    with pytest.raises(SafetyError, match="last admin"):
        converge(platform, leaving)
    platform.add_member_by_hand("it@acme.example", "I", "T", role="admin")
    converge(platform, leaving)
    assert not platform.read().members["2"].active


KILL_SCRIPT = """
import sys
from pathlib import Path
from reconciler.core.plan import compute_plan
from reconciler.targets.sqlite import SqlitePlatform
from tests.targets.test_sqlite import org
p = SqlitePlatform(Path(sys.argv[1]), writable=True)
desired = org(3000)
p.apply(compute_plan(desired, p.read()).changes)
"""


def test_a_real_kill_mid_apply_is_recovered_by_running_again(tmp_path):
    db = tmp_path / "platform.db"
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    child = subprocess.Popen([sys.executable, "-c", KILL_SCRIPT, str(db)], env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            (count,) = sqlite3.connect(db).execute("SELECT COUNT(*) FROM members").fetchone()
        except sqlite3.Error:
            count = 0
        if count > 100:
            break
        time.sleep(0.01)
    child.send_signal(signal.SIGKILL)
    child.wait()
    platform = SqlitePlatform(db, writable=True)
    desired = org(3000)
    assert compute_plan(desired, platform.read()).changes  # the kill left work to do
    converge(platform, desired)
    assert compute_plan(desired, platform.read()).changes == ()
    (count,) = platform.db.execute("SELECT COUNT(*) FROM members").fetchone()
    assert count == 3000
    platform.close()
