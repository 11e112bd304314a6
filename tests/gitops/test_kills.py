"""Kills and races as a CI runner meets them: `hrsync sync` killed with SIGKILL at random moments,
and `apply` started while `sync` works. After each kill the next `sync` succeeds and the plan is
empty; a racing `apply` never puts an unapproved change on the platform.

The default run kills a handful of nights; HRSYNC_KILLS=50 (or more) runs the full count.
"""

from __future__ import annotations

import csv
import os
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import git
import pytest

from reconciler import operations as ops
from tests.gitops.conftest import demo_file

KILLS = int(os.environ.get("HRSYNC_KILLS", "6"))
HRSYNC = [sys.executable, "-c", "from reconciler.cli.main import main; main()"]


def hrsync(root: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*HRSYNC, "-C", str(root), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "HRSYNC_TODAY": "2026-03-01"},
    )


def set_modes(root: Path, **kinds: str) -> None:
    """set_modes(root, members="import: automatic, sync: manual") and push it."""
    path = root / "policies/sync.yaml"
    text = path.read_text()
    for kind, modes in kinds.items():
        for action, mode in re.findall(r"(\w+): (\w+)", modes):
            text = re.sub(rf"^({kind}:.*?\b{action}: )\w+", rf"\g<1>{mode}", text, flags=re.M)
    path.write_text(text)
    repo = git.Repo(root)
    repo.git.commit("-qam", "policy")
    repo.git.push("-q", "origin", "main")


def write_night(root: Path, night: int, rng: random.Random) -> None:
    """Night n: the demo company with a random few leaving, a few hired, a few moving."""
    rows = list(csv.reader(demo_file("night2.csv" if night % 2 else "night1.csv").open()))
    header, people = rows[0], rows[1:]
    people = [p for p in people if rng.random() > 0.05 or p[0] in ("1001", "1002", "1003")]
    for i in range(rng.randint(0, 4)):
        person = list(people[rng.randrange(len(people))])
        person[0] = f"{5000 + night * 10 + i}"
        person[3] = f"new{night}-{i}@northwind.example"
        people.append(person)
    with (root / "hris/export.csv").open("w", newline="") as handle:
        csv.writer(handle).writerows([header, *people])


def test_a_sync_killed_at_any_moment_is_finished_by_the_next(runner):
    set_modes(
        runner,
        teams="import: automatic, sync: automatic, cleanup: manual",
        jobs="import: manual, sync: automatic",
        members="import: automatic, sync: manual, cleanup: automatic",
    )
    rng = random.Random(20261129)
    started = time.monotonic()
    assert hrsync(runner, "sync").returncode == 0
    duration = time.monotonic() - started
    survived = 0
    for night in range(KILLS):
        write_night(runner, night, rng)
        process = subprocess.Popen(
            [*HRSYNC, "-C", str(runner), "sync"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "HRSYNC_TODAY": "2026-03-01"},
        )
        time.sleep(rng.uniform(0.05, duration))
        process.send_signal(signal.SIGKILL)
        process.wait()
        after = hrsync(runner, "sync")
        assert after.returncode == 0, f"night {night}: {after.stdout}{after.stderr}"
        plan = hrsync(runner, "plan", "--detailed-exitcode")
        assert plan.returncode == 0, f"night {night}: {plan.stdout}{plan.stderr}"
        repo = git.Repo(runner)
        assert repo.active_branch.name == "main"
        assert not repo.git.status("--porcelain", "--", "state", "policies")
        survived += 1
    assert survived == KILLS


