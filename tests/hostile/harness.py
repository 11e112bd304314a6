"""The catalogue's harness: a state repository with a bare remote and a populated platform, a
fingerprint of everything a bad input must not change, and one way to run a command.

Each catalogue case runs a command on hostile or broken input and asserts the same four things:
exit 1, the place named in the message, and the working tree, every ref of the remote and the
platform exactly as they were.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

import git
from click.testing import CliRunner

from reconciler.cli.main import cli
from reconciler.scaffold import init_repository
from tests.conftest import BASE_ROWS, set_policy, write_export


@dataclass(frozen=True)
class Fingerprint:
    worktree: str  # every file under the checkout but .git and .hrsync, with its content
    head: str
    status: str  # git status --porcelain (untracked included)
    remote_refs: str  # git for-each-ref of the bare remote: every branch, every tag
    platform: str  # every row of every table of the embedded platform


def worktree_digest(root: Path) -> str:
    digest = hashlib.sha256()
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in (".git", ".hrsync"))
        for name in sorted(files):
            path = Path(folder, name)
            digest.update(str(path.relative_to(root)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def platform_dump(root: Path) -> str:
    path = root / ".hrsync/platform.db"
    if not path.exists():
        return ""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = [
            r[0]
            for r in connection.execute(
                "select name from sqlite_master where type='table' order by name"
            )
        ]
        out = []
        for table in tables:
            rows = connection.execute(f'select * from "{table}"').fetchall()
            out.append(f"{table}: {sorted(map(repr, rows))}")
        return "\n".join(out)
    finally:
        connection.close()


def fingerprint(root: Path) -> Fingerprint:
    repo = git.Repo(root)
    remote = root.parent / "remote.git"
    refs = subprocess.run(
        ["git", "-C", str(remote), "for-each-ref", "--format=%(refname) %(objectname)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return Fingerprint(
        worktree=worktree_digest(root),
        head=repo.head.commit.hexsha,
        status=repo.git.status("--porcelain", "--untracked-files=all"),
        remote_refs=refs,
        platform=platform_dump(root),
    )


def make_company(tmp_path: Path, *, rows=BASE_ROWS, modes: str = "automatic") -> Path:
    """A state repository over `rows`, every policy `modes`, pushed to tmp_path/remote.git,
    synced once so main and the platform hold the company."""
    export = write_export(tmp_path / "seed.csv", rows)
    root = tmp_path / "company"
    repo = init_repository(root, company="Acme", source="file", export=export)
    set_policy(root, teams=modes, jobs=modes, members=modes)
    repo.git.add("-A")
    repo.git.commit("-qm", "policies", "--allow-empty")
    git.Repo.init(tmp_path / "remote.git", bare=True, initial_branch="main")
    repo.create_remote("origin", str(tmp_path / "remote.git"))
    repo.git.push("-q", "origin", "main")
    result = run(root, "sync")
    assert result.exit_code == 0, result.output
    return root


@dataclass(frozen=True)
class Outcome:
    exit_code: int
    output: str


def run(root: Path, *args: str) -> Outcome:
    result = CliRunner().invoke(cli, ["-C", str(root), *args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(
            f"traceback instead of a message: {result.exception!r}\n{result.output}"
        )
    return Outcome(result.exit_code, result.output)


def assert_refused(root: Path, args: tuple[str, ...], *named: str) -> Outcome:
    """Run `hrsync args`; it must exit 1, name every string in `named`, change nothing."""
    before = fingerprint(root)
    outcome = run(root, *args)
    after = fingerprint(root)
    assert outcome.exit_code == 1, outcome.output
    for text in named:
        assert text in outcome.output, f"{text!r} not in:\n{outcome.output}"
    assert "Traceback" not in outcome.output
    assert len(outcome.output) < 20_000, "an error message must stay readable"
    assert after == before, _what_changed(before, after)
    return outcome


def _what_changed(before: Fingerprint, after: Fingerprint) -> str:
    return "changed: " + ", ".join(
        name
        for name in Fingerprint.__dataclass_fields__
        if getattr(before, name) != getattr(after, name)
    )


def export_path(root: Path) -> Path:
    """The file export hrsync.yaml points at (wherever init put it)."""
    import yaml

    config = yaml.safe_load((root / "hrsync.yaml").read_text(encoding="utf-8"))
    path = Path(config["source"]["path"]).expanduser()
    return path if path.is_absolute() else root / path
