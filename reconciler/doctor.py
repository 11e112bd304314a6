"""`hrsync doctor`: can this deployment work? One check per thing a night needs, each with how
to fix what fails.

The checks, in the order a night meets them: the configuration; the git remote and its main;
a platform that keeps its data between CI runs; every environment variable hrsync.yaml names
(names only: a value is never read beyond "set or not"); the forge token; the HRIS
credentials (one cheap authenticated call per vendor, through the source's own client); the
SCIM provider's discovery endpoints; the workflows. Nothing is written anywhere.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import git
import httpx

from reconciler import operations as ops
from reconciler.config import Config
from reconciler.errors import HrsyncError
from reconciler.gitops.commits import GitSettings
from reconciler.gitops.workflows import (
    WORKFLOW_DIR,
    block_env,
    config_env,
    stale_workflows,
    workflow_problems,
)
from reconciler.scaffold import missing_main_line, push_first_fix, push_main_fix

OK, WARN, ERROR, SKIP = "ok", "warn", "error", "skip"
GIT_TIMEOUT = 60  # seconds for `git ls-remote`; a remote that does not answer is a failed check


@dataclass(frozen=True)
class Check:
    name: str
    status: str  # ok | warn | error | skip
    detail: str
    fix: str | None = None

    def data(self) -> dict:
        return {"name": self.name, "status": self.status, "detail": self.detail, "fix": self.fix}


@dataclass(frozen=True)
class Report:
    root: Path
    checks: tuple[Check, ...]

    @property
    def ok(self) -> bool:
        return all(check.status != ERROR for check in self.checks)

    @property
    def errors(self) -> list[Check]:
        return [check for check in self.checks if check.status == ERROR]

    def data(self) -> dict:
        return {"ok": self.ok, "root": str(self.root), "checks": [c.data() for c in self.checks]}

    def text(self) -> str:
        width = max(len(check.name) for check in self.checks)
        lines = [f"hrsync doctor: {self.root}", ""]
        for check in self.checks:
            label = "ERROR" if check.status == ERROR else check.status
            lines.append(f"  {label:5}  {check.name:{width}}  {check.detail}")
            if check.fix and check.status in (ERROR, WARN):
                lines.append(f"  {'':5}  {'':{width}}  fix: {check.fix}")
        lines.append("")
        if self.ok:
            lines.append(f"All {len(self.checks)} checks pass: this deployment can run.")
        else:
            count = len(self.errors)
            lines.append(
                f"{count} check{'s' if count > 1 else ''} failed: fix "
                f"{'them' if count > 1 else 'it'} and run `hrsync doctor` again."
            )
        return "\n".join(lines) + "\n"


def run_checks(root: Path, env: Mapping[str, str] | None = None) -> Report:
    """Every check, none stopping the others (except a configuration that cannot be read)."""
    env = os.environ if env is None else env
    try:
        repo = ops.Repo.open(root)
        state = repo.state()
    except HrsyncError as exc:
        return Report(root, (Check("configuration", ERROR, _first_lines(str(exc))),))
    settings = GitSettings.from_config(repo.config.git)
    workflows = _has_workflows(root)
    missing = [name for name in config_env(repo.config) if not env.get(name)]
    checks = [
        Check(
            "configuration",
            OK,
            f"hrsync.yaml, policies and state/ are valid ({len(state.members)} members, "
            f"{len(state.teams)} teams, {len(state.jobs)} jobs)",
        ),
        *git_checks(root, settings),
        platform_persists(repo.config, in_ci(env), workflows),
        variables_check(repo.config, missing),
        forge_check(repo.config, settings, env, in_ci(env), workflows, missing),
        hris_check(repo.config, root, env, missing),
        platform_check(repo.config, root, env, missing),
        workflows_check(repo),
    ]
    return Report(root, tuple(checks))


def in_ci(env: Mapping[str, str]) -> bool:
    """GitHub Actions sets GITHUB_ACTIONS and CI; most other CI systems set CI."""
    return env.get("CI", "").lower() in ("true", "1") or env.get("GITHUB_ACTIONS") == "true"


def _has_workflows(root: Path) -> bool:
    folder = root / WORKFLOW_DIR
    return folder.is_dir() and any(folder.glob("hrsync-*.yml"))


# -- git ---------------------------------------------------------------------------------


def git_checks(root: Path, settings: GitSettings) -> list[Check]:
    """The remote exists and answers, and holds main."""
    remote, main = settings.remote, settings.main
    try:
        repo = git.Repo(root)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        return [
            Check("git remote", ERROR, f"{root} is not a git repository", "`hrsync init DIR`"),
            Check("main branch", SKIP, "needs a git repository"),
        ]
    if remote not in [r.name for r in repo.remotes]:
        return [
            Check(
                "git remote",
                ERROR,
                f"no git remote named {remote!r}: sync fetches and pushes through it",
                f"{push_first_fix(remote, main)} (or name another remote in hrsync.yaml "
                "git.remote)",
            ),
            Check("main branch", SKIP, "needs the remote"),
        ]
    url = without_credentials(repo.remotes[remote].url)
    try:
        listed = repo.git.ls_remote(
            "--heads",
            remote,
            f"refs/heads/{main}",
            env={"GIT_TERMINAL_PROMPT": "0"},  # a missing credential fails, never waits
            kill_after_timeout=GIT_TIMEOUT,
        )
    except git.GitCommandError as exc:
        reason = (exc.stderr or "").strip().splitlines()
        why = without_credentials(reason[-1]) if reason else f"exit {exc.status}"
        return [
            Check(
                "git remote",
                ERROR,
                f"{remote} ({url}) does not answer: {why}",
                f"check the URL and your access: `git ls-remote {remote}`",
            ),
            Check("main branch", SKIP, "needs the remote"),
        ]
    remote_ok = Check("git remote", OK, f"{remote} → {url}")
    if not listed.strip():
        return [
            remote_ok,
            Check(
                "main branch", ERROR, missing_main_line(remote, main), push_main_fix(remote, main)
            ),
        ]
    return [remote_ok, Check("main branch", OK, f"{remote}/{main} at {listed.split()[0][:10]}")]


def without_credentials(text: str) -> str:
    """A URL (or a git message quoting one) without the user:token@ part."""
    return re.sub(r"(://)[^/@\s]+@", r"\1", text)


# -- the platform keeps its data -----------------------------------------------------------


def platform_persists(config: Config, ci: bool, workflows: bool) -> Check:
    kind = config.target.get("type", "sqlite")
    if kind != "sqlite":
        return Check("platform kept", OK, f"target: {kind} keeps its data between runs")
    path = config.target.get("path", ".hrsync/platform.db")
    if ci or workflows:
        where = "this runs in CI" if ci else f"{WORKFLOW_DIR} runs hrsync in CI"
        return Check(
            "platform kept",
            ERROR,
            f"target: sqlite and {where}: the embedded database ({path}) is git-ignored, so "
            "every CI run starts from an empty one and applies everyone again to a platform "
            "nobody sees",
            "use target: scim with the platform's SCIM endpoint (see README, SCIM 2.0 "
            "provider); keep sqlite for trying hrsync on one machine",
        )
    return Check(
        "platform kept", OK, f"the embedded database {path}: fine on this machine, not in CI"
    )


# -- environment variables ---------------------------------------------------------------


def variables_check(config: Config, missing: list[str]) -> Check:
    names = config_env(config)
    if not names:
        return Check("variables", OK, "hrsync.yaml names no environment variables")
    if not missing:
        return Check("variables", OK, f"set: {', '.join(names)}")
    return Check(
        "variables",
        ERROR,
        f"not set: {', '.join(missing)}"
        + (
            f" (set: {', '.join(n for n in names if n not in missing)})"
            if len(missing) < len(names)
            else ""
        ),
        "export them here; in GitHub add them as repository secrets (Settings › Secrets and "
        "variables › Actions); GITHUB_TOKEN is Actions' own",
    )


def _waits_for(config: Config, block: str, missing: list[str]) -> list[str]:
    return [name for name in block_env(config, block) if name in missing]


# -- the forge -----------------------------------------------------------------------------


def forge_check(
    config: Config,
    settings: GitSettings,
    env: Mapping[str, str],
    ci: bool,
    workflows: bool,
    missing: list[str],
) -> Check:
    if config.forge.get("type", "local") != "github":
        if ci or workflows:
            where = "this runs in CI" if ci else f"{WORKFLOW_DIR} runs hrsync in CI"
            return Check(
                "forge",
                ERROR,
                f"forge: local and {where}: no pull request is opened, so manual changes "
                "would wait on branches nobody is told about",
                "set forge: type: github and repository: OWNER/NAME in hrsync.yaml",
            )
        return Check("forge", SKIP, "forge: local: proposals are branches (`hrsync review`)")
    waiting = _waits_for(config, "forge", missing)
    if waiting:
        return Check("forge", SKIP, f"needs {', '.join(waiting)}")
    from reconciler.gitops.github import GitHubForge

    try:
        forge = GitHubForge.from_config({**config.forge}, settings.main)
    except HrsyncError as exc:
        return Check("forge", ERROR, str(exc), "set forge.repository: OWNER/NAME")
    try:
        return _github_access(forge, config.forge.get("token_env", "GITHUB_TOKEN"))
    finally:
        forge.close_session()


def _github_access(forge, token_env: str) -> Check:
    """GET /repos/{owner}/{repo}: the token is accepted, sees the repository, and may push."""
    name = forge.repository
    try:
        response = forge.client.get(f"/repos/{name}")
    except httpx.HTTPError as exc:
        return Check(
            "forge",
            ERROR,
            f"github: {forge.client.base_url} does not answer ({type(exc).__name__})",
            "check forge.api_url and the network",
        )
    if response.status_code == 401:
        return Check(
            "forge",
            ERROR,
            f"github: the token in {token_env} is not accepted (HTTP 401)",
            f"put a valid token in {token_env} (expired or revoked?)",
        )
    if response.status_code in (403, 404):
        return Check(
            "forge",
            ERROR,
            f"github: {name} is not found with the token in {token_env} "
            f"(HTTP {response.status_code})",
            "check forge.repository; a fine-grained token must have this repository selected",
        )
    if response.status_code != 200:
        return Check("forge", ERROR, f"github: GET /repos/{name} → {response.status_code}")
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return Check("forge", ERROR, f"github: GET /repos/{name} answered no repository")
    if body.get("archived"):
        return Check("forge", ERROR, f"github: {name} is archived: nothing can be pushed")
    scopes = response.headers.get("x-oauth-scopes")
    if scopes is not None:  # a classic token: its scopes bound what the user may do
        granted = {s.strip() for s in scopes.split(",")}
        if "repo" not in granted and not ("public_repo" in granted and not body.get("private")):
            return Check(
                "forge",
                ERROR,
                f"github: the classic token in {token_env} lacks the repo scope "
                f"(has: {scopes or 'none'})",
                "give it the repo scope, or use a fine-grained token with Contents and Pull "
                "requests: read and write",
            )
    permissions = body.get("permissions")
    if not isinstance(permissions, dict):
        # App and Actions tokens get no `permissions` here: the workflow's own `permissions:`
        # block (contents and pull-requests: write, as generated) is what grants them.
        return Check(
            "forge",
            WARN,
            f"github: {name} is visible; GitHub does not report what an app or Actions token "
            "may do",
            "the generated workflows grant contents: write and pull-requests: write; allow "
            "Actions to create pull requests (Settings › Actions › General)",
        )
    if not permissions.get("push"):
        return Check(
            "forge",
            ERROR,
            f"github: the token in {token_env} may read {name} but not push: sync pushes main "
            "and hrsync/<kind> and opens pull requests",
            "give it Contents and Pull requests: read and write (fine-grained) or write access "
            "to the repository",
        )
    return Check("forge", OK, f"github: may push to {name} and open pull requests")


# -- the HRIS ------------------------------------------------------------------------------


def hris_check(config: Config, root: Path, env: Mapping[str, str], missing: list[str]) -> Check:
    from reconciler.sources import open_source

    kind = config.source.get("type")
    waiting = _waits_for(config, "source", missing)
    if waiting:
        return Check("HRIS", SKIP, f"{kind}: needs {', '.join(waiting)}")
    try:
        source = open_source(config.source, root, env)
    except HrsyncError as exc:
        return Check("HRIS", ERROR, str(exc))
    try:
        probe = PROBES[kind]
        return probe(source)
    except HrsyncError as exc:
        return Check("HRIS", ERROR, str(exc), _HRIS_FIX)
    finally:
        source.close()


_HRIS_FIX = "check the credential and its permissions in the HRIS (see README for the vendor)"


def _impatient(http) -> None:
    """One retry, short waits: doctor reports a host that does not answer, it does not wait
    a night's worth of backoff for it."""
    http.max_retries = 1
    http.max_wait = 2.0


