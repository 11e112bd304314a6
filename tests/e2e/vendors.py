"""Per-vendor setup for the end-to-end tests: start the loopback fake, point hrsync.yaml at it,
and the few vendor-specific moves a test needs (rename a department, let someone leave, read
what was uploaded). The tests themselves are the same for every vendor."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import yaml

from tests.fakes import afas_server, hibob_server, nmbrs_server, personio_server
from tests.fakes.loopback import stop

PERSONIO_CATEGORY = 3  # "Performance reviews" in the fake's categories
HIBOB_FOLDER = "confidential"
AFAS_DOSSIER_TYPE = 19
NMBRS_DOCUMENT_TYPE = "5a1f3e2b-8c4d-4e6f-9a0b-1c2d3e4f5a6b"
LEFT = date.today() - timedelta(days=3)


@dataclass(frozen=True)
class Upload:
    employee_id: str
    place: str  # the category, folder, dossier item type or document type it was filed under
    filename: str
    content: bytes


@dataclass
class Vendor:
    """One HRIS: how to run its fake and read back what hrsync did to it."""

    name: str
    env: dict[str, str]
    secret_var: str  # the variable a bad-credentials test spoils
    wrong_secret: str
    place: str  # where reviews must land (see Upload.place)
    start: Callable[[], tuple[object, str, object]]  # (server, base_url, fake state)
    settings: Callable[[str], dict]  # source settings beyond the template, given the base URL
    employee_count: Callable[[object], int]
    pii: Callable[[object], list[str]]
    rename_team: Callable[[object], tuple[str, str]]  # -> (team id, new name)
    make_leaver: Callable[[object], str]  # -> member id
    uploads: Callable[[object], list[Upload]]


@dataclass
class Running:
    vendor: Vendor
    server: object
    base_url: str
    fake: object

    def stop(self) -> None:
        stop(self.server)


def point_config_at(root: Path, vendor: Vendor, base_url: str) -> None:
    """Keep the `init` template's source block and set what this fake needs on top of it."""
    path = root / "hrsync.yaml"
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    config["source"] = {**config["source"], **vendor.settings(base_url)}
    path.write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf-8")


# -- Personio ----------------------------------------------------------------------------------


def _personio_start():
    server, base_url = personio_server.start_personio_server(personio_server.personio_employees(30))
    return server, base_url, server.api


def _personio_value(employee: dict, key: str):
    return employee[key]["value"]


def _personio_pii(api) -> list[str]:
    values = []
    for employee in api.employees:
        values.append(_personio_value(employee, "date_of_birth")[:10])
        values += [str(_personio_value(employee, k)) for k in ("fix_salary", "dynamic_1001")]
        values.append(_personio_value(employee, "dynamic_2001"))  # IBAN
    return values


def _personio_leaver(api) -> str:
    # 17 is active, reports to 1 and leads nobody in a 30-person company.
    employee = next(e for e in api.employees if _personio_value(e, "id") == 17)
    employee["status"]["value"] = "inactive"
    employee["termination_date"]["value"] = f"{LEFT.isoformat()}T00:00:00+01:00"
    return "17"


def _personio_rename(api) -> tuple[str, str]:
    api.rename_department(281522, "Engineering & Data")
    return "281522", "Engineering & Data"


PERSONIO = Vendor(
    name="personio",
    env=personio_server.ENV,
    secret_var="PERSONIO_CLIENT_SECRET",
    wrong_secret="papi-secret-WRONG-5150",
    place=str(PERSONIO_CATEGORY),
    start=_personio_start,
    settings=lambda url: {"base_url": url, "category_id": PERSONIO_CATEGORY},
    employee_count=lambda api: len(api.employees),
    pii=_personio_pii,
    rename_team=_personio_rename,
    make_leaver=_personio_leaver,
    uploads=lambda api: [
        Upload(str(u["employee_id"]), str(u["category_id"]), u["filename"], u["content"])
        for u in api.uploads
    ],
)

# -- HiBob -------------------------------------------------------------------------------------


def _hibob_start():
    server, base_url = hibob_server.start_hibob_server()
    return server, base_url, server.api


def _hibob_leaver(api) -> str:
    # 23 is active and leads nobody (managers are number // 5, so 1..8).
    person_id = hibob_server.employee_id(23)
    person = next(p for p in api.employees if p["id"] == person_id)
    person["internal"].update(
        status="Inactive", lifecycleStatus="terminated", terminationDate=LEFT.isoformat()
    )
    return person_id


def _hibob_rename(api) -> tuple[str, str]:
    api.rename_department("209192163", "Engineering & Data")
    return "209192163", "Engineering & Data"


