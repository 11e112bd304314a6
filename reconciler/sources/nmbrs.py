"""Nmbrs (SOAP API v3): employees, departments and functions; reviews into the employee documents.

SOAP rather than REST because it is the route with a known document upload
(`EmployeeDocument_UploadDocument`) and it needs only an API token, not an OAuth app with a
subscription key. The envelopes are small and built by hand; the company-wide `*_GetAll_*` calls
read every employee's history in one call each, so a fetch costs a handful of requests plus, when
managers are read, one `Manager_GetCurrent` per active employee (SOAP has no bulk manager call).

Of each personal-info record only names and the work e-mail are read; BSN, birth date, private
contact data never leave this module.

Departments and functions are period records: each applies from its (`StartYear`, `StartPeriod`)
on, and one can be entered ahead for a later period. The one in force is the latest that has
started by today's payroll period, as `Department_GetCurrent` / `Function_GetCurrent` answer.
A period is a calendar month unless `payroll_periods` says the company pays four-weekly or weekly.
`Function_GetAll_AllEmployeesByCompany_V2` nests a record's `Id`/`Code`/`Description` under
`Function`; the flat form of the older operation is read too.
"""

from __future__ import annotations

import base64
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from reconciler import clock
from reconciler.core.employment import current_period, is_employed
from reconciler.core.ids import shown
from reconciler.core.interfaces import OnProgress, Step, UploadedDocument
from reconciler.core.model import Employee, Job, Snapshot, Team
from reconciler.errors import ConfigError, SourceError
from reconciler.http import VendorHttp
from reconciler.slug import slugify
from reconciler.sources.settings import SettingsReader
from reconciler.sources.vendor import credentials, numeric_first, vendor_date

VENDOR = "Nmbrs"
DEFAULT_BASE_URL = "https://api.nmbrs.nl/soap/v3"
NAMESPACE_ROOT = "https://api.nmbrs.nl/soap/v3"  # the same for the sandbox host
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
FAULT_CODE = re.compile(r"--->\s*(?:[\w.]+:\s*)?(\d{4})\s*:\s*([^\r\n]*)")
AUTH_CODES = {"1001", "2043"}  # invalid authentication; domain not found
PAYROLL_PERIODS = ("monthly", "four_weekly", "weekly")
GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


@dataclass(frozen=True)
class NmbrsSettings:
    domain: str = field(metadata={"hint": "your Nmbrs subdomain (yourcompany.nmbrs.nl)"})
    company_id: int = field(metadata={"hint": "the number of the company to read"})
    base_url: str = DEFAULT_BASE_URL
    # names of the environment variables holding the API user's e-mail and token
    username_env: str = "NMBRS_USERNAME"
    token_env: str = "NMBRS_TOKEN"
    debtor_id: int | None = None  # read the department and function lists of this debtor
    employee_types: tuple[str, ...] | None = None  # None: every type Nmbrs lists
    managers: str = "current"  # current | off (one call per active employee)
    payroll_periods: str = "monthly"
    document_type_guid: str | None = None  # the employee document type of review PDFs

    @classmethod
    def from_settings(cls, settings: Mapping) -> NmbrsSettings:
        read = SettingsReader(cls, settings, "nmbrs")
        guid = read.text("document_type_guid")
        if guid is not None and not GUID.fullmatch(guid):
            raise ConfigError(
                f"hrsync.yaml: source.document_type_guid {shown(guid)} is not a GUID; name the "
                "employee document type (e.g. 5a1f3e2b-8c4d-4e6f-9a0b-1c2d3e4f5a6b)"
            )
        return cls(
            domain=read.text("domain", numbers=True),
            company_id=read.number_id("company_id", "the number of the company to read"),
            base_url=read.text("base_url").rstrip("/"),
            username_env=read.text("username_env"),
            token_env=read.text("token_env"),
            debtor_id=read.number_id("debtor_id", "the number of the debtor"),
            employee_types=read.text_list("employee_types"),
            managers=read.choice("managers", ("current", "off")),
            payroll_periods=read.choice("payroll_periods", PAYROLL_PERIODS),
            document_type_guid=guid.lower() if guid else None,
        )


def open_source(settings: dict, base_dir: Path, env: Mapping[str, str]) -> NmbrsSource:
    config = NmbrsSettings.from_settings(settings)
    (username, token), hint = credentials(env, (config.username_env, config.token_env), VENDOR)
    hint += " (and domain)"
    http = VendorHttp(
        VENDOR,
        config.base_url,
        auth_hint=hint,
        headers={"Content-Type": "text/xml; charset=utf-8", "Accept": "text/xml"},
    )
    return NmbrsSource(SoapClient(http, (username, token, config.domain), hint), config)


