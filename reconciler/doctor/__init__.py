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
from collections.abc import Mapping
from pathlib import Path

from reconciler import operations as ops
from reconciler.doctor.report import ERROR, OK, SKIP, WARN, Check, Report
from reconciler.doctor.repository import (
    export_checks,
    git_checks,
    platform_persists,
    variables_check,
    workflows_check,
)
from reconciler.doctor.services import forge_check, hris_check, platform_check
from reconciler.errors import HrsyncError
from reconciler.gitops.commits import GitSettings
from reconciler.gitops.workflows import WORKFLOW_DIR, config_env

__all__ = ["ERROR", "OK", "SKIP", "WARN", "Check", "Report", "run_checks"]


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
        *export_checks(root, repo.config),
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


def _first_lines(text: str, count: int = 6) -> str:
    lines = text.splitlines()
    more = f" (and {len(lines) - count} more lines; `hrsync validate` shows all)"
    return " / ".join(lines[:count]) + (more if len(lines) > count else "")
