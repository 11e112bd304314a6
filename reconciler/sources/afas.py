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
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import NamedTuple
from zoneinfo import ZoneInfo

from reconciler import clock
from reconciler.core.employment import current_period
from reconciler.core.ids import shown
from reconciler.core.interfaces import OnProgress, Step, UploadedDocument
from reconciler.core.model import Employee, Job, Snapshot, Team
from reconciler.errors import ConfigError, SourceError
from reconciler.http import VendorHttp
from reconciler.slug import slugify
from reconciler.sources.settings import SettingsReader
from reconciler.sources.vendor import secret, vendor_date

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


class Position(NamedTuple):
    row: dict
    start: date | None
    end: date | None


NO_POSITION = Position({}, None, None)


@dataclass(frozen=True)
class AfasSettings:
    base_url: str = field(
        metadata={"hint": "e.g. https://12345.rest.afas.online/ProfitRestServices"}
    )
    token_env: str = "AFAS_TOKEN"  # the variable holding the App Connector token
    integration_id: str | None = None
    connectors: dict[str, str | None] = field(default_factory=lambda: dict(DEFAULT_CONNECTORS))
    fields: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_FIELDS))
    org_unit_fields: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_ORG_UNIT_FIELDS))
    function_fields: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_FUNCTION_FIELDS))
    attachment_fields: dict[str, str] = field(
        default_factory=lambda: dict(DEFAULT_ATTACHMENT_FIELDS)
    )
    take: int = DEFAULT_TAKE
    employments_order_by: str | None = None  # None: employee id, then start date
    dossier_item_type: int | None = None  # StId of the dossier item type review PDFs are filed as

    @classmethod
    def from_settings(cls, settings: Mapping) -> AfasSettings:
        read = SettingsReader(cls, settings, "afas")
        fields = read.names("fields")
        return cls(
            base_url=read.text("base_url").rstrip("/"),
            token_env=read.text("token_env"),
            integration_id=read.text("integration_id", numbers=True),
            connectors=read.names("connectors", nullable=set(DEFAULT_CONNECTORS) - {"employees"}),
            fields=fields,
            org_unit_fields=read.names("org_unit_fields"),
            function_fields=read.names("function_fields"),
            attachment_fields=read.names("attachment_fields"),
            take=read.whole("take"),
            employments_order_by=(
                read.text("employments_order_by") or f"{fields['id']},{fields['start_date']}"
            ),
            dossier_item_type=read.number_id(
                "dossier_item_type",
                "the number (StId) of a dossier item type; GetConnector Profit_SubjectTypes "
                "lists them",
            ),
        )


