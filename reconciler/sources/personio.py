"""Personio (API v1): employees page by page, departments and positions from them, documents in.

Personio v1 has no department or position list: both are collected from the employee records.
Departments keep Personio's numeric id, so a rename keeps the team; positions are free text, so
their id is a slug of the name. With `org_units: true` the department hierarchy is read from the
v2 org-unit endpoints instead.

Once the first page has given the totals, the other pages are read `max_in_flight` at a time
(personio_pages), every request waiting its turn under Personio's published limit for the
employee list. Tokens are shared by those requests: Personio's current tokens are stable for
24 hours and may be used in parallel. Older single-use tokens, where every answer hands over the
next one, cannot be: when the first page's answer brings a new token, the rest is read one page
at a time.
"""

from __future__ import annotations

import logging
import mimetypes
import re
import threading
import time
from collections.abc import Callable, Mapping
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import httpx

from reconciler import clock
from reconciler.core.ids import shown
from reconciler.core.interfaces import OnProgress, UploadedDocument
from reconciler.core.model import Employee, Job, Snapshot, Team
from reconciler.errors import ConfigError, SourceError
from reconciler.http import RateLimiter, VendorHttp
from reconciler.slug import slugify
from reconciler.sources.personio_org_units import read_org_units
from reconciler.sources.personio_pages import EmployeePages, attribute_value, in_order
from reconciler.sources.settings import SettingsReader
from reconciler.sources.vendor import (
    api_root,
    credentials,
    fetched_now,
    numeric_first,
    vendor_date,
)

log = logging.getLogger(__name__)

VENDOR = "Personio"
DEFAULT_BASE_URL = "https://api.personio.de"
MAX_PAGE_SIZE = 100  # enforced by Personio since 31 Jan 2025
# GET /v1/company/employees: 300 requests a minute, bursts of 15 a second (Personio's docs).
EMPLOYEE_LIST_PER_SECOND = 15
EMPLOYEE_LIST_PER_MINUTE = 300
DEFAULT_IN_FLIGHT = 4
MAX_IN_FLIGHT = 8
INACTIVE_STATUSES = {"inactive"}
REFERENCE_ATTRIBUTES = ("department", "team")
_DYNAMIC = re.compile(r"dynamic_[0-9]+")


@dataclass(frozen=True)
class PersonioSettings:
    base_url: str = DEFAULT_BASE_URL
    # names of the environment variables holding the API credential
    client_id_env: str = "PERSONIO_CLIENT_ID"
    client_secret_env: str = "PERSONIO_CLIENT_SECRET"
    team_attribute: str = "department"
    job_attribute: str = "position"
    email_attribute: str = "email"
    page_size: int = MAX_PAGE_SIZE
    category_id: int | None = None
    org_units: bool = False
    max_in_flight: int = DEFAULT_IN_FLIGHT
    requests_per_second: int = EMPLOYEE_LIST_PER_SECOND
    requests_per_minute: int = EMPLOYEE_LIST_PER_MINUTE

    @classmethod
    def from_settings(cls, settings: Mapping) -> PersonioSettings:
        read = SettingsReader(cls, settings, "personio")
        team = read.text("team_attribute")
        if team not in REFERENCE_ATTRIBUTES and not _DYNAMIC.fullmatch(team):
            raise ConfigError(
                f"hrsync.yaml: source.team_attribute {shown(team)} is not department, team or "
                "dynamic_<number>"
            )
        return cls(
            base_url=api_root(read.text("base_url")),
            client_id_env=read.text("client_id_env"),
            client_secret_env=read.text("client_secret_env"),
            team_attribute=team,
            job_attribute=read.text("job_attribute"),
            email_attribute=read.text("email_attribute"),
            page_size=read.whole("page_size", highest=MAX_PAGE_SIZE),
            category_id=read.number_id("category_id", "the number of a Personio document category"),
            org_units=read.flag("org_units"),
            max_in_flight=read.whole("max_in_flight", highest=MAX_IN_FLIGHT),
            # Lower only: a credential shared with other tools shares Personio's limit too.
            requests_per_second=read.whole("requests_per_second", highest=EMPLOYEE_LIST_PER_SECOND),
            requests_per_minute=read.whole("requests_per_minute", highest=EMPLOYEE_LIST_PER_MINUTE),
        )


