"""The JSON Schemas (draft 2020-12) of every file hrsync reads, and validation against them."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

from jsonschema import Draft202012Validator

from reconciler.core.ids import shown
from reconciler.errors import InvalidInput, Problem

SCHEMA_FILES = {
    "teams": "team.schema.json",
    "jobs": "job.schema.json",
    "members": "member.schema.json",
    "policy": "policy.schema.json",
    "exclude": "exclude.schema.json",
    "config": "config.schema.json",
    "plan": "plan.schema.json",
    "dropped": "dropped.schema.json",
    "review": "review.schema.json",
}


@cache
def schema(name: str) -> dict:
    text = resources.files("reconciler").joinpath("schemas", SCHEMA_FILES[name]).read_text()
    return json.loads(text)


@cache
def validator(name: str) -> Draft202012Validator:
    return Draft202012Validator(schema(name))


def schema_problems(
    name: str, data, lines, label: str, subject: str | None = None
) -> list[Problem]:
    """Every schema violation of `data`, each with the line of the offending key."""
    problems = []
    for error in validator(name).iter_errors(data):
        path = tuple(error.absolute_path)
        where = ".".join(str(p) for p in path)
        if error.validator == "additionalProperties":
            extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
            for key in extra:
                problems.append(
                    Problem(
                        label, lines.of((*path, key)), f"unknown key {shown(key)}", subject=subject
                    )
                )
            continue
        message = _message(error)
        if error.validator in ("anyOf", "oneOf") and "description" in error.schema:
            # "not valid under any of the given schemas" tells a person nothing: say what fits
            message = f"{shown(error.instance)} is not {error.schema['description']}"
        if error.validator == "pattern" and "email" in path:
            message = f"{shown(error.instance)} is not an e-mail address"
        elif (
            error.validator == "oneOf" and path and path[-1] in ("team", "job", "manager", "parent")
        ):
            message = f"{shown(error.instance)} is not an id or null"
        problems.append(
            Problem(
                label, lines.of(path), f"{where}: {message}" if where else message, subject=subject
            )
        )
    return problems


def _message(error) -> str:
    """jsonschema's message with the offending value cut short: it quotes the whole value, and
    a file may hold a value of a megabyte."""
    quoted = repr(error.instance)
    if len(quoted) <= 60:
        return error.message
    return error.message.replace(quoted, shown(error.instance))


def validate_document(name: str, data, lines, label: str) -> None:
    problems = schema_problems(name, data, lines, label)
    if problems:
        raise InvalidInput(problems)
