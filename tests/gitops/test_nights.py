"""The three nights: manual proposals → partial approval → automatic sync → nothing new."""

from __future__ import annotations

import json

import git
import yaml
from click.testing import CliRunner

from reconciler import operations as ops
from reconciler.cli.main import cli
from reconciler.gitops.approval import approve, pending
from reconciler.gitops.pipeline import run_sync
from tests.gitops.conftest import REVIEWER, new_export, remote_heads, reviewer_clone


def _set_policy(root, old: str, new: str) -> None:
    path = root / "policies/sync.yaml"
    path.write_text(path.read_text().replace(old, new))
    repo = git.Repo(root)
    repo.git.add("policies")
    repo.git.commit("-qm", "policy", env=REVIEWER.env())
    repo.git.push("-q", "origin", "main")


def test_three_nights(runner, tmp_path):
    # Night 1: everything manual → one branch per kind, nothing on main.
    main_before = remote_heads(tmp_path)["main"]
    report = run_sync(runner, apply=True)
    assert [o.outcome for o in report.kinds] == ["opened", "opened", "opened"]
    assert report.main_commits == []
    heads = remote_heads(tmp_path)
    assert heads["main"] == main_before
    assert {"hrsync/teams", "hrsync/jobs", "hrsync/members"} <= set(heads)
    message = git.Repo(runner).commit(heads["hrsync/members"]).message
    assert message.startswith("members: import 40\n")
    assert "Hrsync-Kind: members" in message and "Hrsync-Mode: manual" in message
    assert f"Hrsync-Snapshot: {report.snapshot_digest}" in message
    assert git.Repo(runner).commit(heads["hrsync/members"]).author.name == "hrsync-bot"

    # Members wait for the teams and jobs they refer to: each proposal holds only its kind.
    assert "waits for team" in git.Repo(runner).commit(heads["hrsync/members"]).message
    for kind in ("teams", "jobs"):
        assert approve(runner, kind, REVIEWER, apply=True).applied > 0
    run_sync(runner, ("members",), apply=True)  # rebuilt on the new main: the references are in
    message = git.Repo(runner).commit(remote_heads(tmp_path)["hrsync/members"]).message
    assert "waits for" not in message
    # A reviewer drops member 1016 by deleting its file on the branch, in their own clone.
    clone = reviewer_clone(tmp_path)
    clone.git.checkout("-q", "-b", "hrsync/members", "origin/hrsync/members")
    clone.git.rm("-q", "state/members/1016.yaml")
    clone.git.commit("-qm", "Not a member: contractor")
    clone.git.push("-q", "origin", "hrsync/members")
    assert approve(runner, "members", REVIEWER, apply=True).applied > 0
    platform = ops.read_platform(ops.Repo.open(runner))
    assert "1016" not in platform.members and "1012" in platform.members
    merge = git.Repo(runner).commit("main")
    assert len(merge.parents) == 2 and merge.author.email == REVIEWER.email
    assert f"Approved-by: {REVIEWER}" in merge.message
    assert pending(runner) == []

    # Night 2: member syncs are automatic; the leaver's deactivation lands on main by itself.
    _set_policy(
        runner,
        "members: {import: manual, sync: manual,",
        "members: {import: manual, sync: automatic,",
    )
    new_export(runner, "night2.csv")
    report = run_sync(runner, apply=True)
    assert [d.id for d in report.drops] == ["1016"]
    # 1027 moves to job J14, new tonight and waiting in hrsync/jobs: held back, said so.
    # Coaches follow the members merged yesterday: a derived commit, whatever the policy.
    assert report.main_commits == [
        "members: 1 dropped in review",
        "members: sync 1",
        "teams: coaches follow the members (6 team(s))",
    ]
    assert report.applied > 0
    assert ops.read_platform(ops.Repo.open(runner)).members["1012"].active is False
    ledger = yaml.safe_load((runner / "policies/dropped.yaml").read_text())
    assert [(e["id"], e["by"]) for e in ledger["members"]] == [("1016", str(REVIEWER))]
    # A person running `hrsync propose` by hand sees what the night saw: 1016 stays dropped.
    shown = CliRunner().invoke(cli, ["-C", str(runner), "propose"])
    assert shown.exit_code == 0 and "member 1016" not in shown.stdout
    assert "1 change(s) dropped in review are left out" in shown.stderr
    members_branch = git.Repo(runner).commit(remote_heads(tmp_path)["hrsync/members"])
    assert "members/1016" not in members_branch.message  # not re-added
    assert "members/1041" in members_branch.message  # the new hire waits for review
    automatic = git.Repo(runner).commit(remote_heads(tmp_path)["main"] + "~1")
    assert "Hrsync-Mode: automatic" in automatic.message
    assert "- sync member 1012 (deactivation): active" in automatic.message
    assert "! member 1027: waits for job J14, pending in hrsync/jobs; keeps job J11" in (
        automatic.message
    )

    # Night 3: nothing new → no commit, nothing pushed, proposals untouched.
    heads = remote_heads(tmp_path)
    report = run_sync(runner, apply=True)
    assert report.main_commits == [] and report.drops == []
    assert {o.outcome for o in report.kinds} == {"unchanged"}
    assert remote_heads(tmp_path) == heads

    # The auditors' view tells the story of member 1012 and of the dropped one.
    result = CliRunner().invoke(
        cli,
        [
            "-C",
            str(runner),
            "history",
            "--member",
            "oskar.nilsson@northwind.example",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    events = json.loads(result.output)
    assert [(e["action"], e["how"]) for e in events] == [
        ("import", "approved"),
        ("sync", "automatic"),
    ]
    assert events[0]["merged_by"] == str(REVIEWER) and events[0]["branch"] == "hrsync/members"
    assert {"field": "active", "before": True, "after": False} in events[1]["fields"]
    text = CliRunner().invoke(cli, ["-C", str(runner), "history", "--member", "1016"]).output
    assert "dropped in review by Rita Reviewer" in text


def test_dropped_entity_is_proposed_again_when_the_hris_changes_it(runner, tmp_path):
    run_sync(runner, apply=True)
    approve(runner, "teams", REVIEWER, apply=True)
    approve(runner, "jobs", REVIEWER, apply=True)
    approve(runner, "members", REVIEWER, drop=("1027",), apply=True)
    run_sync(runner, apply=True)  # records the drop
    assert "1027" in (runner / "policies/dropped.yaml").read_text()
    assert (
        "members/1027"
        not in git.Repo(runner).commit(remote_heads(tmp_path).get("hrsync/members", "main")).message
    )
    new_export(runner, "night2.csv")  # 1027's job changes in the HRIS
    report = run_sync(runner, apply=True)
    assert (
        "members/1027" in git.Repo(runner).commit(remote_heads(tmp_path)["hrsync/members"]).message
    )
    assert "1 proposed again" in report.main_commits[0]
    assert "1027" not in (runner / "policies/dropped.yaml").read_text()


def test_a_reviewer_edit_on_an_open_branch_survives_the_rebuild(runner, tmp_path):
    run_sync(runner, ("jobs",), apply=True)
    clone = reviewer_clone(tmp_path)
    clone.git.checkout("-q", "-b", "hrsync/jobs", "origin/hrsync/jobs")
    clone.git.rm("-q", "state/jobs/J13.yaml")
    clone.git.commit("-qm", "J13 is not a real job")
    clone.git.push("-q", "origin", "hrsync/jobs")
    report = run_sync(runner, ("jobs",), apply=True)
    assert [d.id for d in report.drops] == ["J13"]
    branch = git.Repo(runner).commit(remote_heads(tmp_path)["hrsync/jobs"])
    assert "jobs/J13" not in branch.message and "jobs/J12" in branch.message
    assert "J13" not in git.Repo(runner).git.ls_tree("-r", "--name-only", branch.hexsha)