def _probe_file(source) -> Check:
    if source.path.is_file():
        size = source.path.stat().st_size
        return Check("HRIS", OK, f"file: the export {source.label} is there ({size} bytes)")
    return Check(
        "HRIS",
        ERROR,
        f"file: the export {source.label} is not there",
        f"put the night's export at {source.label} before `hrsync sync` runs (in CI a step "
        "before it downloads it; it is never committed)",
    )


def _probe_personio(source) -> Check:
    _impatient(source.http)
    source._authenticate()  # POST /v1/auth with the client id and secret, as fetch does
    return Check("HRIS", OK, "personio: POST /v1/auth accepted the credential")


def _probe_hibob(source) -> Check:
    _impatient(source.http)
    request = {"fields": ["root.id"], "showInactive": False}
    body = source.http.json(source.http.post("/v1/people/search", json=request, ok=(200,)))
    if not isinstance(body, dict) or not isinstance(body.get("employees"), list):
        return Check("HRIS", ERROR, "hibob: /v1/people/search answered no list of employees")
    count = len(body["employees"])
    return Check("HRIS", OK, f"hibob: the service user may search people ({count} active)")


def _probe_afas(source) -> Check:
    _impatient(source.http)
    connector = source.connectors["employees"]
    response = source.http.get(f"/connectors/{connector}", params={"skip": 0, "take": 1})
    body = source.http.json(response)
    if not isinstance(body, dict) or not isinstance(body.get("rows"), list):
        return Check(
            "HRIS",
            ERROR,
            f"afas: GetConnector {connector} answered no rows",
            "check source.connectors.employees: the GetConnector must exist and be in the "
            "App Connector",
        )
    return Check("HRIS", OK, f"afas: the token may read GetConnector {connector}")


