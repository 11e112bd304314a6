"""Small helpers the commands share: rendering to a string, files, progress lines."""

from __future__ import annotations

import io
import json
import shutil
import sys
import time
from pathlib import Path

import click

from reconciler import logs
from reconciler.cli.lazy import lazy
from reconciler.core.interfaces import Step
from reconciler.errors import HrsyncError, InvalidInput, Problem

config = lazy("reconciler.config")
core_plan = lazy("reconciler.core.plan")
loader = lazy("reconciler.state.loader")
schemas = lazy("reconciler.state.schemas")


def repo_root(ctx: click.Context) -> Path:
    """The repository: `hrsync -C DIR`, else the folder holding hrsync.yaml from here up.

    From here on, the values of the variables its hrsync.yaml names are masked in log lines."""
    given = ctx.find_root().obj
    root = config.find_root(given if isinstance(given, Path) else Path.cwd())
    _redact_secrets(root)
    return root


def _redact_secrets(root: Path) -> None:
    from reconciler.gitops.workflows import config_env

    try:
        logs.redact_environment(config_env(config.load_config(root)))
    except (HrsyncError, OSError, ValueError):
        pass  # the command itself reads hrsync.yaml and says what is wrong with it


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


def clock_time(seconds: float) -> str:
    """`0:21`, `12:05`, `1:02:03`."""
    minutes, secs = divmod(int(seconds + 0.5), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02}:{secs:02}" if hours else f"{minutes}:{secs:02}"


def progress_text(step: Step, done_since: int, elapsed: float, *, ended: bool = False) -> str:
    """`apply members  1,234/10,000  412/s  0:21 left`. The rate counts what was done in
    `elapsed` seconds (`done_since` of it); under a second it would be noise, so it is left out,
    which also keeps the lines of short runs the same from run to run."""
    label = f"{step.task} {step.note}".strip()
    count = f"{step.done:,}" if step.total is None else f"{step.done:,}/{step.total:,}"
    parts = [label, f"{count} {step.unit}".strip()]
    if elapsed >= 1 and done_since > 0:
        rate = done_since / elapsed
        parts.append(f"{rate:,.0f}/s" if rate >= 10 else f"{rate:.1f}/s")
        if ended:
            parts.append(f"in {clock_time(elapsed)}")
        elif step.total is not None and step.done < step.total:
            parts.append(f"{clock_time((step.total - step.done) / rate)} left")
    return "  ".join(parts)


class ProgressLine:
    """Progress of a long fetch, apply or export on stderr, as an `OnProgress` callback.

    On a terminal: one line redrawn in place (`\\r`), at most ten times a second. Elsewhere (CI
    logs, pipes), and with `-v` whose log lines would cut into a redrawn one: plain lines, one
    when a task starts, one when it ends, and in between one per tenth of the way (at most one
    a second) or after 10 s without one, so a CI log of 10,000 changes stays short but shows
    it is alive. Nothing with `-q`.
    """

    REDRAW = 0.1  # seconds between redraws on a terminal
    QUIET = 10.0  # a plain line at least this often while steps come
    GAP = 1.0  # and at most this often for a tenth of the way

    def __init__(self, stream=None, *, live=None, enabled=None, clock=time.monotonic):
        self.stream = stream or sys.stderr
        self.enabled = logs.progress_shown() if enabled is None else enabled
        self.live = (self.stream.isatty() and not logs.logging_steps()) if live is None else live
        self.clock = clock
        self.step: Step | None = None
        self.first_done = 0  # where the task stood when it was first heard of
        self.started = 0.0
        self.shown_at = 0.0  # when the last line was written (or drawn)
        self.shown: Step | None = None
        self.width = 0  # of the line drawn in place

    def __call__(self, step: Step) -> None:
        if not self.enabled:
            return
        now = self.clock()
        if self.step is None or step.task != self.step.task:
            self._end()
            self.first_done, self.started, self.shown = step.done, now, None
        self.step = step
        ended = step.total is not None and step.done >= step.total
        if self.shown is None or ended or self._due(step, now):
            self._show(step, now, ended)

    def _due(self, step: Step, now: float) -> bool:
        since = now - self.shown_at
        if self.live:
            return since >= self.REDRAW
        if since >= self.QUIET:
            return True
        if not step.total or since < self.GAP:
            return False
        return step.done * 10 // step.total > self.shown.done * 10 // step.total

    def _show(self, step: Step, now: float, ended: bool) -> None:
        text = progress_text(step, step.done - self.first_done, now - self.started, ended=ended)
        if self.live:
            text = text[: max(20, shutil.get_terminal_size((100, 24)).columns - 1)]
            self.stream.write("\r" + text.ljust(self.width) + ("\n" if ended else ""))
            self.width = 0 if ended else len(text)
        else:
            self.stream.write(text + "\n")
        self.stream.flush()
        self.shown, self.shown_at = step, now

    def _end(self) -> None:
        """The task at hand is over: its last step shown, a line drawn in place finished."""
        if self.step is None or not self.enabled:
            return
        if self.shown is not self.step:
            now = self.clock()
            self._show(self.step, now, ended=True)
        if self.live and self.width:
            self.stream.write("\n")
            self.stream.flush()
            self.width = 0

    def __enter__(self) -> ProgressLine:
        return self

    def __exit__(self, *exc) -> None:
        self._end()
