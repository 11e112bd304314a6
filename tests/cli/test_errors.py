"""Failures a person can cause or meet end in one clear line (or a list of problems) and exit 1,
never a traceback: files that are not UTF-8 or cannot be read or written, a full disk, a locked
or damaged platform database, no git. With -v the traceback is shown as well."""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

import reconciler.targets.sqlite as sqlite_target
from reconciler.cli.main import cli
from tests.conftest import commit_all


@pytest.fixture
def applied(company):
    """The company's state approved and applied: a platform database exists."""
    result = CliRunner().invoke(cli, ["-C", str(company), "propose", "--write", "all"])
    assert result.exit_code == 0, result.output
    commit_all(company)  # apply applies only what main holds
    result = CliRunner().invoke(cli, ["-C", str(company), "apply", "--auto-approve"])
    assert result.exit_code == 0, result.output
    return company


def refused(root: Path, *args: str, verbose: bool = False):
    """Run hrsync; it must exit 1 with its error on stderr, no traceback unless -v. Without -v
    it runs with -q, which leaves the error alone on stderr (no progress lines)."""
    flags = ["-v"] if verbose else ["-q"]
    result = CliRunner().invoke(cli, [*flags, "-C", str(root), *args])
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    if not verbose:
        assert "Traceback" not in result.output
    return result.stderr


def one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), stderr
    return lines[0]


def listed(stderr: str) -> str:
    """An `InvalidInput`: a head line naming the file, then its problems."""
    lines = stderr.strip().splitlines()
    assert lines[0].startswith("Error: Invalid ") and len(lines) <= 3, stderr
    return stderr


def test_a_state_file_in_latin1(applied):
    path = applied / "state/members/3.yaml"
    path.write_bytes(path.read_text().replace("Dev", "Dév").encode("latin-1"))
    stderr = listed(refused(applied, "plan"))
    assert "state/members/3.yaml, line 5, column 13" in stderr and "not UTF-8 text" in stderr


def test_a_policy_in_latin1(applied):
    path = applied / "policies/sync.yaml"
    path.write_bytes(path.read_bytes().replace(b"# Which", b"# Welch\xe9"))
    stderr = listed(refused(applied, "validate"))
    assert "policies/sync.yaml, line 2" in stderr and "byte 0xe9" in stderr


def test_a_plan_file_in_latin1(applied, tmp_path):
    plan = tmp_path / "plan.json"
    plan.write_bytes(b'{"name": "\xe9"}')
    assert "not UTF-8 text" in listed(refused(applied, "apply", str(plan), "--auto-approve"))


def test_an_export_in_latin1_is_an_error_naming_the_line_and_the_fix(applied):
    export = applied / "hris/export.csv"
    export.write_bytes(export.read_bytes().replace(b"Chief", b"Ch\xe9f"))
    stderr = refused(applied, "propose")
    assert "hris/export.csv, line 2" in stderr and "\\xe9" in stderr
    assert "encoding: cp1252" in stderr


def test_a_state_file_that_cannot_be_read(applied, monkeypatch):
    import reconciler.state.loader as loader

    def no_access(path, *args, **kwargs):
        if str(path).endswith("members/3.yaml"):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return open(path, *args, **kwargs)

    # Root reads any file whatever its mode, so the refusal is simulated where files are opened;
    # every file is opened only without the parse cache (it skips files git vouches for).
    monkeypatch.setattr(loader, "open", no_access, raising=False)
    monkeypatch.setenv("HRSYNC_PARSE_CACHE", "0")
    stderr = listed(refused(applied, "validate"))
    assert "state/members/3.yaml" in stderr and "cannot read it: Permission denied" in stderr


def test_a_folder_where_a_state_file_should_be(applied):
    (applied / "state/members/9.yaml").mkdir()
    stderr = listed(refused(applied, "plan"))
    assert "state/members/9.yaml" in stderr and "cannot read it: Is a directory" in stderr


