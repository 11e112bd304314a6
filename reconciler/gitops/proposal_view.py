"""A pending proposal read back from git, for people without a forge (`hrsync review show`).

The bot's proposal commit holds everything its pull-request body shows: its parent is main as
the night left it (the state before), its tree the state the proposal makes, its message each
change in order with its note (`- import member 1016 (likely rehire of member 1004 …)`), the
warnings (`! …`) and the snapshot and source it came from (trailers). So the body is rebuilt
here by the very function that wrote it for the forge, byte for byte.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import git

from reconciler.core.model import SINGULAR, DesiredState
from reconciler.core.propose import Proposal, ProposedChange
from reconciler.errors import HrsyncError
from reconciler.gitops.body import pull_request_body
from reconciler.gitops.checkout import Checkout
from reconciler.gitops.commits import trailers_of
from reconciler.gitops.dropped import last_proposal_commit
from reconciler.gitops.history import entities_at
from reconciler.render.names import REFERENCES, Names

_KIND_OF = {singular: kind for kind, singular in SINGULAR.items()}
_CHANGE = re.compile(
    r"^- (import|sync|cleanup) (team|job|member) (\S+)(?: \((.*)\))?(?:: [a-z_]+(?:, [a-z_]+)*)?$"
)
_REHIRE = re.compile(r"^likely rehire of member (\S+)")


def listed_changes(message: str) -> list[tuple[str, str, str, str]]:
    """(kind, action, id, note) of each `- action kind id (note): fields` line, in order."""
    out = []
    for line in message.splitlines():
        match = _CHANGE.match(line)
        if match:
            action, singular, entity_id, note = match.groups()
            out.append((_KIND_OF[singular], action, entity_id, note or ""))
    return out


def _states(repo: git.Repo, revs: Iterable[str], wanted: set[tuple[str, str]]) -> list:
    """One partial DesiredState per rev: every team and job (an org chart walks parents), the
    members in `wanted`, and the members and teams those refer to (their names are shown)."""
    revs = list(revs)

    def first(kind: str, entity_id: str) -> bool:
        return kind != "members" or ("members", entity_id) in wanted

    found = [entities_at(repo, rev, first) for rev in revs]
    refs = {
        (kind, str(i))
        for state in found
        for entities in state.values()
        for entity in entities.values()
        for field, kind in REFERENCES.items()
        for i in _ids(getattr(entity, field, None))
    }
    more = refs - {("members", i) for state in found for i in state["members"]}
    if any(kind == "members" for kind, _ in more):
        for state, rev in zip(found, revs, strict=True):
            extra = entities_at(repo, rev, lambda k, i: k == "members" and (k, i) in more)
            state["members"].update(extra["members"])
    return [DesiredState(**state) for state in found]


def _ids(value) -> tuple:
    if value is None:
        return ()
    return tuple(value) if isinstance(value, tuple | list) else (value,)


def proposal_at(repo: git.Repo, commit: str) -> Proposal:
    """The proposal a bot's proposal commit was made from, as its pull-request body saw it."""
    made = repo.commit(commit)
    listed = listed_changes(made.message)
    rehires = {
        entity_id: match.group(1)
        for _, _, entity_id, note in listed
        if (match := _REHIRE.match(note))
    }
    wanted = {(kind, entity_id) for kind, _, entity_id, _ in listed}
    wanted |= {("members", old) for old in rehires.values()}
    before, after = _states(repo, (made.parents[0].hexsha, commit), wanted)
    changes = tuple(
        ProposedChange(
            kind,
            action,
            entity_id,
            before.of(kind).get(rehires.get(entity_id, entity_id)),
            None if action == "cleanup" else after.of(kind).get(entity_id),
            "manual",
            note,
        )
        for kind, action, entity_id, note in listed
    )
    warnings = tuple(line[2:] for line in made.message.splitlines() if line.startswith("! "))
    trailers = dict(trailers_of(made.message))
    return Proposal(
        changes,
        warnings,
        before,
        after,
        trailers.get("Hrsync-Snapshot", ""),
        trailers.get("Hrsync-Source", ""),
    )


def names_between(repo: git.Repo, base: str, tip: str, changes) -> Names:
    """Names for `review show`: from the branch's tree, then from main's (an entity removed)."""
    wanted = {(c.kind, c.id) for c in changes}
    for change in changes:
        for field, old, new in change.fields:
            kind = REFERENCES.get(field)
            if kind is not None:
                wanted |= {(kind, str(i)) for value in (old, new) for i in _ids(value)}
    return Names(tuple(_states(repo, (tip, base), wanted)))


def pull_request_body_of(checkout: Checkout, kind: str, tip: str) -> str:
    """The body the forge received for the proposal `tip` holds: made from its last proposal
    commit (a reviewer's later edits show on the branch, not in the body, as on GitHub)."""
    commit = last_proposal_commit(checkout, kind, tip)
    if commit is None:
        raise HrsyncError(f"{checkout.settings.branch(kind)} holds no proposal commit of hrsync")
    return pull_request_body(proposal_at(checkout.repo, commit), kind, checkout.settings)


def pending_names(checkout: Checkout, item) -> Names:
    """Names for a pending proposal (`approval.PendingProposal`) as the branch holds it now."""
    base = checkout.git.merge_base(checkout.remote_ref(checkout.settings.main), item.tip)
    return names_between(checkout.repo, base, item.tip, item.changes)
