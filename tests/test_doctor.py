"""`hrsync doctor`, check by check: each vendor's credentials through one cheap call, the
variables hrsync.yaml reads (with each connector's defaults), the export, the remote, the
platform and forge a CI run needs, the workflows, and how the report reads.
(tests/test_init_github.py walks a new GitHub + SCIM repository from init to green.)"""

from __future__ import annotations

import json
import shutil
import subprocess

import git
import pytest
from click.testing import CliRunner

from reconciler.cli.main import cli
from reconciler.config import load_config
from reconciler.doctor import ERROR, OK, SKIP, WARN, Check, Report, run_checks
from reconciler.errors import HrsyncError
from reconciler.gitops.workflows import DEFAULT_ENV, write_workflows
from reconciler.operations import Repo
from reconciler.scaffold import init_repository
from reconciler.sources import open_source
from reconciler.targets import open_target
from tests.e2e.conftest import repo, running  # noqa: F401 (fixtures: each vendor's fake)
from tests.e2e.vendors import VENDORS

NOT_CI = {"PATH": "/usr/bin:/bin"}


def checks_of(root, env=None) -> dict[str, Check]:
    return {check.name: check for check in run_checks(root, NOT_CI if env is None else env).checks}


def with_remote(root, tmp_path) -> None:
    """A bare remote holding main, as `git push -u origin main` leaves it."""
    git.Repo.init(tmp_path / "remote.git", bare=True, initial_branch="main")
    repo_ = git.Repo(root)
    repo_.create_remote("origin", str(tmp_path / "remote.git"))
    repo_.git.push("-q", "-u", "origin", "main")


# -- the HRIS ------------------------------------------------------------------------------


def test_each_vendor_accepts_its_credentials_with_one_cheap_call(running, repo):  # noqa: F811
    vendor = running.vendor
    hris = checks_of(repo, dict(vendor.env))["HRIS"]
    assert hris.status == OK, hris
    assert hris.detail.startswith(f"{vendor.name}: ")


def test_each_vendor_names_the_variables_when_the_credentials_are_refused(running, repo):  # noqa: F811
    vendor = running.vendor
    env = {**vendor.env, vendor.secret_var: vendor.wrong_secret}
    hris = checks_of(repo, env)["HRIS"]
    assert hris.status == ERROR, hris
    assert vendor.secret_var in hris.detail
    assert vendor.wrong_secret not in hris.detail + (hris.fix or "")
    assert hris.fix and "permissions" in hris.fix


@pytest.mark.parametrize("name", sorted(VENDORS))
def test_the_default_variables_are_the_ones_each_connector_reads(name, tmp_path):
    """DEFAULT_ENV, which the workflows, init's next steps and doctor use, says what each
    connector reads when hrsync.yaml leaves its `*_env` keys out."""
    root = tmp_path / "company"
    init_repository(root, source=name)
    settings = {k: v for k, v in load_config(root).source.items() if not k.endswith("_env")} | {
        "base_url": "http://127.0.0.1:9"
    }
    defaults = sorted(DEFAULT_ENV[("source", name)].values())
    assert defaults == sorted(VENDORS[name].env)
    assert open_source(settings, root, env=VENDORS[name].env).name == name
    with pytest.raises(HrsyncError) as refused:
        open_source(settings, root, env={})
    assert any(variable in str(refused.value) for variable in defaults)


def test_the_default_variables_of_the_scim_target_and_the_github_forge(tmp_path, monkeypatch):
    from reconciler.gitops.github import GitHubForge

    with pytest.raises(HrsyncError, match=DEFAULT_ENV[("target", "scim")]["token_env"]):
        open_target({"type": "scim", "base_url": "http://127.0.0.1:9"}, tmp_path, env={})
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    with pytest.raises(HrsyncError, match=DEFAULT_ENV[("forge", "github")]["token_env"]):
        GitHubForge.from_config({"type": "github", "repository": "a/b"}, "main")


def test_a_missing_export_is_an_error_with_where_to_put_it(company):
    assert checks_of(company)["HRIS"].status == OK
    (company / "hris/export.csv").unlink()
    hris = checks_of(company)["HRIS"]
    assert hris.status == ERROR
    assert hris.detail == "file: the export hris/export.csv is not there"
    assert "before `hrsync sync` runs" in hris.fix


def test_an_export_tracked_in_git_is_an_error_and_one_not_ignored_a_warning(company):
    check = checks_of(company)["export kept out of git"]
    assert (check.status, check.detail) == (OK, "hris/export.csv is git-ignored")
    repo_ = git.Repo(company)
    repo_.git.add("-f", "hris/export.csv")  # as an early init or a careless `git add -f` did
    check = checks_of(company)["export kept out of git"]
    assert check.status == ERROR and "hris/export.csv: tracked in git" in check.detail
    assert "git rm --cached -r hris" in check.fix and "filter-repo" in check.fix
    repo_.git.rm("-q", "--cached", "hris/export.csv")
    (company / ".gitignore").write_text("")
    check = checks_of(company)["export kept out of git"]
    assert check.status == WARN and "not git-ignored" in check.detail


# -- git -----------------------------------------------------------------------------------