def test_an_output_that_cannot_be_written(applied, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    line = one_line(refused(applied, "plan", "--out", str(blocker / "plan.json")))
    assert line.startswith("Error: File exists: ") or "Not a directory" in line


def test_permission_denied_on_write_names_the_file(applied, tmp_path, monkeypatch):
    def denied(self, *args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", str(self))

    monkeypatch.setattr(Path, "write_text", denied)
    out = tmp_path / "plan.json"
    line = one_line(refused(applied, "plan", "--out", str(out)))
    assert line == f"Error: Permission denied: {out}; check the permissions"


def test_a_full_disk_leaves_no_partial_file(applied, tmp_path, monkeypatch):
    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "replace", full)
    out = tmp_path / "plan.json"
    line = one_line(refused(applied, "plan", "--out", str(out)))
    assert line == f"Error: No space left on device: {out}; free some space and run it again"
    assert list(tmp_path.glob("*plan.json*")) == []


def test_a_full_disk_while_writing_state(company, monkeypatch):
    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "replace", full)
    line = one_line(refused(company, "propose", "--write", "all"))
    assert "No space left on device: " in line and "/state/" in line
    assert list((company / "state").rglob("*.tmp")) == []


def test_a_locked_platform_database(applied, monkeypatch):
    monkeypatch.setattr(sqlite_target, "LOCK_WAIT_SECONDS", 0.1)
    db = sqlite3.connect(applied / ".hrsync/platform.db", isolation_level=None)
    db.execute("UPDATE members SET first_name = 'Hand' WHERE external_id = '3'")
    db.execute("BEGIN IMMEDIATE")  # another process writing
    try:
        stderr = refused(applied, "apply", "--auto-approve")
    finally:
        db.execute("ROLLBACK")
        db.close()
    assert stderr == "Error: another process is using .hrsync/platform.db; try again\n"


def test_a_damaged_platform_database(applied):
    for name in ("platform.db-wal", "platform.db-shm"):
        (applied / ".hrsync" / name).unlink(missing_ok=True)
    (applied / ".hrsync/platform.db").write_bytes(b"not a database" * 512)
    for args in (("plan",), ("show",), ("apply", "--auto-approve")):
        line = one_line(refused(applied, *args))
        assert ".hrsync/platform.db is not an SQLite database" in line, args
    # The review store opens the file itself; the CLI's last resort cannot name it.
    line = one_line(refused(applied, "reviews", "export"))
    assert "the platform database is not an SQLite database" in line


def test_verbose_shows_the_traceback_too(applied, tmp_path, monkeypatch):
    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "replace", full)
    stderr = refused(applied, "plan", "--out", str(tmp_path / "p.json"), verbose=True)
    assert "Traceback (most recent call last)" in stderr
    assert stderr.strip().splitlines()[-1].startswith("Error: No space left on device")


def test_a_bug_stays_a_traceback(applied, monkeypatch):
    from reconciler import operations

    def bug(repo, **options):
        raise KeyError("a bug")

    monkeypatch.setattr(operations, "plan_with_names", bug)
    result = CliRunner().invoke(cli, ["-C", str(applied), "plan"])
    assert isinstance(result.exception, KeyError)


@pytest.mark.skipif(shutil.which("hrsync") is None, reason="hrsync is not installed")
def test_no_git_on_path(tmp_path, monkeypatch):
    from tests.hostile.harness import make_company

    monkeypatch.setenv("HRSYNC_TODAY", "2026-11-25")
    root = make_company(tmp_path)  # with a remote, so that sync gets as far as running git
    # The installed script runs its own Python; a PATH without git is all it takes.
    env = {"HOME": str(tmp_path), "PATH": str(tmp_path / "empty"), "HRSYNC_TODAY": "2026-11-25"}
    exe = shutil.which("hrsync")
    for args in (("sync",), ("history", "--member", "3"), ("init", str(tmp_path / "new"))):
        done = subprocess.run(
            [exe, "-C", str(root), *args], capture_output=True, text=True, env=env
        )
        assert done.returncode == 1, (args, done.stderr)
        assert done.stderr == (
            "Error: git is not installed or not on PATH; hrsync needs it for this command\n"
        ), args
    done = subprocess.run([exe, "--help"], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
