"""Personio v2 org units: departments (or teams) with their parents, for `org_units: true`.

v1 employee records carry departments without parents; only the v2 org-unit endpoints know the
hierarchy. They need a v2 token (OAuth client credentials, form-encoded), separate from v1's.
The list endpoint is marked beta by Personio and its response shape is not fully documented, so
the reader accepts `_data` or `data`, and the next cursor in `_meta.links.next.href` or
`_meta.next_cursor`.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from reconciler.core.model import Team
from reconciler.errors import SourceError
from reconciler.http import VendorHttp

MAX_PAGES = 1000  # a cursor that never ends is a vendor bug, not a big company


def read_org_units(http: VendorHttp, credentials: dict, unit_type: str) -> list[Team]:
    headers = {"Authorization": f"Bearer {_v2_token(http, credentials)}"}
    teams: list[Team] = []
    cursor: str | None = None
    for page in range(1, MAX_PAGES + 1):
        params = {"type": unit_type, "limit": 100}
        if cursor:
            params["cursor"] = cursor
        body = http.json(http.get("/v2/org-units", params=params, headers=headers))
        units = body.get("_data", body.get("data")) if isinstance(body, dict) else None
        if not isinstance(units, list):
            raise SourceError(f"Personio: org-unit page {page} holds no list of units")
        teams.extend(_team(unit, page) for unit in units)
        cursor = _next_cursor(body)
        if not cursor:
            break
    else:
        raise SourceError(f"Personio: org units did not end after {MAX_PAGES} pages")
    if not teams:
        raise SourceError(
            f"Personio: no org units of type {unit_type} came back; check the credential's "
            f"org-unit permission or turn org_units off"
        )
    return teams


def _v2_token(http: VendorHttp, credentials: dict) -> str:
    response = http.post(
        "/v2/auth/token",
        data={"grant_type": "client_credentials", **credentials},
        ok=(200, 400, 401, 403),
    )
    try:
        token = response.json().get("access_token")
    except (ValueError, AttributeError):
        token = None
    if response.status_code != 200 or not token:
        raise SourceError(
            f"Personio: v2 authentication for org units failed (HTTP {response.status_code}); "
            f"{http.auth_hint}"
        )
    return token


def _team(unit: dict, page: int) -> Team:
    if not isinstance(unit, dict) or unit.get("id") in (None, ""):
        raise SourceError(f"Personio: org-unit page {page} holds a unit without id")
    attributes = unit.get("attributes") if isinstance(unit.get("attributes"), dict) else unit
    parent = attributes.get("parent_id", unit.get("parent_id"))
    name = str(attributes.get("name") or unit["id"]).strip()
    return Team(str(unit["id"]), name, str(parent) if parent not in (None, "") else None)


def _next_cursor(body: dict) -> str | None:
    meta = body.get("_meta") or body.get("meta") or {}
    if not isinstance(meta, dict):
        return None
    if meta.get("next_cursor"):
        return str(meta["next_cursor"])
    links = meta.get("links") or {}
    href = (links.get("next") or {}).get("href") if isinstance(links, dict) else None
    if not href:
        return None
    values = parse_qs(urlsplit(href).query).get("cursor")
    return values[0] if values else None