def test_apply_racing_sync_never_applies_an_unapproved_change(runner, tmp_path):
    """Members are manual: whatever apply does while sync builds the proposal, the platform
    holds no member main does not hold."""
    set_modes(runner, teams="import: automatic", jobs="import: automatic")
    export = runner / "hris/export.csv"
    rows = list(csv.reader(export.open()))
    with export.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerows(rows)
        for i in range(1500):
            person = list(rows[1 + i % (len(rows) - 1)])
            person[0], person[3] = f"{20000 + i}", f"hire{i}@northwind.example"
            writer.writerow(person)
    races = 0
    for _ in range(2):
        sync = subprocess.Popen(
            [*HRSYNC, "-C", str(runner), "sync"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "HRSYNC_TODAY": "2026-03-01"},
        )
        while sync.poll() is None:
            result = hrsync(runner, "apply", "--auto-approve")
            assert result.returncode in (0, 1), result.stdout + result.stderr
            if result.returncode == 1:
                assert "another hrsync run" in result.stderr + result.stdout
            races += 1
        assert sync.returncode == 0, sync.stdout.read()
        on_main = ops.Repo.open(runner).state().members
        platform = ops.read_platform(ops.Repo.open(runner)).members
        assert set(platform) <= set(on_main)
    assert races >= 2


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_a_kill_while_the_checkout_moves_is_finished_by_the_next_run(runner, monkeypatch):
    """The one moment the working tree changes: killed half-way, the marker says so."""
    from reconciler.gitops import checkout as checkout_module

    set_modes(runner, teams="import: automatic", jobs="import: automatic")
    real_run = checkout_module.Checkout._run

    def dies_after_checkout(self, *args, **kwargs):
        result = real_run(self, *args, **kwargs)
        moving = (runner / checkout_module.MOVING_FILE).exists()
        team = runner / "state/teams/D100.yaml"
        if args[:1] == ("checkout",) and moving and team.exists():
            team.write_text("half written")  # as if git had not finished writing it
            raise KeyboardInterrupt  # the process stops here, marker and debris left behind
        return result

    monkeypatch.setattr(checkout_module.Checkout, "_run", dies_after_checkout)
    from reconciler.gitops.pipeline import run_sync

    with pytest.raises(KeyboardInterrupt):
        run_sync(runner, apply=True)
    monkeypatch.undo()
    assert (runner / checkout_module.MOVING_FILE).exists()
    run_sync(runner, apply=True)
    assert not (runner / checkout_module.MOVING_FILE).exists()
    assert "half written" not in (runner / "state/teams/D100.yaml").read_text()
    assert hrsync(runner, "plan", "--detailed-exitcode").returncode == 0


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_an_approval_killed_at_any_moment_is_finished_by_approving_again(runner):
    """`review approve` killed anywhere: the checkout is never left mid-merge (no MERGE_HEAD, no
    conflict markers), approving again merges exactly once, and the next sync leaves nothing to
    apply."""
    set_modes(runner, teams="import: automatic", jobs="import: automatic")
    rng = random.Random(7)
    repo = git.Repo(runner)
    remote = git.Repo(runner.parent / "remote.git")

    def merges_on_main() -> int:
        return len(remote.git.log("--merges", "--format=%H", "main").splitlines())

    killed = 0
    duration = 0.5  # of an approval, learnt from the last one that ran to its end
    for round_ in range(max(4, KILLS // 2)):
        write_night(runner, round_, rng)
        assert hrsync(runner, "sync").returncode == 0
        if hrsync(runner, "review", "show", "members").returncode != 0:
            continue  # nothing proposed this night
        started, merges_before = time.monotonic(), merges_on_main()
        process = subprocess.Popen(
            [
                *HRSYNC,
                "-C",
                str(runner),
                "review",
                "approve",
                "members",
                "--as",
                "Ann <a@x.example>",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "HRSYNC_TODAY": "2026-03-01"},
        )
        time.sleep(rng.uniform(0.02, duration))
        process.send_signal(signal.SIGKILL)
        killed += process.wait() == -signal.SIGKILL
        assert not (Path(repo.git_dir) / "MERGE_HEAD").exists()
        assert repo.active_branch.name == "main"
        again_started = time.monotonic()
        again = hrsync(runner, "review", "approve", "members", "--as", "Ann <a@x.example>")
        if again.returncode == 0:
            duration = time.monotonic() - again_started
        merged = again.returncode == 0 or "no proposal to review" in again.stderr + again.stdout
        assert merged, again.stdout + again.stderr
        assert not repo.git.status("--porcelain", "--", "state", "policies")
        assert merges_on_main() == merges_before + 1  # the killed one or the second, not both
        assert hrsync(runner, "sync").returncode == 0
        assert hrsync(runner, "plan", "--detailed-exitcode").returncode == 0
        assert time.monotonic() - started < 120
    assert killed >= 2


def test_an_approval_racing_a_sync_waits_for_it_and_both_finish(runner):
    """`review approve` started while a night runs waits on the repository lock: both exit 0,
    the proposal is merged once, and the next sync leaves nothing to apply."""
    set_modes(runner, teams="import: automatic", jobs="import: automatic")
    rng = random.Random(11)
    write_night(runner, 0, rng)
    assert hrsync(runner, "sync").returncode == 0
    assert hrsync(runner, "review", "show", "members").returncode == 0
    remote = git.Repo(runner.parent / "remote.git")
    merges = len(remote.git.log("--merges", "--format=%H", "main").splitlines())
    write_night(runner, 1, rng)
    night = subprocess.Popen(
        [*HRSYNC, "-C", str(runner), "sync"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "HRSYNC_TODAY": "2026-03-01"},
    )
    lock = runner / ".hrsync/sync.lock"
    while night.poll() is None and lock.read_text().strip() != str(night.pid):
        time.sleep(0.005)  # until the night holds the lock (its pid is in the file)
    assert night.poll() is None, "the night ended before the approval could race it"
    approval = hrsync(runner, "review", "approve", "members", "--as", "Ann <a@x.example>")
    out, _ = night.communicate(timeout=120)
    assert night.returncode == 0, out
    assert approval.returncode == 0, approval.stdout + approval.stderr
    assert len(remote.git.log("--merges", "--format=%H", "main").splitlines()) == merges + 1
    assert hrsync(runner, "sync").returncode == 0
    assert hrsync(runner, "plan", "--detailed-exitcode").returncode == 0
    assert not git.Repo(runner).git.status("--porcelain", "--", "state", "policies")
