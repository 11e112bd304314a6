"""Provision on demand: `sync --only member:ID` (and plan/apply --only) through a real git repo with
a bare remote, the file export and the embedded platform: the same policies as a night, for the
named ids and what they need only."""

from __future__ import annotations

import csv
import json

import git
import pytest
from click.testing import CliRunner

from reconciler import operations as ops
from reconciler.cli.main import cli
from reconciler.core.scope import Scope, UnknownInScope
from reconciler.gitops.approval import approve
from reconciler.gitops.pipeline import run_sync
from tests.gitops.conftest import REVIEWER, remote_heads
from tests.gitops.test_kills import set_modes


def _files(root, rev: str, kind: str) -> set[str]:
    listing = git.Repo(root).git.ls_tree("--name-only", f"{rev}:state/{kind}")
    return {name.removesuffix(".yaml") for name in listing.split() if name.endswith(".yaml")}


def _rewrite(root, change) -> None:
    path = root / "hris/export.csv"
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    fields = list(rows[0])
    rows = [row for row in map(change, rows) if row is not None]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fields)
        writer.writeheader()
        writer.writerows(rows)


def _automatic(root, members: str) -> None:
    set_modes(root, teams="import: automatic", jobs="import: automatic", members=members)


def test_an_automatic_member_is_committed_and_applied_with_what_it_needs(runner, tmp_path):
    _automatic(runner, "import: automatic")
    report = run_sync(runner, only=Scope.parse(["member:1004"]), apply=True)
    assert report.apply_error is None and report.applied == 5  # 3 teams, 1 job, 1 member
    heads = remote_heads(tmp_path)
    assert _files(runner, heads["main"], "members") == {"1004"}
    # Its team with the parents it needs, and its job: nothing else of the 40-person export.
    assert _files(runner, heads["main"], "teams") == {"D100", "D200", "D210"}
    assert _files(runner, heads["main"], "jobs") == {"J05"}
    log = git.Repo(runner).git.log("--format=%B", "origin/main", "-3")
    assert log.count("Hrsync-Run: on-demand member:1004") == 3
    assert not {"hrsync/teams", "hrsync/jobs", "hrsync/members"} & set(heads)
    # The manager is not in the tree: said where auditors read, not guessed.
    assert "! member 1004: manager '1003' is not a member; set to none" in log
    platform = ops.read_platform(ops.Repo.open(runner))
    assert set(platform.members) == {"1004"}
    assert set(platform.teams) == {"D100", "D200", "D210"}


def test_a_manual_change_still_waits_for_review_and_other_pending_items_stay(runner, tmp_path):
    run_sync(runner)  # the whole night: 40 members proposed, everything manual
    night = remote_heads(tmp_path)
    main = night["main"]
    _rewrite(runner, lambda r: {**r, "last_name": "Nowak"} if r["employee_id"] == "1004" else r)
    report = run_sync(runner, only=Scope.parse(["member:1004"]), apply=True)
    heads = remote_heads(tmp_path)
    assert heads["main"] == main  # nothing automatic: main untouched, nothing applied
    assert report.applied == 0 and report.apply_error is None
    assert ops.read_platform(ops.Repo.open(runner)).members == {}
    branch = heads["hrsync/members"]
    assert len(_files(runner, branch, "members")) == 40  # the night's other 39 are still there
    text = git.Repo(runner).git.show(f"{branch}:state/members/1004.yaml")
    assert "last_name: Nowak" in text
    message = git.Repo(runner).commit(branch).message
    assert "Hrsync-Run: on-demand member:1004" in message
    assert message.count("Hrsync-Proposed: members/") == 40
    # 1004's team and job are still pending in theirs: those proposals are as they were.
    assert {o.kind: o.outcome for o in report.kinds} == {
        "teams": "unchanged",
        "jobs": "unchanged",
        "members": "updated",
    }
    assert heads["hrsync/teams"] == night["hrsync/teams"]


def test_only_a_named_leaver_is_cleaned_up(runner, tmp_path):
    _automatic(runner, "import: automatic, cleanup: automatic")
    run_sync(runner, apply=True)
    _rewrite(runner, lambda r: None if r["employee_id"] in ("1039", "1040") else r)
    run_sync(runner, only=Scope.parse(["member:1040"]), apply=True)
    members = _files(runner, remote_heads(tmp_path)["main"], "members")
    assert "1040" not in members and "1039" in members  # 1039 waits for the whole night
    assert "1039" in ops.read_platform(ops.Repo.open(runner)).members


def test_an_unknown_id_is_refused_before_anything_is_written(runner, tmp_path):
    before = remote_heads(tmp_path)
    with pytest.raises(UnknownInScope, match="member 9999 is neither in the HRIS nor in state/"):
        run_sync(runner, only=Scope.parse(["member:1004", "member:9999"]))
    assert remote_heads(tmp_path) == before
    result = CliRunner().invoke(cli, ["-C", str(runner), "sync", "--only", "member:9999"])
    assert result.exit_code == 1
    assert "member 9999 is neither in the HRIS nor in state/" in result.output


@pytest.mark.parametrize(
    "word", ["member:../../etc/passwd", "member:", "person:1004", "1004", "member:a b", "job:.x"]
)
def test_a_bad_id_is_a_usage_error(runner, word):
    for command in (["sync"], ["plan"], ["apply", "--auto-approve"]):
        result = CliRunner().invoke(cli, ["-C", str(runner), *command, "--only", word])
        assert result.exit_code == 64, (command, result.output)
        assert "--only" in result.output


def test_plan_and_apply_only_take_the_member_and_the_creations_it_waits_for(runner):
    set_modes(runner, teams="import: automatic", jobs="import: automatic")
    run_sync(runner, ("teams", "jobs"), apply=False)
    run_sync(runner, ("members",))
    approve(runner, "members", REVIEWER, apply=False)
    cli_runner = CliRunner()
    args = ["-C", str(runner)]
    planned = cli_runner.invoke(cli, [*args, "plan", "--only", "member:1005", "--format", "json"])
    assert planned.exit_code == 0, planned.output
    changes = [(c["action"], c["kind"], c["id"]) for c in json.loads(planned.output)["changes"]]
    # 1005 works in D210 (under D200, under D100) as J04 for 1003, who reports to 1002, to 1001.
    assert changes == [
        ("create", "teams", "D100"),
        ("create", "teams", "D200"),
        ("create", "teams", "D210"),
        ("create", "jobs", "J01"),
        ("create", "jobs", "J02"),
        ("create", "jobs", "J03"),
        ("create", "jobs", "J04"),
        ("create", "members", "1001"),
        ("create", "members", "1002"),
        ("create", "members", "1003"),
        ("create", "members", "1005"),
    ]
    applied = cli_runner.invoke(cli, [*args, "apply", "--auto-approve", "--only", "member:1005"])
    assert applied.exit_code == 0, applied.output
    platform = ops.read_platform(ops.Repo.open(runner))
    assert set(platform.members) == {"1001", "1002", "1003", "1005"}
    unknown = cli_runner.invoke(cli, [*args, "plan", "--only", "team:NOPE"])
    assert unknown.exit_code == 1
    assert "team NOPE is neither in state/ nor on the platform" in unknown.output


def test_only_and_incremental_do_not_go_together(runner):
    args = ["-C", str(runner), "sync", "--only", "member:1004", "--incremental"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 64
    assert "--only and --incremental do not go together" in result.output
