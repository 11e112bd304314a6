"""AFAS Profit: employees, org units and functions from GetConnectors; reviews into the dossier.

AFAS has no standard employee GetConnector: each customer builds one, so connector ids and field
ids are settings, defaulting to the Tools4ever HelloID connector set that many customers import.
Only the fields named in `fields` are read from a row; everything else a connector returns (BSN,
birth date, IBAN, salary) is dropped on the spot.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from reconciler import clock
from reconciler.core.employment import current_period
from reconciler.core.ids import shown
from reconciler.core.interfaces import OnProgress, Step, UploadedDocument
from reconciler.core.model import Employee, Job, Snapshot, Team
from reconciler.errors import ConfigError, SourceError
from reconciler.http import VendorHttp
from reconciler.slug import slugify
from reconciler.sources import secret

VENDOR = "AFAS"
AMSTERDAM = ZoneInfo("Europe/Amsterdam")

DEFAULT_CONNECTORS = {
    "employees": "T4E_HelloID_Users_v2",
    # Positions live in their own connector in the HelloID set; set it to null when the employees
    # connector carries the position fields itself.
    "employments": "T4E_HelloID_Employments_v2",
    "org_units": "T4E_HelloID_OrganizationalUnits_v2",
    "functions": None,  # jobs come from the position rows unless a functions connector is named
    "attachments": None,  # find_document needs a customer-built connector; none by default
}
DEFAULT_FIELDS = {
    "id": "Medewerker",
    "first_name": "Roepnaam",
    "given_name": "Voornaam",
    "prefix": "Voorvoegsel",
    "last_name": "Geboortenaam",
    "email": "Email_werk",
    "team": "Organisatorische_eenheid_code",
    "job_code": "Functie_code",
    "job_name": "Functie_omschrijving",
    "manager": "Medewerkernummer_leidinggevende",
    "start_date": "Begindatum_functie",
    "end_date": "Einddatum_functie",
}
DEFAULT_ORG_UNIT_FIELDS = {"id": "ExternalId", "name": "DisplayName", "parent": "ParentExternalId"}
DEFAULT_FUNCTION_FIELDS = {"id": "Functie_code", "name": "Functie_omschrijving"}
DEFAULT_ATTACHMENT_FIELDS = {"employee": "Medewerker", "file_name": "file_name", "id": "subject_id"}
DEFAULT_TAKE = 1000


def open_source(settings: dict, base_dir: Path, env: Mapping[str, str]) -> AfasSource:
    base_url = settings.get("base_url")
    if not base_url:
        raise ConfigError(
            "AFAS: source.base_url is required, e.g. https://12345.rest.afas.online/ProfitRestServices"
        )
    token_var = settings.get("token_env", "AFAS_TOKEN")
    header = afas_token_header(secret(env, settings, "token_env", "AFAS_TOKEN", VENDOR), token_var)
    headers = {"Authorization": header, "Accept": "application/json"}
    if settings.get("integration_id"):
        headers["IntegrationId"] = str(settings["integration_id"])
    http = VendorHttp(VENDOR, base_url.rstrip("/"), auth_hint=f"check {token_var}", headers=headers)
    return AfasSource(http, settings, token_var)


def afas_token_header(token: str, token_var: str) -> str:
    """`AfasToken <base64>`, from the XML token as Profit shows it or from its base64 already."""
    token = token.strip()
    if token.startswith("<"):
        return "AfasToken " + base64.b64encode(token.encode("utf-8")).decode("ascii")
    try:
        decoded = base64.b64decode(token, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        decoded = ""
    if not decoded.lstrip().startswith("<token>"):
        raise SourceError(
            f"AFAS: {token_var} holds neither the XML token (<token><version>…) nor its base64"
        )
    return "AfasToken " + token


@dataclass
class AfasSource:
    http: VendorHttp
    settings: dict
    token_var: str
    today: Callable[[], date] = lambda: clock.today(AMSTERDAM)
    name: str = "afas"

    def __post_init__(self) -> None:
        def merged(key: str, defaults: dict) -> dict:
            return {**defaults, **(self.settings.get(key) or {})}

        self.connectors = merged("connectors", DEFAULT_CONNECTORS)
        self.fields = merged("fields", DEFAULT_FIELDS)
        self.org_unit_fields = merged("org_unit_fields", DEFAULT_ORG_UNIT_FIELDS)
        self.function_fields = merged("function_fields", DEFAULT_FUNCTION_FIELDS)
        self.attachment_fields = merged("attachment_fields", DEFAULT_ATTACHMENT_FIELDS)
        self.take = int(self.settings.get("take", DEFAULT_TAKE))
        if self.take < 1:
            raise ConfigError("AFAS: source.take must be at least 1")

    # -- fetch ---------------------------------------------------------------------------------

    def close(self) -> None:
        self.http.close()

    def fetch(self, progress: OnProgress | None = None) -> Snapshot:
        fetched_at = datetime.now(AMSTERDAM).isoformat(timespec="seconds")
        f = self.fields
        person_rows = list(self._rows("employees", f["id"], "employees", progress))
        if not person_rows:
            raise SourceError(
                f"AFAS: GetConnector {self.connectors['employees']} returned no employees; "
                f"nothing proposed"
            )
        if self.connectors.get("employments"):
            order = self.settings.get("employments_order_by", f"{f['id']},{f['start_date']}")
            position_rows = list(self._rows("employments", order, "positions", progress))
            if not position_rows:
                # Without positions everyone would look out of service: refuse, deactivate no one.
                raise SourceError(
                    f"AFAS: GetConnector {self.connectors['employments']} returned no positions "
                    f"for {len(person_rows)} employees; nothing proposed"
                )
        else:
            position_rows = person_rows
        positions = _current_positions(position_rows, f, self.today())
        employees = self._employees(person_rows, positions)
        return Snapshot(
            source=self.name,
            fetched_at=fetched_at,
            employees=tuple(sorted(employees, key=lambda e: e.id)),
            teams=tuple(sorted(self._teams(progress), key=lambda t: (t.id, t.name))),
            jobs=tuple(sorted(self._jobs(position_rows, progress), key=lambda j: (j.id, j.name))),
        )

    def _employees(self, person_rows: list[dict], positions: dict[str, dict]) -> list[Employee]:
        """One employee per person row. Rows that say the same (an employees connector that
        also carries positions has one row per position) are one; rows that differ under one id
        all go on, for the snapshot check to name."""
        f = self.fields
        connector = self.connectors["employees"]
        employees: dict[Employee, None] = {}
        for number, row in enumerate(person_rows, 1):
            emp_id = _text(row.get(f["id"]))
            if emp_id is None:
                continue
            position = positions.get(emp_id, {})
            start, end = _date(position.get(f["start_date"])), _date(position.get(f["end_date"]))
            employee = Employee(
                id=emp_id,
                email=_text(row.get(f["email"])) or "",
                first_name=_text(row.get(f["first_name"])) or _text(row.get(f["given_name"])) or "",
                last_name=" ".join(
                    p for p in (_text(row.get(f["prefix"])), _text(row.get(f["last_name"]))) if p
                ),
                active=bool(position),  # dates: the core's employment rule
                team=_text(position.get(f["team"])),
                job=_job_id(position.get(f["job_code"]), position.get(f["job_name"])),
                manager=_text(position.get(f["manager"])),
                start_date=start,
                end_date=end,
                origin=f"AFAS {f['id']} {shown(emp_id)} ({connector}, row {number})",
            )
            employees.setdefault(employee, None)
        return list(employees)

    def _teams(self, progress: OnProgress | None) -> list[Team]:
        if not self.connectors.get("org_units"):
            return []
        f = self.org_unit_fields
        # Distinct records, not one per id: two names or parents under one id are for the
        # snapshot check to name, not for the last row to win.
        teams: dict[Team, None] = {}
        for row in self._rows("org_units", f["id"], "org units", progress):
            team_id = _text(row.get(f["id"]))
            if team_id is not None:
                name = _text(row.get(f["name"])) or team_id
                teams.setdefault(Team(team_id, name, _text(row.get(f["parent"]))), None)
        return list(teams)

    def _jobs(self, position_rows: list[dict], progress: OnProgress | None) -> list[Job]:
        if self.connectors.get("functions"):
            f = self.function_fields
            rows = list(self._rows("functions", f["id"], "functions", progress))
            code_field, name_field = f["id"], f["name"]
        else:
            rows = position_rows
            code_field, name_field = self.fields["job_code"], self.fields["job_name"]
        jobs: dict[Job, None] = {}
        for row in rows:
            job_id = _job_id(row.get(code_field), row.get(name_field))
            if job_id is not None:
                jobs.setdefault(Job(job_id, _text(row.get(name_field)) or job_id), None)
        return list(jobs)

    def _rows(
        self, connector: str, order_by: str, what: str, progress: OnProgress | None, **filters: str
    ) -> Iterator[dict]:
        """Every row of a GetConnector, page by page, sorted so that skip/take stays stable."""
        connector_id = self.connectors[connector]
        params = {"orderbyfieldids": order_by, "take": self.take}
        if filters:
            params["filterfieldids"] = ",".join(filters)
            params["filtervalues"] = ",".join(filters.values())
            params["operatortypes"] = ",".join("1" for _ in filters)
        skip, page, total = 0, 0, 0
        while True:
            page += 1
            body = self._json("GET", f"/connectors/{connector_id}", params={**params, "skip": skip})
            rows = body.get("rows") if isinstance(body, dict) else None
            if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
                raise SourceError(
                    f"AFAS: GetConnector {connector_id} page {page} has no list of rows "
                    f"(truncated or not a GetConnector?)"
                )
            total += len(rows)
            if progress:
                progress(Step(f"fetch AFAS {what}", total, None, "rows"))
            yield from rows
            if len(rows) < self.take:
                return
            skip += self.take

    # -- documents -----------------------------------------------------------------------------

    def upload_document(
        self, employee_id: str, filename: str, content: bytes, *, title: str
    ) -> UploadedDocument:
        item_type = self.settings.get("dossier_item_type")
        if item_type is None:
            raise ConfigError(
                "AFAS: set source.dossier_item_type (StId of the dossier item type; "
                "GetConnector Profit_SubjectTypes lists them)"
            )
        now = datetime.now(AMSTERDAM).replace(microsecond=0, tzinfo=None)
        payload = {
            "KnSubject": {
                "Element": {
                    "Fields": {"StId": int(item_type), "Ds": title, "Da": now.isoformat()},
                    "Objects": [
                        {
                            "KnSubjectLink": {
                                "Element": {
                                    "Fields": {"DoCRM": False, "SfTp": 2, "SfId": employee_id}
                                }
                            }
                        },
                        {
                            "KnSubjectAttachment": {
                                "Element": {
                                    "Fields": {
                                        "FileName": filename,
                                        "FileStream": base64.b64encode(content).decode("ascii"),
                                    }
                                }
                            }
                        },
                    ],
                }
            }
        }
        body = self._json("POST", "/connectors/KnSubject", json=payload)
        try:
            subject_id = str(body["results"]["KnSubject"]["SbId"])
        except (KeyError, TypeError):
            raise SourceError("AFAS: KnSubject answered without a dossier item id (SbId)") from None
        return UploadedDocument(
            subject_id, f"AFAS Profit › employee {employee_id} › Dossier › {title}"
        )

    def find_document(self, employee_id: str, filename: str) -> str | None:
        """The dossier item holding `filename` for the employee, via the `attachments` connector.

        Profit has no standard GetConnector joining dossier attachments to employees, so without
        one configured there is no way to look and this returns None.
        """
        if not self.connectors.get("attachments"):
            return None
        f = self.attachment_fields
        # Only the employee goes into the filter: a file name may hold AFAS's separators (, ;).
        rows = self._rows(
            "attachments", f["id"], "attachments", None, **{f["employee"]: employee_id}
        )
        for row in rows:
            if _text(row.get(f["file_name"])) == filename:
                return _text(row.get(f["id"]))
        return None

    # -- transport -----------------------------------------------------------------------------

    def _json(self, method: str, url: str, **kwargs):
        # 401 and 500 are read here: AFAS puts its reason in a 500's body, and a functional error
        # (unknown connector field, blocked connector) does not go away by retrying.
        response = self.http.request(method, url, ok=(200, 201, 401, 500), **kwargs)
        if response.status_code == 401:
            raise SourceError(f"AFAS: token rejected; check {self.token_var}")
        if response.status_code == 500:
            raise SourceError(f"AFAS: {method} {url} failed: {_profit_error(response)}")
        return self.http.json(response)


def _profit_error(response) -> str:
    try:
        body = response.json()
    except ValueError:
        return "HTTP 500"
    if not isinstance(body, dict) or not body.get("externalMessage"):
        return "HTTP 500"
    ref = body.get("profitLogReference")
    return str(body["externalMessage"])[:300] + (f" (Profit log reference {ref})" if ref else "")


def _current_positions(rows: list[dict], f: dict, today: date) -> dict[str, dict]:
    by_employee: dict[str, list[dict]] = {}
    for row in rows:
        emp_id = _text(row.get(f["id"]))
        if emp_id is not None:
            by_employee.setdefault(emp_id, []).append(row)

    def dates(row: dict) -> tuple[date | None, date | None]:
        return _date(row.get(f["start_date"])), _date(row.get(f["end_date"]))

    return {emp_id: current_period(rs, dates, today) for emp_id, rs in by_employee.items()}


def _date(value) -> date | None:
    # AFAS writes Amsterdam local time with a misleading 'Z'; the calendar day is what counts.
    text = _text(value)
    if text is None:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise SourceError(f"AFAS: {text[:30]!r} is not a date") from None


def _job_id(code, name) -> str | None:
    code_text, name_text = _text(code), _text(name)
    if code_text is not None:
        return code_text
    return slugify(name_text) if name_text else None


def _text(value) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None
