"""Plain-text views of the GitOps loop: sync reports, pending proposals, `hrsync history`."""

from __future__ import annotations

from typing import TextIO

from reconciler.core.model import SINGULAR
from reconciler.gitops.history import Event
from reconciler.render.names import NO_NAMES, Names
from reconciler.render.text import named, value


def _how(event: Event) -> str:
    if event.how == "approved":
        where = f"pull request #{event.pull_request}" if event.pull_request else event.branch
        return f"approved ({where or 'merge'}, merged by {event.merged_by})"
    if event.how == "dropped":
        return f"dropped in review by {event.merged_by}"
    if event.how == "automatic":
        return f"automatic ({event.author})"
    if event.how == "derived":
        return f"derived from the members' managers ({event.author})"
    return f"committed directly by {event.author}"


def history_text(events: list[Event], out: TextIO) -> None:
    if not events:
        out.write("No change found.\n")
        return
    for event in events:
        change = event.change
        out.write(
            f"{event.date[:10]}  {event.commit[:10]}  {SINGULAR[change.kind]} {change.id}  "
            f"{change.action}  {value(_how(event))[1:-1]}\n"
        )
        for name, old, new in change.fields:
            if name != "id":
                out.write(f"      {name}: {value(old)} → {value(new)}\n")
        if change.unreadable:
            out.write(f"      unreadable: {value(change.unreadable)[1:-1]}\n")
    out.write(f"{len(events)} change(s).\n")


OUTCOMES = {
    "opened": "proposal opened",
    "updated": "proposal updated",
    "unchanged": "proposal unchanged",
    "closed": "proposal closed, nothing left to review",
    "nothing": "nothing to review",
    "skipped": "branch changed on the remote while syncing; left for the next run",
    "kept": "pending proposal left as it is",
}


def sync_text(report, out: TextIO) -> None:
    """What `hrsync sync` did, one line per step."""
    scope = report.scope
    if scope is not None and scope.on_demand:
        out.write(f"on demand: {value(scope.label())[1:-1]} (and what they need)\n")
    if report.nothing_reason:
        out.write(
            f"Nothing proposed: {report.nothing_reason}. Pending proposals are left as they are.\n"
        )
    for drop in report.drops:
        by = value(drop.by)[1:-1]
        out.write(f"dropped in review: {SINGULAR[drop.kind]} {drop.id} (by {by})\n")
    for subject in report.main_commits:
        out.write(f"main: committed and pushed {value(subject)}\n")
    for outcome in report.kinds:
        where = ""
        if outcome.pull_request is not None:
            pr = outcome.pull_request
            where = f" #{pr.number} {pr.url}" if pr.number else f" {pr.url}"
        count = f" ({outcome.changes} change(s))" if outcome.changes else ""
        out.write(f"{outcome.kind}: {OUTCOMES[outcome.outcome]}{count}{where}\n")
    if report.apply_error is not None:
        out.write(f"apply failed: {report.apply_error}\n")
        if report.plan is not None and report.plan.changes:
            out.write(f"still pending on the platform: {report.plan.summary_line()}\n")
        out.write("The next `hrsync sync` (or `hrsync apply`) applies what is left.\n")
    elif report.plan is not None:
        out.write(f"apply: {report.plan.summary_line()} {report.applied} applied.\n")
    if report.reviews is not None:
        filed = report.reviews
        out.write(
            f"reviews: {len(filed.uploaded)} filed, {len(filed.skipped)} up to date"
            + (f", {len(filed.failed)} failed (retried next run)" if filed.failed else "")
            + "\n"
        )
    if (
        not report.main_commits
        and not report.applied
        and report.apply_error is None
        and all(o.outcome in ("unchanged", "nothing", "kept") for o in report.kinds)
    ):
        out.write("Nothing new: no commit, nothing pushed.\n")


def pending_text(found, out: TextIO) -> None:
    if not found:
        out.write("No proposal waits for review.\n")
    for item in found:
        out.write(
            f"{item.kind:8} {item.branch:16} {len(item.changes):3} change(s)  {item.date}  "
            f"{value(item.subject)[1:-1]}\n"
        )


def proposal_detail_text(
    item, out: TextIO, limit: int | None = None, names: Names = NO_NAMES
) -> None:
    """One pending proposal, entity by entity (the first `limit` of them); its warnings first.
    Ids print with names: `manager: "1003" (Łukasz Żółć)`."""
    for warning in item.warnings:
        out.write(f"! {value(warning)[1:-1]}\n")
    if item.warnings:
        out.write("\n")
    out.write(
        f"{item.branch} at {item.tip[:10]} (last commit by {value(item.author)[1:-1]}, "
        f"{item.date})\n{value(item.subject)[1:-1]}\n\n"
    )
    marks = {"import": "+", "sync": "~", "cleanup": "-"}
    shown = item.changes if limit is None else item.changes[:limit]
    for change in shown:
        entity_name = names.of(change.kind, change.id)
        named_as = f" {value(entity_name)}" if entity_name else ""
        out.write(
            f"  {marks[change.action]} {change.action:8} {SINGULAR[change.kind]} {change.id}"
            f"{named_as}\n"
        )
        for name, old, new in change.fields:
            if name != "id":
                out.write(f"      {name}: {named(names, name, old)} → {named(names, name, new)}\n")
    if len(shown) < len(item.changes):
        out.write(f"  … and {len(item.changes) - len(shown)} more\n")
