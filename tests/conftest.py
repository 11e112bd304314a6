"""Shared fixtures: a small company export and a state repository made from it."""

from __future__ import annotations

import csv
import logging
from pathlib import Path

import pytest

from reconciler import operations as ops
from reconciler.scaffold import init_repository

COLUMNS = [
    "employee_id",
    "first_name",
    "last_name",
    "email",
    "status",
    "department_id",
    "department",
    "parent_department_id",
    "job_id",
    "job_title",
    "manager_id",
    "start_date",
    "end_date",
    "salary",
    "date_of_birth",
    "home_address",
]

# A small org: CEO -> CTO -> two engineers; sales head -> rep. Salary etc. must never leak.
BASE_ROWS = [
    line.split(",")
    for line in """\
1,Alma,Chief,alma@acme.example,active,D1,Management,,J1,CEO,,2020-01-01,,250000,1970-01-01,1 Main
2,Bo,Tech,bo@acme.example,active,D2,Engineering,D1,J2,CTO,1,2020-01-01,,200000,1980-02-02,2 Main
3,Cy,Dev,cy@acme.example,active,D2,Engineering,D1,J3,Engineer,2,2021-01-01,,90000,1990-03-03,3 Main
4,Di,Dev,di@acme.example,active,D2,Engineering,D1,J3,Engineer,2,2021-01-01,,90000,1991-04-04,4 Main
5,Ed,Sales,ed@acme.example,active,D3,Sales,D1,J4,Head of Sales,1,2021-01-01,,120000,1985-05-05,5 Mn
6,Fa,Rep,fa@acme.example,active,D3,Sales,D1,J5,Sales Rep,5,2022-01-01,,60000,1995-06-06,6 Main
""".splitlines()
]


def write_export(path: Path, rows: list[list[str]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        writer.writerows(rows)
    return path


def rows_with(
    changes: dict[str, dict[str, str]], extra: list[list[str]] = (), drop: tuple[str, ...] = ()
) -> list[list[str]]:
    """BASE_ROWS with some cells changed ({employee_id: {column: value}}), rows added or dropped."""
    out = []
    for row in BASE_ROWS:
        if row[0] in drop:
            continue
        row = list(row)
        for column, value in changes.get(row[0], {}).items():
            row[COLUMNS.index(column)] = value
        out.append(row)
    return out + [list(r) for r in extra]


@pytest.fixture(autouse=True)
def fresh_logging():
    """Each test starts with hrsync's logging as a new process has it: one command's -q or -v
    (click's runner runs commands in this process) must not change what the next test logs."""
    yield
    logger = logging.getLogger("reconciler")
    logger.setLevel(logging.NOTSET)
    for handler in list(logger.handlers):
        logger.removeHandler(handler)


@pytest.fixture
def company(tmp_path, monkeypatch) -> Path:
    """A fresh state repository over BASE_ROWS, policies all manual, today pinned."""
    monkeypatch.setenv("HRSYNC_TODAY", "2026-11-25")
    root = tmp_path / "company"
    # the export lives in the repository's git-ignored hris/, where set_export rewrites it
    export = write_export(root / "hris/export.csv", BASE_ROWS)
    init_repository(root, company="Acme", source="file", export=export)
    return root


def set_export(root: Path, rows) -> None:
    write_export(root / "hris/export.csv", rows)


def approve_all(root: Path) -> None:
    """fetch → propose → write every change into state/ and commit it on main (what merging
    the PRs does: apply applies only what main holds)."""
    repo = ops.Repo.open(root)
    proposal = ops.make_proposal(repo, ops.fetch_snapshot(repo))
    ops.write_proposal(repo, proposal, lambda change: True)
    commit_all(root)


def commit_all(root: Path, message: str = "approved") -> None:
    import git

    repo = git.Repo(root)
    repo.git.add("-A", "--", "state", "policies")
    repo.git.commit("-qm", message, "--allow-empty")


def set_policy(root: Path, **modes: str) -> None:
    """set_policy(root, members="automatic") rewrites every action of the kinds named."""
    import re

    path = root / "policies/sync.yaml"
    text = path.read_text()
    for kind, mode in modes.items():
        text = re.sub(
            rf"^{kind}:\s*\{{.*\}}",
            f"{kind}: {{import: {mode}, sync: {mode}, cleanup: {mode}}}",
            text,
            flags=re.M,
        )
    path.write_text(text)
