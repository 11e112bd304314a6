"""The export result as text for a person: one line per review, then the counts."""

from __future__ import annotations

import re

from reconciler.reviews.export import (
    FAILED,
    FOUND,
    NOT_TRIED,
    REFUSED,
    RETRY,
    SKIPPED,
    UPLOADED,
    WOULD_UPLOAD,
    ExportItem,
    ExportResult,
)

# A name with a newline or escape sequence must not forge or garble listing lines.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def one_line(text: str) -> str:
    return _CONTROL.sub("?", text)


def render_export(result: ExportResult) -> str:
    if result.dry_run:
        head = "Reviews to file into HRIS personnel files (dry run: nothing uploaded)"
    else:
        head = "Reviews filed into HRIS personnel files"
    lines = [head]
    if not result.items:
        lines.append("  (no finished reviews of managed members)")
    width = max((len(_label(i)) for i in result.items), default=0)
    for item in result.items:
        lines.append(f"  {_label(item).ljust(width)}  {_describe(item)}")
    lines.extend(_ignored(result))
    lines.append(_summary(result))
    return "\n".join(lines) + "\n"


def _label(item: ExportItem) -> str:
    if item.outcome == WOULD_UPLOAD:
        return item.action  # upload | new version | retry
    return "up to date" if item.outcome == SKIPPED else item.outcome


def _describe(item: ExportItem) -> str:
    who = f"{item.review_id}  {one_line(item.member_name)} ({item.member_id})"
    if item.outcome in (UPLOADED, FOUND, SKIPPED) and item.location:
        return f"{who}  → {one_line(item.location)}"
    name = one_line(item.filename)
    if item.outcome in (FAILED, REFUSED):
        return f"{who}  {name}: {one_line(item.error or 'failed')}"
    if item.action == RETRY and item.outcome == WOULD_UPLOAD:
        return f"{who}  {name} (interrupted before: looked up in the HRIS first)"
    return f"{who}  {name}"


def _ignored(result: ExportResult) -> list[str]:
    parts = []
    if result.drafts:
        parts.append(f"{result.drafts} draft{'s' if result.drafts != 1 else ''}")
    if result.unmanaged:
        count = len(result.unmanaged)
        ids = ", ".join(result.unmanaged[:5]) + (", …" if count > 5 else "")
        whose = "review of a member" if count == 1 else "reviews of members"
        parts.append(f"{count} {whose} hrsync does not manage ({ids})")
    return [f"Not exported: {'; '.join(parts)}."] if parts else []


def _summary(result: ExportResult) -> str:
    counts = [
        (len(result.to_upload), "to upload"),
        (len(result.having(UPLOADED)), "uploaded"),
        (len(result.having(FOUND)), "found already filed"),
        (len(result.skipped), "up to date"),
        (len(result.having(FAILED)), "failed"),
        (len(result.refused), "refused"),
        (len(result.having(NOT_TRIED)), "not tried"),
    ]
    text = ", ".join(f"{n} {what}" for n, what in counts if n) or "nothing to do"
    if result.stopped:
        text += " (stopped after repeated failures; the next run uploads the rest)"
    elif result.having(FAILED, NOT_TRIED):
        text += " (the next run retries the failed ones)"
    if result.refused:
        text += (
            " (the next run files a refused review once reviews.fallback_fonts has a font "
            "for its characters)"
        )
    return text + "."
