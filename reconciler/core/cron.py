"""Cron expressions as GitHub Actions' `on.schedule` accepts them, checked before any workflow
is written: GitHub reports a bad cron only as a workflow that never runs.

GitHub's syntax is POSIX cron: five fields, each `*`, a value, a range `a-b`, or a step (`*/n`,
`a-b/n`, `a/n`: from a to the field's end), several joined with commas; months and weekdays
also by their English three-letter names. No seconds field, no `@daily`-style shortcuts, no
`L`, `W`, `#` or `?` (those are Quartz's or other crons').
"""

from __future__ import annotations

from dataclasses import dataclass

from reconciler.core.ids import shown


@dataclass(frozen=True)
class Field:
    name: str
    low: int
    high: int
    names: tuple[str, ...] = ()  # names[i] stands for low + i

    def allowed(self) -> str:
        words = f" or {self.names[0]}-{self.names[-1]}" if self.names else ""
        return f"{self.low}-{self.high}{words}"


FIELDS = (
    Field("minute", 0, 59),
    Field("hour", 0, 23),
    Field("day of month", 1, 31),
    Field(
        "month",
        1,
        12,
        ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"),
    ),
    Field("day of week", 0, 6, ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")),
)
LAYOUT = "minute hour day-of-month month day-of-week"


def cron_problem(expression) -> str | None:
    """Why GitHub Actions would not run `expression`, or None when it is a valid cron."""
    if type(expression) is not str:
        return f"a cron is a string ({LAYOUT}), not {type(expression).__name__}"
    if expression.startswith("@"):
        return "GitHub Actions has no @-shortcuts; write the 5 fields"
    parts = expression.split()
    if len(parts) != len(FIELDS):
        return f"{len(parts)} field(s); GitHub Actions' cron has 5 ({LAYOUT}), no seconds"
    for field, part in zip(FIELDS, parts, strict=True):
        for item in part.split(","):
            problem = _item_problem(field, item)
            if problem:
                return f"{field.name} {problem} (allowed: {field.allowed()}, *, a-b, a,b, /step)"
    return None


def _item_problem(field: Field, item: str) -> str | None:
    """What is wrong with one comma-separated item of a field, or None."""
    if not item:
        return "has an empty list item"
    span, slash, step = item.partition("/")
    if slash and (not _digits(step) or int(step) == 0):
        return f"step {_show(step)} is not a whole number of at least 1"
    if span == "*":
        return None
    low, dash, high = span.partition("-")
    values = []
    for text in (low, high) if dash else (low,):
        value = _value(field, text)
        if value is None:
            return f"{_show(text)} is not a value" if text else f"{_show(item)} is incomplete"
        if not field.low <= value <= field.high:
            return f"{_show(text)} is out of range"
        values.append(value)
    if dash and values[0] > values[1]:
        return f"range {_show(span)} runs backwards"
    return None


def _digits(text: str) -> bool:
    # ASCII only: str.isdigit() also accepts "²" and other digits int() refuses.
    return text.isascii() and text.isdigit()


def _value(field: Field, text: str) -> int | None:
    if _digits(text):
        # A few digits decide the range; a thousand-digit "number" is not worth converting.
        return int(text) if len(text) <= 6 else field.high + 1
    upper = text.upper()
    if upper in field.names:
        return field.low + field.names.index(upper)
    return None


def _show(text: str) -> str:
    """A cron item as written when short (`minute 99`), else quoted and cut (`shown`)."""
    return text if len(text) <= 12 and text.isprintable() and " " not in text else shown(text)
