"""Reading the state tree: every problem named with file, line and what is wrong."""

from __future__ import annotations

import pytest

from reconciler.core.model import DesiredState, Job, Member, Team
from reconciler.errors import InvalidInput
from reconciler.state.tree import read_state, write_entities

MEMBER = """\
# yaml-language-server: $schema=../../schemas/member.schema.json
id: '{id}'
email: {email}
first_name: Anna
last_name: Berg
active: true
team: {team}
job: null
manager: {manager}
"""


def write(root, kind, name, text):
    path = root / "state" / kind / f"{name}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def member(root, id, email=None, team="null", manager="null"):
    write(
        root,
        "members",
        id,
        MEMBER.format(id=id, email=email or f"m{id}@acme.example", team=team, manager=manager),
    )


def problems(root) -> str:
    with pytest.raises(InvalidInput) as info:
        read_state(root)
    return str(info.value)


def test_a_written_tree_reads_back_identically(tmp_path):
    desired = DesiredState(
        teams={"eng": Team("eng", "Engineering", None, ("1",))},
        jobs={"dev": Job("dev", "Developer | <b>R&D</b>")},
        members={"1": Member("1", "a@acme.example", "Zoë", "Øvergaard", True, "eng", "dev", None)},
    )
    for kind in ("teams", "jobs", "members"):
        write_entities(tmp_path, kind, desired.of(kind).values())
    assert read_state(tmp_path) == desired
    text = (tmp_path / "state/members/1.yaml").read_text()
    assert (
        text.splitlines()[0] == "# yaml-language-server: $schema=../../schemas/member.schema.json"
    )
    assert [line.split(":")[0] for line in text.splitlines()[1:]] == [
        "id",
        "email",
        "first_name",
        "last_name",
        "active",
        "team",
        "job",
        "manager",
    ]
    # Writing the same state again touches nothing.
    assert write_entities(tmp_path, "members", desired.members.values()) == []


def test_yaml_syntax_error_names_file_line_and_column(tmp_path):
    write(tmp_path, "members", "1", "id: '1'\nemail: [unclosed\n")
    message = problems(tmp_path)
    assert "state/members/1.yaml, line 3" in message
    assert "YAML syntax" in message


def test_schema_problems_are_all_listed_with_their_lines(tmp_path):
    write(
        tmp_path,
        "members",
        "1004",
        """\
id: '1004'
email: 'anna@'
first_name: Anna
last_name: Berg
active: yes please
team: null
job: null
manager: null
shoe_size: 42
""",
    )
    message = problems(tmp_path)
    assert message.splitlines()[0] == 'Invalid member "1004", state/members/1004.yaml, line 2'
    assert "  - email: 'anna@' is not an e-mail address" in message
    assert "active: 'yes please' is not of type 'boolean' (line 5)" in message
    assert "unknown key 'shoe_size' (line 9)" in message


def test_duplicate_key_is_refused(tmp_path):
    write(tmp_path, "jobs", "dev", "id: dev\nname: Developer\nname: Engineer\n")
    message = problems(tmp_path)
    assert "state/jobs/dev.yaml, line 3" in message and "duplicate key 'name'" in message


def test_id_must_match_file_name(tmp_path):
    write(tmp_path, "jobs", "dev", "id: ops\nname: Developer\n")
    assert "id 'ops' does not match the file name 'dev.yaml'" in problems(tmp_path)


def test_unknown_references_and_duplicate_emails(tmp_path):
    member(tmp_path, "1", email="same@acme.example", team="D9")
    member(tmp_path, "2", email="SAME@acme.example", manager="'77'")
    message = problems(tmp_path)
    assert "state/members/1.yaml, line 7" in message and "team: unknown team 'D9'" in message
    assert "state/members/2.yaml, line 3" in message
    assert "'SAME@acme.example' is also the e-mail of member '1'" in message
    assert "manager: unknown member '77' (line 9)" in message


def test_manager_cycle_is_reported_on_each_member(tmp_path):
    member(tmp_path, "1", manager="'2'")
    member(tmp_path, "2", manager="'3'")
    member(tmp_path, "3", manager="'1'")
    member(tmp_path, "4", manager="'1'")
    message = problems(tmp_path)
    assert message.count("manager chain is a cycle") == 3
    assert "1 → 2 → 3 → 1" in message
    assert 'member "4"' not in message


def test_team_that_is_its_own_ancestor(tmp_path):
    write(tmp_path, "teams", "a", "id: a\nname: A\nparent: b\ncoaches: []\n")
    write(tmp_path, "teams", "b", "id: b\nname: B\nparent: a\ncoaches: []\n")
    message = problems(tmp_path)
    assert "state/teams/a.yaml, line 3" in message
    assert "team is its own ancestor (a → b → a)" in message


def test_problems_in_several_files_are_all_reported(tmp_path):
    write(tmp_path, "jobs", "a", "id: a\nname: ''\n")
    write(tmp_path, "jobs", "b", "id: b\n")
    message = problems(tmp_path)
    assert "state/jobs/a.yaml" in message and "state/jobs/b.yaml" in message
    assert "'name' is a required property" in message


def test_a_coach_who_left_does_not_make_the_tree_invalid(tmp_path):
    """Coaches are derived from the members' managers: a merged members proposal that removes
    a coach leaves the team file stale until the next sync, and main must stay valid."""
    from reconciler.state.tree import read_state

    write(tmp_path, "teams", "eng", "id: eng\nname: Eng\nparent: null\ncoaches: ['77']\n")
    member(tmp_path, "1", team="eng")
    assert read_state(tmp_path).teams["eng"].coaches == ("77",)
