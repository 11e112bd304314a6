"""Concurrency and faults: a main that moves under the run, a second run, a failed HRIS fetch."""

from __future__ import annotations

import subprocess
import sys

import git
import pytest
from click.testing import CliRunner

from reconciler import operations as ops
from reconciler.cli.main import cli
from reconciler.gitops import pipeline
from reconciler.gitops.checkout import GitOpsError, sync_lock
from reconciler.gitops.pipeline import run_sync
from reconciler.lock import Busy
from tests.gitops.conftest import remote_heads, reviewer_clone


def _automatic(root):
    path = root / "policies/sync.yaml"
    path.write_text(path.read_text().replace("manual", "automatic"))
    repo = git.Repo(root)
    repo.git.add("policies")
    repo.git.commit("-qm", "all automatic", author="A <a@example.com>")
    repo.git.push("-q", "origin", "main")


def test_a_push_rejected_because_main_moved_is_redone_on_the_new_main(
    runner, tmp_path, monkeypatch
):
    _automatic(runner)
    clone = reviewer_clone(tmp_path)
    real_push = pipeline.Checkout.push_main
    moved = []

    def push_after_someone_else(self, sha="HEAD"):
        if not moved:  # someone pushes to main while the run works
            (tmp_path / "reviewer/NOTES.md").write_text("meeting notes\n")
            clone.git.add("NOTES.md")
            clone.git.commit("-qm", "notes")
            clone.git.push("-q", "origin", "main")
            moved.append(True)
        return real_push(self, sha)

    monkeypatch.setattr(pipeline.Checkout, "push_main", push_after_someone_else)
    report = run_sync(runner, apply=True)
    coaches = "teams: coaches follow the members (6 team(s))"
    assert report.main_commits == [
        "teams: import 7",
        "jobs: import 13",
        "members: import 40",
        coaches,
    ]
    log = git.Repo(tmp_path / "remote.git").git.log("--format=%s", "main").splitlines()
    assert log[:5] == [coaches, "members: import 40", "jobs: import 13", "teams: import 7", "notes"]


def test_two_runs_never_interleave(runner, monkeypatch):
    monkeypatch.setenv("HRSYNC_LOCK_WAIT", "0.5")
    # The other run is another process, as on a runner: it holds the lock while we start.
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(runner)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(Busy, match="another hrsync run"):
            run_sync(runner, apply=True)
        with pytest.raises(Busy):
            ops.run_apply(ops.Repo.open(runner))
    finally:
        holder.kill()
        holder.wait()
    with sync_lock(runner):  # re-entrant within one run: a sync applies under its own lock
        run_sync(runner, apply=True)


HOLD_LOCK = """
import sys, time
from pathlib import Path
from reconciler.lock import repository_lock
with repository_lock(Path(sys.argv[1])):
    print("locked", flush=True)
    time.sleep(60)
"""


def test_a_failed_hris_fetch_changes_nothing(runner, tmp_path):
    before = remote_heads(tmp_path)
    (runner / "hris/export.csv").unlink()
    result = CliRunner().invoke(cli, ["-C", str(runner), "sync"])
    assert result.exit_code == 1 and "Error:" in result.output
    assert remote_heads(tmp_path) == before


def test_uncommitted_state_edits_are_never_thrown_away(runner):
    (runner / "state/teams/X.yaml").write_text("id: X\nname: X\nparent: null\ncoaches: []\n")
    with pytest.raises(GitOpsError, match="uncommitted"):
        run_sync(runner, apply=True)
    assert (runner / "state/teams/X.yaml").exists()


def test_review_commands(runner):
    run_sync(runner, ("jobs",), apply=True)
    cli_runner = CliRunner()
    listed = cli_runner.invoke(cli, ["-C", str(runner), "review", "list"])
    assert "hrsync/jobs" in listed.output and "13 change(s)" in listed.output
    shown = cli_runner.invoke(cli, ["-C", str(runner), "review", "show", "jobs"])
    assert 'name: null → "R&D <Lead> | Platform"' in shown.output
    approved = cli_runner.invoke(
        cli,
        [
            "-C",
            str(runner),
            "review",
            "approve",
            "jobs",
            "--as",
            "Ann <ann@example.com>",
            "--drop",
            "J13",
        ],
    )
    assert approved.exit_code == 0, approved.output
    assert "Applied 12 change(s)" in approved.output
    assert cli_runner.invoke(cli, ["-C", str(runner), "review", "list"]).output.startswith("No ")


def test_demo_runs_offline(tmp_path):
    result = CliRunner().invoke(cli, ["demo", str(tmp_path / "demo")])
    assert result.exit_code == 0, result.output
    assert "Nothing new: no commit, nothing pushed." in result.output
    assert "dropped in review by Ines Ferreira" in result.output