def open_source(
    settings: dict,
    base_dir: Path,
    env: Mapping[str, str],
    *,
    sleep: Callable[[float], None] = time.sleep,
    today: Callable[[], date] = clock.today,
    monotonic: Callable[[], float] = time.monotonic,
) -> PersonioSource:
    """`sleep` and `monotonic`: the waits (retries, the rate limit) and the time they pass."""
    config = PersonioSettings.from_settings(settings)
    (client_id, client_secret), hint = credentials(
        env, (config.client_id_env, config.client_secret_env), VENDOR
    )
    http = VendorHttp(
        VENDOR,
        config.base_url,
        auth_hint=f"{hint} and the credential's permissions",
        headers={"Accept": "application/json"},
        sleep=sleep,
    )
    return PersonioSource(config, http, client_id, client_secret, today=today, monotonic=monotonic)


class PersonioSource:
    name = "personio"

    def __init__(
        self,
        config: PersonioSettings,
        http: VendorHttp,
        client_id: str,
        client_secret: str,
        *,
        today: Callable[[], date] = clock.today,
        monotonic: Callable[[], float] = time.monotonic,
    ):
        self.config = config
        self.http = http
        self._credentials = {"client_id": client_id, "client_secret": client_secret}
        self._today = today
        self._token: str | None = None
        self._renewing = threading.Lock()
        # Older Personio tokens are single-use: each response hands over the next one.
        self._rotating = False
        http.client.event_hooks["response"].append(self._take_rotated_token)
        self._employee_list_limit = RateLimiter(
            ((config.requests_per_second, 1.0), (config.requests_per_minute, 60.0)),
            clock=monotonic,
            sleep=http.sleep,
        )

    # -- the Source protocol --------------------------------------------------------------

    def close(self) -> None:
        self.http.close()

    def fetch(self, progress: OnProgress | None = None) -> Snapshot:
        return self._snapshot(self._employee_records(progress))

    def fetch_changed(self, since: datetime, progress: OnProgress | None = None) -> Snapshot:
        """The employees Personio reports as updated since `since`, with the teams and jobs
        they refer to (`hrsync sync --incremental`). Personio's `updated_since` takes an ISO
        time without a zone; we send UTC, and with `attributes[]` it selects only employees
        for which one of those attributes changed (Personio's documentation). Personio pages
        this list like the whole one; it may be empty."""
        stamp = since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
        return self._snapshot(self._employee_records(progress, updated_since=stamp))

    def _snapshot(self, records: list[dict]) -> Snapshot:
        today = self._today()
        employees = [self._employee(attributes, today) for attributes in records]
        teams = self._teams(records)
        jobs = self._jobs(records)
        return Snapshot(
            source=self.name,
            fetched_at=fetched_now(),
            employees=tuple(sorted(employees, key=lambda e: numeric_first(e.id))),
            teams=tuple(sorted(teams, key=lambda t: (numeric_first(t.id), t.name))),
            jobs=tuple(sorted(jobs, key=lambda j: (j.id, j.name))),
        )

    def upload_document(
        self, employee_id: str, filename: str, content: bytes, *, title: str
    ) -> UploadedDocument:
        category = self.config.category_id
        if category is None:
            raise ConfigError(
                "source.category_id is not set: name the Personio document category "
                "(GET /v1/company/document-categories lists them) that reviews are filed under"
            )
        if not str(employee_id).isdigit():
            raise SourceError(f"Personio: {employee_id!r} is not a Personio employee id (a number)")
        mime = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        response = self._call(
            "POST",
            "/v1/company/documents",
            data={"title": title[:255], "employee_id": employee_id, "category_id": str(category)},
            files={"file": (filename, content, mime)},
        )
        body = self._envelope(response, "document upload")
        data = body.get("data")
        document_id = data.get("id") if isinstance(data, dict) else None
        if document_id is None:
            raise SourceError("Personio: the document upload answered without a document id")
        return UploadedDocument(
            document_id=str(document_id),
            location=f"Personio › employee {employee_id} › Documents (category {category})",
        )

    def find_document(self, employee_id: str, filename: str) -> str | None:
        # Personio v1 has no endpoint that lists an employee's documents.
        return None

    # -- HTTP ----------------------------------------------------------------------------------

    def _authenticate(self) -> None:
        # 4xx are taken here (not in VendorHttp) so the error can name the variables to check.
        response = self.http.post(
            "/v1/auth", json=self._credentials, ok=(200, 400, 401, 403, 404, 422)
        )
        body = _json_or_none(response)
        data = body.get("data") if isinstance(body, dict) else None
        token = data.get("token") if isinstance(data, dict) else None
        if response.status_code != 200 or not token:
            raise SourceError(
                f"Personio: authentication failed (HTTP {response.status_code}); "
                f"{self.http.auth_hint}"
            )
        self._use_token(token)

    def _use_token(self, token: str) -> None:
        # Sent with each call (never set on the shared client, which threads read).
        self._token = _bearer(token)

    def _take_rotated_token(self, response: httpx.Response) -> None:
        rotated = response.headers.get("Authorization")
        path = response.request.url.path
        sent = response.request.headers.get("Authorization")
        # An answer to a token already replaced (a parallel call that crossed a renewal) must
        # not bring the old one back.
        if rotated and path.startswith("/v1/") and path != "/v1/auth" and sent == self._token:
            if _bearer(rotated) != sent:
                self._rotating = True
            self._use_token(rotated)

    def _fresh_token(self, refused: str | None) -> str:
        """A token other than `refused`: one login for all threads that were refused it."""
        with self._renewing:
            if self._token is None or self._token == refused:
                self._authenticate()
            return self._token

    def _call(self, method: str, url: str, **kwargs) -> httpx.Response:
        """A call with a token; one fresh token when Personio refuses the old one (expired)."""
        headers = kwargs.pop("headers", None) or {}
        token = self._token or self._fresh_token(None)
        response = self.http.request(
            method,
            url,
            ok=(200, 201, 401, 403),
            headers={**headers, "Authorization": token},
            **kwargs,
        )
        if response.status_code in (401, 403):
            token = self._fresh_token(token)
            response = self.http.request(
                method, url, headers={**headers, "Authorization": token}, **kwargs
            )
        return response

    def _envelope(self, response: httpx.Response, what: str) -> dict:
        body = self.http.json(response)
        if not isinstance(body, dict) or body.get("success") is not True:
            error = body.get("error") if isinstance(body, dict) else None
            message = error.get("message") if isinstance(error, dict) else None
            detail = f": {str(message)[:200]}" if message else ""
            raise SourceError(f"Personio: {what} did not succeed{detail}")
        return body

    # -- employees -----------------------------------------------------------------------------

    def _wanted_attributes(self) -> list[str]:
        cfg = self.config
        wanted = ["id", "first_name", "last_name", "status", "supervisor", "hire_date"]
        wanted += ["termination_date", cfg.email_attribute, cfg.team_attribute, cfg.job_attribute]
        return list(dict.fromkeys(wanted))

    def _employee_records(
        self, progress: OnProgress | None, updated_since: str | None = None
    ) -> list[dict]:
        """Every employee's attribute map (or every one updated since `updated_since`), or a
        SourceError: never part of the list."""
        pages = EmployeePages(self.config.page_size)

        def read(page: int) -> dict:
            return self._employee_page(page, updated_since)

        pages.take(read(0), 0)
        if progress:
            progress(pages.step(0))
        in_flight = self.config.max_in_flight
        if self._rotating and in_flight > 1:
            log.info("Personio: each answer brings a new token; reading one page at a time")
            in_flight = 1
        rest = pages.remaining()
        # closing: a page refused here stops the reads still under way before the error leaves
        with closing(in_order(read, rest, in_flight)) as bodies:
            for page, body in zip(rest, bodies, strict=True):
                pages.take(body, page)
                if progress:
                    progress(pages.step(page))
        return pages.complete(changes_only=updated_since is not None)

    def _employee_page(self, page: int, updated_since: str | None = None) -> dict:
        limit = self.config.page_size
        params = [("limit", limit), ("offset", page * limit)]
        if updated_since is not None:
            params.append(("updated_since", updated_since))
        params += [("attributes[]", a) for a in self._wanted_attributes()]
        response = self._call(
            "GET", "/v1/company/employees", params=params, limiter=self._employee_list_limit
        )
        return self._envelope(response, f"employee page {page + 1}")

    def _employee(self, attributes: dict, today: date) -> Employee:
        cfg = self.config
        employee_id = str(attribute_value(attributes, "id"))
        origin = f"Personio employee {shown(employee_id)}"
        for required in ("first_name", "last_name", "status", cfg.email_attribute):
            if required not in attributes:
                raise SourceError(
                    f"{origin} has no {required!r} attribute; allow it for the API credential "
                    f"(Settings › API credentials › Readable attributes)"
                )
        start = vendor_date(attribute_value(attributes, "hire_date"), f"{origin}: hire_date")
        end = vendor_date(
            attribute_value(attributes, "termination_date"), f"{origin}: termination_date"
        )
        status = str(attribute_value(attributes, "status") or "").lower()
        team = _reference(attribute_value(attributes, cfg.team_attribute))
        job = _reference(attribute_value(attributes, cfg.job_attribute))
        return Employee(
            id=employee_id,
            email=str(attribute_value(attributes, cfg.email_attribute) or "").strip(),
            first_name=str(attribute_value(attributes, "first_name") or "").strip(),
            last_name=str(attribute_value(attributes, "last_name") or "").strip(),
            active=status not in INACTIVE_STATUSES,  # dates: the core's employment rule
            team=team[0] if team else None,
            job=job[0] if job else None,
            manager=_supervisor_id(attribute_value(attributes, "supervisor")),
            start_date=start,
            end_date=end,
            origin=origin,
        )

    def _teams(self, records: list[dict]) -> list[Team]:
        if self.config.org_units and self.config.team_attribute in REFERENCE_ATTRIBUTES:
            return read_org_units(self.http, self._credentials, self.config.team_attribute)
        return [Team(i, n) for i, n in _distinct(records, self.config.team_attribute)]

    def _jobs(self, records: list[dict]) -> list[Job]:
        return [Job(i, n) for i, n in _distinct(records, self.config.job_attribute)]


