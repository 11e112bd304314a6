"""One state file ⇄ one model entity: key order, the schema header, and a fast shape check."""

from __future__ import annotations

from reconciler.core.ids import is_email, is_id
from reconciler.core.model import SINGULAR, entity_data
from reconciler.state.loader import dump_yaml

KEYS = {
    "teams": ("id", "name", "parent", "coaches"),
    "jobs": ("id", "name"),
    "members": ("id", "email", "first_name", "last_name", "active", "team", "job", "manager"),
}


def header(kind: str) -> str:
    return f"# yaml-language-server: $schema=../../schemas/{SINGULAR[kind]}.schema.json"


def render_entity(kind: str, entity) -> str:
    return dump_yaml(entity_data(entity), header(kind))


_is_id = is_id


def _is_ref(value) -> bool:
    return value is None or _is_id(value)


def _is_name(value, min_length: int) -> bool:
    return type(value) is str and min_length <= len(value) <= 200


def looks_valid(kind: str, data) -> bool:
    """True when `data` certainly passes the kind's JSON Schema.

    The hot path of loading 100k files: a plain-Python check that is much faster than jsonschema.
    A False sends the file to jsonschema for the full list of reasons; tests check that both agree.
    """
    if type(data) is not dict or tuple(sorted(data)) != _SORTED_KEYS[kind]:
        return False
    if not _is_id(data["id"]):
        return False
    if kind == "members":
        return (
            is_email(data["email"])
            and _is_name(data["first_name"], 0)
            and _is_name(data["last_name"], 0)
            and type(data["active"]) is bool
            and _is_ref(data["team"])
            and _is_ref(data["job"])
            and _is_ref(data["manager"])
        )
    if not _is_name(data["name"], 1):
        return False
    if kind == "teams":
        coaches = data["coaches"]
        return (
            _is_ref(data["parent"])
            and type(coaches) is list
            and all(_is_id(c) for c in coaches)
            and len(set(coaches)) == len(coaches)
        )
    return True


_SORTED_KEYS = {kind: tuple(sorted(keys)) for kind, keys in KEYS.items()}