@dataclass
class SoapClient:
    """SOAP 1.1 calls to the v3 services with the `AuthHeaderWithDomain` header."""

    http: VendorHttp
    credentials: tuple[str, str, str]  # username, token, domain
    auth_hint: str

    def call(self, service: str, operation: str, **arguments) -> ET.Element | None:
        """The operation's `<…Result>` element (None when Nmbrs returns no result)."""
        namespace = f"{NAMESPACE_ROOT}/{service}"
        response = self.http.post(
            f"/{service}.asmx",
            content=self._envelope(namespace, operation, arguments),
            headers={"SOAPAction": f"{namespace}/{operation}"},
            # SOAP faults come as HTTP 500 and are final: read them instead of retrying.
            ok=(200, 500),
        )
        try:
            root = ET.fromstring(response.content)
        except ET.ParseError:
            if response.status_code == 500:
                raise SourceError(f"Nmbrs: {operation} returned HTTP 500") from None
            raise SourceError(
                f"Nmbrs: {operation} returned a body that is not complete XML (truncated?)"
            ) from None
        answer = next(iter(_items(_child(root, "Body"))), None)
        if answer is not None and _local(answer.tag) == "Fault":
            raise self._fault(operation, answer)
        if answer is None or _local(answer.tag) != f"{operation}Response":
            raise SourceError(f"Nmbrs: {operation} returned no {operation}Response")
        return _child(answer, f"{operation}Result")

    def _envelope(self, namespace: str, operation: str, arguments: dict) -> bytes:
        envelope = ET.Element(f"{{{SOAP_ENV}}}Envelope")
        auth = ET.SubElement(
            ET.SubElement(envelope, f"{{{SOAP_ENV}}}Header"), f"{{{namespace}}}AuthHeaderWithDomain"
        )
        for name, value in zip(("Username", "Token", "Domain"), self.credentials, strict=True):
            ET.SubElement(auth, f"{{{namespace}}}{name}").text = value
        body = ET.SubElement(
            ET.SubElement(envelope, f"{{{SOAP_ENV}}}Body"), f"{{{namespace}}}{operation}"
        )
        for name, value in arguments.items():
            ET.SubElement(body, f"{{{namespace}}}{name}").text = str(value)
        return ET.tostring(envelope, encoding="utf-8", xml_declaration=True)

    def _fault(self, operation: str, fault: ET.Element) -> SourceError:
        text = _value(fault, "faultstring") or " ".join(
            t.strip() for t in fault.itertext() if t.strip()
        )
        match = FAULT_CODE.search(text)
        if match and match.group(1) in AUTH_CODES:
            return SourceError(f"Nmbrs: invalid authentication; {self.auth_hint}")
        reason = f"{match.group(1)}: {match.group(2).strip()}" if match else text.splitlines()[0]
        return SourceError(f"Nmbrs: {operation} failed: {reason[:200]}")


