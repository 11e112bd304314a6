"""Plain-text renderers for a terminal: proposal, plan, platform (pure; write to a handle).

Values are printed JSON-quoted, so a name holding a newline or an escape sequence cannot forge
extra lines or colour codes in someone's terminal or CI log; invisible characters (text-direction
overrides, zero-width characters, C1 controls), which JSON leaves as they are, are shown as
`\\uXXXX` too: state files edited by hand reach here without the snapshot check.
Ids that refer to other entities print with their names: `manager: "1003" (Łukasz Żółć)`.
"""

from __future__ import annotations

import json
import re
import unicodedata
from typing import TextIO

from reconciler.core.model import KINDS, SINGULAR
from reconciler.core.plan import Plan
from reconciler.core.platform import PlatformState
from reconciler.core.propose import Proposal
from reconciler.render.names import NO_NAMES, Names

PLAN_MARKS = {"create": "+", "update": "~", "deactivate": "v", "reactivate": "^", "delete": "-"}
PROPOSAL_MARKS = {"import": "+", "sync": "~", "cleanup": "-"}


def visible(text: str) -> str:
    """`text` with each control or invisible character (bidi overrides, zero-width, C0/C1,
    line separators) as `\\uXXXX` (a surrogate pair beyond U+FFFF, as JSON writes it), so
    nothing can reorder, hide or break a line; inside a JSON string the escape means the same
    character."""
    if text.isprintable():
        return text
    return "".join(
        ch if ch.isprintable() or unicodedata.category(ch) == "Zs" else _escaped(ch) for ch in text
    )


def _escaped(ch: str) -> str:
    units = ch.encode("utf-16-be")
    return "".join(f"\\u{int.from_bytes(units[i : i + 2]):04x}" for i in range(0, len(units), 2))


def visible_lines(text: str) -> str:
    """`visible` for each line of a text whose line breaks are its own (JSON, a message)."""
    return _LINE.sub(lambda line: visible(line.group()), text)


_LINE = re.compile(r"[^\r\n]+")


def value(v) -> str:
    if isinstance(v, tuple):
        v = list(v)
    return visible(json.dumps(v, ensure_ascii=False))


def named(names: Names, field: str, v) -> str:
    """A field's value; each id it refers to followed by its name where one is known."""
    refs = names.refs(field, v)
    if refs is None:
        return value(v)
    parts = [value(i) + (f" ({value(n)[1:-1]})" if n else "") for i, n in refs]
    return "[" + ", ".join(parts) + "]" if isinstance(v, tuple | list) else parts[0]


def label(kind: str, entity) -> str:
    """'member 1004 (anna@acme.com)' / 'team eng "Engineering"'."""
    if entity is None:
        return SINGULAR[kind]
    if kind == "members":
        return f"member {entity.id} ({value(entity.email)[1:-1]})"
    return f"{SINGULAR[kind]} {entity.id} {value(entity.name)}"


def _fields(out: TextIO, diff, indent: str, names: Names) -> None:
    for name, old, new in diff:
        out.write(f"{indent}{name}: {named(names, name, old)} → {named(names, name, new)}\n")


def _ref(names: Names, field: str, entity_id: str) -> str:
    """`D210 (Engineering)` in a `key=value` summary."""
    ((_, name),) = names.refs(field, entity_id)
    return value(entity_id)[1:-1] + (f" ({value(name)[1:-1]})" if name else "")


def summary(kind: str, entity, names: Names = NO_NAMES) -> str:
    """One line of a new entity's fields: what a create or import brings."""
    if kind == "members":
        parts = [value(f"{entity.first_name} {entity.last_name}")]
        parts += [
            f"{k}={_ref(names, k, getattr(entity, k))}"
            for k in ("team", "job", "manager")
            if getattr(entity, k) is not None
        ]
        if not entity.active:
            parts.append("inactive")
        return " ".join(parts)
    if kind == "teams" and entity.parent:
        return f"parent={_ref(names, 'parent', entity.parent)}"
    return ""


def _describe(out: TextIO, change, indent: str, names: Names) -> None:
    if change.before is None:
        line = summary(change.kind, change.after, names)
        if line:
            out.write(f"{indent}{line}\n")
    elif change.after is not None:
        _fields(out, change.changed_fields(), indent, names)


def proposal_names(proposal: Proposal) -> Names:
    """Names as the HRIS gives them, then as state/ has them (an entity being removed)."""
    return Names((proposal.proposed, proposal.current))


def proposal_text(proposal: Proposal, out: TextIO, *, mode: str | None = None) -> None:
    out.write(
        f"hrsync proposal from {proposal.source} (snapshot {proposal.snapshot_digest[:12]})\n"
    )
    for warning in proposal.warnings:
        out.write(f"! {visible(warning)}\n")
    for note in proposal.waiting:
        out.write(f"· {visible(note)}\n")
    names = proposal_names(proposal)
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
            note = f"  [{visible(change.note)}]" if change.note else ""
            out.write(
                f"  {PROPOSAL_MARKS[change.action]} {change.action:<8} "
                f"{label(change.kind, entity)}{note}\n"
            )
            _describe(out, change, "      ", names)
    out.write(f"\n{proposal.summary_line(mode=mode)}\n")


def plan_text(
    plan: Plan, out: TextIO, *, target: str = "platform", names: Names = NO_NAMES
) -> None:
    out.write(f"hrsync plan: state/ → {target}\n")
    names = names.with_changes(plan.changes)
    for conflict in plan.conflicts:
        out.write(f"! {visible(conflict.message())}\n")
    if plan.changes:
        out.write("\n")
    for change in plan.changes:
        entity = change.after or change.before
        out.write(
            f"  {PLAN_MARKS[change.action]} {change.action:<10} {label(change.kind, entity)}\n"
        )
        _describe(out, change, "        ", names)
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
