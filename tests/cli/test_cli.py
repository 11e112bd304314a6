"""Every command through click's CliRunner (and the installed script): output people read is
snapshot-tested; exit codes are 0 fine, 1 error, 2 changes pending, 64 usage (see
test_exit_codes.py)."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
from click.testing import CliRunner

from reconciler.cli.main import cli
from tests.conftest import commit_all, rows_with, set_export


def run(root, *args, code=0):
    result = CliRunner().invoke(cli, ["-C", str(root), *args], catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result.output


@pytest.fixture
def approved(company):
    run(company, "propose", "--write", "all")
    commit_all(company)
    return company


def test_propose_text_markdown_json(company, snapshot):
    assert run(company, "propose") == snapshot(name="text")
    assert run(company, "propose", "--format", "markdown") == snapshot(name="markdown")
    # -q: the JSON alone, without the fetch's progress line on stderr
    data = json.loads(run(company, "-q", "propose", "--format", "json"))
    assert data["summary"]["members"] == {"import": 6, "sync": 0, "cleanup": 0}
    assert not (company / "state/members/1.yaml").exists()  # nothing written without --write


def test_propose_write_then_plan_apply_show(approved, snapshot):
    assert (approved / "state/members/3.yaml").read_text() == snapshot(name="member-file")
    assert run(approved, "validate").startswith("OK: 6 members, 3 teams, 5 jobs")
    assert run(approved, "plan") == snapshot(name="plan-text")
    assert run(approved, "plan", "--format", "markdown") == snapshot(name="plan-markdown")
    run(approved, "plan", "--detailed-exitcode", code=2)
    out = run(approved, "apply", "--auto-approve")
    assert out.endswith("Applied 14 change(s).\n")
    run(approved, "plan", "--detailed-exitcode", code=0)
    assert run(approved, "show") == snapshot(name="show-text")
    shown = json.loads(run(approved, "show", "--format", "json"))
    assert [m["id"] for m in shown["members"]] == ["1", "2", "3", "4", "5", "6"]


def test_second_snapshot_changes_are_proposed_planned_and_applied(approved, snapshot):
    run(approved, "apply", "--auto-approve")
    set_export(
        approved,
        rows_with(
            {
                "4": {"status": "inactive"},
                "5": {"department": "Sales & Partnerships"},
                "6": {"department": "Sales & Partnerships"},
            },
            extra=[
                [
                    "7",
                    "Gi",
                    "New",
                    "gi@acme.example",
                    "active",
                    "D2",
                    "Engineering",
                    "D1",
                    "J3",
                    "Engineer",
                    "2",
                    "2026-11-01",
                    "",
                    "1",
                    "2",
                    "3",
                ]
            ],
        ),
    )
    assert run(approved, "propose", "--write", "all") == snapshot(name="proposal")
    commit_all(approved)
    assert run(approved, "plan") == snapshot(name="plan")
    run(approved, "apply", "--auto-approve")
    run(approved, "plan", "--detailed-exitcode")


def test_apply_on_a_pipe_needs_auto_approve_and_changes_nothing(approved):
    result = CliRunner().invoke(cli, ["-C", str(approved), "apply"])
    assert result.exit_code == 1 and "pass --auto-approve" in result.output
    assert "Traceback" not in result.output
    assert json.loads(run(approved, "show", "--format", "json"))["members"] == []


def test_a_saved_plan_is_refused_once_state_or_platform_moved(approved, tmp_path):
    plan_file = tmp_path / "plan.json"
    run(approved, "plan", "--out", str(plan_file))
    run(approved, "apply", str(plan_file), "--auto-approve")
    out = run(approved, "apply", str(plan_file), "--auto-approve", code=1)
    assert "the saved plan no longer matches the platform" in out


def test_max_deletes_is_enforced_and_can_be_raised(approved):
    run(approved, "apply", "--auto-approve")
    set_export(approved, rows_with({}, drop=("3", "4", "6")))
    run(approved, "propose", "--write", "all")
    commit_all(approved)
    out = run(approved, "apply", "--auto-approve", "--max-deletes", "2", code=1)
    assert "apply would delete 5 entities (3 members of 6 managed) but --max-deletes is 2" in out
    assert len(json.loads(run(approved, "show", "--format", "json"))["members"]) == 6
    run(approved, "apply", "--auto-approve", "--max-deletes", "5")
    assert len(json.loads(run(approved, "show", "--format", "json"))["members"]) == 3


def test_invalid_state_stops_with_file_and_line_and_changes_nothing(approved):
    path = approved / "state/members/3.yaml"
    path.write_text(path.read_text().replace("team: D2", "team: D9"))
    commit_all(approved, "a hand edit on main")
    before = sorted(p.name for p in (approved / ".hrsync").glob("*.db"))
    for command in (["validate"], ["plan"], ["apply", "--auto-approve"]):
        out = run(approved, *command, code=1)
        assert 'Error: Invalid member "3", state/members/3.yaml, line 7' in out
        assert "team: unknown team 'D9'" in out
    assert sorted(p.name for p in (approved / ".hrsync").glob("*.db")) == before


def test_link_adopts_a_hand_made_account(approved):
    from reconciler.targets.sqlite import SqlitePlatform

    platform = SqlitePlatform(approved / ".hrsync/platform.db", writable=True)
    platform.add_member_by_hand("cy@acme.example", "Cy", "Handmade")
    platform.close()
    out = run(approved, "plan")
    assert "member 3 (cy@acme.example) is not created" in out
    assert run(approved, "link", "--email", "cy@acme.example") == (
        "linked cy@acme.example → member 3\n"
    )
    assert "~ update     member 3 (cy@acme.example)" in run(approved, "plan")
    assert "no hand-made account" in run(approved, "link", "--email", "zz@acme.example", code=1)
    run(approved, "link", code=64)


def test_bad_policy_is_named_with_its_line(approved):
    path = approved / "policies/sync.yaml"
    path.write_text(path.read_text().replace("members: {import: manual", "members: {import: sure"))
    out = run(approved, "plan", code=1)
    assert "policies/sync.yaml, line 7" in out and "'sure' is not one of" in out


def test_outside_a_repository_the_error_says_how_to_start(tmp_path):
    out = run(tmp_path, "plan", code=1)
    assert "no hrsync.yaml" in out and "hrsync init DIR" in out


@pytest.mark.parametrize(
    "command", ["init", "fetch", "propose", "validate", "plan", "apply", "show", "link", "demo"]
)
def test_every_command_has_help(command):
    result = CliRunner().invoke(cli, [command, "--help"])
    assert result.exit_code == 0 and len(result.output.splitlines()) > 4


def test_the_installed_script_runs(approved):
    exe = shutil.which("hrsync")
    assert exe, "hrsync is not installed (pip install -e .)"
    done = subprocess.run(
        [exe, "-C", str(approved), "plan", "--detailed-exitcode"], capture_output=True, text=True
    )
    assert done.returncode == 2 and "Plan: 14 to create" in done.stdout
    done = subprocess.run([exe, "-C", str(approved.parent), "plan"], capture_output=True, text=True)
    assert done.returncode == 1 and done.stderr.startswith("Error: ")
    assert "Traceback" not in done.stderr


def test_fetch_writes_a_snapshot_that_propose_can_use(company, tmp_path):
    out_file = tmp_path / "snap.json"
    run(company, "fetch", "-o", str(out_file))
    assert "salary" not in out_file.read_text()
    run(company, "propose", "--snapshot", str(out_file), "--write", "all")
    assert (company / "state/members/6.yaml").exists()


def test_init_scaffolds_a_committed_repository(tmp_path):
    import git

    root = tmp_path / "people"
    out = CliRunner().invoke(cli, ["init", str(root), "--source", "personio"]).output
    assert "Initialised" in out
    for path in (
        "hrsync.yaml",
        "policies/sync.yaml",
        "policies/exclude.yaml",
        "schemas/member.schema.json",
        ".gitignore",
        "state/members/.gitkeep",
    ):
        assert (root / path).exists(), path
    assert "type: personio" in (root / "hrsync.yaml").read_text()
    assert "PERSONIO_CLIENT_SECRET" in (root / "hrsync.yaml").read_text()
    repo = git.Repo(root)
    assert len(list(repo.iter_commits())) == 1 and not repo.is_dirty(untracked_files=True)
    assert run(root, "validate").startswith("OK: 0 members")
    again = CliRunner().invoke(cli, ["init", str(root)])
    assert again.exit_code == 1 and "already holds an hrsync repository" in again.output


def test_this_repository_is_a_valid_example_state_repository():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    assert run(root, "validate").startswith("OK: 40 members, 7 teams, 13 jobs")
    shipped = sorted(p.name for p in (root / "schemas").glob("*.json"))
    packaged = sorted(p.name for p in (root / "reconciler/schemas").glob("*.json"))
    assert shipped == packaged and "member.schema.json" in shipped


def test_a_damaged_dropped_ledger_is_named_not_a_traceback(company):
    (company / "policies/dropped.yaml").write_text("members:\n  - id: '3'\n    digst: abc\n")
    out = run(company, "propose", code=1)
    assert "policies/dropped.yaml, line 2" in out and "'digest' is a required property" in out


def test_a_saved_plan_is_refused_once_state_changed_on_main(approved, tmp_path):
    plan_file = tmp_path / "plan.json"
    run(approved, "plan", "--out", str(plan_file))
    path = approved / "state/members/3.yaml"
    path.write_text(path.read_text().replace("first_name: Cy", "first_name: Cyrus"))
    commit_all(approved, "a rename merged after the plan was saved")
    out = run(approved, "apply", str(plan_file), "--auto-approve", code=1)
    assert "the saved plan no longer matches state/" in out
    assert json.loads(run(approved, "show", "--format", "json"))["members"] == []
