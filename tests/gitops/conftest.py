"""Real git: a bare repository on disk is the remote, a clone is the runner's checkout."""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

import git
import pytest

from reconciler.gitops.commits import Identity
from reconciler.scaffold import init_repository

REVIEWER = Identity("Rita Reviewer", "rita@northwind.example")


def demo_file(name: str) -> Path:
    return Path(str(resources.files("reconciler").joinpath("data", "demo", name)))


@pytest.fixture
def runner(tmp_path, monkeypatch) -> Path:
    """The runner's checkout of a fresh state repository (everything manual), pushed to a bare
    remote at tmp_path/remote.git."""
    monkeypatch.setenv("HRSYNC_TODAY", "2026-03-01")
    root = tmp_path / "runner"
    repo = init_repository(root, company="Northwind", source="file")
    new_export(root, "night1.csv")
    git.Repo.init(tmp_path / "remote.git", bare=True, initial_branch="main")
    repo.create_remote("origin", str(tmp_path / "remote.git"))
    repo.git.push("-q", "origin", "main")
    return root


def new_export(root: Path, name: str) -> None:
    """The night's export, where hrsync.yaml expects it: the git-ignored hris/."""
    (root / "hris").mkdir(exist_ok=True)
    shutil.copyfile(demo_file(name), root / "hris/export.csv")


def reviewer_clone(tmp_path: Path, name: str = "reviewer") -> git.Repo:
    clone = git.Repo.clone_from(str(tmp_path / "remote.git"), tmp_path / name)
    with clone.config_writer() as config:
        config.set_value("user", "name", REVIEWER.name)
        config.set_value("user", "email", REVIEWER.email)
    return clone


def remote_heads(tmp_path: Path) -> dict[str, str]:
    bare = git.Repo(tmp_path / "remote.git")
    return {head.name: head.commit.hexsha for head in bare.heads}
