"""Markdown renderers (pull-request bodies, plan comments). Every value is escaped: names and
job titles contain `|`, `*`, `<b>` and the like, and must neither break a table nor inject HTML;
invisible characters (text-direction overrides, zero-width) are shown as `\\uXXXX`. Ids that
refer to other entities show their names: `manager: 1003 (Łukasz Żółć)`."""

from __future__ import annotations

import html
import re
from typing import TextIO

from reconciler.core.model import KINDS, SINGULAR
from reconciler.core.plan import Plan
from reconciler.core.propose import Proposal
from reconciler.render.names import NO_NAMES, Names
from reconciler.render.text import proposal_names, visible

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>])")
COLLAPSE_AFTER = 10
PLAN_ICONS = {"create": "➕", "update": "✏️", "deactivate": "⏸️", "reactivate": "▶️", "delete": "🗑️"}


def esc(value) -> str:
    """Escape for markdown text and table cells: HTML first, then markdown, no raw newlines."""
    if value is None:
        return "*none*"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, tuple | list):
        return ", ".join(esc(v) for v in value) or "*none*"
    text = html.escape(_one_line(value), quote=False)
    return _MD_SPECIAL.sub(r"\\\1", text)


def _one_line(value) -> str:
    """Line breaks as spaces, other invisible characters shown (`\\u202e`)."""
    return visible(str(value).replace("\r", " ").replace("\n", " "))


def code(value) -> str:
    """A code span that holds any text: a fence longer than any backtick run inside (so an id
    with backticks cannot close it), pipes escaped for table cells, no raw newlines. Inside a
    code span HTML is shown as text, never rendered."""
    text = _one_line(value).replace("|", "\\|")
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or longest else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _name(kind: str, entity) -> str:
    if kind == "members":
        return f"{esc(entity.first_name)} {esc(entity.last_name)} ({esc(entity.email)})"
    return esc(entity.name)


def named(names: Names, field: str, value) -> str:
    """A field's value, escaped; each id it refers to followed by its name where known."""
    refs = names.refs(field, value)
    if refs is None:
        return esc(value)
    return ", ".join(esc(i) + (f" ({esc(n)})" if n else "") for i, n in refs) or esc(value)


def _diff_cell(diff, names: Names) -> str:
    return "<br>".join(
        f"{esc(name)}: {named(names, name, old)} → {named(names, name, new)}"
        for name, old, new in diff
    )


def _detail(change, names: Names) -> str:
    """What a change does to the entity: its fields when new, before → after otherwise."""
    if change.after is None:
        return ""
    if change.before is None:
        return "<br>".join(
            f"{esc(name)}: {named(names, name, new)}"
            for name, _, new in change.changed_fields()
            if name != "id"
        )
    return _diff_cell(change.changed_fields(), names)


def _section(out: TextIO, title: str, rows: list[str], header: str) -> None:
    if not rows:
        return
    body = f"{header}\n" + "\n".join(rows) + "\n"
    if len(rows) > COLLAPSE_AFTER:
        out.write(
            f"<details><summary><b>{title}</b> ({len(rows)})</summary>\n\n{body}\n</details>\n\n"
        )
    else:
        out.write(f"#### {title} ({len(rows)})\n\n{body}\n")


def proposal_markdown(
    proposal: Proposal, out: TextIO, *, kind: str | None = None, mode: str | None = None
) -> None:
    out.write(f"### hrsync proposal: {esc(proposal.summary_line(kind, mode))}\n\n")
    for warning in proposal.warnings:
        out.write(f"> [!WARNING]\n> {esc(warning)}\n\n")
    header = "| | id | name | change |\n|---|---|---|---|"
    names = proposal_names(proposal)
    for action, title in (("import", "Import"), ("sync", "Sync"), ("cleanup", "Clean-up")):
        rows = []
        for change in proposal.select(kind, mode):
            if change.action != action:
                continue
            entity = change.after or change.before
            detail = _detail(change, names) or "removed from the HRIS: file removed"
            note = f" *({esc(change.note)})*" if change.note else ""
            rows.append(
                f"| {SINGULAR[change.kind]} | {code(change.id)} | "
                f"{_name(change.kind, entity)}{note} | {detail} |"
            )
        _section(out, title, rows, header)
    out.write(
        f"<sub>snapshot {code(proposal.snapshot_digest[:12])} from {esc(proposal.source)}</sub>\n"
    )


def refusals_markdown(problems) -> str:
    """What apply would refuse, as warnings above the plan: a reviewer sees it before merging."""
    return "".join(f"> [!WARNING]\n> apply would refuse this plan: {esc(p)}\n\n" for p in problems)


def plan_markdown(
    plan: Plan, out: TextIO, *, target: str = "platform", names: Names = NO_NAMES
) -> None:
    names = names.with_changes(plan.changes)
    out.write(f"### hrsync plan for {esc(target)}: {esc(plan.summary_line())}\n\n")
    for conflict in plan.conflicts:
        out.write(f"> [!WARNING]\n> {esc(conflict.message())}\n\n")
    header = "| | kind | id | name | change |\n|---|---|---|---|---|"
    for kind in KINDS:
        rows = []
        for change in plan.changes:
            if change.kind != kind:
                continue
            entity = change.after or change.before
            detail = _detail(change, names)
            rows.append(
                f"| {PLAN_ICONS[change.action]} {change.action} | "
                f"{SINGULAR[kind]} | {code(change.id)} | {_name(kind, entity)} | "
                f"{detail} |"
            )
        _section(out, kind.capitalize(), rows, header)
