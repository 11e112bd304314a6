"""Where proposals are reviewed: a pull request per kind on a forge, or just the branches.

`forge: github` opens and updates pull requests through GitHub's REST API (github.py).
`forge: local` has no forge: the branch `hrsync/<kind>` is the proposal, read and merged with
`hrsync review` (review.py).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Protocol

from reconciler.config import Config
from reconciler.errors import HrsyncError


class ForgeError(HrsyncError):
    """The forge refused or failed a call; nothing further was pushed."""


@dataclass(frozen=True)
class PullRequest:
    number: int | None
    url: str
    title: str
    body: str
    head: str
    state: str = "open"


class Forge(Protocol):
    name: str

    def find(self, branch: str) -> PullRequest | None:
        """The open pull request from `branch`, if any."""

    def open(self, branch: str, title: str, body: str) -> PullRequest: ...

    def update(self, pr: PullRequest, title: str, body: str) -> PullRequest: ...

    def close(self, pr: PullRequest, reason: str) -> None: ...

    def upsert_comment(self, number: int, marker: str, body: str) -> None:
        """One comment per pull request holding `marker`: edited, never duplicated."""

    def upsert_comments(self, number: int, prefix: str, bodies: list[str]) -> None:
        """Numbered comments `<!-- prefix:N -->` (a long plan split), each edited in place."""

    def close_session(self) -> None: ...


class LocalForge:
    """No forge: a proposal is the branch itself; opening or closing one is pushing or deleting
    the branch, which the pipeline does."""

    name = "local"

    def __init__(self, remote: str):
        self.remote = remote

    def find(self, branch: str) -> PullRequest | None:
        return None

    def open(self, branch: str, title: str, body: str) -> PullRequest:
        return PullRequest(None, f"{self.remote}/{branch}", title, body, branch)

    def update(self, pr: PullRequest, title: str, body: str) -> PullRequest:
        return PullRequest(pr.number, pr.url, title, body, pr.head)

    def close(self, pr: PullRequest, reason: str) -> None:
        return None

    def upsert_comment(self, number: int, marker: str, body: str) -> None:
        raise ForgeError("forge: local has no pull requests to comment on")

    def upsert_comments(self, number: int, prefix: str, bodies: list[str]) -> None:
        raise ForgeError("forge: local has no pull requests to comment on")

    def close_session(self) -> None:
        return None


# Forges that live in a module of their own, loaded on first use (like SOURCE_MODULES): each
# has `open_forge(settings, main)`, and imports this module's vocabulary, never the other way.
FORGE_MODULES = {"github": "reconciler.gitops.github"}


def open_forge(config: Config, main: str) -> Forge:
    kind = config.forge.get("type", "local")
    if kind in FORGE_MODULES:
        return importlib.import_module(FORGE_MODULES[kind]).open_forge(config.forge, main)
    remote = config.git.get("remote", "origin")
    return LocalForge(remote)
