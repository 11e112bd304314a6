"""Catalogue: hostile ids and values from each HRIS's API stop at the snapshot boundary.

Each case sets up a state repository on a vendor's loopback fake (a bare remote, one good sync),
then makes the fake answer with one hostile record the way that vendor would carry it, and runs
`hrsync sync`: exit 1, the record named by where it came from (`Personio employee '5'`, `AFAS
Medewerker '10007' (T4E_HelloID_Users_v2, row 8)`…) and the bad value, nothing changed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import git
import pytest

from reconciler.scaffold import init_repository
from tests.conftest import set_policy
from tests.e2e.vendors import VENDORS, Vendor, point_config_at
from tests.fakes.hibob_server import employee_id as bob_id
from tests.fakes.loopback import stop
from tests.fakes.nmbrs_server import COMPANY_ID, NmbrsEmployee
from tests.hostile.harness import assert_refused, run

LONG_NAME = "Ö" * 300
# 80 kB where a date belongs: named, cut short, never quoted whole.
NOT_A_DATE = "2024-01-01" + "<script>" * 10_000
NAMED_CUT_SHORT = ("'2024-01-01<script>", "is not an ISO date (YYYY-MM-DD)", "(80010 characters)")
HIDDEN = "`<img src=x onerror=alert(1)>`"
USERS = "T4E_HelloID_Users_v2"


def make_vendor_company(tmp_path: Path, vendor: Vendor, base_url: str) -> Path:
    """A state repository on `vendor`'s fake, every policy automatic, pushed to
    tmp_path/remote.git and synced once, so main and the platform hold the company."""
    root = tmp_path / "company"
    repo = init_repository(root, company="Acme", source=vendor.name)
    point_config_at(root, vendor, base_url)
    set_policy(root, teams="automatic", jobs="automatic", members="automatic")
    repo.git.add("-A")
    repo.git.commit("-qm", f"{vendor.name} source, automatic policies")
    git.Repo.init(tmp_path / "remote.git", bare=True, initial_branch="main")
    repo.create_remote("origin", str(tmp_path / "remote.git"))
    repo.git.push("-q", "origin", "main")
    first = run(root, "sync")
    assert first.exit_code == 0, first.output
    return root


@pytest.fixture
def company_on(tmp_path, monkeypatch) -> Callable[[str], tuple[Path, object]]:
    """company_on("afas") -> (state repository root, the fake's data to make hostile)."""
    servers = []

    def start(name: str) -> tuple[Path, object]:
        vendor = VENDORS[name]
        server, base_url, fake = vendor.start()
        servers.append(server)
        for variable, value in vendor.env.items():
            monkeypatch.setenv(variable, value)
        return make_vendor_company(tmp_path, vendor, base_url), fake

    yield start
    for server in servers:
        stop(server)


@dataclass(frozen=True)
class Case:
    vendor: str
    make_hostile: Callable[[object], None]  # edits the fake's data in place
    named: tuple[str, ...]  # the record's origin and the bad value, as the message shows them


# -- Personio: attribute maps, each value wrapped as {label, value, type, universal_id} ---------


def _personio(number: int, api) -> dict:
    return next(e for e in api.employees if e["id"]["value"] == number)


def _personio_twin(api) -> None:
    twin = {key: dict(value) for key, value in _personio(5, api).items()}
    twin["email"]["value"] = "someone.else@acme.example"
    api.employees.append(twin)  # 31 employees, one page: the same id twice on it


def _personio_department(api) -> None:
    department = _personio(7, api)["department"]["value"]
    _personio(7, api)["department"]["value"] = {
        "type": "Department",
        "attributes": {**department["attributes"], "id": "support/../../policies"},
    }


PERSONIO = {
    "employee id climbs out of state/": Case(
        "personio",
        lambda api: _personio(5, api)["id"].update(value="../../hrsync"),
        ("Personio employee '../../hrsync'", "could name a path"),
    ),
    # Python's `$` matches before a final newline: "5\n" once passed the id rule and the schemas.
    "employee id ending in a newline": Case(
        "personio",
        lambda api: _personio(5, api)["id"].update(value="5\n"),
        ("Personio employee '5\\n'", "may hold only letters"),
    ),
    "department id with a slash": Case(
        "personio",
        _personio_department,
        ("Personio employee '7'", "support/../../policies"),
    ),
    "e-mail without @": Case(
        "personio",
        lambda api: _personio(3, api)["email"].update(value="joerg.bergmann.acme.example"),
        ("Personio employee '3'", "joerg.bergmann.acme.example"),
    ),
    "name of 300 characters": Case(
        "personio",
        lambda api: _personio(4, api)["last_name"].update(value=LONG_NAME),
        ("Personio employee '4'", "longer than 200"),
    ),
    "supervisor id with backticks and HTML": Case(
        "personio",
        lambda api: _personio(12, api)["supervisor"]["value"]["attributes"]["id"].update(
            value=HIDDEN
        ),
        ("Personio employee '12'", "<img src=x onerror=alert(1)>"),
    ),
    "hire date that is no date": Case(
        "personio",
        lambda api: _personio(8, api)["hire_date"].update(value=NOT_A_DATE),
        ("Personio employee '8': hire_date", *NAMED_CUT_SHORT),
    ),
    "two employees with id 5": Case(
        "personio",
        _personio_twin,
        ("Personio employee '5'", "is also the id of the record at Personio employee '5'"),
    ),
}

# -- HiBob: one search answer of nested people, departments and titles in named lists ----------


def _bob(number: int, api) -> dict:
    return next(p for p in api.employees if p["id"] == bob_id(number))


def _bob_department(api) -> None:
    # The named list itself carries the hostile id, and so do the people in that department.
    for item in api.departments[0]["children"][0]["children"]:
        if item["id"] == "209192164":
            item["id"] = "platform/../../.git"
    for person in api.employees:
        if person["work"]["department"] == "209192164":
            person["work"]["department"] = "platform/../../.git"


def _bob_twin(api) -> None:
    twin = {**_bob(7, api), "firstName": "Twin", "email": "twin@bob.example"}
    api.employees.append(twin)


HIBOB = {
    "employee id climbs out of state/": Case(
        "hibob",
        lambda api: _bob(23, api).update(id="../../hrsync"),
        ("HiBob employee '../../hrsync'", "could name a path"),
    ),
    "department id with a slash": Case(
        "hibob",
        _bob_department,
        (f"HiBob employee '{bob_id(5)}'", "platform/../../.git"),
    ),
    "e-mail without @": Case(
        "hibob",
        lambda api: _bob(3, api).update(email="alan.lovelace.bob.example"),
        (f"HiBob employee '{bob_id(3)}'", "alan.lovelace.bob.example"),
    ),
    "name of 300 characters": Case(
        "hibob",
        lambda api: _bob(9, api).update(surname=LONG_NAME),
        (f"HiBob employee '{bob_id(9)}'", "longer than 200"),
    ),
    "manager id with backticks and HTML": Case(
        "hibob",
        lambda api: _bob(11, api)["work"]["reportsTo"].update(id=HIDDEN),
        (f"HiBob employee '{bob_id(11)}'", "<img src=x onerror=alert(1)>"),
    ),
    "start date that is no date": Case(
        "hibob",
        lambda api: _bob(8, api)["work"].update(startDate=NOT_A_DATE),
        (f"HiBob employee '{bob_id(8)}': work.startDate", *NAMED_CUT_SHORT),
    ),
    "two employees with one id": Case(
        "hibob",
        _bob_twin,
        (f"HiBob employee '{bob_id(7)}'", "is also the id of the record at HiBob employee"),
    ),
}

# -- AFAS: GetConnector rows, one connector for people, one for positions, one for org units ---


def _afas_rows(data, connector: str, number: str) -> list[dict]:
    return [r for r in data.connectors[connector] if r.get("Medewerker") == number]


def _afas_renumber(data) -> None:
    for connector in (USERS, "T4E_HelloID_Employments_v2"):
        for row in _afas_rows(data, connector, "10007"):
            row["Medewerker"] = "../../hrsync"


def _afas_position(number: str, **fields) -> Callable[[object], None]:
    def edit(data) -> None:
        for row in _afas_rows(data, "T4E_HelloID_Employments_v2", number):
            row.update(fields)

    return edit


def _afas_twin(data) -> None:
    [row] = _afas_rows(data, USERS, "10004")
    data.connectors[USERS].append({**row, "Roepnaam": "Piet", "Email_werk": "piet@example.nl"})


def _afas_parent(data) -> None:
    for unit in data.connectors["T4E_HelloID_OrganizationalUnits_v2"]:
        if unit["ExternalId"] == "FIN":
            unit["ParentExternalId"] = "../DIR"


AFAS = {
    "employee number climbs out of state/": Case(
        "afas",
        _afas_renumber,
        (f"AFAS Medewerker '../../hrsync' ({USERS}, row", "could name a path"),
    ),
    "org unit code with a slash": Case(
        "afas",
        _afas_position("10005", Organisatorische_eenheid_code="ICT/../../state"),
        (f"AFAS Medewerker '10005' ({USERS}, row 6)", "ICT/../../state"),
    ),
    "e-mail without @": Case(
        "afas",
        lambda data: _afas_rows(data, USERS, "10002")[0].update(Email_werk="jan2.example.nl"),
        (f"AFAS Medewerker '10002' ({USERS}, row 3)", "jan2.example.nl"),
    ),
    "name of 300 characters": Case(
        "afas",
        lambda data: _afas_rows(data, USERS, "10003")[0].update(Roepnaam=LONG_NAME),
        (f"AFAS Medewerker '10003' ({USERS}, row 4)", "longer than 200"),
    ),
    "manager number with backticks and HTML": Case(
        "afas",
        _afas_position("10006", Medewerkernummer_leidinggevende=HIDDEN),
        (f"AFAS Medewerker '10006' ({USERS}, row 7)", "<img src=x onerror=alert(1)>"),
    ),
    "position end that is no date": Case(
        "afas",
        _afas_position("10005", Einddatum_functie=NOT_A_DATE),
        (
            "AFAS Medewerker '10005' (T4E_HelloID_Employments_v2): Einddatum_functie",
            *NAMED_CUT_SHORT,
        ),
    ),
    "two different people under one number": Case(
        "afas",
        _afas_twin,
        (f"AFAS Medewerker '10004' ({USERS}, row 6)", f"AFAS Medewerker '10004' ({USERS}, row 5)"),
    ),
    "parent org unit climbing out": Case(
        "afas",
        _afas_parent,
        ("team 'FIN'", "parent: '../DIR'"),
    ),
}

# -- Nmbrs: SOAP records per employee; ids travel as element text --------------------------------


def _nmbrs_renumber(data) -> None:
    data.employee(600007).id = "../../hrsync"


def _nmbrs_twin(data) -> None:
    original = data.employee(600003)
    info = {**original.personal_infos[-1], "Nickname": "Piet", "EmailWork": "piet@example.nl"}
    data.employees.append(
        NmbrsEmployee(
            id=600003,
            number=9003,
            type=2,
            personal_infos=[info],
            departments=original.departments,
            functions=original.functions,
            employments=original.employments,
        )
    )


def _nmbrs_latest_info(number: int, **fields) -> Callable[[object], None]:
    return lambda data: data.employee(number).personal_infos[-1].update(fields)


NMBRS_ORIGIN = "Nmbrs employee '{}' (company " + str(COMPANY_ID) + ", type {})"
NMBRS = {
    "employee id climbs out of state/": Case(
        "nmbrs",
        _nmbrs_renumber,
        (NMBRS_ORIGIN.format("../../hrsync", 1), "could name a path"),
    ),
    "department code with a slash": Case(
        "nmbrs",
        lambda data: data.employee(600005).departments[0].update(Code="20/../../state"),
        (NMBRS_ORIGIN.format(600005, 1), "20/../../state"),
    ),
    "e-mail without @": Case(
        "nmbrs",
        _nmbrs_latest_info(600002, EmailWork="jan2.example.nl"),
        (NMBRS_ORIGIN.format(600002, 1), "jan2.example.nl"),
    ),
    "name of 300 characters": Case(
        "nmbrs",
        _nmbrs_latest_info(600004, Nickname=LONG_NAME),
        (NMBRS_ORIGIN.format(600004, 1), "longer than 200"),
    ),
    "function code with backticks and HTML": Case(
        "nmbrs",
        lambda data: data.employee(600006).functions[0]["Function"].update(Code=HIDDEN),
        (NMBRS_ORIGIN.format(600006, 1), "<img src=x onerror=alert(1)>"),
    ),
    "employment start that is no date": Case(
        "nmbrs",
        lambda data: data.employee(600005).employments[0].update(StartDate=NOT_A_DATE),
        ("Nmbrs employee '600005', employment StartDate", *NAMED_CUT_SHORT),
    ),
    "two employees with one id": Case(
        "nmbrs",
        _nmbrs_twin,
        (NMBRS_ORIGIN.format(600003, 2), NMBRS_ORIGIN.format(600003, 1)),
    ),
}

CASES = {
    f"{vendor}: {name}": case
    for vendor, cases in (
        ("personio", PERSONIO),
        ("hibob", HIBOB),
        ("afas", AFAS),
        ("nmbrs", NMBRS),
    )
    for name, case in cases.items()
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_hostile_vendor_record_is_refused_and_changes_nothing(company_on, case):
    hostile = CASES[case]
    root, fake = company_on(hostile.vendor)
    hostile.make_hostile(fake)

    assert_refused(root, ("sync",), *hostile.named)
