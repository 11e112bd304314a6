"""Small helpers the commands share: rendering to a string, files, progress on a terminal."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import click

from reconciler.cli.lazy import lazy
from reconciler.errors import InvalidInput, Problem

config = lazy("reconciler.config")
core_plan = lazy("reconciler.core.plan")
loader = lazy("reconciler.state.loader")
schemas = lazy("reconciler.state.schemas")


def repo_root(ctx: click.Context) -> Path:
    """The repository: `hrsync -C DIR`, else the folder holding hrsync.yaml from here up."""
    given = ctx.find_root().obj
    return config.find_root(given if isinstance(given, Path) else Path.cwd())


def render_to(renderer, value) -> str:
    buffer = io.StringIO()
    renderer(value, buffer)
    return buffer.getvalue()


def write_file(path: Path, content: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    loader.write_atomic(path, content)


def read_plan_file(path: Path) -> core_plan.Plan:
    try:
        text = loader.read_text(path, str(path))
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput([Problem(str(path), exc.lineno, f"not JSON: {exc.msg}")]) from None
    problems = schemas.schema_problems("plan", data, loader.Lines(""), str(path))
    if problems:
        raise InvalidInput(problems)
    return core_plan.Plan.from_data(data)


class Progress:
    """A one-line progress display on a terminal's stderr; silent in CI logs and pipes."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty()
        self.width = 0

    def __call__(self, message: str) -> None:
        if self.enabled:
            line = message[:100]
            self.stream.write("\r" + line.ljust(self.width))
            self.stream.flush()
            self.width = len(line)

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc) -> None:
        if self.enabled and self.width:
            self.stream.write("\r" + " " * self.width + "\r")
            self.stream.flush()
