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
from reconciler.state.loader import (
    MAX_STATE_FILE_BYTES,
    Lines,
    parse_state_yaml,
    read_text,
    write_atomic,
)
from reconciler.state.parse_cache import blob_id, open_cache
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
    cache = open_cache(root)
    for kind in KINDS:
        folder = os.path.join(root, STATE_DIR, kind)
        entities = {}
        try:
            names = sorted(e.name for e in os.scandir(folder) if e.name.endswith(".yaml"))
        except FileNotFoundError:
            names = []
        cached = cache.vouched(kind, names) if cache is not None else {}
        for name in names:
            file_id = name[: -len(".yaml")]
            entity = cached.get(name)
            if entity is not None:
                entities[file_id] = entity
                continue
            label = f"{STATE_DIR}/{kind}/{name}"
            try:
                # Plain strings, not pathlib: pathlib costs a visible share on 100k files.
                text = read_text(os.path.join(folder, name), label, MAX_STATE_FILE_BYTES)
                if cache is not None:
                    # Keyed by the bytes actually read (edited, untracked or ignored files,
                    # or a clean/smudge filter between them and the index).
                    blob = blob_id(text.encode("utf-8"))
                    entity = cache.find(kind, blob, file_id)
                if entity is None:
                    entity = _checked_entity(kind, file_id, label, text)
                    if cache is not None:
                        cache.add(kind, blob, entity)
            except InvalidInput as exc:
                problems.extend(exc.problems)
                continue
            entities[file_id] = entity
        by_kind[kind] = entities
    if cache is not None:
        cache.save()  # what was checked, even if a check across files fails below
    desired = DesiredState(**by_kind)
    if check_references and not problems:
        problems.extend(reference_problems(desired, lambda kind, i: _locate(root, kind, i)))
    if problems:
        raise InvalidInput(problems)
    return desired


def _checked_entity(kind: str, file_id: str, label: str, text: str):
    """The entity one state file holds, once it passed every check of its own."""
    data = parse_state_yaml(text, label)
    subject = f'{SINGULAR[kind]} "{file_id}"'
    if not looks_valid(kind, data):
        found = schema_problems(kind, data, Lines(text), label, subject=subject)
        if found:
            raise InvalidInput(found)
    if data["id"] != file_id:
        message = f"id {data['id']!r} does not match the file name {file_id + '.yaml'!r}"
        raise InvalidInput([Problem(label, Lines(text).of(("id",)), message, subject=subject)])
    return entity_from_data(kind, data)


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
