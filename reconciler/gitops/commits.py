"""Commits of state changes: a summary line, one body line per entity, and trailers.

The message is what auditors read in `git log` and what `hrsync history` parses, so its form is
fixed: `<kind>: import 3, sync 2, cleanup 1` then the entities, then `Hrsync-*` trailers:

    Hrsync-Kind: members              the kind the commit changes
    Hrsync-Mode: automatic | manual   committed on main by itself, or proposed on a branch
    Hrsync-Snapshot: <sha256>         Snapshot.digest() of the HRIS data it came from
    Hrsync-Source: file:hris/x.csv    (manual commits) the source the snapshot came from
    Hrsync-Proposed: members/1004 <d> (manual commits) each entity with the digest of its
                                      proposed content, so a reviewer's edits can be told apart
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass

import git

from reconciler.core.model import KINDS, SINGULAR, entity_data
from reconciler.core.propose import ProposedChange

DEFAULT_BOT = ("hrsync-bot", "hrsync-bot@users.noreply.github.com")
REMOVED = "removed"
_TRAILER = re.compile(r"^([A-Za-z][A-Za-z0-9-]*): (.*)$")


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

    @classmethod
    def parse(cls, text: str) -> Identity:
        """'Name <email>' as git writes it."""
        match = re.fullmatch(r"\s*(.+?)\s*<([^<>\s]+@[^<>\s]+)>\s*", text)
        if not match:
            raise ValueError(f"{text!r} is not of the form 'Name <email>'")
        return cls(match.group(1), match.group(2))

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"

    def env(self) -> dict[str, str]:
        return {
            "GIT_AUTHOR_NAME": self.name,
            "GIT_AUTHOR_EMAIL": self.email,
            "GIT_COMMITTER_NAME": self.name,
            "GIT_COMMITTER_EMAIL": self.email,
        }


@dataclass(frozen=True)
class GitSettings:
    """hrsync.yaml `git:` block: who the bot is, which remote and which branch is main."""

    bot: Identity
    remote: str = "origin"
    main: str = "main"
    branch_prefix: str = "hrsync/"

    @classmethod
    def from_config(cls, git_settings: dict) -> GitSettings:
        return cls(
            Identity.from_config(git_settings),
            git_settings.get("remote", "origin"),
            git_settings.get("main_branch", "main"),
            git_settings.get("branch_prefix", "hrsync/"),
        )

    def branch(self, kind: str) -> str:
        return f"{self.branch_prefix}{kind}"


def content_digest(kind: str, entity) -> str:
    """A short digest of what a change proposes for one entity (`removed` for a clean-up).

    Team coaches are left out: they are derived from the members and move with every member
    change, while a reviewer's decision is about the team itself.
    """
    if entity is None:
        return REMOVED
    data = entity_data(entity)
    if kind == "teams":
        data.pop("coaches", None)
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def message_with(
    changes: Iterable[ProposedChange],
    trailers: list[tuple[str, str]],
    subject: str = "",
    notes: Iterable[str] = (),
) -> str:
    """The commit message; `trailers` may repeat a key (one Hrsync-Proposed line per entity)."""
    changes = list(changes)
    kinds = [k for k in KINDS if any(c.kind == k for c in changes)]
    parts = []
    for kind in kinds:
        counts = {
            a: sum(1 for c in changes if c.kind == kind and c.action == a)
            for a in ("import", "sync", "cleanup")
        }
        parts.append(f"{kind}: " + ", ".join(f"{a} {n}" for a, n in counts.items() if n))
    lines = [subject or "; ".join(parts) or "state: no entity changes", ""]
    for change in changes:
        what = ", ".join(name for name, _, _ in change.changed_fields() if name != "id")
        note = f" ({change.note})" if change.note else ""
        detail = f": {what}" if change.action == "sync" and what else ""
        lines.append(f"- {change.action} {SINGULAR[change.kind]} {change.id}{note}{detail}")
    notes = list(notes)
    if notes:
        # Warnings (a mass removal first) and what was held back, where auditors read.
        lines += ["", *(f"! {' '.join(str(n).split())}" for n in notes)]
    lines.append("")
    lines += [f"{key}: {value}" for key, value in trailers]
    return "\n".join(lines) + "\n"


def proposal_trailers(
    kind: str,
    mode: str,
    snapshot_digest: str,
    changes: Iterable[ProposedChange],
    from_hris: dict[tuple[str, str], object] | None = None,
) -> list[tuple[str, str]]:
    """`from_hris`: (kind, id) -> the entity as the HRIS has it, where the commit holds back a
    reference (core/accept.py): its digest follows the branch's, so a reviewer's drop is
    remembered for the HRIS content, not for tonight's held-back version of it."""
    from_hris = from_hris or {}
    trailers = [
        ("Hrsync-Kind", kind),
        ("Hrsync-Mode", mode),
        ("Hrsync-Snapshot", snapshot_digest),
    ]
    if mode == "manual":
        for c in changes:
            digest = content_digest(c.kind, c.after)
            hris = from_hris.get((c.kind, c.id), c.after)
            hris_digest = content_digest(c.kind, hris)
            suffix = f" {hris_digest}" if hris_digest != digest else ""
            trailers.append(("Hrsync-Proposed", f"{c.kind}/{c.id} {digest}{suffix}"))
    return trailers


def trailers_of(message: str) -> list[tuple[str, str]]:
    """The trailers of a commit message: `Key: value` lines of its last paragraph."""
    paragraphs = [p for p in message.strip().split("\n\n") if p.strip()]
    if len(paragraphs) < 2:
        return []
    found = []
    for line in paragraphs[-1].splitlines():
        match = _TRAILER.match(line.strip())
        if match:
            found.append((match.group(1), match.group(2).strip()))
    return found


def proposed_digests(message: str, *, hris: bool = False) -> dict[tuple[str, str], str]:
    """(kind, id) -> proposed content digest, from a manual commit's Hrsync-Proposed lines: of
    the file the branch holds, or (`hris=True`) of the entity as the HRIS had it."""
    out = {}
    for key, value in trailers_of(message):
        if key == "Hrsync-Proposed" and " " in value:
            path, *digests = value.split(" ")
            kind, _, entity_id = path.partition("/")
            out[(kind, entity_id)] = digests[-1] if hris else digests[0]
    return out


def commit_paths(repo: git.Repo, message: str, identity: Identity) -> str | None:
    """Stage state/ and policies/ and commit; None when nothing changed (no empty commits).
    The message goes through stdin: a night of 10,000 changes does not fit in argv."""
    repo.git.add("--all", "--", "state", "policies")
    if not repo.index.diff("HEAD"):
        return None
    repo.git.commit("-F", "-", istream=_stdin(message), env=identity.env())
    return repo.head.commit.hexsha


def _stdin(text: str):
    import tempfile

    handle = tempfile.TemporaryFile()
    handle.write(text.encode())
    handle.seek(0)
    return handle
