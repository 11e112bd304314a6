"""Catalogue: hostile or broken files in the repository itself — state files, policies, the
configuration, the ledger of dropped changes, the platform database — are refused with the file
(and line) named, exit 1, and nothing changed.

Every bad file is committed and pushed first: `sync` reads main as the remote has it, `validate`,
`plan` and `apply` the checkout, and both must refuse it.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from textwrap import indent

import git
import pytest

import reconciler.targets.sqlite as sqlite_target
from tests.hostile.harness import assert_refused, make_company

STATE_COMMANDS = (("validate",), ("plan",), ("apply", "--auto-approve"), ("sync",))
POLICY_COMMANDS = (("validate",), ("plan",), ("apply", "--auto-approve"), ("sync",))
MEMBER = "state/members/3.yaml"


@pytest.fixture
def company(tmp_path, monkeypatch):
    monkeypatch.setenv("HRSYNC_TODAY", "2026-11-25")
    return make_company(tmp_path)


def laughs(levels: int = 9) -> str:
    """The "billion laughs": nine levels of lists of nine aliases of the level before."""
    lines = ['lol0: &lol0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, levels):
        items = ", ".join([f"*lol{level - 1}"] * 9)
        lines.append(f"lol{level}: &lol{level} [{items}]")
    return "\n".join(lines) + "\n"


def commit_and_push(root: Path, rel: str, content: str | bytes) -> None:
    path = root / rel
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    repo = git.Repo(root)
    repo.git.add(rel)
    repo.git.commit("-qm", f"hostile {rel}")
    repo.git.push("-q", "origin", "main")


def edited(root: Path, rel: str, old: str, new: str) -> str:
    text = (root / rel).read_text(encoding="utf-8")
    assert old in text, (rel, old)
    return text.replace(old, new)


@dataclass(frozen=True)
class Case:
    rel: str  # the file made hostile
    content: Callable[[Path], str | bytes]  # its new content, from the repository
    commands: tuple[tuple[str, ...], ...]
    named: tuple[str, ...]  # what every refusal must say


CASES = {
    "alias bomb in a member file": Case(
        MEMBER,
        lambda root: "id: '3'\n" + laughs(),
        STATE_COMMANDS,
        (f"{MEMBER}, line 2", "YAML anchor '&lol0': anchors and aliases are not allowed"),
    ),
    "one anchor in a member file": Case(
        MEMBER,
        lambda root: edited(root, MEMBER, "first_name: Cy", "first_name: &n Cy"),
        STATE_COMMANDS,
        (f"{MEMBER}, line 4", "'&n'"),
    ),
    "member file in latin-1": Case(
        MEMBER,
        lambda root: edited(root, MEMBER, "Dev", "Dév").encode("latin-1"),
        STATE_COMMANDS,
        (f"{MEMBER}, line 5, column 13", "not UTF-8 text (byte 0xe9)"),
    ),
    "duplicate key in a member file": Case(
        MEMBER,
        lambda root: edited(
            root, MEMBER, "active: true\n", "active: true\nemail: x@acme.example\n"
        ),
        STATE_COMMANDS,
        (f"{MEMBER}, line 7", "duplicate key 'email'"),
    ),
    "unknown key in a member file": Case(
        MEMBER,
        lambda root: edited(root, MEMBER, "active: true\n", "active: true\nsalary: 90000\n"),
        STATE_COMMANDS,
        (f"{MEMBER}, line 7", "unknown key 'salary'"),
    ),
    "50 MB value in a member file": Case(
        MEMBER,
        lambda root: edited(root, MEMBER, "first_name: Cy", "first_name: " + "C" * 50_000_000),
        STATE_COMMANDS,
        (MEMBER, "50,000,167 bytes: larger than the 1,000,000 bytes it may hold"),
    ),
    "500 kB name under the size bound": Case(
        MEMBER,
        lambda root: edited(root, MEMBER, "first_name: Cy", "first_name: " + "C" * 500_000),
        STATE_COMMANDS,
        (f"{MEMBER}, line 4", "first_name: 'CCCC", "(500000 characters) is too long"),
    ),
    "alias bomb in policies/sync.yaml": Case(
        "policies/sync.yaml",
        lambda root: (root / "policies/sync.yaml").read_text() + laughs(),
        POLICY_COMMANDS,
        ("policies/sync.yaml, line 29", "expand the file by more than 10000 values"),
    ),
    "alias bomb in hrsync.yaml": Case(
        "hrsync.yaml",
        lambda root: (root / "hrsync.yaml").read_text() + "git:\n" + indent(laughs(), "  "),
        POLICY_COMMANDS,
        ("hrsync.yaml, line 18", "expand the file by more than 10000 values"),
    ),
    "alias bomb in policies/exclude.yaml": Case(
        "policies/exclude.yaml",
        lambda root: "members: &m []\nteams: *m\njobs: *m\n" + laughs(),
        POLICY_COMMANDS,
        ("policies/exclude.yaml, line 8", "expand the file by more than 10000 values"),
    ),
    "policies/sync.yaml in latin-1": Case(
        "policies/sync.yaml",
        lambda root: edited(root, "policies/sync.yaml", "# Which", "# Wélche").encode("latin-1"),
        POLICY_COMMANDS,
        ("policies/sync.yaml, line 2, column 4", "not UTF-8 text"),
    ),
    "malformed policy value": Case(
        "policies/sync.yaml",
        lambda root: edited(root, "policies/sync.yaml", "max_deletes: 5", "max_deletes: many"),
        POLICY_COMMANDS,
        ("policies/sync.yaml, line 19", "safety.max_deletes: 'many' is not of type 'integer'"),
    ),
    "bad cron in policy": Case(
        "policies/sync.yaml",
        lambda root: edited(root, "policies/sync.yaml", '"0 22 * * *"', '"99 22 * * *"'),
        (("validate",), ("workflows",), ("workflows", "--check"), ("sync",)),
        (
            "policies/sync.yaml, line 22",
            "schedule.teams: '99 22 * * *': minute 99 is out of range (allowed: 0-59",
        ),
    ),
    "dropped.yaml damaged": Case(
        "policies/dropped.yaml",
        lambda root: "members:\n  - id: '3'\n    digest: 42\n",
        (("propose",), ("sync",)),
        ("policies/dropped.yaml, line 3", "members.0.digest: 42 is not of type 'string'"),
    ),
    "alias bomb in dropped.yaml": Case(
        "policies/dropped.yaml",
        lambda root: "members: []\n" + laughs(),
        (("propose",), ("sync",)),
        ("policies/dropped.yaml, line 6", "expand the file by more than 10000 values"),
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_hostile_file_is_refused_and_changes_nothing(company, case):
    spec = CASES[case]
    commit_and_push(company, spec.rel, spec.content(company))
    for command in spec.commands:
        started = time.perf_counter()
        outcome = assert_refused(company, command, *spec.named)
        # Alias bombs once took minutes and gigabytes; a refusal is immediate.
        assert time.perf_counter() - started < 15, command
        assert len(outcome.output) < 2_000, outcome.output[:2_000]


def test_a_locked_platform_database_on_apply(company, monkeypatch):
    monkeypatch.setattr(sqlite_target, "LOCK_WAIT_SECONDS", 0.1)
    db = sqlite3.connect(company / ".hrsync/platform.db", isolation_level=None)
    try:
        # A hand edit in the platform, so that apply has something to write back.
        db.execute("UPDATE members SET first_name = 'Hand' WHERE external_id = '3'")
        db.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        outcome = assert_refused(
            company,
            ("apply", "--auto-approve"),
            "Error: another process is using .hrsync/platform.db; try again",
        )
    finally:
        db.execute("ROLLBACK")
        db.close()
    assert "Traceback" not in outcome.output
