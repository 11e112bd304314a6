"""snapshot + state + policies → Proposal (pure): each difference is one import, sync or cleanup,
and the policy says whether it is automatic, manual or off."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date

from reconciler.core.desired import derive, resolve
from reconciler.core.model import KINDS, DesiredState, Snapshot, Team, field_diff
from reconciler.core.policies import ACTIONS, Policy
from reconciler.core.scope import (
    Scope,
    UnknownInScope,
    in_scope,
    needed,
    scoped_warnings,
    unknown_in_scope,
)
from reconciler.core.snapshot_check import check_snapshot


@dataclass(frozen=True)
class ProposedChange:
    kind: str
    action: str  # import | sync | cleanup
    id: str
    before: object | None
    after: object | None
    mode: str  # automatic | manual
    note: str = ""  # "deactivation", "reactivation", "likely rehire of member 1004"

    def changed_fields(self) -> list[tuple[str, object, object]]:
        return field_diff(self.before, self.after)


@dataclass(frozen=True)
class Proposal:
    changes: tuple[ProposedChange, ...]
    warnings: tuple[str, ...]
    current: DesiredState
    proposed: DesiredState
    snapshot_digest: str
    source: str
    nothing_reason: str | None = None
    mass_removal: bool = False
    waiting: tuple[str, ...] = ()

    def select(self, kind: str | None = None, mode: str | None = None) -> list[ProposedChange]:
        return [
            c
            for c in self.changes
            if (kind is None or c.kind == kind) and (mode is None or c.mode == mode)
        ]

    def counts(self, kind: str | None = None, mode: str | None = None) -> dict[str, int]:
        counts = dict.fromkeys(ACTIONS, 0)
        for change in self.select(kind, mode):
            counts[change.action] += 1
        return counts

    def summary_line(self, kind: str | None = None, mode: str | None = None) -> str:
        if self.nothing_reason:
            return f"Nothing proposed: {self.nothing_reason}."
        chosen = self.select(kind, mode)
        if not chosen:
            return "No changes: state/ matches the HRIS."
        parts = []
        for k in KINDS if kind is None else (kind,):
            counts = self.counts(k, mode)
            if any(counts.values()):
                parts.append(f"{k}: " + ", ".join(f"{a} {n}" for a, n in counts.items() if n))
        return "; ".join(parts)


def propose(
    snapshot: Snapshot,
    current: DesiredState,
    policy: Policy,
    today: date,
    scope: Scope | None = None,
) -> Proposal:
    """`scope`: only the named entities and what they need (core/scope.py); the policies and
    the mass-removal judgement are the whole snapshot's, as on any night."""
    snapshot = check_snapshot(snapshot)  # callers check at fetch; a library caller may not have
    digest = snapshot.digest()
    if scope is not None and scope.on_demand:
        unknown = unknown_in_scope(scope, snapshot, current)
        if unknown:
            raise UnknownInScope(
                f"--only: {', '.join(unknown)} is neither in the HRIS nor in state/; "
                "check the id (`hrsync fetch` shows what the HRIS holds)"
            )
    if not snapshot.complete:
        return _nothing(snapshot, current, digest, "the HRIS fetch was incomplete")
    if not snapshot.employees:
        return _nothing(snapshot, current, digest, "the HRIS returned no employees")

    derived = derive(snapshot, current, policy, today)
    proposed = derived.state
    replaced = set(derived.rehires.values())
    changes: list[ProposedChange] = []
    for kind in KINDS:
        want, have = proposed.of(kind), current.of(kind)
        for key in sorted(want.keys() - have.keys()):
            old_id = derived.rehires.get(key) if kind == "members" else None
            if old_id is not None:
                changes.append(
                    _change(
                        policy,
                        kind,
                        "import",
                        key,
                        have[old_id],
                        want[key],
                        f"likely rehire of member {old_id} (same e-mail)",
                        force_manual=True,
                    )
                )
            else:
                changes.append(_change(policy, kind, "import", key, None, want[key]))
        for key in sorted(want.keys() & have.keys()):
            before, after = have[key], want[key]
            if comparable(before) != comparable(after):
                changes.append(
                    _change(
                        policy, kind, "sync", key, before, after, _sync_note(kind, before, after)
                    )
                )
        for key in sorted(have.keys() - want.keys()):
            if kind == "members" and key in replaced:
                continue  # shown as part of the rehire
            changes.append(_change(policy, kind, "cleanup", key, have[key], None))
    changes = [c for c in changes if c.mode != "off"]

    warnings = list(derived.warnings)
    mass = _is_mass_removal(changes, current, policy)
    if mass:
        removals, managed = mass
        warnings.insert(
            0,
            (
                f"This would remove or deactivate {removals} of {managed} members "
                f"({removals / managed:.0%} > {policy.max_removal_share:.0%}); "
                "nothing is automatic, review every change. An HRIS export that lost people "
                "looks exactly like this."
            ),
        )
        changes = [replace(c, mode="manual") for c in changes]
    waiting = derived.waiting
    if scope is not None:
        changes = in_scope(changes, scope, proposed, current)
        keys = needed(scope, proposed, current)
        warnings = warnings[:1] if mass else []
        warnings += scoped_warnings(derived.warnings, keys)
        waiting = tuple(scoped_warnings(waiting, keys))
    return Proposal(
        tuple(changes),
        tuple(warnings),
        current,
        proposed,
        digest,
        snapshot.source,
        mass_removal=bool(mass),
        waiting=waiting,
    )


def _nothing(snapshot: Snapshot, current: DesiredState, digest: str, reason: str) -> Proposal:
    return Proposal(
        (),
        (f"{reason}; nothing is proposed",),
        current,
        current,
        digest,
        snapshot.source,
        nothing_reason=reason,
    )


def _change(policy: Policy, kind, action, key, before, after, note="", force_manual=False):
    mode = policy.mode(kind, action)
    if force_manual and mode == "automatic":
        mode = "manual"
    return ProposedChange(kind, action, key, before, after, mode, note)


def comparable(entity):
    # Coaches are derived from the members; they follow whatever member changes are accepted.
    return replace(entity, coaches=()) if isinstance(entity, Team) else entity


def _sync_note(kind: str, before, after) -> str:
    if kind == "members" and before.active != after.active:
        return "reactivation" if after.active else "deactivation"
    if kind in ("teams", "jobs") and before.name != after.name:
        return "rename"
    return ""


def _is_mass_removal(changes, current: DesiredState, policy: Policy) -> tuple[int, int] | None:
    managed = current.managed("members")
    removals = sum(
        1
        for c in changes
        if c.kind == "members"
        and (c.action == "cleanup" or c.note == "deactivation")
        and c.before is not None
        and c.before.active
    )
    allowed = max(policy.min_removal_floor, math.floor(policy.max_removal_share * managed))
    return (removals, managed) if removals > allowed and managed else None


def accept(
    proposal: Proposal, policy: Policy, chosen: Callable[[ProposedChange], bool]
) -> tuple[DesiredState, list[str]]:
    """The tree after accepting the chosen changes, made consistent (see desired.resolve)."""
    state = {kind: dict(proposal.current.of(kind)) for kind in KINDS}
    for change in proposal.changes:
        if not chosen(change):
            continue
        target = state[change.kind]
        if change.action == "cleanup":
            target.pop(change.id, None)
        else:
            if change.before is not None and change.before.id != change.id:
                target.pop(change.before.id, None)  # rehire: the new id replaces the old
            target[change.id] = change.after
    warnings: list[str] = []
    result = resolve(DesiredState(**state), proposal.proposed, policy, warnings)
    return result, warnings