@dataclass
class NmbrsSource:
    soap: SoapClient
    config: NmbrsSettings
    today: Callable[[], date] = lambda: clock.today(AMSTERDAM)
    name: str = "nmbrs"

    def close(self) -> None:
        self.soap.http.close()

    def fetch(self, progress: OnProgress | None = None) -> Snapshot:
        fetched_at = datetime.now(AMSTERDAM).isoformat(timespec="seconds")
        say = progress or (lambda step: None)
        listed = self._listed_employees(say)
        today = self.today()
        now = payroll_period(today, self.config.payroll_periods)
        infos = {
            emp_id: max(records, key=_created)
            for emp_id, records in self._records(
                "PersonalInfo_GetAll_AllEmployeesByCompany", "EmployeePersonalInfos"
            ).items()
        }
        departments = _in_force(
            self._records("Department_GetAll_AllEmployeesByCompany", "EmployeeDepartments"), now
        )
        functions = _in_force(
            self._records("Function_GetAll_AllEmployeesByCompany_V2", "EmployeeFunctions"), now
        )
        employments = self._employments()
        if not employments:
            # Without employments everyone would look out of service: refuse, deactivate no one.
            raise SourceError(
                f"Nmbrs: no employments for {len(listed)} employees; nothing proposed"
            )
        say(Step("fetch Nmbrs employees", len(listed), len(listed), "employees"))
        employees = []
        for emp_id, employee_type in sorted(listed, key=lambda e: numeric_first(e[0])):
            company = self.config.company_id
            origin = f"Nmbrs employee {shown(emp_id)} (company {company}, type {employee_type})"
            info = infos.get(emp_id)
            if info is None:
                raise SourceError(f"{origin} has no personal info record")
            start, end = employments.get(emp_id, (None, None))
            employees.append(
                Employee(
                    id=emp_id,
                    email=_value(info, "EmailWork") or "",
                    first_name=_value(info, "Nickname") or _value(info, "FirstName") or "",
                    last_name=" ".join(
                        p for p in (_value(info, "Prefix"), _value(info, "LastName")) if p
                    ),
                    active=emp_id in employments,  # dates: the core's employment rule
                    team=_code(departments.get(emp_id)),
                    job=_code(functions.get(emp_id)),
                    start_date=start,
                    end_date=end,
                    origin=origin,
                )
            )
        employees = self._with_managers(employees, say)
        return Snapshot(
            source=self.name,
            fetched_at=fetched_at,
            employees=tuple(employees),
            teams=tuple(Team(i, n) for i, n in self._master("Department", departments)),
            jobs=tuple(Job(i, n) for i, n in self._master("Function", functions)),
        )

    def _listed_employees(self, say: OnProgress) -> list[tuple[str, str]]:
        """(employee id, employee type) of every listed employee; an id listed twice stays
        twice, so the snapshot check can name both records."""
        types = self.config.employee_types
        if not types:
            result = self.soap.call("EmployeeService", "EmployeeType_GetList")
            types = [_value(t, "Id") for t in _children(result, "EmployeeType")]
        listed: list[tuple[str, str]] = []
        for employee_type in types:
            result = self.soap.call(
                "EmployeeService",
                "List_GetByCompany",
                CompanyId=self.config.company_id,
                EmployeeType=employee_type,
            )
            ids = (_value(e, "Id") for e in _children(result, "Employee"))
            listed += [(i, str(employee_type)) for i in ids if i]
            say(Step("fetch Nmbrs employees", len(listed), None, "employees"))
        if not listed:
            raise SourceError(
                f"Nmbrs: company {self.config.company_id} lists no employees; nothing proposed"
            )
        return listed

    def _records(self, operation: str, list_name: str) -> dict[str, list[ET.Element]]:
        """Per employee every record of a company-wide history call."""
        result = self.soap.call("EmployeeService", operation, CompanyID=self.config.company_id)
        records: dict[str, list[ET.Element]] = {}
        for item in _items(result):
            emp_id = _value(item, "EmployeeId")
            found = _items(_child(item, list_name))
            if emp_id and found:
                records.setdefault(emp_id, []).extend(found)
        return records

    def _employments(self) -> dict[str, tuple[date | None, date | None]]:
        result = self.soap.call(
            "EmployeeService",
            "Employment_GetAll_AllEmployeesByCompany",
            CompanyID=self.config.company_id,
        )
        periods: dict[str, tuple[date | None, date | None]] = {}
        for item in _items(result):
            emp_id = _value(item, "EmployeeId")
            where = f"Nmbrs employee {shown(emp_id)}, employment"
            dated = [_period(e, where) for e in _items(_child(item, "EmployeeEmployments"))]
            if emp_id and dated:
                periods[emp_id] = current_period(dated, lambda d: d, self.today())
        return periods

    def _with_managers(self, employees: list[Employee], say: OnProgress) -> list[Employee]:
        """Managers are their own records in Nmbrs, not employees: link one by work e-mail."""
        if self.config.managers == "off":
            return employees
        by_email: dict[str, str | None] = {}
        for e in employees:
            key = e.email.casefold()
            if key:
                by_email[key] = None if key in by_email else e.id  # ambiguous e-mail: no link
        today = self.today()  # only people employed today have a manager worth a call
        active = [e for e in employees if is_employed(e.start_date, e.end_date, today) and e.active]
        managers: dict[str, str] = {}
        for n, employee in enumerate(active, 1):
            record = self.soap.call("EmployeeService", "Manager_GetCurrent", EmployeeId=employee.id)
            manager_id = by_email.get((_value(record, "Email") or "").casefold())
            if manager_id and manager_id != employee.id:
                managers[employee.id] = manager_id
            say(Step("fetch Nmbrs managers", n, len(active), "employees"))
        return [replace(e, manager=managers.get(e.id)) for e in employees]

    def _master(self, kind: str, assigned: dict[str, ET.Element]) -> list[tuple[str, str]]:
        """(id, name) of every department or function: the debtor's list when a debtor is set,
        else the ones employees hold. Nmbrs keeps both lists flat (no parents). Every distinct
        pair stays, so two names under one code reach the snapshot check instead of one winning.
        """
        if self.config.debtor_id is not None:
            result = self.soap.call(
                "DebtorService", f"{kind}_GetList", DebtorId=self.config.debtor_id
            )
            records = _children(result, kind)
        else:
            records = list(assigned.values())
        named = ((_code(r), _value(_assignment(r), "Description")) for r in records)
        return sorted({(i, name or i) for i, name in named if i})

    # -- documents -----------------------------------------------------------------------------

    def upload_document(
        self, employee_id: str, filename: str, content: bytes, *, title: str
    ) -> UploadedDocument:
        guid = self.config.document_type_guid
        if guid is None:
            raise ConfigError(
                "Nmbrs: set source.document_type_guid in hrsync.yaml to the GUID of the employee "
                "document type"
            )
        if "." not in filename:
            raise SourceError(f"Nmbrs: document name {filename!r} needs an extension")
        self.soap.call(
            "EmployeeService",
            "EmployeeDocument_UploadDocument",
            EmployeeId=employee_id,
            StrDocumentName=filename,
            Body=base64.b64encode(content).decode("ascii"),
            GuidDocumentType=guid,
        )
        # The upload answers with an empty element: there is no document id to return.
        return UploadedDocument(
            f"{employee_id}/{filename}", f"Nmbrs › employee {employee_id} › Documents › {title}"
        )

    def find_document(self, employee_id: str, filename: str) -> str | None:
        """Always None: Nmbrs SOAP has no operation that lists an employee's documents."""
        return None


