"""GitHub Actions workflow commands (`::error file=…,line=…::message`), escaped (pure).

The runner reads every line of a step's output that starts with `::` as a command. A message
holds ids, names and file paths nobody here controls, so each is escaped as GitHub's toolkit
does (actions/toolkit, packages/core/src/command.ts): in the message `%` → `%25`, CR → `%0D`,
LF → `%0A`; in a property value also `:` → `%3A` and `,` → `%2C`. A command is then always
one line: no value can end it early or start a second one (`::add-mask::`, `::set-output`).
Invisible characters (text-direction overrides) are shown as `\\uXXXX` first, as in every
rendering.
"""

from __future__ import annotations

from collections.abc import Iterable

from reconciler.errors import Problem
from reconciler.render.text import visible_lines

TITLE = "hrsync validate"


def escape_data(text: str) -> str:
    text = visible_lines(text)
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def workflow_command(name: str, properties: dict[str, object], message: str) -> str:
    """One line: `::name key=value,key=value::message`. Properties with no value are left out."""
    shown = ",".join(
        f"{key}={escape_property(str(value))}"
        for key, value in properties.items()
        if value is not None
    )
    return f"::{name}{' ' + shown if shown else ''}::{escape_data(message)}"


def problem_annotation(problem: Problem, file: str | None) -> str:
    """`::error file=state/members/1004.yaml,line=3,title=hrsync validate::team: unknown …`.
    Without `file` (a path outside the workspace) the message says where instead."""
    message = f"{problem.subject}: {problem.message}" if problem.subject else problem.message
    if file is None:
        return workflow_command("error", {"title": TITLE}, f"{problem.where()}: {message}")
    properties = {"file": file, "line": problem.line, "col": problem.column, "title": TITLE}
    return workflow_command("error", properties, message)


def annotations(problems: Iterable[Problem], file_of) -> list[str]:
    """One `::error` line per problem; `file_of(path)` gives the path as the workspace sees it
    (None: not in the workspace)."""
    return [problem_annotation(p, file_of(p.path)) for p in problems]


def error_annotation(message: str) -> str:
    """An error that belongs to no file (a missing configuration, say)."""
    return workflow_command("error", {"title": TITLE}, message)
