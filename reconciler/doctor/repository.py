"""Doctor's checks of the repository itself: the git remote and its main, a platform that keeps
its data between CI runs, the environment variables by name, the workflows."""

from __future__ import annotations

import re
from pathlib import Path

import git

from reconciler import operations as ops
from reconciler.config import Config
from reconciler.doctor.report import ERROR, OK, SKIP, WARN, Check
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

GIT_TIMEOUT = 60  # seconds for `git ls-remote`; a remote that does not answer is a failed check


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
        "variables › Actions)"
        + (
            "; GITHUB_TOKEN is Actions' own: here, e.g. `export GITHUB_TOKEN=$(gh auth token)`"
            if "GITHUB_TOKEN" in missing
            else ""
        ),
    )


def waits_for(config: Config, block: str, missing: list[str]) -> list[str]:
    return [name for name in block_env(config, block) if name in missing]


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


# -- personal data -----------------------------------------------------------------------


def export_checks(root: Path, config: Config) -> list[Check]:
    """With a file source: its export (and the review PDFs filed next to it) must never be in
    git: it holds every employee's personal data, and git keeps it for ever."""
    if config.source.get("type") != "file" or not config.source.get("path"):
        return []
    return [_export_check(root, config)]


def _export_check(root: Path, config: Config) -> Check:
    export = Path(str(config.source["path"])).expanduser()
    export = export if export.is_absolute() else root / export
    try:
        relative = export.resolve().relative_to(root.resolve())
    except ValueError:
        return Check("export kept out of git", OK, f"{export} is outside the repository")
    folder = relative.parent.as_posix()
    try:
        repo = git.Repo(root)
        tracked = repo.git.ls_files("-z", "--", relative.as_posix(), f"{folder}/documents")
        status, _, _ = repo.git.execute(
            ["git", "check-ignore", "-q", "--no-index", relative.as_posix()],
            with_extended_output=True,
            with_exceptions=False,
        )
    except (git.InvalidGitRepositoryError, git.NoSuchPathError, git.GitCommandError):
        return Check("export kept out of git", SKIP, "needs a git repository")
    if tracked:
        paths = ", ".join(p for p in tracked.split("\0") if p)[:200]
        return Check(
            "export kept out of git",
            ERROR,
            f"{paths}: tracked in git, so every employee's personal data is in its history",
            f"git rm --cached -r {folder} and add {folder}/ to .gitignore; if it was pushed, "
            "remove it from the history (git filter-repo) and from every clone",
        )
    if status != 0:  # check-ignore exits 1 when the path is not ignored
        return Check(
            "export kept out of git",
            WARN,
            f"{relative.as_posix()} is not git-ignored: one `git add .` puts it in the history",
            f"add {folder}/ to .gitignore",
        )
    return Check("export kept out of git", OK, f"{relative.as_posix()} is git-ignored")
