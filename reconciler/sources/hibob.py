"""HiBob ("Bob"): everyone from one people search, departments and titles from named lists.

Bob answers the search in one response (no paging) and silently leaves out fields the service
user may not read, so a field that no employee carries is treated as a missing permission, not as
empty data. Departments nest in the `department` named list; their nesting is the team hierarchy.
"""

from __future__ import annotations

import mimetypes
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import quote

from reconciler import clock
from reconciler.core.ids import shown
from reconciler.core.interfaces import OnProgress, Step, UploadedDocument
from reconciler.core.model import Employee, Job, Snapshot, Team
from reconciler.errors import SourceError
from reconciler.http import VendorHttp
from reconciler.slug import slugify
from reconciler.sources.settings import SettingsReader
from reconciler.sources.vendor import api_root, credentials, fetched_now, vendor_date

VENDOR = "HiBob"
DEFAULT_BASE_URL = "https://api.hibob.com"
SYSTEM_FOLDERS = {"shared": "Shared folder", "confidential": "Confidential folder"}
MAX_UPLOAD = {"system": 5 * 1024 * 1024, "custom": 1024 * 1024}  # Bob's documented limits
STATUS_FIELDS = ("internal.status", "internal.lifecycleStatus", "internal.terminationDate")


@dataclass(frozen=True)
class HiBobSettings:
    base_url: str = DEFAULT_BASE_URL
    # names of the environment variables holding the service user's id and token
    service_user_id_env: str = "HIBOB_SERVICE_USER_ID"
    service_user_token_env: str = "HIBOB_SERVICE_USER_TOKEN"
    email_field: str = "root.email"
    department_field: str = "work.department"
    title_field: str = "work.title"
    manager_field: str = "work.reportsTo"
    start_date_field: str = "work.startDate"
    show_inactive: bool = True
    document_folder: str = "shared"  # shared | confidential | a custom folder's id
    department_list: str = "department"
    title_list: str = "title"

    @classmethod
    def from_settings(cls, settings: Mapping) -> HiBobSettings:
        read = SettingsReader(cls, settings, "hibob")
        return cls(
            base_url=api_root(read.text("base_url")),
            service_user_id_env=read.text("service_user_id_env"),
            service_user_token_env=read.text("service_user_token_env"),
            email_field=read.text("email_field"),
            department_field=read.text("department_field"),
            title_field=read.text("title_field"),
            manager_field=read.text("manager_field"),
            start_date_field=read.text("start_date_field"),
            show_inactive=read.flag("show_inactive"),
            document_folder=read.text("document_folder", numbers=True),
            department_list=read.text("department_list"),
            title_list=read.text("title_list"),
        )

    def fields(self) -> list[str]:
        wanted = ["root.id", "root.firstName", "root.surname", self.email_field]
        wanted += [self.department_field, self.title_field, self.manager_field]
        wanted += [self.start_date_field, *STATUS_FIELDS]
        return list(dict.fromkeys(wanted))


def open_source(
    settings: dict,
    base_dir: Path,
    env: Mapping[str, str],
    *,
    sleep: Callable[[float], None] = time.sleep,
    today: Callable[[], date] = clock.today,
) -> HiBobSource:
    config = HiBobSettings.from_settings(settings)
    (user, token), hint = credentials(
        env, (config.service_user_id_env, config.service_user_token_env), VENDOR
    )
    http = VendorHttp(
        VENDOR,
        config.base_url,
        # Bob's firewall blocks callers that keep failing to authenticate: say so.
        auth_hint=f"{hint} and the service user's permission group (do not retry in a loop)",
        headers={"Accept": "application/json"},
        auth=(user, token),
        sleep=sleep,
    )
    return HiBobSource(config, http, today=today)