HIBOB = Vendor(
    name="hibob",
    env=hibob_server.ENV,
    secret_var="HIBOB_SERVICE_USER_TOKEN",
    wrong_secret="bob-token-WRONG-5150",
    place=HIBOB_FOLDER,
    start=_hibob_start,
    settings=lambda url: {"base_url": url, "document_folder": HIBOB_FOLDER},
    employee_count=lambda api: len(api.employees),
    pii=lambda api: [
        value
        for p in api.employees
        for value in (
            p["address"]["fullAddress"],
            p["financial"]["iban"],
            p["personal"]["birthday"],
            str(p["payroll"]["salary"]["base"]),
        )
    ],
    rename_team=_hibob_rename,
    make_leaver=_hibob_leaver,
    uploads=lambda api: [
        Upload(d["employee_id"], d["folder"], d["name"], d["content"]) for d in api.documents
    ],
)

# -- AFAS --------------------------------------------------------------------------------------


def _afas_start():
    data = afas_server.AfasData(connectors=afas_server.generate_company(20))
    server, base_url = afas_server.start_afas_server(data)
    return server, base_url, data


def _afas_leaver(data) -> str:
    # Everyone reports to 10000; 10007 leads nobody.
    row = next(r for r in data.connectors[afas_server.EMPLOYMENTS] if r["Medewerker"] == "10007")
    row["Einddatum_functie"] = f"{LEFT.isoformat()}T00:00:00Z"
    return "10007"


def _afas_rename(data) -> tuple[str, str]:
    unit = next(u for u in data.connectors[afas_server.ORG_UNITS] if u["ExternalId"] == "ICT")
    unit["DisplayName"] = "ICT & Data"
    return "ICT", "ICT & Data"


AFAS = Vendor(
    name="afas",
    env={"AFAS_TOKEN": afas_server.TOKEN_XML},
    secret_var="AFAS_TOKEN",
    wrong_secret="<token><version>1</version><data>WRONG5150WRONG5150</data></token>",
    place=str(AFAS_DOSSIER_TYPE),
    start=_afas_start,
    settings=lambda url: {
        "base_url": url,
        "dossier_item_type": AFAS_DOSSIER_TYPE,
        "connectors": {"attachments": afas_server.ATTACHMENTS},
    },
    employee_count=lambda data: len(data.connectors[afas_server.USERS]),
    pii=lambda data: [
        str(row[key])[:10] if key == "Geboortedatum" else str(row[key])
        for row in data.connectors[afas_server.USERS]
        for key in afas_server.PII_FIELDS
    ],
    rename_team=_afas_rename,
    make_leaver=_afas_leaver,
    uploads=lambda data: [
        Upload(u["employee"], str(u["StId"]), u["file_name"], u["content"]) for u in data.uploads
    ],
)

# -- Nmbrs -------------------------------------------------------------------------------------


def _nmbrs_start():
    data = nmbrs_server.generate_company(20)
    server, base_url = nmbrs_server.start_nmbrs_server(data)
    return server, base_url, data


def _nmbrs_leaver(data) -> str:
    employee = data.employee(600007)
    employee.employments[-1]["EndDate"] = f"{LEFT.isoformat()}T00:00:00"
    return "600007"


def _nmbrs_rename(data) -> tuple[str, str]:
    # Without a debtor_id the department names come from each employee's department record.
    for employee in data.employees:
        for record in employee.departments:
            if record["Code"] == 20:
                record["Description"] = "ICT & Data"
    return "20", "ICT & Data"


def _nmbrs_pii(data) -> list[str]:
    values = []
    for employee in data.employees:
        for info in employee.personal_infos:
            values += [info["BSN"], info["EmailPrivate"], info["Birthday"][:10]]
        values.append(employee.personal_infos[0]["EmailWork"])  # the stale, older record
    return values + ["0612345678", "0201234567", "0687654321"]


NMBRS = Vendor(
    name="nmbrs",
    env={"NMBRS_USERNAME": nmbrs_server.USERNAME, "NMBRS_TOKEN": nmbrs_server.TOKEN},
    secret_var="NMBRS_TOKEN",
    wrong_secret="deadbeefWRONG5150deadbeef",
    place=NMBRS_DOCUMENT_TYPE,
    start=_nmbrs_start,
    settings=lambda url: {
        "base_url": url,
        "domain": nmbrs_server.DOMAIN,
        "company_id": nmbrs_server.COMPANY_ID,
        "document_type_guid": NMBRS_DOCUMENT_TYPE,
    },
    employee_count=lambda data: len(data.employees),
    pii=_nmbrs_pii,
    rename_team=_nmbrs_rename,
    make_leaver=_nmbrs_leaver,
    uploads=lambda data: [
        Upload(str(u["employee"]), u["type"], u["name"], u["content"]) for u in data.uploads
    ],
)

VENDORS = {vendor.name: vendor for vendor in (PERSONIO, HIBOB, AFAS, NMBRS)}
