"""A new state repository, from `hrsync init --forge github …` to a green `hrsync doctor`,
against the test doubles: a bare git remote, the loopback GitHub API, a real scim2-server and
the Personio fake. Then each broken thing turns doctor red with its own line and fix."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from urllib.parse import urlparse

import git
import pytest
import yaml
from click.testing import CliRunner

from reconciler.cli.main import cli
from tests.fakes import personio_server
from tests.fakes.loopback import stop
from tests.fakes.scim_server import start_scim_server
from tests.gitops.github_server import FakeGitHub

REPOSITORY = "northwind/people"


class RepoGitHub(FakeGitHub):
    """The GitHub double plus `GET /repos/{owner}/{repo}` as GitHub answers it to a user's
    token: the repository with the token's `permissions` (and a classic token's scopes)."""

    def __init__(self, *, push: bool = True, scopes: str | None = None, **kwargs):
        self.push = push
        self.scopes = scopes
        super().__init__(**kwargs)

    def _handler(self):
        fake = self

        class Handler(super()._handler()):
            def do_GET(self):
                if urlparse(self.path).path != f"/api/v3/repos/{fake.repository}":
                    return super().do_GET()
                fake.requests.append(("GET", urlparse(self.path).path))
                if self.headers.get("Authorization") != f"Bearer {fake.token}":
                    return self._send(401, {"message": "Bad credentials"})
                permissions = {"admin": False, "maintain": False, "push": fake.push}
                permissions.update(triage=True, pull=True)
                headers = {} if fake.scopes is None else {"X-OAuth-Scopes": fake.scopes}
                body = {"id": 1, "full_name": fake.repository, "private": True}
                body.update(archived=False, permissions=permissions)
                return self._send(200, body, headers)

        return Handler


@pytest.fixture(scope="module")
def scim():
    server = start_scim_server()
    yield server
    server.stop()


@pytest.fixture
def personio():
    server, base_url = personio_server.start_personio_server(personio_server.personio_employees(5))
    yield base_url
    stop(server)


@pytest.fixture
def github():
    with RepoGitHub(repository=REPOSITORY) as fake:
        yield fake


@pytest.fixture
def env(monkeypatch, scim, github):
    """The variables a person exports before `hrsync doctor`; not in CI."""
    for name in ("CI", "GITHUB_ACTIONS", "GITHUB_REPOSITORY"):
        monkeypatch.delenv(name, raising=False)
    for name, value in personio_server.ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("SCIM_TOKEN", scim.token)
    monkeypatch.setenv("GITHUB_TOKEN", github.token)
    return monkeypatch


def hrsync(*args: str, code: int = 0) -> str:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result.output


def doctor(root: Path, code: int) -> dict[str, dict]:
    """`hrsync doctor --format json`: the checks by name."""
    report = json.loads(hrsync("-C", str(root), "doctor", "--format", "json", code=code))
    assert report["ok"] is (code == 0)
    return {check["name"]: check for check in report["checks"]}


def edit_config(root: Path, **blocks: dict) -> None:
    """Change keys of hrsync.yaml's blocks, as a person would edit them."""
    path = root / "hrsync.yaml"
    config = yaml.safe_load(path.read_text())
    for block, values in blocks.items():
        config[block] = {**config[block], **values}
    path.write_text(yaml.safe_dump(config, sort_keys=False))


@pytest.fixture
def people(tmp_path, env, scim, personio, github) -> Path:
    """`hrsync init` for GitHub and a SCIM platform, then what its next steps say: point the
    HRIS at (fake) Personio, the forge at (fake) GitHub, commit, push main."""
    remote = tmp_path / "people.git"
    git.Repo.init(remote, bare=True, initial_branch="main")
    root = tmp_path / "people"
    out = hrsync(
        "init",
        str(root),
        "--source",
        "personio",
        "--forge",
        "github",
        "--repository",
        REPOSITORY,
        "--remote",
        str(remote),
        "--target",
        "scim",
        "--base-url",
        scim.url,
    )
    assert f"forge: github {REPOSITORY}" in out and "target: scim" in out
    steps = out.split("Next:\n", 1)[1]
    assert "remote add" not in steps  # --remote added it
    assert f"git -C {root} push -u origin main" in steps
    assert "PERSONIO_CLIENT_ID, PERSONIO_CLIENT_SECRET, SCIM_TOKEN" in steps
    assert "Allow GitHub Actions to create and approve pull requests" in steps
    assert "! " not in steps  # nothing CI cannot serve
    repo = git.Repo(root)
    assert not repo.is_dirty(untracked_files=True)
    assert repo.remotes.origin.url == str(remote)
    workflows = sorted(p.name for p in (root / ".github/workflows").iterdir())
    assert workflows == [
        "hrsync-apply.yml",
        "hrsync-plan.yml",
        "hrsync-sync-jobs.yml",
        "hrsync-sync-members.yml",
        "hrsync-sync-teams.yml",
    ]

    before_push = doctor(root, 1)
    assert before_push["main branch"]["status"] == "error"
    assert before_push["main branch"]["fix"] == "push it once with `git push -u origin main`"

    edit_config(root, source={"base_url": personio}, forge={"api_url": github.url})
    repo.git.commit("-qam", "Personio and GitHub of Northwind")
    repo.git.push("-q", "-u", "origin", "main")
    return root


