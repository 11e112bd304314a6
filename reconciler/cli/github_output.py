"""Output GitHub Actions reads: annotations from `validate`, the plan in the job summary.

Inside Actions (`GITHUB_ACTIONS=true`) `validate` prints each error also as a workflow command,
which GitHub shows on the file and line (in a pull request's diff, too). `plan` and `sync`
append their plan to the file `GITHUB_STEP_SUMMARY` names, which becomes the job's summary
page. Outside Actions both stay silent: nothing is written where no runner asked for it.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from pathlib import Path

import click

from reconciler.cli.lazy import lazy
from reconciler.errors import HrsyncError, InvalidInput

workflow_commands = lazy("reconciler.render.workflow_commands")

# GitHub shows a step's summary up to 1 MiB; a larger one is refused whole.
SUMMARY_LIMIT = 1024 * 1024


def in_actions(env: Mapping[str, str] = os.environ) -> bool:
    return env.get("GITHUB_ACTIONS") == "true"


def workspace_path(root: Path | None, path: str, env: Mapping[str, str] = os.environ) -> str | None:
    """`path` (relative to the repository, or absolute) relative to the workspace GitHub
    resolves annotation files against; None when it lies outside."""
    full = (root / path) if root is not None else Path(path)
    workspace = Path(env.get("GITHUB_WORKSPACE") or Path.cwd())
    try:
        relative = full.resolve().relative_to(workspace.resolve())
    except (ValueError, OSError):
        return None
    return relative.as_posix()


def echo_annotations(exc: HrsyncError, root: Path | None) -> None:
    """Each problem of `exc` as an `::error` line on stdout."""
    if isinstance(exc, InvalidInput) and exc.problems:
        lines = workflow_commands.annotations(exc.problems, lambda path: workspace_path(root, path))
    else:
        lines = [workflow_commands.error_annotation(str(exc))]
    for line in lines:
        click.echo(line)


def summary_wanted(env: Mapping[str, str] = os.environ) -> bool:
    return bool(env.get("GITHUB_STEP_SUMMARY"))


def append_step_summary(markdown: str, env: Mapping[str, str] = os.environ) -> bool:
    """Append `markdown` to the job summary when Actions asked for one (GITHUB_STEP_SUMMARY);
    False when there is none. Never creates, truncates or follows into anything but an
    existing regular file; a summary over GitHub's limit is replaced by a note."""
    path = env.get("GITHUB_STEP_SUMMARY")
    if not path:
        return False
    try:
        # No O_CREAT: the runner makes the file. O_NONBLOCK: a FIFO in its place cannot hang us.
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_NOCTTY | os.O_NONBLOCK)
    except OSError as exc:
        click.echo(f"! job summary not written: {exc.strerror}: {path}", err=True)
        return False
    with os.fdopen(fd, "ab") as handle:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            click.echo(f"! job summary not written: {path} is not a regular file", err=True)
            return False
        data = markdown.encode("utf-8")
        if info.st_size + len(data) > SUMMARY_LIMIT:
            data = _too_long(markdown, SUMMARY_LIMIT - info.st_size).encode("utf-8")
        handle.write(data)
    return True


def _too_long(markdown: str, room: int) -> str:
    """The heading and warnings of a plan too long for the summary, and where to read it."""
    head = []
    for line in markdown.splitlines():
        if line.startswith(("#### ", "<details>")):
            break
        head.append(line)
    note = (
        "\nThe whole plan is too long for a job summary (GitHub shows up to 1 MiB): "
        "run `hrsync plan` to read it.\n"
    )
    text = "\n".join(head).rstrip() + "\n" + note
    return text if len(text.encode("utf-8")) <= room else note
