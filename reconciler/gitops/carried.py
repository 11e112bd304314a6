"""What a scoped run (`--only`, `--incremental`) keeps of a pending proposal.

A scoped run proposes only its entities; the rolling branch `hrsync/<kind>` may hold others, put
there by the last full night and waiting for a reviewer. Those stay as the bot proposed them: the
branch is rebuilt on the new main with them carried over, and only the scoped entities replaced.
An item a reviewer already edited is not carried (the drop ledger records it, as at night), and
the next full night proposes everything afresh.
"""

from __future__ import annotations

from reconciler.core.model import DesiredState, entity_from_data
from reconciler.core.propose import ProposedChange, comparable
from reconciler.errors import InvalidInput
from reconciler.gitops.checkout import Checkout
from reconciler.gitops.commits import proposed_digests
from reconciler.gitops.dropped import digest_at, last_proposal_commit
from reconciler.state.loader import MAX_STATE_FILE_BYTES, parse_state_yaml


def carried_changes(
    checkout: Checkout,
    kind: str,
    tip: str | None,
    base: DesiredState,
    scoped: set[tuple[str, str]],
) -> list[ProposedChange]:
    """The changes of `kind` the branch at `tip` proposes for entities outside `scoped`, as
    the bot proposed them, against `base` (what main holds after this run)."""
    if tip is None:
        return []
    proposal_sha = last_proposal_commit(checkout, kind, tip)
    if proposal_sha is None:
        return []
    message = checkout.repo.commit(proposal_sha).message
    carried = []
    for (item_kind, entity_id), digest in sorted(proposed_digests(message).items()):
        if item_kind != kind or (kind, entity_id) in scoped:
            continue
        path = f"state/{kind}/{entity_id}.yaml"
        if digest_at(checkout, tip, kind, path) != digest:
            continue  # a reviewer's edit: the ledger's business, not ours
        after = _entity_at(checkout, tip, kind, path)
        before = base.of(kind).get(entity_id)
        if before is None and after is None:
            continue
        if before is not None and after is not None and comparable(before) == comparable(after):
            continue  # main has it already
        action = "import" if before is None else "cleanup" if after is None else "sync"
        note = ""
        if action == "sync" and kind == "members" and before.active != after.active:
            note = "reactivation" if after.active else "deactivation"
        carried.append(ProposedChange(kind, action, entity_id, before, after, "manual", note))
    return carried


def _entity_at(checkout: Checkout, rev: str, kind: str, path: str):
    text = checkout.show(rev, path)
    if text is None or len(text) > MAX_STATE_FILE_BYTES:
        return None
    try:
        return entity_from_data(kind, parse_state_yaml(text, path))
    except (InvalidInput, TypeError, KeyError, AttributeError):
        return None