def _probe_nmbrs(source) -> Check:
    _impatient(source.soap.http)
    source.soap.call("EmployeeService", "EmployeeType_GetList")
    return Check("HRIS", OK, "nmbrs: EmployeeType_GetList accepted the user, token and domain")


PROBES: dict[str, Callable] = {
    "file": _probe_file,
    "personio": _probe_personio,
    "hibob": _probe_hibob,
    "afas": _probe_afas,
    "nmbrs": _probe_nmbrs,
}


# -- the platform --------------------------------------------------------------------------


def platform_check(config: Config, root: Path, env: Mapping[str, str], missing: list[str]) -> Check:
    kind = config.target.get("type", "sqlite")
    if kind != "scim":
        return Check("platform", SKIP, f"target: {kind} is on this machine")
    waiting = _waits_for(config, "target", missing)
    if waiting:
        return Check("platform", SKIP, f"scim: needs {', '.join(waiting)}")
    from reconciler.targets import open_target

    base_url = config.target.get("base_url")
    try:
        target = open_target({**config.target, "retries": 1}, root, env)
    except HrsyncError as exc:
        return Check("platform", ERROR, str(exc))
    try:
        layout = target.layout()  # /ServiceProviderConfig, /ResourceTypes, /Schemas
        caps = target.http.capabilities()
        target.http.call("GET", "/Users", params={"count": 1, "attributes": "id"})
    except HrsyncError as exc:
        return Check(
            "platform",
            ERROR,
            str(exc),
            "check target.base_url (the SCIM endpoint, …/scim/v2) and the token",
        )
    finally:
        target.close()
    announced = [
        ("PATCH", caps.patch),
        ("filters", caps.filter),
        (f"Bulk ({caps.bulk_operations} operations)", bool(caps.bulk_operations)),
    ]
    features = ", ".join(name for name, present in announced if present) or "no optional features"
    tree = "" if layout.team_extension else "; no team extension: team parents and coaches not kept"
    return Check("platform", OK, f"scim: {base_url} answers with the token ({features}){tree}")


# -- workflows -----------------------------------------------------------------------------


def workflows_check(repo: ops.Repo) -> Check:
    if repo.config.forge.get("type", "local") != "github":
        return Check("workflows", SKIP, "forge: local needs none")
    problems = workflow_problems(repo)
    if problems:
        return Check(
            "workflows",
            ERROR,
            "; ".join(f"{p.where()}: {p.message}" for p in problems[:3]),
            "`hrsync workflows`, then commit .github/workflows and push",
        )
    try:
        stale = stale_workflows(repo)
    except HrsyncError as exc:
        return Check("workflows", WARN, str(exc))
    if stale:
        return Check(
            "workflows",
            WARN,
            f"{len(stale)} file(s) differ from what this hrsync writes (another version, or "
            "edited by hand)",
            "`hrsync workflows`, then commit .github/workflows and push",
        )
    return Check("workflows", OK, f"{WORKFLOW_DIR} is current")


def _first_lines(text: str, count: int = 6) -> str:
    lines = text.splitlines()
    more = f" (and {len(lines) - count} more lines; `hrsync validate` shows all)"
    return " / ".join(lines[:count]) + (more if len(lines) > count else "")
