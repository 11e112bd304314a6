"""core/ids.py: ids, e-mails and how a value is quoted in a message (pure)."""

from __future__ import annotations

import pytest

from reconciler.core.ids import is_email, is_id, shown


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("a@x.example", True),
        ("first.last+tag@sub.x.example", True),
        ("no-at.example", False),
        ("a@@x.example", False),
        ("a b@x.example", False),
        ("a@x", False),  # no dot in the domain
        ("a@x.example\n", False),
        ("a@" + "x" * 250 + ".example", False),  # over 254 characters
        (None, False),
        (7, False),
    ],
)
def test_what_counts_as_an_email(value, ok):
    assert is_email(value) is ok


def test_ids_are_text_only():
    assert is_id("1001") and not is_id(1001) and not is_id(None)


def test_shown_quotes_control_characters_and_cuts_long_values():
    assert shown("a\nb") == "'a\\nb'"
    assert shown("\u202eevil") == "'\\u202eevil'"
    long = shown("x" * 500)
    assert long.endswith("…' (500 characters)") and len(long) < 90
    assert shown(42) == "42"


@pytest.mark.parametrize(("key", "good"), [("id", "1001"), ("email", "a@x.example")])
def test_a_trailing_newline_is_refused_here_and_by_the_schemas(key, good):
    """Python's `$` matches before a final newline: an id `1001\\n` would name the file
    `1001\\n.yaml` and end a commit trailer early."""
    import jsonschema

    from reconciler.state.schemas import schema

    check = is_id if key == "id" else is_email
    assert check(good) and not check(good + "\n")
    pattern = schema("members")["properties"][key]["pattern"]
    validator = jsonschema.Draft202012Validator({"type": "string", "pattern": pattern})
    assert validator.is_valid(good) and not validator.is_valid(good + "\n")