def open_source(settings: dict, base_dir: Path, env: Mapping[str, str]) -> AfasSource:
    config = AfasSettings.from_settings(settings)
    header = afas_token_header(secret(env, config.token_env, VENDOR), config.token_env)
    headers = {"Authorization": header, "Accept": "application/json"}
    if config.integration_id:
        headers["IntegrationId"] = config.integration_id
    http = VendorHttp(
        VENDOR, config.base_url, auth_hint=f"check {config.token_env}", headers=headers
    )
    return AfasSource(http, config)


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
    config: AfasSettings
    today: Callable[[], date] = lambda: clock.today(AMSTERDAM)
    name: str = "afas"

    # -- fetch ---------------------------------------------------------------------------------

    def close(self) -> None:
        self.http.close()

    def fetch(self, progress: OnProgress | None = None) -> Snapshot:
        fetched_at = datetime.now(AMSTERDAM).isoformat(timespec="seconds")
        f, connectors = self.config.fields, self.config.connectors
        person_rows = list(self._rows("employees", f["id"], "employees", progress))
        if not person_rows:
            raise SourceError(
                f"AFAS: GetConnector {connectors['employees']} returned no employees; "
                f"nothing proposed"
            )
        if connectors["employments"]:
            order = self.config.employments_order_by
            position_rows = list(self._rows("employments", order, "positions", progress))
            if not position_rows:
                # Without positions everyone would look out of service: refuse, deactivate no one.
                raise SourceError(
                    f"AFAS: GetConnector {connectors['employments']} returned no positions "
                    f"for {len(person_rows)} employees; nothing proposed"
                )
        else:
            position_rows = person_rows
        positions = _current_positions(
            position_rows, f, connectors["employments"] or connectors["employees"], self.today()
        )
        employees = self._employees(person_rows, positions)
        return Snapshot(
            source=self.name,
            fetched_at=fetched_at,
            employees=tuple(sorted(employees, key=lambda e: e.id)),
            teams=tuple(sorted(self._teams(progress), key=lambda t: (t.id, t.name))),
            jobs=tuple(sorted(self._jobs(position_rows, progress), key=lambda j: (j.id, j.name))),
        )

    def _employees(self, person_rows: list[dict], positions: dict[str, Position]) -> list[Employee]:
        """One employee per person row. Rows that say the same (an employees connector that
        also carries positions has one row per position) are one; rows that differ under one id
        all go on, for the snapshot check to name."""
        f = self.config.fields
        connector = self.config.connectors["employees"]
        employees: dict[Employee, None] = {}
        for number, row in enumerate(person_rows, 1):
            emp_id = _text(row.get(f["id"]))
            if emp_id is None:
                continue
            held = positions.get(emp_id, NO_POSITION)
            position = held.row
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
                start_date=held.start,
                end_date=held.end,
                origin=f"AFAS {f['id']} {shown(emp_id)} ({connector}, row {number})",
            )
            employees.setdefault(employee, None)
        return list(employees)

    def _teams(self, progress: OnProgress | None) -> list[Team]:
        if not self.config.connectors["org_units"]:
            return []
        f = self.config.org_unit_fields
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
        if self.config.connectors["functions"]:
            f = self.config.function_fields
            rows = list(self._rows("functions", f["id"], "functions", progress))
            code_field, name_field = f["id"], f["name"]
        else:
            rows = position_rows
            code_field, name_field = self.config.fields["job_code"], self.config.fields["job_name"]
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
        connector_id = self.config.connectors[connector]
        params = {"orderbyfieldids": order_by, "take": self.config.take}
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
            if len(rows) < self.config.take:
                return
            skip += self.config.take

    # -- documents -----------------------------------------------------------------------------

    def upload_document(
        self, employee_id: str, filename: str, content: bytes, *, title: str
    ) -> UploadedDocument:
        item_type = self.config.dossier_item_type
        if item_type is None:
            raise ConfigError(
                "AFAS: set source.dossier_item_type (StId of the dossier item type; "
                "GetConnector Profit_SubjectTypes lists them)"
            )
        now = datetime.now(AMSTERDAM).replace(microsecond=0, tzinfo=None)
        payload = {
            "KnSubject": {
                "Element": {
                    "Fields": {"StId": item_type, "Ds": title, "Da": now.isoformat()},
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
        if not self.config.connectors["attachments"]:
            return None
        f = self.config.attachment_fields
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
            raise SourceError(f"AFAS: token rejected; check {self.config.token_env}")
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


def _current_positions(
    rows: list[dict], f: dict, connector: str, today: date
) -> dict[str, Position]:
    """Per employee the position running today (else the last one), with its dates read."""
    by_employee: dict[str, list[Position]] = {}
    for row in rows:
        emp_id = _text(row.get(f["id"]))
        if emp_id is not None:
            # AFAS writes Amsterdam time with a misleading 'Z': the calendar day as written is
            # what counts, which is how iso_date reads it.
            where = f"AFAS {f['id']} {shown(emp_id)} ({connector})"
            start = vendor_date(row.get(f["start_date"]), f"{where}: {f['start_date']}")
            end = vendor_date(row.get(f["end_date"]), f"{where}: {f['end_date']}")
            by_employee.setdefault(emp_id, []).append(Position(row, start, end))
    return {
        emp_id: current_period(held, lambda p: (p.start, p.end), today)
        for emp_id, held in by_employee.items()
    }


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
