"""Generated workflows: valid for GitHub (check-jsonschema), safe, and in step with the policy."""

from __future__ import annotations

import subprocess

import git
import yaml
from click.testing import CliRunner

from reconciler import operations as ops
from reconciler.cli.main import cli
from reconciler.gitops.workflows import WORKFLOW_DIR, workflow_problems, write_workflows


def _github(root):
    config = root / "hrsync.yaml"
    config.write_text(
        config.read_text().replace("type: local ", "type: github\n  token_env: HRSYNC_APP_TOKEN #")
    )


def test_workflows_pass_the_github_workflow_schema(runner):
    written = write_workflows(ops.Repo.open(runner))
    assert len(written) == 5
    result = subprocess.run(
        ["check-jsonschema", "--builtin-schema", "vendor.github-workflows", *map(str, written)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_workflows_are_least_privilege_and_never_interpolate_event_text(runner):
    _github(runner)
    for path in write_workflows(ops.Repo.open(runner)):
        text = path.read_text()
        data = yaml.safe_load(text)
        assert data["permissions"] == {}
        for job in data["jobs"].values():
            assert set(job["permissions"]) <= {"contents", "pull-requests"}
            for step in job["steps"]:
                assert "${{" not in step.get("run", ""), (path.name, step)
                with_secrets = [k for k, v in step.get("with", {}).items() if "secrets." in str(v)]
                assert with_secrets in ([], ["token"])  # only actions/checkout's own input
        assert text.count("secrets.") == sum(
            str(step.get("env", {})).count("secrets.") + str(step.get("with", {})).count("secrets.")
            for job in data["jobs"].values()
            for step in job["steps"]
        )
    sync = yaml.safe_load((runner / WORKFLOW_DIR / "hrsync-sync-members.yml").read_text())
    assert sync["concurrency"] == {"group": "hrsync-state", "cancel-in-progress": False}
    apply = yaml.safe_load((runner / WORKFLOW_DIR / "hrsync-apply.yml").read_text())
    assert apply["concurrency"]["group"] == "hrsync-state"
    assert apply["jobs"]["apply"]["permissions"] == {"contents": "read"}
    step = sync["jobs"]["sync"]["steps"][-1]
    assert step["env"]["HRSYNC_APP_TOKEN"] == "${{ secrets.HRSYNC_APP_TOKEN }}"
    assert sync["jobs"]["sync"]["steps"][0]["with"]["token"] == "${{ secrets.HRSYNC_APP_TOKEN }}"


def test_validate_fails_when_a_schedule_disagrees_with_the_policy(runner):
    _github(runner)
    repo = ops.Repo.open(runner)
    assert [p.path for p in workflow_problems(repo)] == [
        f"{WORKFLOW_DIR}/hrsync-sync-{k}.yml" for k in ("teams", "jobs", "members")
    ] + [f"{WORKFLOW_DIR}/hrsync-plan.yml", f"{WORKFLOW_DIR}/hrsync-apply.yml"]
    write_workflows(repo)
    assert workflow_problems(repo) == []
    assert CliRunner().invoke(cli, ["-C", str(runner), "validate"]).exit_code == 0
    policy = runner / "policies/sync.yaml"
    policy.write_text(policy.read_text().replace('members: "40 22 * * *"', 'members: "5 3 * * 1"'))
    result = CliRunner().invoke(cli, ["-C", str(runner), "validate"])
    assert result.exit_code == 1
    assert "hrsync-sync-members.yml, line 5" in result.output
    assert "'5 3 * * 1'" in result.output
    assert CliRunner().invoke(cli, ["-C", str(runner), "workflows", "--check"]).exit_code == 1
    assert CliRunner().invoke(cli, ["-C", str(runner), "workflows"]).exit_code == 0
    assert CliRunner().invoke(cli, ["-C", str(runner), "validate"]).exit_code == 0


def test_a_local_repository_needs_no_workflows(runner):
    assert workflow_problems(ops.Repo.open(runner)) == []
    assert git.Repo(runner).is_dirty() is False