class HiBobSource:
    name = "hibob"

    def __init__(
        self, config: HiBobSettings, http: VendorHttp, *, today: Callable[[], date] = clock.today
    ):
        self.config = config
        self.http = http
        self._today = today

    # -- the Source protocol --------------------------------------------------------------

    def close(self) -> None:
        self.http.close()

    def fetch(self, progress: OnProgress | None = None) -> Snapshot:
        cfg = self.config
        records = self._people()
        if progress:
            progress(Step("fetch HiBob", len(records), len(records), "employees"))
        departments = self._named_list(cfg.department_list)
        titles = self._named_list(cfg.title_list)
        # Values that are in no list (free text) still name a team/job, under a slug id. Each
        # distinct (slug, text) is kept: two texts with one slug go to the snapshot check.
        free_teams: dict[tuple[str, str], None] = {}
        free_jobs: dict[tuple[str, str], None] = {}
        team_index, job_index = _index(departments), _index(titles)
        today = self._today()
        employees = []
        for record in records:
            team = _resolve(_field(record, cfg.department_field), team_index, free_teams)
            job = _resolve(_field(record, cfg.title_field), job_index, free_jobs)
            employees.append(self._employee(record, team, job, today))
        teams = departments + [Team(i, n) for i, n in free_teams]
        jobs = [Job(t.id, t.name) for t in titles] + [Job(i, n) for i, n in free_jobs]
        return Snapshot(
            source=self.name,
            fetched_at=fetched_now(),
            employees=tuple(sorted(employees, key=lambda e: e.id)),
            teams=tuple(teams),
            jobs=tuple(sorted(jobs, key=lambda j: (j.id, j.name))),
        )

    def upload_document(
        self, employee_id: str, filename: str, content: bytes, *, title: str
    ) -> UploadedDocument:
        # Bob names an uploaded document by its file name; `title` has nowhere to go.
        url, where, limit = self._upload_target(employee_id)
        if len(content) > limit:
            raise SourceError(
                f"HiBob: {filename} is {len(content)} bytes; Bob accepts at most {limit} bytes "
                f"in the {where}"
            )
        mime = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        response = self.http.post(url, files={"file": (filename, content, mime)})
        body = _json_or_empty(response)
        document_id = body.get("id", body.get("docId")) if isinstance(body, dict) else None
        if document_id in (None, ""):
            document_id = self.find_document(employee_id, filename)
        if document_id in (None, ""):
            raise SourceError(f"HiBob: uploading {filename} answered without a document id")
        return UploadedDocument(
            document_id=str(document_id),
            location=f"HiBob › employee {employee_id} › Docs › {where}",
        )

    def _upload_target(self, employee_id: str) -> tuple[str, str, int]:
        """(upload path, where a person finds it, Bob's size limit there) for the folder set."""
        folder = self.config.document_folder
        person = quote(str(employee_id), safe="")
        if folder in SYSTEM_FOLDERS:
            path = f"/v1/docs/people/{person}/{folder}/upload"
            return path, SYSTEM_FOLDERS[folder], MAX_UPLOAD["system"]
        path = f"/v1/docs/people/{person}/folders/{quote(folder, safe='')}/upload"
        return path, f"folder {folder}", MAX_UPLOAD["custom"]

    def find_document(self, employee_id: str, filename: str) -> str | None:
        person = quote(str(employee_id), safe="")
        body = self.http.json(self.http.get(f"/v1/docs/people/{person}"))
        for document in _documents(body):
            name = document.get("name") or document.get("fileName") or document.get("documentName")
            document_id = document.get("id", document.get("docId"))
            if name == filename and document_id not in (None, ""):
                return str(document_id)
        return None

    # -- reading -------------------------------------------------------------------------------

    def _people(self) -> list[dict]:
        request = {"fields": self.config.fields(), "showInactive": self.config.show_inactive}
        body = self.http.json(self.http.post("/v1/people/search", json=request, ok=(200,)))
        records = body.get("employees") if isinstance(body, dict) else None
        if not isinstance(records, list):
            raise SourceError("HiBob: the people search answered without an employees list")
        if not records:
            raise SourceError(
                "HiBob: the people search returned no employees; check that the service user's "
                "permission group may see people (an empty HRIS is never synced)"
            )
        # One answer, no paging: an id that comes twice is the HRIS's own data, for the snapshot
        # check to name with both records.
        for record in records:
            employee_id = record.get("id") if isinstance(record, dict) else None
            if employee_id in (None, ""):
                raise SourceError("HiBob: the people search returned an employee without id")
        self._check_readable(records)
        return records

    def _check_readable(self, records: list[dict]) -> None:
        """Bob omits fields the service user may not read; say which permission is missing."""
        cfg = self.config
        must = ["root.firstName", "root.surname", cfg.email_field]
        missing = [f for f in must if all(_field(r, f, _ABSENT) is _ABSENT for r in records)]
        if all(all(_field(r, f, _ABSENT) is _ABSENT for r in records) for f in STATUS_FIELDS):
            missing.append("internal.status")
        if missing:
            raise SourceError(
                f"HiBob: no employee carries {', '.join(missing)}; give the service user's "
                f"permission group access to these fields"
            )

    def _named_list(self, list_name: str) -> list[Team]:
        """Items of a named list, nested children flattened with their parent id."""
        url = f"/v1/company/named-lists/{quote(list_name, safe='')}"
        body = self.http.json(self.http.get(url))
        items = body.get("items") if isinstance(body, dict) else None
        if items is None and isinstance(body, dict):
            items = body.get("values")
        if not isinstance(items, list):
            raise SourceError(f"HiBob: the named list {list_name!r} holds no items")
        flat: list[Team] = []
        _flatten(items, None, flat, list_name)
        return flat

    def _employee(self, record: dict, team: str | None, job: str | None, today: date) -> Employee:
        cfg = self.config
        status = str(_field(record, "internal.status") or "").lower()
        lifecycle = str(_field(record, "internal.lifecycleStatus") or "").lower()
        employee_id = str(record["id"])
        origin = f"HiBob employee {shown(employee_id)}"
        end = vendor_date(
            _field(record, "internal.terminationDate"), f"{origin}: internal.terminationDate"
        )
        # The vendor's words for "left"; what dates mean (an end in the past, a start ahead)
        # is the core's employment rule, the same for every HRIS.
        left = status == "inactive" or lifecycle == "terminated"
        return Employee(
            id=employee_id,
            email=str(_field(record, cfg.email_field) or "").strip(),
            first_name=str(_field(record, "root.firstName") or "").strip(),
            last_name=str(_field(record, "root.surname") or "").strip(),
            active=not left,
            team=team,
            job=job,
            manager=_person_id(_field(record, cfg.manager_field)),
            start_date=vendor_date(
                _field(record, cfg.start_date_field), f"{origin}: {cfg.start_date_field}"
            ),
            end_date=end,
            origin=origin,
        )


