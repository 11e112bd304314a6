"""Small pieces every vendor connector needs the same way: credentials, base URL, dates."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime

from reconciler.core.dates import NotADate, iso_date
from reconciler.errors import SourceError


def secret(env: Mapping[str, str], variable: str, vendor: str) -> str:
    """The secret in environment variable `variable` (named by a `*_env` setting).

    Only the variable's name ever appears in an error, never a value.
    """
    value = env.get(variable)
    if not value:
        raise SourceError(f"{vendor}: environment variable {variable} is not set")
    return value


def credentials(
    env: Mapping[str, str], variables: Sequence[str], vendor: str
) -> tuple[list[str], str]:
    """The secrets in `variables`, read once, and a hint that names the variables (never the
    values) for error messages: (values in order, "check A / B")."""
    values = [secret(env, variable, vendor) for variable in variables]
    return values, f"check {' / '.join(variables)}"


def api_root(base_url: str) -> str:
    """The host part of a vendor URL; people paste it with or without the `/v1` suffix."""
    root = base_url.rstrip("/")
    return root.removesuffix("/v1")


def vendor_date(value, where: str) -> date | None:
    """`core.dates.iso_date` for a value an HRIS sent; `where` names the record and field."""
    try:
        return iso_date(value)
    except NotADate as exc:
        raise SourceError(f"{where}: {exc}") from None


def fetched_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def numeric_first(text: str) -> tuple[int, int, str]:
    """Sort key for vendor ids: numbers in numeric order, then anything else. No int(): a
    hostile id of 5000 digits must sort, not raise."""
    if text.isascii() and text.isdigit():
        return (0, len(text.lstrip("0")), text)
    return (1, 0, text)