# -- payload helpers (Personio wraps each attribute as {label, value, type, universal_id}) -----


def _bearer(token: str) -> str:
    return token if token.startswith("Bearer ") else f"Bearer {token}"


def _json_or_none(response: httpx.Response):
    try:
        return response.json()
    except ValueError:
        return None


def _reference(value) -> tuple[str, str] | None:
    """(id, name) of a department/team object, or of a free-text value (id = slug of the text)."""
    if isinstance(value, dict):
        inner = value.get("attributes", value)
        ref_id, name = inner.get("id"), inner.get("name")
        if isinstance(ref_id, dict):
            ref_id = ref_id.get("value")
        if ref_id is None or ref_id == "":
            return None
        return str(ref_id), str(name or ref_id).strip()
    if value is None or str(value).strip() == "":
        return None
    text = str(value).strip()
    return slugify(text), text


def _supervisor_id(value) -> str | None:
    if not isinstance(value, dict):
        return None
    attributes = value.get("attributes", {})
    supervisor_id = attribute_value(attributes, "id") if isinstance(attributes, dict) else None
    return str(supervisor_id) if supervisor_id not in (None, "") else None


def _distinct(records: list[dict], attribute: str) -> list[tuple[str, str]]:
    """Every distinct (id, name) of the departments/teams/positions the employees refer to.

    Not one name per id: two names under one id (a department renamed between two records, two
    positions whose texts give one slug) both go to the snapshot check, which names them,
    instead of one silently winning."""
    found = (_reference(attribute_value(attributes, attribute)) for attributes in records)
    return list(dict.fromkeys(ref for ref in found if ref))