def test_remote_and_main(company, tmp_path):
    checks = checks_of(company)
    assert checks["git remote"].status == ERROR and checks["main branch"].status == SKIP
    git.Repo.init(tmp_path / "remote.git", bare=True, initial_branch="main")
    git.Repo(company).create_remote("origin", str(tmp_path / "remote.git"))
    checks = checks_of(company)
    assert checks["git remote"].status == OK
    assert checks["main branch"].detail == (
        "the remote 'origin' has no branch 'main': push it once with `git push -u origin main`"
    )
    git.Repo(company).git.push("-q", "origin", "main")
    assert checks_of(company)["main branch"].status == OK


def test_a_remote_that_does_not_answer_is_named_without_its_credentials(company):
    url = "http://hrsync-bot:s3cret-token@127.0.0.1:9/northwind/people.git"
    git.Repo(company).create_remote("origin", url)
    remote = checks_of(company)["git remote"]
    assert remote.status == ERROR
    assert "origin (http://127.0.0.1:9/northwind/people.git) does not answer" in remote.detail
    assert "s3cret" not in remote.detail + remote.fix


# -- what CI needs -------------------------------------------------------------------------


def test_the_embedded_database_is_fine_here_and_an_error_in_ci(company, tmp_path):
    with_remote(company, tmp_path)
    assert checks_of(company)["platform kept"].status == OK
    for ci in ({"CI": "true"}, {"GITHUB_ACTIONS": "true"}):
        kept = checks_of(company, ci)["platform kept"]
        assert kept.status == ERROR
        assert "every CI run starts from an empty one" in kept.detail
        assert kept.fix.startswith("use target: scim")


def test_workflows_in_a_repository_make_sqlite_and_forge_local_errors(company, caplog):
    assert checks_of(company)["forge"].status == SKIP
    write_workflows(Repo.open(company))
    assert "target: sqlite is the embedded database" in caplog.text
    assert "forge: local opens no pull requests" in caplog.text
    checks = checks_of(company)
    assert checks["platform kept"].status == ERROR
    assert ".github/workflows runs hrsync in CI" in checks["platform kept"].detail
    assert checks["forge"].status == ERROR
    assert "no pull request is opened" in checks["forge"].detail


def test_workflows_missing_is_an_error_and_stale_a_warning(company, monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", "t")
    config = company / "hrsync.yaml"
    config.write_text(
        config.read_text().replace("type: local ", "type: github\n  repository: a/b\n  #")
    )
    workflows = checks_of(company)["workflows"]
    assert workflows.status == ERROR and "missing; run `hrsync workflows`" in workflows.detail
    write_workflows(Repo.open(company))
    assert checks_of(company)["workflows"].status == OK
    config.write_text(config.read_text() + "  version: 0.0.1\n")
    workflows = checks_of(company)["workflows"]
    assert workflows.status == WARN and "5 file(s) differ" in workflows.detail


def test_variables_are_checked_by_name_only(company):
    config = company / "hrsync.yaml"
    config.write_text(
        config.read_text().replace(
            "type: sqlite", "type: scim\n  base_url: http://127.0.0.1:9/scim/v2\n  #"
        )
    )
    variables = checks_of(company, {"SCIM_TOKEN": ""})["variables"]
    assert (variables.status, variables.detail) == (ERROR, "not set: SCIM_TOKEN")
    assert checks_of(company, {"SCIM_TOKEN": "tok-123"})["variables"].detail == "set: SCIM_TOKEN"


def test_a_broken_configuration_is_the_one_check_reported(company):
    (company / "policies/sync.yaml").write_text("members: {import: sure}\n")
    report = run_checks(company, NOT_CI)
    assert [c.name for c in report.checks] == ["configuration"]
    assert report.checks[0].status == ERROR and "policies/sync.yaml" in report.checks[0].detail


# -- the report ----------------------------------------------------------------------------


def test_the_text_report_lists_each_check_and_its_fix(tmp_path):
    report = Report(
        tmp_path,
        (
            Check("git remote", OK, "origin → x"),
            Check("variables", ERROR, "not set: A", "export A"),
            Check("forge", WARN, "cannot tell", "look"),
            Check("platform", SKIP, "on this machine", "never shown"),
        ),
    )
    assert report.text().splitlines() == [
        f"hrsync doctor: {tmp_path}",
        "",
        "  ok     git remote  origin → x",
        "  ERROR  variables   not set: A",
        "                     fix: export A",
        "  warn   forge       cannot tell",
        "                     fix: look",
        "  skip   platform    on this machine",
        "",
        "1 check failed: fix it and run `hrsync doctor` again.",
    ]
    assert not report.ok and report.data()["checks"][1]["fix"] == "export A"


def test_doctor_through_the_installed_script(company, tmp_path):
    with_remote(company, tmp_path)
    exe = shutil.which("hrsync")
    assert exe, "hrsync is not installed (pip install -e .)"
    env = {"PATH": "/usr/bin:/bin:" + str(shutil.which("git")).rsplit("/", 1)[0]}
    done = subprocess.run(
        [exe, "-C", str(company), "doctor", "--format", "json"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads(done.stdout)["ok"] is True
    done = subprocess.run(
        [exe, "-C", str(company), "doctor"], capture_output=True, text=True, env={**env, "CI": "1"}
    )
    assert done.returncode == 1 and "ERROR  platform kept" in done.stdout
    assert "Traceback" not in done.stderr


def test_doctor_has_help():
    result = CliRunner().invoke(cli, ["doctor", "--help"])
    assert result.exit_code == 0 and "--format" in result.output
