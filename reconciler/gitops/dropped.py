"""Partial approval: what a reviewer dropped from a proposal stays dropped until the HRIS changes.

How it works (also in the README, "Dropping part of a proposal"):

1. The bot's commit on `hrsync/<kind>` lists every proposed entity with a digest of the content
   it proposes (`Hrsync-Proposed: members/1004 <digest>`, see commits.py).
2. A reviewer drops an item by editing the branch: deleting the file of an import, reverting the
   file of a sync or a clean-up (or changing it by hand). Then they merge, or not yet.
3. At the next run, before the branch is rebuilt, hrsync compares the bot's last proposal commit
   with what the reviewer left: the branch tip while the branch exists, else (branch deleted
   after a merge) the branch side of the merge commit on main. An entity whose content there
   differs from its proposed digest, in a file a person (not the bot) touched after the
   proposal, was dropped. It is recorded in `policies/dropped.yaml` with that digest, who
   dropped it and when, in one commit on main.
4. A proposed change whose content digest is recorded is not proposed again. When the HRIS
   changes the entity again, the digest differs: the change is proposed anew and the stale entry
   is removed from the ledger.

To drop an entity for good, whatever the HRIS says, use `policies/exclude.yaml` instead.
Limitation: with squash merges and automatic branch deletion, the proposal commit is gone by the
next run; the dropped item is then proposed once more (drop it again or exclude it).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from reconciler.core.model import KINDS, SINGULAR, entity_from_data
from reconciler.core.propose import Proposal, ProposedChange
from reconciler.errors import InvalidInput
from reconciler.gitops.checkout import Checkout
from reconciler.gitops.commits import content_digest, proposed_digests
from reconciler.state.loader import (
    MAX_STATE_FILE_BYTES,
    dump_yaml,
    load_yaml_file,
    parse_state_yaml,
)
from reconciler.state.schemas import validate_document

DROPPED_FILE = "policies/dropped.yaml"
HEADER = (
    "# Changes a reviewer dropped from an hrsync pull request (written by hrsync sync).\n"
    "# The same proposed content is not proposed again; when the HRIS changes the entity again\n"
    "# it is. To drop an entity for good, use policies/exclude.yaml."
)


@dataclass(frozen=True)
class Drop:
    kind: str
    id: str
    digest: str
    by: str
    on: str  # ISO date of the reviewer's commit
    commit: str  # the reviewer's commit that dropped it

    def data(self) -> dict:
        return {
            "id": self.id,
            "digest": self.digest,
            "by": self.by,
            "on": self.on,
            "commit": self.commit,
        }


class DropLedger:
    """policies/dropped.yaml in memory."""

    def __init__(self, entries: dict[str, list[dict]]):
        self.entries = {kind: list(entries.get(kind) or []) for kind in KINDS}

    @classmethod
    def load(cls, root: Path) -> DropLedger:
        path = root / DROPPED_FILE
        if not path.exists():
            return cls({})
        data, lines = load_yaml_file(path, root)
        validate_document("dropped", data or {}, lines, DROPPED_FILE)
        return cls(data or {})

    def text(self) -> str:
        return dump_yaml(self.entries, HEADER)

    def is_dropped(self, change: ProposedChange) -> bool:
        digest = content_digest(change.kind, change.after)
        return any(
            e["id"] == change.id and e["digest"] == digest for e in self.entries[change.kind]
        )

    def add(self, drop: Drop) -> bool:
        known = {(e["id"], e["digest"]) for e in self.entries[drop.kind]}
        if (drop.id, drop.digest) in known:
            return False
        self.entries[drop.kind].append(drop.data())
        return True

    def prune(
        self,
        proposal: Proposal,
        kinds: tuple[str, ...],
        within: frozenset[tuple[str, str]] | None = None,
    ) -> list[tuple[str, str]]:
        """Forget drops the HRIS has moved on from: the entity is now proposed with other content,
        or not proposed at all (main and the HRIS agree). (kind, id) of each entry removed.
        `within`: a scoped run judges only its own entities (it has not looked at the rest)."""
        proposed = {(c.kind, c.id): content_digest(c.kind, c.after) for c in proposal.changes}
        removed = []
        for kind in kinds:
            kept = []
            for entry in self.entries[kind]:
                outside = within is not None and (kind, entry["id"]) not in within
                if outside or proposed.get((kind, entry["id"])) == entry["digest"]:
                    kept.append(entry)
                else:
                    removed.append((kind, entry["id"]))
            self.entries[kind] = kept
        return removed

    def without_dropped(self, proposal: Proposal) -> Proposal:
        from dataclasses import replace

        return replace(
            proposal, changes=tuple(c for c in proposal.changes if not self.is_dropped(c))
        )


def find_drops(checkout: Checkout, kind: str) -> list[Drop]:
    """Entities the reviewer dropped from the last proposal for `kind` (see the module doc)."""
    found = _last_proposal(checkout, kind)
    if found is None:
        return []
    proposal_sha, reviewed_sha = found
    message = checkout.repo.commit(proposal_sha).message
    bot_email = checkout.settings.bot.email.lower()
    from_hris = proposed_digests(message, hris=True)
    drops = []
    for (item_kind, entity_id), digest in sorted(proposed_digests(message).items()):
        path = f"state/{item_kind}/{entity_id}.yaml"
        if digest_at(checkout, reviewed_sha, item_kind, path) == digest:
            continue
        editor = _last_editor(checkout, proposal_sha, reviewed_sha, path, bot_email)
        if editor is not None:
            sha, by, on = editor
            hris_digest = from_hris[(item_kind, entity_id)]
            drops.append(Drop(item_kind, entity_id, hris_digest, by, on, sha))
    return drops


def last_proposal_commit(checkout: Checkout, kind: str, rev: str) -> str | None:
    """The bot's last proposal commit for `kind` reachable from `rev`."""
    found = checkout.git.log(
        "-1",
        "--format=%H",
        "--all-match",
        f"--grep=^Hrsync-Kind: {kind}$",
        "--grep=^Hrsync-Mode: manual$",
        rev,
    )
    return found or None


