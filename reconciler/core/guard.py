"""The removal guard (pure): removals are counted over a rolling window, not per night.

Three removals a night stay under a floor of three, yet remove 12 of 20 people in four nights
without anyone looking. So automatic removals (clean-ups, and member deactivations) are summed
over `safety.window_days`; once the window's sum passes the share (with its floor) the guard
trips: that kind's automatic removals pause, tonight's and later ones go to review, until a
person acknowledges it (merging the held proposal, or `hrsync guard release KIND`). Like Okta's
import safeguards and Entra's deletion quarantine; the pause itself lives in git (gitops/guard.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from reconciler.core.policies import Policy
from reconciler.core.propose import Proposal, ProposedChange


def is_removal(change: ProposedChange) -> bool:
    if change.action == "cleanup":
        return True
    return change.kind == "members" and change.note == "deactivation"


def allowed_removals(policy: Policy, managed: int) -> int:
    return max(policy.min_removal_floor, math.floor(policy.max_removal_share * managed))


@dataclass(frozen=True)
class GuardDecision:
    proposal: Proposal
    tripped: dict[str, tuple[int, int]]  # kind -> (removals in the window with tonight, managed)
    held: dict[str, int]  # kind -> removals held for review tonight


def apply_guard(
    proposal: Proposal,
    policy: Policy,
    window: dict[str, int],
    paused: frozenset[str],
) -> GuardDecision:
    """Tonight's automatic removals, held for review where the kind is paused or where the
    window's count (`window`: automatic removals already on main) would pass the allowance."""
    tripped: dict[str, tuple[int, int]] = {}
    held: dict[str, int] = {}
    warnings = list(proposal.warnings)
    changes = list(proposal.changes)
    for kind in ("teams", "jobs", "members"):
        tonight = [c for c in changes if c.kind == kind and c.mode == "automatic" and is_removal(c)]
        if not tonight:
            continue
        managed = proposal.current.managed(kind)
        total = window.get(kind, 0) + len(tonight)
        if kind not in paused and total <= allowed_removals(policy, managed):
            continue
        if kind not in paused:
            tripped[kind] = (total, managed)
            warnings.insert(
                0,
                f"Removal guard: {total} {kind} removed or deactivated automatically within "
                f"{policy.window_days} days, more than {allowed_removals(policy, managed)} of "
                f"{managed} allowed; automatic {kind} removals are paused until a person "
                f"merges this proposal or runs `hrsync guard release {kind}`.",
            )
        else:
            warnings.insert(
                0,
                f"Removal guard: automatic {kind} removals are paused; {len(tonight)} wait for "
                f"review (merge this proposal or run `hrsync guard release {kind}`).",
            )
        held[kind] = len(tonight)
        chosen = {id(c) for c in tonight}
        changes = [replace(c, mode="manual") if id(c) in chosen else c for c in changes]
    if not held:
        return GuardDecision(proposal, {}, {})
    return GuardDecision(
        replace(proposal, changes=tuple(changes), warnings=tuple(warnings)), tripped, held
    )