def test_init_then_doctor_is_green(people):
    out = hrsync("-C", str(people), "doctor")
    assert "All 9 checks pass" in out
    checks = doctor(people, 0)
    assert {name: check["status"] for name, check in checks.items()} == {
        "configuration": "ok",
        "git remote": "ok",
        "main branch": "ok",
        "platform kept": "ok",
        "variables": "ok",
        "forge": "ok",
        "HRIS": "ok",
        "platform": "ok",
        "workflows": "ok",
    }
    assert "may push to northwind/people" in checks["forge"]["detail"]
    assert "POST /v1/auth accepted" in checks["HRIS"]["detail"]
    assert "answers with the token" in checks["platform"]["detail"]


def test_the_generated_workflows_are_valid_github_workflows(people):
    files = sorted(str(p) for p in (people / ".github/workflows").iterdir())
    done = subprocess.run(
        ["check-jsonschema", "--builtin-schema", "vendor.github-workflows", *files],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_wrong_hris_secret_is_named(people, env):
    env.setenv("PERSONIO_CLIENT_SECRET", "papi-secret-WRONG")
    checks = doctor(people, 1)
    assert checks["HRIS"]["status"] == "error"
    assert "Personio: authentication failed (HTTP 401)" in checks["HRIS"]["detail"]
    assert "PERSONIO_CLIENT_SECRET" in checks["HRIS"]["detail"]
    assert "papi-secret-WRONG" not in json.dumps(checks)
    assert [n for n, c in checks.items() if c["status"] == "error"] == ["HRIS"]


def test_a_missing_variable_is_named_and_its_checks_wait(people, env):
    env.delenv("SCIM_TOKEN")
    checks = doctor(people, 1)
    assert checks["variables"]["status"] == "error"
    assert checks["variables"]["detail"].startswith("not set: SCIM_TOKEN (set: ")
    assert checks["platform"] == {
        "name": "platform",
        "status": "skip",
        "detail": "scim: needs SCIM_TOKEN",
        "fix": None,
    }


def test_a_github_token_that_cannot_push_is_an_error(people, github):
    github.push = False
    forge = doctor(people, 1)["forge"]
    assert forge["status"] == "error"
    assert "may read northwind/people but not push" in forge["detail"]
    assert "Pull requests: read and write" in forge["fix"]


def test_a_github_token_that_is_refused_is_an_error(people, env):
    env.setenv("GITHUB_TOKEN", "ghp_revoked")
    forge = doctor(people, 1)["forge"]
    assert forge["detail"] == "github: the token in GITHUB_TOKEN is not accepted (HTTP 401)"
    assert "ghp_revoked" not in json.dumps(forge)


def test_a_classic_token_without_the_repo_scope_is_an_error(people, github):
    github.scopes = "read:org, workflow"
    forge = doctor(people, 1)["forge"]
    assert "lacks the repo scope (has: read:org, workflow)" in forge["detail"]


def test_a_wrong_scim_token_and_an_unreachable_provider_are_errors(people, env, scim):
    env.setenv("SCIM_TOKEN", "not-the-token")
    platform = doctor(people, 1)["platform"]
    assert "scim: access denied (HTTP 401)" in platform["detail"]
    assert "check the token in SCIM_TOKEN" in platform["detail"]
    env.setenv("SCIM_TOKEN", scim.token)
    edit_config(people, target={"base_url": "http://127.0.0.1:9/scim/v2"})
    platform = doctor(people, 1)["platform"]
    assert platform["status"] == "error" and "ConnectError" in platform["detail"]


def test_without_a_remote_doctor_says_how_to_push(people):
    git.Repo(people).delete_remote("origin")
    checks = doctor(people, 1)
    assert checks["git remote"]["detail"].startswith("no git remote named 'origin'")
    fix = checks["git remote"]["fix"]
    assert "`git remote add origin URL` and `git push -u origin main`" in fix
    assert checks["main branch"]["status"] == "skip"


def test_the_embedded_database_in_ci_is_an_error(people, env):
    path = people / "hrsync.yaml"
    path.write_text(path.read_text().replace("type: scim", "type: sqlite"))
    env.setenv("CI", "true")
    out = hrsync("-C", str(people), "doctor", code=1)
    assert "ERROR  platform kept" in out
    assert "every CI run starts from an empty one" in out
    assert "fix: use target: scim" in out
    assert "1 check failed" in out or "checks failed" in out


def test_init_without_options_still_makes_a_local_repository(tmp_path):
    out = hrsync("init", str(tmp_path / "solo"))
    assert "forge: local" in out and "target: sqlite" in out
    assert f"git -C {tmp_path / 'solo'} remote add origin URL" in out
    assert not (tmp_path / "solo/.github").exists()


@pytest.mark.parametrize(
    "args, message",
    [
        (["--forge", "github"], "--forge github needs --repository OWNER/NAME"),
        (["--repository", "not a repo"], "--forge github needs --repository OWNER/NAME"),
        (["--target", "scim"], "--target scim needs --base-url"),
        (["--base-url", "ftp://x"], "--target scim needs --base-url"),
        (["--forge", "local", "--repository", "a/b"], "--repository is the GitHub repository"),
        (["--remote", "--upload-pack=x"], "is not a git URL"),
    ],
)
def test_init_refuses_options_that_do_not_fit(tmp_path, args, message):
    out = hrsync("init", str(tmp_path / "x"), *args, code=1)
    assert message in out
    assert not (tmp_path / "x").exists()


def test_init_for_github_with_the_embedded_database_warns_in_its_steps(tmp_path):
    out = hrsync("init", str(tmp_path / "p"), "--repository", REPOSITORY)
    assert "  ! target: sqlite is the embedded database" in out
    assert "https://github.com/northwind/people.git" in out
