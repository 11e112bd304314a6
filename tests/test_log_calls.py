"""No log call in hrsync hands a person's name or e-mail, a file name made from them, or a secret
to a log line: every `log.<level>(...)` in reconciler/ is read, and what it formats may not
name such a field. Ids, counts, kinds, paths and statuses are what logs carry."""

from __future__ import annotations

import ast
from pathlib import Path

import reconciler

LEVELS = {"debug", "info", "warning", "error", "exception", "critical", "log"}
PERSONAL = {
    "email",
    "emails",
    "first_name",
    "last_name",
    "name",
    "names",
    "display_name",
    "filename",
    "location",  # where a filed review is: "Personio › Dana Keller › Documents"
    "token",
    "secret",
    "password",
    "credentials",
    "headers",
}


def log_calls(tree: ast.AST):
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in LEVELS
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id in {"log", "logger", "logging"}
        ):
            yield node


def personal_fields(call: ast.Call) -> list[str]:
    found = []
    for argument in [*call.args, *(k.value for k in call.keywords)]:
        for node in ast.walk(argument):
            if isinstance(node, ast.Attribute) and node.attr in PERSONAL:
                found.append(node.attr)
            elif isinstance(node, ast.Name) and node.id in PERSONAL:
                found.append(node.id)
    return found


def test_no_log_call_formats_a_personal_field_or_a_secret():
    package = Path(reconciler.__file__).parent
    offenders, calls = [], 0
    for path in sorted(package.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for call in log_calls(tree):
            calls += 1
            fields = personal_fields(call)
            if fields:
                offenders.append(f"{path.relative_to(package)}:{call.lineno}: {fields}")
    assert calls > 20  # the walk finds hrsync's log calls at all
    assert offenders == []


def test_the_check_catches_a_name_in_a_log_call():
    tree = ast.parse("log.info('review %s of %s', review.id, subject.name)")
    assert [personal_fields(call) for call in log_calls(tree)] == [["name"]]
