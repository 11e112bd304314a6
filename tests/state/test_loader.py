"""What a YAML file may cost: size, anchors and aliases, encoding; every refusal named with the
file and, where there is one, the line."""

from __future__ import annotations

import time

import pytest

from reconciler.errors import InvalidInput
from reconciler.state.loader import (
    MAX_ALIAS_NODES,
    MAX_STATE_FILE_BYTES,
    Lines,
    load_yaml_file,
    parse_yaml,
)
from reconciler.state.tree import read_state
from tests.state.test_tree import MEMBER, member, problems, write


def laughs(levels: int = 9, key: str = "lol") -> str:
    """The "billion laughs": each level a list of nine aliases of the level before."""
    lines = [f'{key}0: &{key}0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, levels):
        items = ", ".join([f"*{key}{level - 1}"] * 9)
        lines.append(f"{key}{level}: &{key}{level} [{items}]")
    return "\n".join(lines) + "\n"


def refused(text: str, label: str = "policies/sync.yaml") -> str:
    with pytest.raises(InvalidInput) as info:
        parse_yaml(text, label)
    return str(info.value)


def test_an_alias_bomb_in_a_state_file_is_refused_at_once_with_its_line(tmp_path):
    member(tmp_path, "1")
    write(tmp_path, "members", "2", "id: '2'\n" + laughs())
    started = time.perf_counter()
    message = problems(tmp_path)
    assert time.perf_counter() - started < 2  # it used to run past a minute at 1.9 GB
    assert "state/members/2.yaml, line 2, column 7" in message
    assert "YAML anchor '&lol0': anchors and aliases are not allowed in a state file" in message


def test_any_anchor_or_alias_in_a_state_file_is_refused(tmp_path):
    member(tmp_path, "1")
    write(
        tmp_path,
        "members",
        "2",
        MEMBER.format(id="2", email="&x b@acme.example", team="null", manager="null"),
    )
    assert "line 3" in problems(tmp_path) and "'&x'" in problems(tmp_path)


def test_ampersands_and_stars_in_values_are_not_anchors(tmp_path):
    write(tmp_path, "teams", "rd", "id: rd\nname: R&D * Ops &co\nparent: null\ncoaches: []\n")
    write(tmp_path, "jobs", "j", "id: j\nname: '*star* & &amp;'\n")
    state = read_state(tmp_path)
    assert state.teams["rd"].name == "R&D * Ops &co"
    assert state.jobs["j"].name == "*star* & &amp;"


def test_a_state_file_over_the_size_bound_is_refused_unread(tmp_path):
    member(tmp_path, "1")
    write(tmp_path, "members", "2", "id: '2'\nfirst_name: " + "G" * MAX_STATE_FILE_BYTES + "\n")
    message = problems(tmp_path)
    assert "state/members/2.yaml" in message
    assert "1,000,021 bytes: larger than the 1,000,000 bytes it may hold" in message
    assert len(message) < 300


def test_a_long_value_under_the_bound_is_quoted_cut_short(tmp_path):
    member(tmp_path, "1")
    text = MEMBER.format(id="2", email="b@acme.example", team="null", manager="null")
    write(tmp_path, "members", "2", text.replace("Anna", "G" * 500_000))
    message = problems(tmp_path)
    assert "line 4" in message
    assert "first_name: 'GGGG" in message and "(500000 characters) is too long" in message
    assert len(message) < 300


def test_a_state_file_that_is_not_utf8_is_named_with_line_and_column(tmp_path):
    path = tmp_path / "state/members/2.yaml"
    path.parent.mkdir(parents=True)
    text = MEMBER.format(id="2", email="b@acme.example", team="null", manager="null")
    path.write_bytes(text.replace("Berg", "Bérg").encode("latin-1"))
    message = problems(tmp_path)
    assert "state/members/2.yaml, line 5, column 13" in message
    assert "not UTF-8 text (byte 0xe9); save it as UTF-8" in message


def test_a_duplicate_key_is_named_once_cut_short(tmp_path):
    key = "k" * 300
    message = refused(f"{key}: 1\n{key}: 2\n")
    assert "line 2" in message and "duplicate key 'kkkk" in message and len(message) < 300


def test_policy_aliases_that_share_a_block_are_kept():
    data = parse_yaml(
        "members: &manual {import: manual, sync: manual, cleanup: manual}\n"
        "teams: *manual\njobs: *manual\n",
        "policies/sync.yaml",
    )
    assert (
        data["teams"] == data["jobs"] == {"import": "manual", "sync": "manual", "cleanup": "manual"}
    )


def test_an_alias_bomb_in_a_policy_is_refused_at_the_alias_that_passes_the_bound():
    started = time.perf_counter()
    message = refused(laughs())
    assert time.perf_counter() - started < 2
    # Lines 2-4 add 90 + 819 + 7380 values; line 5's first *lol3 (7381 more) passes 10 000.
    assert "policies/sync.yaml, line 5, column 14" in message
    assert "(here '*lol3')" in message
    assert f"expand the file by more than {MAX_ALIAS_NODES} values" in message


def test_aliases_up_to_the_bound_are_accepted_and_one_more_is_refused():
    anchor = "base: &b [" + ", ".join(["x"] * 99) + "]\n"  # a list: 100 values
    uses = MAX_ALIAS_NODES // 100
    assert len(parse_yaml(anchor + f"uses: [{', '.join(['*b'] * uses)}]\n", "f")["uses"]) == uses
    refused(anchor + f"uses: [{', '.join(['*b'] * (uses + 1))}]\n")


def test_an_alias_inside_its_own_anchor_is_refused():
    assert "refers to a value holding it" in refused("a: &a [1, *a]\n")


def test_a_policy_file_that_is_too_large_or_not_utf8_is_named(tmp_path):
    path = tmp_path / "policies/sync.yaml"
    path.parent.mkdir()
    path.write_bytes(b"members: {import: manuel\xe9}\n")
    with pytest.raises(InvalidInput) as info:
        load_yaml_file(path, tmp_path)
    assert "policies/sync.yaml, line 1, column 25" in str(info.value)
    path.write_bytes(b"# " + b"x" * 10_000_001 + b"\n")
    with pytest.raises(InvalidInput) as info:
        load_yaml_file(path, tmp_path)
    assert "policies/sync.yaml" in str(info.value) and "larger than the 10,000,000 bytes" in str(
        info.value
    )


def test_deep_nesting_is_a_syntax_error_not_a_crash(tmp_path):
    write(tmp_path, "members", "1", "id: " + "[" * 5000 + "]" * 5000 + "\n")
    assert "maximum nesting depth" in problems(tmp_path)
    nested = "id: " + "[" * 900 + "]" * 900 + "\n"
    assert Lines(nested).of(("id",) + (0,) * 899) == 1  # line maps walk without recursion


def test_writing_to_a_device_writes_to_it_and_never_replaces_it(tmp_path):
    import os
    import stat

    from reconciler.state.loader import write_atomic

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        write_atomic(fifo, "plan\n")
        assert os.read(reader, 100) == b"plan\n"
    finally:
        os.close(reader)
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)  # still the pipe, not a file renamed over it
