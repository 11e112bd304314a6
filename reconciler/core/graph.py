"""Graph helpers for the two hierarchies the model holds (manager links, team parents)."""

from __future__ import annotations


def find_cycle_members(entities: dict, link: str) -> list[str]:
    """Ids that lie on a cycle of `link` references (each cycle's members, sorted)."""
    state: dict[str, int] = {}  # 1 = on the current walk, 2 = done
    on_cycle: set[str] = set()
    for start in entities:
        if start in state:
            continue
        walk = []
        key = start
        while key in entities and key not in state:
            state[key] = 1
            walk.append(key)
            key = getattr(entities[key], link)
        if key in entities and state.get(key) == 1:
            on_cycle.update(walk[walk.index(key) :])
        for item in walk:
            state[item] = 2
    return sorted(on_cycle)


def cycle_path(entities: dict, start: str, link: str) -> list[str]:
    path = [start]
    key = getattr(entities[start], link)
    while key != start and key in entities and len(path) <= len(entities):
        path.append(key)
        key = getattr(entities[key], link)
    return [*path, start]
