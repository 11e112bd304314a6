"""Commits of state changes: a summary line, one body line per entity, and trailers.

The message is what auditors read in `git log` and what `hrsync history` parses, so its form is
fixed: `<kind>: import 3, sync 2, cleanup 1` then the entities, then `Hrsync-*` trailers.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import git

from reconciler.model import KINDS
from reconciler.propose import ProposedChange

DEFAULT_BOT = ("hrsync-bot", "hrsync-bot@users.noreply.github.com")


@dataclass(frozen=True)
class Identity:
    name: str
    email: str

    @classmethod
    def from_config(cls, git_settings: dict) -> Identity:
        return cls(
            git_settings.get("author_name", DEFAULT_BOT[0]),
            git_settings.get("author_email", DEFAULT_BOT[1]),
        )

    def env(self) -> dict[str, str]:
        return {
            "GIT_AUTHOR_NAME": self.name,
            "GIT_AUTHOR_EMAIL": self.email,
            "GIT_COMMITTER_NAME": self.name,
            "GIT_COMMITTER_EMAIL": self.email,
        }


def change_message(changes: Iterable[ProposedChange], trailers: dict[str, str]) -> str:
    changes = list(changes)
    kinds = [k for k in KINDS if any(c.kind == k for c in changes)]
    parts = []
    for kind in kinds:
        counts = {
            a: sum(1 for c in changes if c.kind == kind and c.action == a)
            for a in ("import", "sync", "cleanup")
        }
        parts.append(f"{kind}: " + ", ".join(f"{a} {n}" for a, n in counts.items() if n))
    lines = ["; ".join(parts) or "state: no entity changes", ""]
    for change in changes:
        what = ", ".join(name for name, _, _ in change.changed_fields() if name != "id")
        note = f" ({change.note})" if change.note else ""
        detail = f": {what}" if change.action == "sync" and what else ""
        lines.append(f"- {change.action} {change.kind[:-1]} {change.id}{note}{detail}")
    lines.append("")
    lines += [f"{key}: {value}" for key, value in trailers.items()]
    return "\n".join(lines) + "\n"


def commit_paths(repo: git.Repo, message: str, identity: Identity) -> str | None:
    """Stage state/ and policies/ and commit; None when nothing changed (no empty commits)."""
    repo.git.add("--all", "--", "state", "policies")
    if not repo.index.diff("HEAD"):
        return None
    repo.git.commit("-m", message, env=identity.env())
    return repo.head.commit.hexsha
