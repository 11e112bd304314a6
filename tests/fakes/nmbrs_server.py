"""A loopback Nmbrs SOAP v3 server: EmployeeService and DebtorService, as the API answers them.

Requests are SOAP 1.1 envelopes; the operation is the body's element, and the `SOAPAction` header
must name it as ASMX services require. The `AuthHeaderWithDomain` header must match, otherwise the
answer is the SOAP fault Nmbrs sends (`---> 1001: Invalid Authentication`). Faults (429, 503, a
truncated body) can be queued per operation.

Element names follow the public clients: `Department_GetAll_AllEmployeesByCompany` answers flat
`Department_V2` records (go-nmbrs), while `Function_GetAll_AllEmployeesByCompany_V2` answers
`EmployeeFunctionItem_V2` items whose `EmployeeFunction` records nest the function's `Id`, `Code`
and `Description` under `Function` (leapforce-libraries/go_nmbrs `EmployeeFunction.go`,
LarsKluijtmans/nmbrs_api `FunctionAll`, Tools4ever HelloID `$employeeFunction.Function.Code`).
Employee ids are compared as text, so a test can hand out any id the way a hostile server would.
"""

from __future__ import annotations

import base64
import threading
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
NAMESPACE_ROOT = "https://api.nmbrs.nl/soap/v3"
USERNAME = "api@example.nl"
TOKEN = "c0ffee00c0ffee00c0ffee00c0ffee00"
DOMAIN = "acme"
COMPANY_ID = 4242
DEBTOR_ID = 77
EMPLOYEE_TYPES = {1: "Payroll", 2: "Extern"}


@dataclass
class NmbrsEmployee:
    id: int
    number: int
    type: int
    personal_infos: list[dict]
    departments: list[dict]
    functions: list[dict]
    employments: list[dict]
    manager: dict | None = None


@dataclass
class NmbrsData:
    employees: list[NmbrsEmployee] = field(default_factory=list)
    departments: list[dict] = field(default_factory=list)
    functions: list[dict] = field(default_factory=list)
    uploads: list[dict] = field(default_factory=list)
    faults: list[tuple[str, str]] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)

    def inject(self, operation: str, kind: str) -> None:
        """The next call of `operation` fails once with `kind` ("429", "503" or "truncated")."""
        self.faults.append((operation, kind))

    def employee(self, employee_id: int | str) -> NmbrsEmployee:
        return next(e for e in self.employees if str(e.id) == str(employee_id))


def soap_date(days_from_today: int) -> str:
    return f"{(date.today() + timedelta(days=days_from_today)).isoformat()}T00:00:00"


def function_record(
    record_id: int, function: dict, start_year: int, start_period: int, created: str
) -> dict:
    """One `EmployeeFunction` of `Function_GetAll_AllEmployeesByCompany_V2`: the function itself
    ({Id, Code, Description}) nested under `Function`, the period it starts in beside it."""
    return {
        "RecordId": record_id,
        "Function": {k: function[k] for k in ("Id", "Code", "Description")},
        "StartPeriod": start_period,
        "StartYear": start_year,
        "CreationDate": created,
    }


def generate_company(count: int = 300) -> NmbrsData:
    """`count` employees in four departments, with the PII Nmbrs returns alongside names."""
    departments = [
        {"Id": 900 + n, "Code": code, "Description": name}
        for n, (code, name) in enumerate(
            [(10, "Directie"), (20, "ICT"), (30, "Financiën"), (40, "Operations")]
        )
    ]
    functions = [
        {"Id": 800 + n, "Code": code, "Description": name}
        for n, (code, name) in enumerate(
            [(1, "Developer"), (2, "Accountant"), (3, "Operator"), (4, "Manager")]
        )
    ]
    employees = []
    for n in range(count):
        dept, func = departments[n % 4], functions[n % 4]
        employees.append(
            NmbrsEmployee(
                id=600000 + n,
                number=1000 + n,
                type=1 if n % 10 else 2,
                # The older record holds a stale e-mail: only the latest one may be read.
                personal_infos=[
                    _personal_info(n, 1, f"old{n}@example.nl", "2019-12-01T10:00:00"),
                    _personal_info(n, 2, f"jan{n}@example.nl", "2022-06-01T10:00:00"),
                ],
                departments=[
                    {
                        **dept,
                        "CreationDate": "2020-01-01T09:00:00",
                        "StartPeriod": 1,
                        "StartYear": 2020,
                    }
                ],
                functions=[function_record(n * 10 + 1, func, 2020, 1, "2020-01-01T09:00:00")],
                employments=[
                    {
                        "EmploymentId": 1,
                        "CreationDate": "2020-01-01T09:00:00",
                        "StartDate": "2020-01-01T00:00:00",
                        "EndDate": None,
                    }
                ],
                manager=None
                if n == 0
                else {
                    "Number": 1,
                    "FirstName": "Jan0",
                    "Name": "de Vries0",
                    "Email": "jan0@example.nl",
                    "PhoneNumber": "0201234567",
                    "Mobile": "0687654321",
                },
            )
        )
    return NmbrsData(employees=employees, departments=departments, functions=functions)


