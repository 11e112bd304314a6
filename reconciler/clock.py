"""What "today" is, for every rule that depends on dates (leavers, future hires).

HRSYNC_TODAY=YYYY-MM-DD pins it everywhere at once: demos, tests, replaying a past night.
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
