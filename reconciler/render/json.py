"""JSON renderers: the plan (schemas/plan.schema.json), the proposal and the platform.

Plans and proposals carry a `names` map, {kind: {id: name}}, for every id they hold or refer
to that has a name, so a script can print `manager: 1003 (Łukasz Żółć)` as hrsync does."""

from __future__ import annotations

import json
from typing import TextIO

from reconciler.core.model import KINDS, entity_data
from reconciler.core.plan import Plan
from reconciler.core.platform import PlatformState
from reconciler.core.propose import Proposal
from reconciler.render.names import NO_NAMES, Names
from reconciler.render.text import proposal_names, visible_lines


def _dump(data, out: TextIO) -> None:
    # Invisible characters (a text-direction override in a name) as \\u escapes: the same JSON,
    # but nothing a terminal would act on.
    out.write(visible_lines(json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False)))
    out.write("\n")


def plan_json(plan: Plan, out: TextIO, *, names: Names = NO_NAMES) -> None:
    known = names.with_changes(plan.changes)
    _dump({**plan.data, "names": known.mentioned(plan.changes)}, out)


def proposal_data(proposal: Proposal) -> dict:
    return {
        "source": proposal.source,
        "snapshot_digest": proposal.snapshot_digest,
        "nothing_reason": proposal.nothing_reason,
        "mass_removal": proposal.mass_removal,
        "warnings": list(proposal.warnings),
        "waiting": list(proposal.waiting),
        "changes": [
            {
                "kind": c.kind,
                "action": c.action,
                "id": c.id,
                "mode": c.mode,
                "note": c.note,
                "before": entity_data(c.before) if c.before is not None else None,
                "after": entity_data(c.after) if c.after is not None else None,
            }
            for c in proposal.changes
        ],
        "summary": {kind: proposal.counts(kind) for kind in KINDS},
        "names": proposal_names(proposal).mentioned(proposal.changes),
    }


def proposal_json(proposal: Proposal, out: TextIO) -> None:
    _dump(proposal_data(proposal), out)


def platform_json(state: PlatformState, out: TextIO) -> None:
    data = {kind: [entity_data(e) for _, e in sorted(state.of(kind).items())] for kind in KINDS}
    data["unmanaged"] = [
        {
            "platform_id": u.platform_id,
            "email": u.email,
            "first_name": u.first_name,
            "last_name": u.last_name,
            "active": u.active,
        }
        for u in sorted(state.unmanaged, key=lambda u: u.email)
    ]
    data["limits"] = list(state.limits)
    _dump(data, out)
