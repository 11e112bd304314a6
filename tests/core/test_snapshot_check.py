"""The one boundary: every unsafe or ambiguous record is named, with where it came from."""

from __future__ import annotations

import pytest

from reconciler.core.ids import ID_PATTERN, is_id
from reconciler.core.model import Employee, Job, Snapshot, Team
from reconciler.core.snapshot_check import check_snapshot
from reconciler.errors import InvalidInput
from reconciler.state.schemas import schema


def person(id="1", **fields):
    base = dict(id=id, email=f"p{id}@acme.example", first_name="P", last_name="Q")
    return Employee(**{**base, **fields}, origin=f"export.csv, line {id}")


def refused(snapshot) -> str:
    with pytest.raises(InvalidInput) as caught:
        check_snapshot(snapshot)
    return str(caught.value)


@pytest.mark.parametrize(
    "bad", ["../x", "a/b", "a\\b", ".x", "x.", "a..b", "a b", "`x`", "<b>", "", "x" * 129, "é"]
)
def test_unsafe_ids_are_refused(bad):
    assert not is_id(bad)
    message = refused(Snapshot("file:x", "t", (person(bad),)))
    assert "export.csv, line" in message


@pytest.mark.parametrize("good", ["1004", "a.b", "D-1_x@y", "x" * 128, "0"])
def test_safe_ids_pass(good):
    assert is_id(good)


def test_the_schemas_state_the_same_id_rule():
    assert schema("members")["properties"]["id"]["pattern"] == ID_PATTERN
    assert schema("teams")["properties"]["id"]["pattern"] == ID_PATTERN


def test_every_problem_is_listed_at_once_with_its_origin():
    snapshot = Snapshot(
        "file:x",
        "t",
        (person("1", email="nope"), person("1"), person("2", last_name="L" * 201)),
    )
    message = refused(snapshot)
    assert "'nope' is not an e-mail address" in message
    assert "also the id of the record at export.csv, line 1" in message
    assert "longer than 200 characters" in message


def test_two_names_for_one_team_id_are_named_both():
    snapshot = Snapshot(
        "file:x", "t", (person("1", team="r-d"),), teams=(Team("r-d", "R&D"), Team("r-d", "R D"))
    )
    message = refused(snapshot)
    assert "'R&D'" in message and "'R D'" in message


def test_repeated_identical_records_are_merged():
    snapshot = Snapshot(
        "file:x", "t", (person("1", job="j"),), jobs=(Job("j", "Dev"), Job("j", "Dev"))
    )
    assert check_snapshot(snapshot).jobs == (Job("j", "Dev"),)


def test_a_huge_value_is_quoted_short():
    message = refused(Snapshot("file:x", "t", (person("1", email="x" * 50_000_000),)))
    assert len(message) < 500


def test_a_checked_snapshot_is_marked_and_an_edited_copy_is_checked_again():
    from dataclasses import replace

    good = Snapshot("file:x", "t", (person("1"),))
    assert not good.checked
    checked = check_snapshot(good)
    assert checked.checked and checked == good
    assert check_snapshot(checked) is checked
    # An edit made after the check (a library caller's `replace`) is not trusted.
    edited = replace(checked, employees=(person("../x"),))
    assert not edited.checked
    assert "export.csv, line" in refused(edited)
    with pytest.raises(TypeError):
        Snapshot("file:x", "t", (person("../x"),), checked=True)


REASONS = ("is not text", "is empty", "is longer than 128", "could name a path", "may hold only")


@pytest.mark.parametrize(
    ("bad", "reason", "why"),
    [
        (7, "is not text", "7 is not text"),
        ("", "is empty", "'' is empty"),
        ("x" * 129, "is longer than 128", "is longer than 128 characters"),
        ("x" * 128 + ".", "is longer than 128", "is longer than 128 characters"),
        (
            "a/b",
            "could name a path",
            "could name a path outside its folder (/, \\, .. or a leading",
        ),
        ("a\\b", "could name a path", "could name a path outside its folder"),
        ("a..b", "could name a path", "could name a path outside its folder"),
        (".env", "could name a path", "could name a path outside its folder"),
        ("a b", "may hold only", "may hold only letters, digits and . _ @ - (starting with a"),
        ("x.", "may hold only", "may hold only letters, digits and . _ @ -"),
        ("-x", "may hold only", "(starting with a letter or digit)"),
    ],
)
def test_each_refused_id_says_why(bad, reason, why):
    """The reason names the fix: a number is no text, a path is a path, a space is a character."""
    message = refused(Snapshot("file:x", "t", (person(bad),)))
    assert why in message
    assert [r for r in REASONS if r in message] == [reason], message


def test_one_team_id_from_two_names_or_two_parents_is_refused_naming_both():
    records = (person("1", team="T"), person("2", team="T"))
    two_names = Snapshot("file:x", "t", records, (Team("T", "Sales"), Team("T", "Sales DE")))
    message = refused(two_names)
    assert "the names 'Sales' and 'Sales DE' both give the id 'T'" in message
    assert "so that two teams are never merged" in message and "export.csv, line 1" in message
    two_parents = Snapshot(
        "file:x", "t", records, (Team("T", "Sales", "A"), Team("T", "Sales", "B"))
    )
    assert "parent: both 'A' and 'B'" in refused(two_parents)
    same_twice = Snapshot("file:x", "t", records, (Team("T", "Sales"), Team("T", "Sales")))
    assert check_snapshot(same_twice).teams == (Team("T", "Sales"),)  # repeated rows merge
    jobs = Snapshot("file:x", "t", (person("1", job="J"),), (), (Job("J", "A"), Job("J", "B")))
    assert "so that two jobs are never merged" in refused(jobs)
    unnamed = Snapshot("file:x", "t", records, (Team("T", ""),))
    assert "name:" in refused(unnamed)
