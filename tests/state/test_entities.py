"""The fast shape check must agree with the JSON Schema it stands in for."""

from __future__ import annotations

import copy

import pytest

from reconciler.state.entities import looks_valid
from reconciler.state.schemas import validator

GOOD = {
    "members": {
        "id": "1004",
        "email": "a@acme.example",
        "first_name": "A",
        "last_name": "B",
        "active": True,
        "team": "eng",
        "job": None,
        "manager": "1001",
    },
    "teams": {"id": "eng", "name": "Engineering", "parent": None, "coaches": ["1", "2"]},
    "jobs": {"id": "dev", "name": "Developer"},
}
MUTATIONS = [
    ("members", "email", "anna@"),
    ("members", "email", 5),
    ("members", "active", "yes"),
    ("members", "team", 12),
    ("members", "manager", ""),
    ("members", "id", "a b"),
    ("members", "first_name", None),
    ("members", "id", "x" * 129),
    ("teams", "name", ""),
    ("teams", "coaches", ["1", "1"]),
    ("teams", "coaches", "1"),
    ("teams", "parent", "-x"),
    ("jobs", "name", 3),
    ("jobs", "id", None),
    ("members", "last_name", "x" * 201),
]


@pytest.mark.parametrize("kind", sorted(GOOD))
def test_good_documents_pass_both(kind):
    assert looks_valid(kind, GOOD[kind])
    assert not list(validator(kind).iter_errors(GOOD[kind]))


@pytest.mark.parametrize(("kind", "key", "value"), MUTATIONS)
def test_bad_documents_fail_both(kind, key, value):
    data = copy.deepcopy(GOOD[kind])
    data[key] = value
    assert not looks_valid(kind, data)
    assert list(validator(kind).iter_errors(data))


@pytest.mark.parametrize("kind", sorted(GOOD))
def test_missing_or_extra_keys_fail_both(kind):
    extra = {**GOOD[kind], "salary": 1}
    missing = {k: v for k, v in GOOD[kind].items() if k != "id"}
    for data in (extra, missing):
        assert not looks_valid(kind, data)
        assert list(validator(kind).iter_errors(data))