# -- payload helpers ----------------------------------------------------------------------------

_ABSENT = object()


def _field(record: dict, path: str, default=None):
    """A field by its Bob path: nested (`work.department`) or flat (`/work/department`: {value})."""
    parts = path.split(".")
    if parts[0] == "root":
        parts = parts[1:]
    node = record
    for part in parts:
        if not isinstance(node, dict) or part not in node:
            break
        node = node[part]
    else:
        return node
    flat = record.get("/" + path.replace(".", "/"))
    if isinstance(flat, dict) and "value" in flat:
        return flat["value"]
    return default


def _flatten(items: list, parent: str | None, into: list[Team], list_name: str) -> None:
    for item in items:
        if not isinstance(item, dict) or item.get("id") in (None, ""):
            raise SourceError(f"HiBob: the named list {list_name!r} has an item without id")
        item_id = str(item["id"])
        into.append(Team(item_id, str(item.get("name") or item.get("value") or item_id), parent))
        _flatten(item.get("children") or [], item_id, into, list_name)


def _index(listed: list[Team]) -> dict[str, str]:
    """Named-list lookups: each item id to itself, each name to its first item's id."""
    index: dict[str, str] = {}
    for item in listed:
        index.setdefault(item.name, item.id)
    return {**index, **{item.id: item.id for item in listed}}


def _resolve(value, index: dict[str, str], free: dict[tuple[str, str], None]) -> str | None:
    """The list id for a field value: an id as is, a name via the list, free text as a slug.

    A free-text value is added to `free` as (slug, text), so it becomes a team/job of its own.
    """
    if value is None or str(value).strip() == "":
        return None
    text = str(value).strip()
    if text in index:
        return index[text]
    slug = slugify(text)
    free[(slug, text)] = None
    return slug


def _person_id(value) -> str | None:
    if isinstance(value, dict):
        value = value.get("id")
    return str(value) if value not in (None, "") else None


def _json_or_empty(response) -> object:
    try:
        return response.json()
    except ValueError:
        return {}


def _documents(body) -> list[dict]:
    """Document entries from a docs listing: a list, {documents: [...]}, or lists per folder."""
    if isinstance(body, list):
        return [d for d in body if isinstance(d, dict)]
    if not isinstance(body, dict):
        return []
    if isinstance(body.get("documents"), list):
        return [d for d in body["documents"] if isinstance(d, dict)]
    found = []
    for value in body.values():
        if isinstance(value, list):
            found += [d for d in value if isinstance(d, dict)]
    return found
