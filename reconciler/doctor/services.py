"""Doctor's checks of the services a night talks to: the forge token, the HRIS credentials (one
cheap authenticated call per vendor, through the source's own client) and the SCIM provider."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import httpx

from reconciler.config import Config
from reconciler.doctor.report import ERROR, OK, SKIP, WARN, Check
from reconciler.doctor.repository import waits_for
from reconciler.errors import HrsyncError
from reconciler.gitops.commits import GitSettings
from reconciler.gitops.workflows import WORKFLOW_DIR

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
    waiting = waits_for(config, "forge", missing)
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
        response = forge.http.client.get(f"/repos/{name}")
    except httpx.HTTPError as exc:
        return Check(
            "forge",
            ERROR,
            f"github: {forge.http.client.base_url} does not answer ({type(exc).__name__})",
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
    waiting = waits_for(config, "source", missing)
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
        return Check("HRIS", OK, f"file: the export {source.config.path} is there ({size} bytes)")
    return Check(
        "HRIS",
        ERROR,
        f"file: the export {source.config.path} is not there",
        f"put the night's export at {source.config.path} before `hrsync sync` runs (in CI a step "
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
    connector = source.config.connectors["employees"]
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
    waiting = waits_for(config, "target", missing)
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