def _personal_info(n: int, record_id: int, email: str, created: str) -> dict:
    return {
        "Id": record_id,
        "EmployeeNumber": 1000 + n,
        "FirstName": f"Johannes{n}",
        "Nickname": f"Jan{n}",
        "Prefix": "de" if n % 3 == 0 else "",
        "LastName": f"Vries{n}",
        "EmailWork": email,
        "BSN": f"{200000000 + n}",
        "Birthday": "1981-02-03T00:00:00",
        "EmailPrivate": f"jan{n}@privemail.nl",
        "TelephonePrivate": "0612345678",
        "CreationDate": created,
        "StartPeriod": int(created[5:7]),
        "StartYear": int(created[:4]),
    }


def start_nmbrs_server(data: NmbrsData | None = None) -> tuple[ThreadingHTTPServer, str]:
    """Serve `data` (default: a generated 300-person company) on 127.0.0.1; gives the base URL."""
    data = data if data is not None else generate_company()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(data))
    server.data = data  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/soap/v3"


class Fault(Exception):
    def __init__(self, text: str):
        self.text = text


def _handler(data: NmbrsData) -> type[BaseHTTPRequestHandler]:
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def do_POST(self) -> None:
            service = self.path.rsplit("/", 1)[-1].removesuffix(".asmx")
            raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            try:
                envelope = ET.fromstring(raw)
                call = _only(_only(envelope, "Body"))
                operation = _local(call.tag)
                namespace = f"{NAMESPACE_ROOT}/{service}"
                if self.headers.get("SOAPAction", "").strip('"') != f"{namespace}/{operation}":
                    raise Fault("Server did not recognize the value of HTTP Header SOAPAction")
                with lock:
                    data.calls.append(operation)
                if self._fault(operation):
                    return
                auth = _only(_only(envelope, "Header"), "AuthHeaderWithDomain")
                if (_text(auth, "Username"), _text(auth, "Token"), _text(auth, "Domain")) != (
                    USERNAME,
                    TOKEN,
                    DOMAIN,
                ):
                    raise Fault("---> 1001: Invalid Authentication")
                args = {_local(c.tag): (c.text or "") for c in call}
                result = _dispatch(data, lock, service, operation, args)
            except Fault as fault:
                return self._send(500, _fault_envelope(fault.text))
            except (ET.ParseError, StopIteration, KeyError, ValueError):
                return self._send(500, _fault_envelope("Server was unable to read request."))
            self._send(200, _response_envelope(namespace, operation, result))

        def _fault(self, operation: str) -> bool:
            with lock:
                kind = next((k for op, k in data.faults if op == operation), None)
                if kind is None:
                    return False
                data.faults.remove((operation, kind))
            if kind == "429":
                self._send(429, b"", {"Retry-After": "2"})
            elif kind == "503":
                self._send(503, b"Service Unavailable")
            else:
                body = _response_envelope(
                    f"{NAMESPACE_ROOT}/EmployeeService", operation, _employee_list(data, "1")
                )
                self._send(200, body[: len(body) // 2])
            return True

        def _send(self, status: int, body: bytes, headers: dict | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "text/xml; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)

    return Handler


def _dispatch(data: NmbrsData, lock, service: str, operation: str, args: dict) -> list | None:
    """The `<…Result>` content as nested (name, value) pairs; None for an empty result."""
    if operation in ("Department_GetList", "Function_GetList") and service == "DebtorService":
        if int(args["DebtorId"]) != DEBTOR_ID:
            raise Fault("---> 2004: Unauthorized company")
        records = data.departments if operation.startswith("Department") else data.functions
        return [(operation.split("_")[0], list(r.items())) for r in records]
    if service != "EmployeeService":
        raise Fault(f"Unknown operation {operation}")
    if operation == "EmployeeType_GetList":
        return [
            ("EmployeeType", [("Id", i), ("Description", d)]) for i, d in EMPLOYEE_TYPES.items()
        ]
    if operation == "List_GetByCompany":
        _check_company(args["CompanyId"])
        return _employee_list(data, args["EmployeeType"])
    if operation == "Manager_GetCurrent":
        manager = data.employee(args["EmployeeId"]).manager
        return list(manager.items()) if manager else None
    if operation == "EmployeeDocument_UploadDocument":
        employee = data.employee(args["EmployeeId"])
        if "." not in args["StrDocumentName"]:
            raise Fault("---> 2040: Provide extension")
        with lock:
            data.uploads.append(
                {
                    "employee": employee.id,
                    "name": args["StrDocumentName"],
                    "type": args["GuidDocumentType"],
                    "content": base64.b64decode(args["Body"], validate=True),
                }
            )
        return None
    bulk = {
        "PersonalInfo_GetAll_AllEmployeesByCompany": (
            "PersonalInfoItem",
            "EmployeePersonalInfos",
            "PersonalInfo_V2",
            "personal_infos",
        ),
        "Department_GetAll_AllEmployeesByCompany": (
            "EmployeeDepartmentItem",
            "EmployeeDepartments",
            "Department_V2",
            "departments",
        ),
        "Function_GetAll_AllEmployeesByCompany_V2": (
            "EmployeeFunctionItem_V2",
            "EmployeeFunctions",
            "EmployeeFunction",
            "functions",
        ),
        "Employment_GetAll_AllEmployeesByCompany": (
            "EmployeeEmploymentItem",
            "EmployeeEmployments",
            "Employment",
            "employments",
        ),
    }
    if operation not in bulk:
        raise Fault(f"Unknown operation {operation}")
    _check_company(args["CompanyID"])
    item, list_name, record, attribute = bulk[operation]
    return [
        (
            item,
            [
                ("EmployeeId", e.id),
                (list_name, [(record, list(r.items())) for r in getattr(e, attribute)]),
            ],
        )
        for e in data.employees
    ]


def _employee_list(data: NmbrsData, employee_type: str) -> list:
    return [
        ("Employee", [("Id", e.id), ("Number", e.number), ("DisplayName", f"Employee {e.number}")])
        for e in data.employees
        if str(e.type) == employee_type
    ]


def _check_company(company_id: str) -> None:
    if int(company_id) != COMPANY_ID:
        raise Fault("---> 2004: Unauthorized company")


def _response_envelope(namespace: str, operation: str, result: list | None) -> bytes:
    envelope = ET.Element(f"{{{SOAP_ENV}}}Envelope")
    body = ET.SubElement(envelope, f"{{{SOAP_ENV}}}Body")
    response = ET.SubElement(body, f"{{{namespace}}}{operation}Response")
    if result is not None:
        _fill(ET.SubElement(response, f"{{{namespace}}}{operation}Result"), namespace, result)
    return ET.tostring(envelope, encoding="utf-8", xml_declaration=True)


def _fill(parent: ET.Element, namespace: str, pairs: list) -> None:
    for name, value in pairs:
        child = ET.SubElement(parent, f"{{{namespace}}}{name}")
        if isinstance(value, dict):
            _fill(child, namespace, list(value.items()))
        elif isinstance(value, list):
            _fill(child, namespace, value)
        elif value is None:
            child.set("{http://www.w3.org/2001/XMLSchema-instance}nil", "true")
        else:
            child.text = str(value)


def _fault_envelope(text: str) -> bytes:
    envelope = ET.Element(f"{{{SOAP_ENV}}}Envelope")
    fault = ET.SubElement(ET.SubElement(envelope, f"{{{SOAP_ENV}}}Body"), f"{{{SOAP_ENV}}}Fault")
    ET.SubElement(fault, "faultcode").text = "soap:Server"
    ET.SubElement(
        fault, "faultstring"
    ).text = (
        f"System.Web.Services.Protocols.SoapException: Server was unable to process request. {text}"
    )
    ET.SubElement(fault, "detail")
    return ET.tostring(envelope, encoding="utf-8", xml_declaration=True)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _only(element: ET.Element, name: str | None = None) -> ET.Element:
    return next(c for c in element if name is None or _local(c.tag) == name)


def _text(element: ET.Element, name: str) -> str | None:
    return next((c.text for c in element if _local(c.tag) == name), None)
