"""Who an id is, for people reading plans and proposals (pure).

A reviewer reads `manager: 1003 (Łukasz Żółć)`, not a bare `1003`. Names are looked up in the
given states in order — the state tree first, then what the platform holds (a member only the
platform still has, about to be deleted) — and an id found in none of them prints bare.
Names are untrusted text: each renderer escapes them as it escapes every other value.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from reconciler.core.model import DesiredState

# The fields that hold ids of other entities, and the kind each refers to.
REFERENCES = {
    "team": "teams",
    "job": "jobs",
    "manager": "members",
    "parent": "teams",
    "coaches": "members",
}


def display_name(kind: str, entity) -> str | None:
    if kind == "members":
        return f"{entity.first_name} {entity.last_name}".strip() or None
    return entity.name or None


@dataclass(frozen=True)
class Names:
    """Anything with `.of(kind) -> {id: entity}` may be a source: a `DesiredState`, a
    `PlatformState`. Looked up on demand, so building one costs nothing."""

    sources: tuple = ()

    def of(self, kind: str, entity_id) -> str | None:
        for source in self.sources:
            entity = source.of(kind).get(entity_id)
            if entity is not None:
                return display_name(kind, entity)
        return None

    def refs(self, field: str, value) -> list[tuple[str, str | None]] | None:
        """(id, name or None) for each id a reference field holds; None when `field` holds
        no reference (a name, an e-mail, a flag) or is empty."""
        kind = REFERENCES.get(field)
        if kind is None or value is None:
            return None
        ids = value if isinstance(value, tuple | list) else (value,)
        return [(str(i), self.of(kind, i)) for i in ids]

    def with_changes(self, changes: Iterable) -> Names:
        """These names, then the entities the changes hold (a plan's `before` is the platform's
        version: a member it deletes is named even when nothing else holds them)."""
        found: dict[str, dict] = {"teams": {}, "jobs": {}, "members": {}}
        for change in changes:
            for entity in (change.after, change.before):
                if entity is not None:
                    found[change.kind].setdefault(entity.id, entity)
        return Names((*self.sources, DesiredState(**found)))

    def mentioned(self, changes: Iterable) -> dict[str, dict[str, str]]:
        """{kind: {id: name}} for every id the changes hold or refer to that has a name: the
        `names` map of the JSON renderings."""
        out: dict[str, dict[str, str]] = {"teams": {}, "jobs": {}, "members": {}}
        for change in changes:
            wanted = [(change.kind, change.id)]
            for entity in (change.before, change.after):
                if entity is None:
                    continue
                wanted.append((change.kind, entity.id))
                for field, kind in REFERENCES.items():
                    value = getattr(entity, field, None)
                    if value is None:
                        continue
                    ids = value if isinstance(value, tuple) else (value,)
                    wanted += [(kind, i) for i in ids]
            for kind, entity_id in wanted:
                name = self.of(kind, entity_id)
                if name is not None:
                    out[kind][entity_id] = name
        return {kind: dict(sorted(names.items())) for kind, names in out.items()}


NO_NAMES = Names()