def payroll_period(day: date, kind: str = "monthly") -> tuple[int, int]:
    """(year, period) that `day` falls in. Monthly: the calendar month. Four-weekly and weekly
    count ISO weeks (13 periods of four weeks, week 53 in the 13th): an assumption, as no Nmbrs
    source says how it numbers them."""
    if kind == "monthly":
        return day.year, day.month
    year, week, _ = day.isocalendar()
    return (year, week) if kind == "weekly" else (year, min(13, (week - 1) // 4 + 1))


def _created(record: ET.Element) -> tuple:
    return (_value(record, "CreationDate") or "",)


def _starts(record: ET.Element) -> tuple[int, int]:
    return _int(_value(record, "StartYear")), _int(_value(record, "StartPeriod"))


def _in_force(records: dict[str, list[ET.Element]], now: tuple[int, int]) -> dict[str, ET.Element]:
    """Per employee the record in force in period `now`: the latest one that has started (a
    change entered for a later period waits for it), the latest entered within one period."""
    current = {}
    for emp_id, history in records.items():
        started = [r for r in history if _starts(r) <= now]
        if started:
            current[emp_id] = max(started, key=lambda r: (*_starts(r), *_created(r)))
    return current


def _assignment(record: ET.Element) -> ET.Element:
    """The element holding Id/Code/Description: nested under `Function` in
    `Function_GetAll_AllEmployeesByCompany_V2`, the record itself everywhere else."""
    nested = _child(record, "Function")
    return nested if nested is not None and len(nested) else record


def _code(record: ET.Element | None) -> str | None:
    if record is None:
        return None
    record = _assignment(record)
    code = _value(record, "Code")
    if code:
        return code
    description = _value(record, "Description")
    return slugify(description) if description else None


def _int(text: str | None) -> int:
    try:
        return int(text or 0)
    except ValueError:
        return 0


def _period(employment: ET.Element, where: str) -> tuple[date | None, date | None]:
    start = vendor_date(_value(employment, "StartDate"), f"{where} StartDate")
    end = vendor_date(_value(employment, "EndDate"), f"{where} EndDate")
    return start, end


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _items(element: ET.Element | None) -> list[ET.Element]:
    return list(element) if element is not None else []


def _children(element: ET.Element | None, name: str) -> list[ET.Element]:
    return [c for c in _items(element) if _local(c.tag) == name]


def _child(element: ET.Element | None, name: str) -> ET.Element | None:
    found = _children(element, name)
    return found[0] if found else None


def _value(element: ET.Element | None, name: str) -> str | None:
    child = _child(element, name)
    text = (child.text or "").strip() if child is not None else ""
    return text or None
