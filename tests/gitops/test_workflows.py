"""Generated workflows: valid for GitHub (check-jsonschema), safe, and in step with the policy."""

from __future__ import annotations

import re
import subprocess

import git
import yaml
from click.testing import CliRunner

from reconciler import operations as ops
from reconciler.cli.main import cli
from reconciler.gitops.workflows import (
    PINNED_ACTIONS,
    WORKFLOW_DIR,
    install_spec,
    workflow_problems,
    write_workflows,
)


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


SHA_PINNED = re.compile(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}")


def _personio_scim_github(root):
    """A deployment with secrets in every block: an HRIS, a platform, an app token."""
    config = root / "hrsync.yaml"
    text = re.sub(
        r"^source:\n(  .*\n)+", "source: {type: personio}\n", config.read_text(), flags=re.M
    )
    text = re.sub(
        r"^target:\n(  .*\n)+",
        "target: {type: scim, base_url: 'https://people.example/scim/v2'}\n",
        text,
        flags=re.M,
    )
    text = text.replace("type: local ", "type: github\n  token_env: HRSYNC_APP_TOKEN #")
    config.write_text(text)


def test_every_action_is_pinned_to_a_commit_with_its_tag_in_a_comment(runner):
    _personio_scim_github(runner)
    for path in write_workflows(ops.Repo.open(runner)):
        text = path.read_text()
        uses = re.findall(r"^\s*- uses: (.*)$", text, flags=re.M)
        assert len(uses) == 2, path.name
        for line in uses:
            action, _, comment = line.partition(" # ")
            assert SHA_PINNED.fullmatch(action), line
            assert re.fullmatch(r"v\d+\.\d+\.\d+", comment), line
        assert [u.partition(" # ")[0] for u in uses] == [
            a.partition(" # ")[0] for a in PINNED_ACTIONS
        ]


def test_each_secret_reaches_only_the_jobs_that_read_it(runner):
    _personio_scim_github(runner)
    write_workflows(ops.Repo.open(runner))
    hris = {"PERSONIO_CLIENT_ID", "PERSONIO_CLIENT_SECRET"}
    expected = {
        "hrsync-sync-members.yml": hris | {"SCIM_TOKEN", "HRSYNC_APP_TOKEN"},
        "hrsync-plan.yml": {"SCIM_TOKEN", "HRSYNC_APP_TOKEN"},  # no HRIS secret
        "hrsync-apply.yml": {"SCIM_TOKEN"},
    }
    for name, secrets in expected.items():
        text = (runner / WORKFLOW_DIR / name).read_text()
        (job,) = yaml.safe_load(text)["jobs"].values()
        used = set(re.findall(r"secrets\.(\w+)", text))
        assert used == secrets, name
        run_step_env = set()
        for step in job["steps"]:
            for key, value in step.get("env", {}).items():
                if "secrets." in value:
                    assert value == f"${{{{ secrets.{key} }}}}"
                    run_step_env.add(key)
        # the app token also reaches checkout (to push), the rest only the hrsync step
        assert run_step_env == secrets, name


def test_hrsync_is_installed_at_one_exact_version(runner, monkeypatch):
    from importlib import metadata

    _github(runner)
    repo = ops.Repo.open(runner)
    assert install_spec(repo.config) == f"hrsync=={metadata.version('hrsync')}"
    write_workflows(repo)
    text = (runner / WORKFLOW_DIR / "hrsync-sync-teams.yml").read_text()
    assert f"run: python -m pip install 'hrsync=={metadata.version('hrsync')}'" in text
    config = runner / "hrsync.yaml"
    config.write_text(config.read_text() + "  version: 1.2.3\n")
    assert install_spec(ops.Repo.open(runner).config) == "hrsync==1.2.3"
    config.write_text(config.read_text() + "  install: git+https://example.invalid/hrsync@abc\n")
    assert install_spec(ops.Repo.open(runner).config) == "git+https://example.invalid/hrsync@abc"


def test_the_embedded_database_and_no_forge_are_written_with_a_loud_warning(runner, caplog):
    written = write_workflows(ops.Repo.open(runner))
    assert len(written) == 5
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 2
    assert warnings[0].startswith("target: sqlite is the embedded database")
    assert "every CI run starts from an empty one" in warnings[0]
    assert warnings[1].startswith("forge: local opens no pull requests")


def _hourly(root, cron: str = "17 * * * *") -> None:
    """Add an incremental schedule to the policy."""
    policy = root / "policies/sync.yaml"
    members = '  members: "40 22 * * *"\n'
    text = policy.read_text().replace(members, f'{members}  incremental: "{cron}"\n')
    assert f'incremental: "{cron}"' in text
    policy.write_text(text)


def test_an_hourly_incremental_run_is_written_only_when_the_policy_sets_it(runner):
    _personio_scim_github(runner)
    names = {p.name for p in write_workflows(ops.Repo.open(runner))}
    assert "hrsync-sync-incremental.yml" not in names
    _hourly(runner)
    written = write_workflows(ops.Repo.open(runner))
    assert [p.name for p in written] == ["hrsync-sync-incremental.yml"]
    result = subprocess.run(
        ["check-jsonschema", "--builtin-schema", "vendor.github-workflows", str(written[0])],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    text = written[0].read_text()
    data = yaml.safe_load(text)
    assert data[True]["schedule"] == [{"cron": "17 * * * *"}]
    assert data["concurrency"] == {"group": "hrsync-state", "cancel-in-progress": False}
    (job,) = data["jobs"].values()
    assert job["steps"][-1]["run"] == "hrsync sync --incremental"
    # SHA-pinned like the others; the secrets of a sync and no more.
    uses = re.findall(r"^\s*- uses: (.*)$", text, flags=re.M)
    assert [u.partition(" # ")[0] for u in uses] == [a.partition(" # ")[0] for a in PINNED_ACTIONS]
    assert set(re.findall(r"secrets\.(\w+)", text)) == {
        "PERSONIO_CLIENT_ID",
        "PERSONIO_CLIENT_SECRET",
        "SCIM_TOKEN",
        "HRSYNC_APP_TOKEN",
    }
    repo = ops.Repo.open(runner)
    assert workflow_problems(repo) == []
    # Unset again: validate names the workflow left behind.
    policy = runner / "policies/sync.yaml"
    policy.write_text(policy.read_text().replace('  incremental: "17 * * * *"', ""))
    problems = workflow_problems(ops.Repo.open(runner))
    assert [p.path for p in problems] == [f"{WORKFLOW_DIR}/hrsync-sync-incremental.yml"]
    assert "schedule.incremental" in problems[0].message


def test_an_incremental_schedule_github_would_not_run_is_refused(runner):
    _hourly(runner, "every hour")
    result = CliRunner().invoke(cli, ["-C", str(runner), "validate"])
    assert result.exit_code == 1
    assert "schedule.incremental" in result.output
