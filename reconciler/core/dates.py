"""The one reading of a date that comes from outside: an HRIS, an export, a file hrsync wrote.

What vendors send, and all that is accepted: `2024-06-30` (HiBob, exports, our own files), the
same with a time and maybe a zone: `2024-06-30T00:00:00+02:00` (Personio),
`2024-06-30T00:00:00Z` (AFAS, whose `Z` is Amsterdam time all the same),
`2024-06-30T00:00:00` or `…T00:00:00.000` (Nmbrs' xsd:dateTime). A space may stand for the `T`.

The day is the calendar day as written, never moved into another zone: Personio's hire date
`…T00:00:00+02:00` is the 30th, though in UTC it is still the 29th.
"""

from __future__ import annotations

import re
from datetime import date

from reconciler.core.ids import shown

# ASCII digits only: `\d` would take other scripts' digits, which int() then reads as numbers.
_ISO = re.compile(
    r"(?P<year>[0-9]{4})-(?P<month>[0-9]{2})-(?P<day>[0-9]{2})"
    r"(?:[T ](?P<hour>[0-9]{2}):(?P<minute>[0-9]{2})"
    r"(?::(?P<second>[0-9]{2})(?:[.,][0-9]{1,9})?)?"
    r"(?:Z|[+-](?P<zone_hours>[0-9]{2}):?(?P<zone_minutes>[0-9]{2}))?)?"
)
_LIMITS = {"hour": 23, "minute": 59, "second": 59, "zone_hours": 23, "zone_minutes": 59}


class NotADate(ValueError):
    """A value that is no date; its message names the value, cut short."""

    def __init__(self, value: object):
        super().__init__(f"{shown(value)} is not an ISO date (YYYY-MM-DD)")


def iso_date(value: object) -> date | None:
    """The calendar day `value` names; None when it is empty (None, or only whitespace).

    Raises NotADate, and nothing else, for anything that is not one of the forms above.
    """
    if value is None:
        return None
    if isinstance(value, date):  # YAML reads an unquoted 2024-06-30 as a date already
        return date(value.year, value.month, value.day)
    if not isinstance(value, str):
        raise NotADate(value)
    text = value.strip()
    if not text:
        return None
    match = _ISO.fullmatch(text)
    if match is None or any(int(match[k] or 0) > top for k, top in _LIMITS.items()):
        raise NotADate(value)
    try:
        return date(int(match["year"]), int(match["month"]), int(match["day"]))
    except ValueError:  # 2024-02-30, month 13, year 0000
        raise NotADate(value) from None
