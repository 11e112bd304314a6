"""core/graph.py: cycles in manager links and team parents, named member by member (pure)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from reconciler.core.graph import cycle_path, find_cycle_members
from reconciler.core.model import Team


def teams(links: dict) -> dict:
    return {k: Team(k, k, parent) for k, parent in links.items()}


def test_cycles_are_found_and_a_branch_into_one_is_not_on_it():
    graph = teams({"a": "b", "b": "c", "c": "a", "d": "a", "e": None, "f": "f", "g": "zz"})
    assert find_cycle_members(graph, "parent") == ["a", "b", "c", "f"]
    assert cycle_path(graph, "a", "parent") == ["a", "b", "c", "a"]
    assert cycle_path(graph, "f", "parent") == ["f", "f"]


@given(st.dictionaries(st.sampled_from("abcdefgh"), st.none() | st.sampled_from("abcdefghz")))
def test_an_id_is_on_a_cycle_exactly_when_following_its_links_comes_back(links):
    graph = teams(links)
    found = set(find_cycle_members(graph, "parent"))
    for start in graph:
        seen, key = set(), graph[start].parent
        while key in graph and key not in seen and key != start:
            seen.add(key)
            key = graph[key].parent
        assert (start in found) == (key == start), (start, links)
        if start in found:
            path = cycle_path(graph, start, "parent")
            assert path[0] == path[-1] == start and set(path) <= found
