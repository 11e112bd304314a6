"""What "today" is, for every rule that depends on dates (leavers, future hires).

HRSYNC_TODAY=YYYY-MM-DD pins it everywhere at once: demos, tests, replaying a past night.
HRSYNC_NOW=YYYY-MM-DDTHH:MM:SSZ pins the moment an incremental run records as its fetch start.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, tzinfo

from reconciler.core.dates import NotADate, iso_date
from reconciler.errors import ConfigError


def today(zone: tzinfo = UTC) -> date:
    """Today in `zone` (UTC unless a vendor counts its dates elsewhere), or the pinned day."""
    pinned = os.environ.get("HRSYNC_TODAY")
    try:
        day = iso_date(pinned)
    except NotADate as exc:
        raise ConfigError(f"HRSYNC_TODAY: {exc}") from None
    return day if day is not None else datetime.now(zone).date()


def now() -> datetime:
    """The current moment in UTC, or the pinned one (HRSYNC_NOW, an ISO time in UTC)."""
    pinned = os.environ.get("HRSYNC_NOW")
    if pinned:
        try:
            moment = datetime.fromisoformat(pinned)
        except ValueError:
            raise ConfigError(f"HRSYNC_NOW={pinned!r} is not an ISO time") from None
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return datetime.now(UTC)
