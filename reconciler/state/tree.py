"""The state tree on disk: state/<kind>/<id>.yaml, read whole and written file by file."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from reconciler.bulk import gc_paused
from reconciler.core.model import KINDS, DesiredState, entity_from_data
from reconciler.errors import InvalidInput, Problem
from reconciler.state.entities import (
    SINGULAR,
    looks_valid,
    render_entity,
)
from reconciler.state.loader import Lines, load_state_file, write_atomic
from reconciler.state.paths import child_path
from reconciler.state.schemas import schema_problems
from reconciler.state.validate import reference_problems

STATE_DIR = "state"


def state_path(root: Path, kind: str, entity_id: str) -> Path:
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}")
    return child_path(root / STATE_DIR / kind, entity_id, ".yaml")


def read_state(root: Path, *, check_references: bool = True) -> DesiredState:
    """The whole tree. Every problem in every file is collected, then raised as one error."""
    with gc_paused():
        return _read_state(root, check_references)


def _read_state(root: Path, check_references: bool) -> DesiredState:
    problems: list[Problem] = []
    by_kind: dict[str, dict] = {}
    for kind in KINDS:
        folder = os.path.join(root, STATE_DIR, kind)
        entities = {}
        try:
            names = sorted(e.name for e in os.scandir(folder) if e.name.endswith(".yaml"))
        except FileNotFoundError:
            names = []
        for name in names:
            label = f"{STATE_DIR}/{kind}/{name}"
            try:
                # Plain strings, not pathlib: pathlib costs a visible share on 100k files.
                data, text = load_state_file(os.path.join(folder, name), label)
            except InvalidInput as exc:
                problems.extend(exc.problems)
                continue
            file_id = name[: -len(".yaml")]
            if not looks_valid(kind, data):
                found = schema_problems(
                    kind, data, Lines(text), label, subject=f'{SINGULAR[kind]} "{file_id}"'
                )
                if found:
                    problems.extend(found)
                    continue
            if data["id"] != file_id:
                problems.append(
                    Problem(
                        label,
                        Lines(text).of(("id",)),
                        f"id {data['id']!r} does not match the file name {name!r}",
                        subject=f'{SINGULAR[kind]} "{file_id}"',
                    )
                )
                continue
            entities[file_id] = entity_from_data(kind, data)
        by_kind[kind] = entities
    desired = DesiredState(**by_kind)
    if check_references and not problems:
        problems.extend(reference_problems(desired, lambda kind, i: _locate(root, kind, i)))
    if problems:
        raise InvalidInput(problems)
    return desired


def _locate(root: Path, kind: str, entity_id: str) -> tuple[str, Lines]:
    path = state_path(root, kind, entity_id)
    return f"{STATE_DIR}/{kind}/{entity_id}.yaml", Lines(path.read_text(encoding="utf-8"))


def write_entities(root: Path, kind: str, entities: Iterable) -> list[Path]:
    """Write each entity's file if its content changed; the paths actually written."""
    written = []
    for entity in entities:
        path = state_path(root, kind, entity.id)
        text = render_entity(kind, entity)
        try:
            if path.read_text(encoding="utf-8") == text:
                continue
        except FileNotFoundError:
            path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, text)
        written.append(path)
    return written


def remove_entities(root: Path, kind: str, ids: Iterable[str]) -> list[Path]:
    removed = []
    for entity_id in ids:
        path = state_path(root, kind, entity_id)
        if path.exists():
            path.unlink()
            removed.append(path)
    return removed
