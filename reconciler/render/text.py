"""Plain-text renderers for a terminal: proposal, plan, platform (pure; write to a handle).

Values are printed JSON-quoted, so a name holding a newline or an escape sequence cannot forge
extra lines or colour codes in someone's terminal or CI log.
"""

from __future__ import annotations

import json
from typing import TextIO

from reconciler.core.model import KINDS, SINGULAR
from reconciler.core.plan import Plan
from reconciler.core.platform import PlatformState
from reconciler.core.propose import Proposal

PLAN_MARKS = {"create": "+", "update": "~", "deactivate": "v", "reactivate": "^", "delete": "-"}
PROPOSAL_MARKS = {"import": "+", "sync": "~", "cleanup": "-"}


def value(v) -> str:
    if isinstance(v, tuple):
        v = list(v)
    return json.dumps(v, ensure_ascii=False)


def label(kind: str, entity) -> str:
    """'member 1004 (anna@acme.com)' / 'team eng "Engineering"'."""
    if entity is None:
        return SINGULAR[kind]
    if kind == "members":
        return f"member {entity.id} ({value(entity.email)[1:-1]})"
    return f"{SINGULAR[kind]} {entity.id} {value(entity.name)}"


def _fields(out: TextIO, diff, indent="      ") -> None:
    for name, old, new in diff:
        out.write(f"{indent}{name}: {value(old)} → {value(new)}\n")


def summary(kind: str, entity) -> str:
    """One line of a new entity's fields: what a create or import brings."""
    if kind == "members":
        parts = [value(f"{entity.first_name} {entity.last_name}")]
        parts += [
            f"{k}={getattr(entity, k)}"
            for k in ("team", "job", "manager")
            if getattr(entity, k) is not None
        ]
        if not entity.active:
            parts.append("inactive")
        return " ".join(parts)
    if kind == "teams" and entity.parent:
        return f"parent={entity.parent}"
    return ""


def _describe(out: TextIO, change, indent: str) -> None:
    if change.before is None:
        line = summary(change.kind, change.after)
        if line:
            out.write(f"{indent}{line}\n")
    elif change.after is not None:
        _fields(out, change.changed_fields(), indent)


def proposal_text(proposal: Proposal, out: TextIO, *, mode: str | None = None) -> None:
    out.write(
        f"hrsync proposal from {proposal.source} (snapshot {proposal.snapshot_digest[:12]})\n"
    )
    for warning in proposal.warnings:
        out.write(f"! {warning}\n")
    for note in proposal.waiting:
        out.write(f"· {note}\n")
    for change_mode in ("automatic", "manual"):
        if mode and change_mode != mode:
            continue
        chosen = proposal.select(mode=change_mode)
        if not chosen:
            continue
        title = (
            "Automatic (committed to main)"
            if change_mode == "automatic"
            else ("Manual (waits for review in a pull request)")
        )
        out.write(f"\n{title}:\n")
        for change in chosen:
            entity = change.after or change.before
            note = f"  [{change.note}]" if change.note else ""
            out.write(
                f"  {PROPOSAL_MARKS[change.action]} {change.action:<8} "
                f"{label(change.kind, entity)}{note}\n"
            )
            _describe(out, change, "      ")
    out.write(f"\n{proposal.summary_line(mode=mode)}\n")


def plan_text(plan: Plan, out: TextIO, *, target: str = "platform") -> None:
    out.write(f"hrsync plan: state/ → {target}\n")
    for conflict in plan.conflicts:
        out.write(f"! {conflict.message()}\n")
    if plan.changes:
        out.write("\n")
    for change in plan.changes:
        entity = change.after or change.before
        out.write(
            f"  {PLAN_MARKS[change.action]} {change.action:<10} {label(change.kind, entity)}\n"
        )
        _describe(out, change, "        ")
    out.write(f"\n{plan.summary_line()}\n")


def platform_text(state: PlatformState, out: TextIO, *, target: str = "platform") -> None:
    managed = sum(len(state.of(k)) for k in KINDS)
    out.write(f"{target}: {managed} managed entities, {len(state.unmanaged)} hand-made members\n")
    for kind in KINDS:
        entities = state.of(kind)
        out.write(f"\n{kind.capitalize()} ({len(entities)} managed):\n")
        for key in sorted(entities):
            e = entities[key]
            if kind == "members":
                status = "active" if e.active else "deactivated"
                out.write(
                    f"  {e.id:<10} {value(e.first_name + ' ' + e.last_name):<28} "
                    f"{value(e.email)[1:-1]:<34} {status:<11} team={e.team or '-'} "
                    f"job={e.job or '-'} manager={e.manager or '-'}\n"
                )
            elif kind == "teams":
                coaches = ",".join(e.coaches) or "-"
                out.write(
                    f"  {e.id:<22} {value(e.name):<30} parent={e.parent or '-'} coaches={coaches}\n"
                )
            else:
                out.write(f"  {e.id:<32} {value(e.name)}\n")
    if state.unmanaged:
        out.write("\nHand-made (not managed; adopt with `hrsync link --email E`):\n")
        for u in sorted(state.unmanaged, key=lambda u: u.email):
            out.write(f"  {value(u.email)[1:-1]:<34} {value(u.first_name + ' ' + u.last_name)}\n")
    for limit in state.limits:
        out.write(f"\nThis platform cannot hold: {limit}\n")
