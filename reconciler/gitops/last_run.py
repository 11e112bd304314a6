"""When the last incremental run fetched, in git (CI runners keep nothing between runs).

`policies/incremental.yaml` holds the moment the last successful `hrsync sync --incremental`
*started* its fetch, and the source it fetched from. It is committed on main, by itself, after
everything that fetch brought is on main or on its proposal branch: a run killed or failed
before that records nothing, so the next one asks again from the older time. The next run asks
the HRIS for changes since that moment less `OVERLAP`: a change saved while the fetch ran, or a
clock a little behind ours, is fetched again rather than missed (fetching a record twice
proposes nothing the second time). A marker written for another source type is ignored.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import yaml

from reconciler.errors import HrsyncError
from reconciler.gitops.checkout import Checkout
from reconciler.gitops.commits import Identity
from reconciler.gitops.plumbing import CommitSpec
from reconciler.state.loader import dump_yaml

MARKER_FILE = "policies/incremental.yaml"
OVERLAP = timedelta(minutes=15)
HEADER = (
    "# When the last `hrsync sync --incremental` started its fetch (written by hrsync sync).\n"
    "# The next one asks the HRIS for changes since then, less a safety overlap; delete this\n"
    "# file to make the next incremental run fetch everything."
)


def recorded(checkout: Checkout, rev: str, source_type: str) -> datetime | None:
    """The fetch start the last incremental run recorded for this source type, if any."""
    text = checkout.show(rev, MARKER_FILE)
    if not text:
        return None
    try:
        data = yaml.safe_load(text) or {}
        if not isinstance(data, dict) or data.get("source") != source_type:
            return None
        moment = datetime.fromisoformat(str(data["fetch_started"]).replace("Z", "+00:00"))
    except (yaml.YAMLError, KeyError, ValueError) as exc:
        raise HrsyncError(
            f"{MARKER_FILE} is not what hrsync writes ({type(exc).__name__}); delete it to "
            "make the next incremental run fetch everything"
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def fetch_since(last: datetime | None) -> datetime | None:
    return None if last is None else last - OVERLAP


def marker_commit(
    started: datetime, source_type: str, since: datetime | None, changed: int, bot: Identity
) -> CommitSpec:
    stamp = started.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    text = dump_yaml({"fetch_started": stamp, "source": source_type}, HEADER)
    asked = (
        f"changes since {since.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')}"
        if since is not None
        else "everything (no earlier incremental run recorded, or no change filter)"
    )
    message = (
        f"incremental run recorded: fetch started {stamp}\n\n"
        f"Asked {source_type} for {asked}; {changed} record(s) came back and are proposed.\n\n"
        "Hrsync-Mode: incremental\n"
    )
    return CommitSpec({MARKER_FILE: text}, message, bot)