def _last_proposal(checkout: Checkout, kind: str) -> tuple[str, str] | None:
    """(the bot's last proposal commit, the commit holding the reviewer's version of it)."""
    settings = checkout.settings
    tip = checkout.rev(checkout.remote_ref(settings.branch(kind)))
    if tip is not None:
        proposal = last_proposal_commit(checkout, kind, tip)
        return (proposal, tip) if proposal else None
    main = checkout.remote_ref(settings.main)
    proposal = last_proposal_commit(checkout, kind, main)
    if not proposal:
        return None
    # The merge that brought it in: the oldest first-parent commit of main descending from it.
    descendants = set(checkout.git.rev_list("--ancestry-path", f"{proposal}..{main}").split())
    on_main = checkout.git.rev_list("--first-parent", f"{proposal}..{main}").split()
    merges = [sha for sha in on_main if sha in descendants]
    if not merges:
        return None  # fast-forwarded: no record of what the reviewer changed
    merge = checkout.repo.commit(merges[-1])
    if len(merge.parents) < 2:
        return None
    return proposal, merge.parents[1].hexsha


def digest_at(checkout: Checkout, rev: str, kind: str, path: str) -> str | None:
    text = checkout.show(rev, path)
    if text is None:
        return content_digest(kind, None)
    try:
        # The state loader's bounds: a reviewer's edit may be anything, an alias bomb included.
        if len(text) > MAX_STATE_FILE_BYTES:
            return None
        return content_digest(kind, entity_from_data(kind, parse_state_yaml(text, path)))
    except (InvalidInput, TypeError, KeyError, AttributeError):
        return None  # a hand edit that is not a valid entity differs from any proposal


def _last_editor(checkout: Checkout, since: str, until: str, path: str, bot_email: str):
    log = checkout.git.log(
        "--format=%H%x00%an <%ae>%x00%ae%x00%cs", f"{since}..{until}", "--", path
    )
    for line in log.splitlines():
        sha, by, email, day = line.split("\x00")
        if email.lower() != bot_email:
            return sha, by, day
    return None


def ledger_message(added: list[Drop], pruned: list[tuple[str, str]]) -> str:
    kinds = [k for k in KINDS if any(d.kind == k for d in added) or any(p[0] == k for p in pruned)]
    subject = "; ".join(
        f"{k}: "
        + ", ".join(
            part
            for part in (
                f"{sum(1 for d in added if d.kind == k)} dropped in review",
                f"{sum(1 for p in pruned if p[0] == k)} proposed again",
            )
            if not part.startswith("0 ")
        )
        for k in kinds
    )
    lines = [subject, ""]
    lines += [f"- dropped {SINGULAR[d.kind]} {d.id} by {d.by} in {d.commit[:10]}" for d in added]
    lines += [f"- no longer dropped: {SINGULAR[k]} {i} (the HRIS changed it)" for k, i in pruned]
    lines += ["", "Hrsync-Mode: ledger"]
    return "\n".join(lines) + "\n"
