"""The pull-request body a reviewer reads (pure): summary, warnings first, per-action sections
with before → after, a Mermaid diagram of the part of the org chart that team changes touch,
and how to drop an item. Every value is escaped, in the markdown and in the diagram labels."""

from __future__ import annotations

import io

from reconciler.core.propose import Proposal
from reconciler.gitops.commits import GitSettings
from reconciler.render.markdown import code, esc, proposal_markdown
from reconciler.render.text import visible

BODY_LIMIT = 60_000  # GitHub refuses bodies over 65,536 characters
DIAGRAM_LIMIT = 60  # nodes; a bigger chart is unreadable in a PR


def marker(kind: str) -> str:
    return f"<!-- hrsync:proposal:{kind} -->"


def pull_request_title(proposal: Proposal, kind: str) -> str:
    return f"hrsync: {proposal.summary_line(kind, 'manual')}"


def pull_request_body(proposal: Proposal, kind: str, settings: GitSettings) -> str:
    out = io.StringIO()
    out.write(marker(kind) + "\n")
    proposal_markdown(proposal, out, kind=kind, mode="manual")
    diagram = org_chart(proposal) if kind == "teams" else ""
    if diagram:
        out.write("\n#### Org chart: the teams this changes\n\n" + diagram)
    out.write(_how_to_review(kind, settings))
    body = out.getvalue()
    if len(body) <= BODY_LIMIT:
        return body
    short = io.StringIO()
    short.write(marker(kind) + "\n")
    short.write(f"### hrsync proposal: {esc(proposal.summary_line(kind, 'manual'))}\n\n")
    for warning in proposal.warnings:
        short.write(f"> [!WARNING]\n> {esc(warning)}\n\n")
    short.write(
        "The list of changes is too long for a pull-request body: read it in the commit "
        "message and under *Files changed*.\n"
    )
    short.write(_how_to_review(kind, settings))
    return short.getvalue()


def _how_to_review(kind: str, settings: GitSettings) -> str:
    return (
        "\n---\n"
        f"**How to review.** Merge to accept: the platform is updated when {code(settings.main)} "
        "changes. To drop an item, delete its file (an import) or restore it (a sync or "
        f"clean-up) on {code(settings.branch(kind))} before merging: hrsync rebuilds this branch "
        "every night and will not propose that same change again until the HRIS changes the "
        "entity. To leave an entity out for good, add it to `policies/exclude.yaml`.\n"
    )


def mermaid_label(text: str) -> str:
    """Every character but letters, digits and spaces as a Mermaid entity code (#60;), so no
    name can close the label, inject markup or break the diagram; an invisible character
    (a text-direction override) first becomes visible text (`\\u202e`)."""
    return "".join(c if c.isalnum() or c == " " else f"#{ord(c)};" for c in visible(text))


def org_chart(proposal: Proposal) -> str:
    """A Mermaid flowchart of the changed teams and their ancestors, or '' when none changed."""
    changes = {c.id: c for c in proposal.select("teams", "manual")}
    if not changes:
        return ""
    teams = {**proposal.current.teams, **proposal.proposed.teams}
    shown: list[str] = []
    for team_id in sorted(changes):
        walk = team_id
        while walk is not None and walk in teams and walk not in shown:
            shown.append(walk)
            walk = teams[walk].parent
            if len(shown) >= DIAGRAM_LIMIT:
                break
    node = {team_id: f"t{i}" for i, team_id in enumerate(shown)}
    lines = ["```mermaid", "flowchart TD"]
    for team_id in shown:
        change = changes.get(team_id)
        name = teams[team_id].name
        if change is not None and change.action == "sync" and change.before.name != name:
            name = f"{change.before.name} → {name}"
        label = mermaid_label(f"{name} ({team_id})")
        css = {"import": ":::added", "sync": ":::changed", "cleanup": ":::removed"}.get(
            change.action if change else "", ""
        )
        lines.append(f'  {node[team_id]}["{label}"]{css}')
    for team_id in shown:
        parent = teams[team_id].parent
        if parent in node:
            lines.append(f"  {node[parent]} --> {node[team_id]}")
    lines += [
        "  classDef added fill:#dafbe1,stroke:#1a7f37",
        "  classDef changed fill:#fff8c5,stroke:#9a6700",
        "  classDef removed fill:#ffebe9,stroke:#cf222e,stroke-dasharray: 4 2",
        "```",
        "",
        "<sub>green: new team, yellow: changed, red: removed; the others: unchanged parents</sub>",
        "",
    ]
    return "\n".join(lines)
