"""The removal guard: small removals night after night are summed over the window; once past
the allowance, automatic removals pause until a person acknowledges them, and git says who."""

from __future__ import annotations

import csv

import git
from click.testing import CliRunner

from reconciler import operations as ops
from reconciler.cli.main import cli
from reconciler.gitops.approval import approve
from reconciler.gitops.guard import GUARD_FILE
from reconciler.gitops.pipeline import run_sync
from tests.gitops.conftest import REVIEWER, remote_heads
from tests.gitops.test_kills import set_modes


def hrsync(root, *args):
    return CliRunner().invoke(cli, ["-C", str(root), *args])


def remove_people(root, count: int) -> list[str]:
    """The HRIS loses the `count` last employees (never the managers at the top)."""
    export = root / "hris/export.csv"
    rows = list(csv.reader(export.open()))
    gone = [r[0] for r in rows[-count:]]
    with export.open("w", newline="") as handle:
        csv.writer(handle).writerows(rows[:-count])
    return gone


def on_platform(root) -> set[str]:
    return set(ops.read_platform(ops.Repo.open(root)).members)


def test_a_week_of_small_removals_is_held_once_past_the_allowance(runner, tmp_path):
    everything = "import: automatic, sync: automatic, cleanup: automatic"
    set_modes(runner, teams=everything, jobs=everything, members=everything)
    run_sync(runner, apply=True)
    assert len(on_platform(runner)) == 40  # allowance: max(3, 10 % of 40) = 4 in 7 days

    night1 = remove_people(runner, 3)
    report = run_sync(runner, apply=True)
    assert "members: cleanup 3" in report.main_commits
    assert not on_platform(runner) & set(night1)

    night2 = remove_people(runner, 3)
    report = run_sync(runner, apply=True)
    assert "members: removal guard tripped (6 of 37 within 7 days); automatic removals paused" in (
        report.main_commits
    )
    assert report.warnings[0].startswith("Removal guard: 6 members removed or deactivated")
    assert set(night2) <= on_platform(runner)  # held, not applied
    branch = git.Repo(runner).commit(remote_heads(tmp_path)["hrsync/members"])
    assert "! Removal guard" in branch.message
    status = hrsync(runner, "guard", "status")
    assert "PAUSED since 2026-03-01 (6 removals of 37)" in status.output

    night3 = remove_people(runner, 1)  # even one removal waits while paused
    report = run_sync(runner, apply=True)
    assert set(night3) <= on_platform(runner)
    # (with yesterday's three still held, four of 37 is also a mass removal: both hold it)
    assert report.warnings[0].startswith("This would remove or deactivate 4 of 37")

    # A person merges the held proposal: that acknowledges it, and releases the pause.
    approval = approve(runner, "members", REVIEWER, max_deletes=10, apply=True)
    assert approval.apply_stopped is None
    assert not (runner / GUARD_FILE).exists()
    assert not on_platform(runner) & set(night2 + night3)

    night4 = remove_people(runner, 3)  # counted from the release on: automatic again
    report = run_sync(runner, apply=True)
    assert "members: cleanup 3" in report.main_commits
    assert not on_platform(runner) & set(night4)
    assert "PAUSED" not in hrsync(runner, "guard", "status").output


def test_guard_release_is_a_commit_by_the_person(runner, tmp_path):
    everything = "import: automatic, sync: automatic, cleanup: automatic"
    set_modes(runner, teams=everything, jobs=everything, members=everything)
    run_sync(runner, apply=True)
    for _ in range(2):  # 3 + 3 in two nights: past the allowance of 4
        remove_people(runner, 3)
        run_sync(runner, apply=True)
    assert (runner / GUARD_FILE).exists()
    released = hrsync(runner, "guard", "release", "members", "--as", str(REVIEWER))
    assert released.exit_code == 0, released.output
    head = git.Repo(runner).commit(remote_heads(tmp_path)["main"])
    assert head.author.email == REVIEWER.email
    assert f"Released-by: {REVIEWER}" in head.message
    again = hrsync(runner, "guard", "release", "members", "--as", str(REVIEWER))
    assert again.exit_code == 1 and "not paused" in again.output
