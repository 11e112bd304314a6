"""The nightly loop's promises: the checkout shows main, apply applies only main, every night
converges, each proposal holds one kind, and a night without proposals leaves them alone."""

from __future__ import annotations

import csv
import subprocess

import git
import pytest
from click.testing import CliRunner

from reconciler import operations as ops
from reconciler.cli.main import cli
from reconciler.gitops.approval import approve, pending
from reconciler.gitops.pipeline import run_sync
from tests.gitops.conftest import REVIEWER, remote_heads
from tests.gitops.test_kills import set_modes


def hrsync(root, *args):
    result = CliRunner().invoke(cli, ["-C", str(root), *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def checkout_shows_main(root) -> None:
    repo = git.Repo(root)
    assert repo.active_branch.name == "main"
    assert repo.git.status("--porcelain", "--untracked-files=all", "--", "state", "policies") == ""
    assert repo.head.commit.hexsha == repo.commit("origin/main").hexsha


def test_the_checkout_shows_main_after_a_night_of_proposals(runner):
    report = run_sync(runner, apply=True)
    assert [o.outcome for o in report.kinds] == ["opened"] * 3
    checkout_shows_main(runner)
    assert not list((runner / "state/members").glob("*.yaml"))  # proposals stay on branches


def test_apply_refuses_anything_but_main(runner):
    run_sync(runner, apply=True)
    repo = git.Repo(runner)
    repo.git.checkout("-q", "hrsync/members")  # a person looks at the proposal locally
    result = hrsync(runner, "apply", "--auto-approve")
    assert result.exit_code == 1
    assert "apply applies only what is committed on main" in result.output
    assert "state/members/1001.yaml is not on main" in result.output
    assert ops.read_platform(ops.Repo.open(runner)).members == {}
    repo.git.checkout("-q", "main")
    (runner / "state/members/9.yaml").write_text(
        "id: '9'\nemail: n@northwind.example\nfirst_name: N\nlast_name: N\nactive: true\n"
        "team: null\njob: null\nmanager: null\n"
    )
    result = hrsync(runner, "apply", "--auto-approve")
    assert result.exit_code == 1 and "state/members/9.yaml is not committed" in result.output
    # plan still previews the checkout, and says apply would not take it
    plan = hrsync(runner, "plan")
    assert plan.exit_code == 0 and "differs from main" in plan.stderr


def test_members_wait_for_their_team_and_a_dropped_team_is_never_created(runner, tmp_path):
    run_sync(runner, apply=True)
    members = git.Repo(runner).commit(remote_heads(tmp_path)["hrsync/members"])
    assert "members wait for team D210, pending in hrsync/teams (1003, " in members.message
    changed = git.Repo(runner).git.diff("--name-only", "main", members.hexsha).splitlines()
    assert changed and all(path.startswith("state/members/") for path in changed)
    approve(runner, "teams", REVIEWER, drop=("D210",), apply=True)
    approve(runner, "jobs", REVIEWER, apply=True)
    approve(runner, "members", REVIEWER, apply=True)
    state = ops.Repo.open(runner).state()
    assert "D210" not in state.teams
    assert all(m.team != "D210" for m in state.members.values())
    assert "D210" not in ops.read_platform(ops.Repo.open(runner)).teams
    # The next night proposes the references that waited, and never D210 again.
    run_sync(runner, apply=True)
    teams_tip = remote_heads(tmp_path).get("hrsync/teams")
    assert teams_tip is None or "teams/D210" not in git.Repo(runner).commit(teams_tip).message


def test_counts_agree_between_sync_review_list_and_the_body(runner, tmp_path):
    report = run_sync(runner, apply=True)
    said = {o.kind: o.changes for o in report.kinds}
    listed = {p.kind: len(p.changes) for p in pending(runner)}
    assert said == listed
    for outcome in report.kinds:
        body = outcome.pull_request.body
        rows = [line for line in body.splitlines() if line.startswith("| ") and "|---" not in line]
        assert len(rows) - body.count("| | id | name | change |") == said[outcome.kind]


def test_an_empty_export_leaves_every_proposal_as_it_was(runner, tmp_path):
    run_sync(runner, apply=True)
    heads = remote_heads(tmp_path)
    export = runner / "hris/export.csv"
    header = export.read_text().splitlines()[0]
    export.write_text(header + "\n")
    result = hrsync(runner, "sync")
    assert result.exit_code == 0, result.output
    assert "Nothing proposed: the HRIS returned no employees" in result.output
    assert "Pending proposals are left as they are" in result.output
    assert remote_heads(tmp_path) == heads
    assert {p.kind for p in pending(runner)} == {"teams", "jobs", "members"}


def test_a_failed_apply_fails_the_night_and_the_next_night_makes_it_good(runner, tmp_path):
    set_modes(runner, members="import: automatic, sync: automatic, cleanup: automatic")
    set_modes(runner, teams="import: automatic")
    set_modes(runner, jobs="import: automatic")
    assert hrsync(runner, "sync").exit_code == 0
    # Eight people leave the HRIS at once: more than max_deletes (5) allows apply to delete.
    rows = list(csv.reader((runner / "hris/export.csv").read_text().splitlines()))
    kept = [r for r in rows if r[0] not in {str(i) for i in range(1033, 1041)}]
    with (runner / "hris/export.csv").open("w", newline="") as handle:
        csv.writer(handle).writerows(kept)
    result = hrsync(runner, "sync")  # a mass removal: nothing automatic, all to review
    assert result.exit_code == 0
    approve(runner, "members", REVIEWER, apply=False)  # merged, never applied
    night = hrsync(runner, "sync")
    assert night.exit_code == 1, night.output
    assert "apply failed: apply would delete 8" in night.output
    assert "still pending on the platform" in night.output
    assert len(ops.read_platform(ops.Repo.open(runner)).members) == 40
    night = hrsync(runner, "sync", "--max-deletes", "8")
    assert night.exit_code == 0, night.output
    assert hrsync(runner, "plan", "--detailed-exitcode").exit_code == 0


def test_approving_a_mass_removal_says_merged_why_apply_stopped_and_how_to_go_on(runner):
    for kind in ("teams", "jobs", "members"):
        set_modes(runner, **{kind: "import: automatic"})
    run_sync(runner, apply=True)
    rows = list(csv.reader((runner / "hris/export.csv").read_text().splitlines()))
    with (runner / "hris/export.csv").open("w", newline="") as handle:
        csv.writer(handle).writerows(rows[:-10])
    run_sync(runner, apply=True)
    shown = hrsync(runner, "review", "show", "members")
    assert shown.output.startswith("! This would remove or deactivate 10 of 40 members")
    result = CliRunner().invoke(
        cli, ["-C", str(runner), "review", "approve", "members", "--as", str(REVIEWER)]
    )
    assert result.exit_code == 1
    assert "merged into main and pushed" in result.output
    assert "apply stopped: apply would delete 10" in result.output
    assert "--max-deletes" in result.output
    merge = git.Repo(runner).commit("main")
    assert "! This would remove or deactivate 10 of 40 members" in merge.message
    ok = hrsync(runner, "apply", "--auto-approve", "--max-deletes", "10")
    assert ok.exit_code == 0, ok.output


@pytest.mark.parametrize("changes", [10_000])
def test_a_night_with_ten_thousand_changes(tmp_path, monkeypatch, changes):
    """2,000 hires made `git` fail with E2BIG; 10,000 go through stdin."""
    from reconciler.scaffold import init_repository

    monkeypatch.setenv("HRSYNC_TODAY", "2026-03-01")
    export = tmp_path / "export.csv"
    with export.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["employee_id", "first_name", "last_name", "email", "status"])
        for i in range(changes):
            writer.writerow([f"{100000 + i}", "Pat", f"Person{i}", f"p{i}@acme.example", "active"])
    root = tmp_path / "runner"
    repo = init_repository(root, company="Big", source="file", export=export)
    git.Repo.init(tmp_path / "remote.git", bare=True, initial_branch="main")
    repo.create_remote("origin", str(tmp_path / "remote.git"))
    repo.git.push("-q", "origin", "main")
    result = hrsync(root, "sync", "--kind", "members")
    assert result.exit_code == 0, result.output
    assert f"members: proposal opened ({changes} change(s))" in result.output
    checkout_shows_main(root)
    tip = remote_heads(tmp_path)["hrsync/members"]
    files = subprocess.run(
        ["git", "-C", str(root), "ls-tree", "-r", "--name-only", tip, "state/members"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert len([f for f in files if f.endswith(".yaml")]) == changes
    assert git.Repo(root).commit(tip).message.count("\n- import member ") == changes
