"""Small pieces every vendor connector needs the same way: credentials, base URL, dates."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime

from reconciler.errors import SourceError
from reconciler.sources import secret


def credentials(
    env: Mapping[str, str], settings: Mapping, vendor: str, variables: dict[str, str]
) -> tuple[list[str], str]:
    """The secrets named by `variables` ({settings key: default env var}), and a hint that names
    the variables (never the values) for error messages: ("check A / B", values in order)."""
    values = [secret(env, settings, key, default, vendor) for key, default in variables.items()]
    names = " / ".join(str(settings.get(key, default)) for key, default in variables.items())
    return values, f"check {names}"


def api_root(base_url: str) -> str:
    """The host part of a vendor URL; people paste it with or without the `/v1` suffix."""
    root = base_url.rstrip("/")
    return root.removesuffix("/v1")


def iso_date(value, vendor: str, what: str) -> date | None:
    """'2024-06-30' or '2024-06-30T00:00:00+02:00' -> date; empty -> None."""
    if not value:
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        raise SourceError(f"{vendor}: {what} {str(value)[:40]!r} is not an ISO date") from None


def fetched_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def numeric_first(text: str) -> tuple[int, int, str]:
    """Sort key for vendor ids: numbers in numeric order, then anything else. No int(): a
    hostile id of 5000 digits must sort, not raise."""
    if text.isascii() and text.isdigit():
        return (0, len(text.lstrip("0")), text)
    return (1, 0, text)
