"""`reviews: automatic`: the nightly sync files finished reviews into the HRIS and commits the
filing ledger on main with plumbing; a kill after the push never wedges the next night, and
nothing is filed twice."""

from __future__ import annotations

import sqlite3

import git

from reconciler.gitops.pipeline import run_sync
from reconciler.reviews.store import upsert_review
from tests.gitops.test_kills import set_modes
from tests.reviews.fixtures import review

LEDGER = "reviews/ledger.yaml"


def _automatic_reviews(root) -> None:
    set_modes(root, teams="import: automatic", jobs="import: automatic")
    set_modes(root, members="import: automatic")
    path = root / "policies/sync.yaml"
    path.write_text(path.read_text().replace("reviews: manual", "reviews: automatic"))
    repo = git.Repo(root)
    repo.git.commit("-qam", "file reviews every night")
    repo.git.push("-q", "origin", "main")


def _finished_reviews(root, *members: str) -> None:
    db = sqlite3.connect(root / ".hrsync/platform.db")
    for member in members:
        upsert_review(db, review(f"rv-{member}-q4", member))
    db.commit()
    db.close()


def _documents(root) -> list[str]:
    folder = root / "hris/documents"
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.pdf"))


def test_a_night_files_reviews_and_commits_the_ledger_once(runner, tmp_path):
    _automatic_reviews(runner)
    run_sync(runner, apply=True)  # the members exist on the platform
    _finished_reviews(runner, "1001", "1002")
    report = run_sync(runner, apply=True)
    assert "reviews: filed 2 review report(s)" in report.main_commits
    assert [p.split("/")[0] for p in _documents(runner)] == ["1001", "1002"]
    bare = git.Repo(tmp_path / "remote.git")
    message = bare.git.log("-1", "--format=%B", "main")
    assert "Hrsync-Mode: reviews" in message
    assert "rv-1001-q4" in bare.git.show(f"main:{LEDGER}")
    repo = git.Repo(runner)
    assert repo.active_branch.name == "main" and not repo.git.status("--porcelain")
    again = run_sync(runner, apply=True)
    assert not any(s.startswith("reviews:") for s in again.main_commits)
    assert len(_documents(runner)) == 2


def test_a_kill_after_the_ledger_was_pushed_does_not_wedge_the_next_night(runner, tmp_path):
    """The push went out, the checkout never moved: the working tree holds the new ledger (new
    to git), exactly as main on the remote has it. The next night moves over it."""
    _automatic_reviews(runner)
    run_sync(runner, apply=True)
    _finished_reviews(runner, "1001")
    run_sync(runner, apply=True)
    repo = git.Repo(runner)
    pushed = repo.git.show(f"main:{LEDGER}", strip_newline_in_stdout=False)
    repo.git.reset("-q", "--hard", "HEAD~1")  # as if killed after the push, before the move
    (runner / LEDGER).parent.mkdir(exist_ok=True)
    (runner / LEDGER).write_text(pushed)
    assert repo.git.status("--porcelain", "--", LEDGER)
    report = run_sync(runner, apply=True)
    assert not any(s.startswith("reviews:") for s in report.main_commits)
    assert repo.head.commit.hexsha == git.Repo(tmp_path / "remote.git").heads.main.commit.hexsha
    assert not repo.git.status("--porcelain")
    assert len(_documents(runner)) == 1
