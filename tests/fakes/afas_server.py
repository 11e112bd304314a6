"""A loopback AFAS Profit REST server: GetConnectors with skip/take/orderbyfieldids, KnSubject.

It answers the way AFAS documents it: `{"skip","take","rows"}` pages, 401 for any Authorization
header other than `AfasToken <base64 of the XML token>`, 500 `{externalMessage, errorNumber,
profitLogReference}` for functional errors, 201 `{"results":{"KnSubject":{"SbId":…}}}` for an
upload. Faults (429, 503, a truncated body) can be queued per connector page.
"""

from __future__ import annotations

import base64
import json
import threading
from dataclasses import dataclass, field
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

TOKEN_XML = "<token><version>1</version><data>3F2A9C0D1B7E4A66B2C1D0E9F8A7B6C5</data></token>"
BASE_PATH = "/ProfitRestServices"
USERS = "T4E_HelloID_Users_v2"
EMPLOYMENTS = "T4E_HelloID_Employments_v2"
ORG_UNITS = "T4E_HelloID_OrganizationalUnits_v2"
ATTACHMENTS = "Hrsync_Employee_Attachments"
PII_FIELDS = ("BSN", "Geboortedatum", "IBAN", "Adres", "Salaris")


@dataclass
class Fault:
    connector: str
    skip: int
    kind: str  # "429", "503" or "truncated"


@dataclass
class AfasData:
    connectors: dict[str, list[dict]] = field(default_factory=dict)
    uploads: list[dict] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    requests: list[tuple[str, str, dict]] = field(default_factory=list)
    token_xml: str = TOKEN_XML

    def inject(self, connector: str, skip: int, kind: str) -> None:
        """The next request for this page fails once with `kind`."""
        self.faults.append(Fault(connector, skip, kind))


def generate_company(count: int = 2500, today: date | None = None) -> dict[str, list[dict]]:
    """Users, positions and org units for `count` employees, with PII a connector must drop."""
    today = today or date.today()
    units = [
        {"ExternalId": "DIR", "DisplayName": "Directie", "ParentExternalId": None},
        {"ExternalId": "ICT", "DisplayName": "ICT", "ParentExternalId": "DIR"},
        {"ExternalId": "FIN", "DisplayName": "Financiën", "ParentExternalId": "DIR"},
        {"ExternalId": "OPS", "DisplayName": "Operations", "ParentExternalId": "DIR"},
    ]
    functions = [
        ("DEV", "Developer"),
        ("ACC", "Accountant"),
        ("OPM", "Operator"),
        ("MGR", "Manager"),
    ]
    users, positions = [], []
    for n in range(count):
        number = f"{10000 + n}"
        unit = units[n % len(units)]["ExternalId"]
        code, description = functions[n % len(functions)]
        users.append(
            {
                "Medewerker": number,
                "Voornaam": f"Johannes{n}",
                "Roepnaam": f"Jan{n}",
                "Voorletters": "J.",
                "Voorvoegsel": "de" if n % 3 == 0 else None,
                "Geboortenaam": f"Vries{n}",
                "Email_werk": f"jan{n}@example.nl",
                "BSN": f"{100000000 + n}",
                "Geboortedatum": "1980-05-17T00:00:00Z",
                "IBAN": f"NL91ABNA{n:010d}",
                "Adres": f"Kerkstraat {n}, Utrecht",
                "Salaris": 4200 + n,
            }
        )
        positions.append(
            {
                "ExternalID": f"{number}-1",
                "Medewerker": number,
                "Begindatum_functie": "2020-01-01T00:00:00Z",
                "Einddatum_functie": None,
                "Functie_code": code,
                "Functie_omschrijving": description,
                "Organisatorische_eenheid_code": unit,
                "Organisatorische_eenheid_omschrijving": unit,
                "Medewerkernummer_leidinggevende": "10000" if n else None,
                "Salaris": 4200 + n,
                "FTE": 1.0,
            }
        )
    return {USERS: users, EMPLOYMENTS: positions, ORG_UNITS: units, ATTACHMENTS: []}


def start_afas_server(data: AfasData | None = None) -> tuple[ThreadingHTTPServer, str]:
    """Serve `data` (default: a generated 2500-person company) on 127.0.0.1; gives the base URL."""
    if data is None:
        data = AfasData(connectors=generate_company())
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(data))
    server.data = data  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}{BASE_PATH}"


def token_header(token_xml: str = TOKEN_XML) -> str:
    return "AfasToken " + base64.b64encode(token_xml.encode("utf-8")).decode("ascii")


def _handler(data: AfasData) -> type[BaseHTTPRequestHandler]:
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
            with lock:
                data.requests.append(("GET", url.path, query))
            if not self._authorized():
                return
            prefix = f"{BASE_PATH}/connectors/"
            connector = url.path[len(prefix) :] if url.path.startswith(prefix) else None
            if connector not in data.connectors:
                return self._error(
                    500, "GetConnector not supported for this app or the user is not authorized"
                )
            try:
                skip, take = int(query.get("skip", 0)), int(query.get("take", 100))
            except ValueError:
                return self._error(500, "An unexpected error has occurred.")
            if skip < 0 or take < 1:
                return self._error(500, "An unexpected error has occurred.")
            if self._fault(connector, skip):
                return
            try:
                rows = _filtered(data.connectors[connector], query)
            except ValueError as exc:
                return self._error(500, str(exc))
            for spec in reversed([s for s in query.get("orderbyfieldids", "").split(",") if s]):
                name = spec.lstrip("-")
                rows.sort(key=lambda r, n=name: str(r.get(n) or ""), reverse=spec.startswith("-"))
            self._send(200, {"skip": skip, "take": take, "rows": rows[skip : skip + take]})

        def do_POST(self) -> None:
            url = urlsplit(self.path)
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with lock:
                data.requests.append(("POST", url.path, {}))
            if not self._authorized():
                return
            if url.path != f"{BASE_PATH}/connectors/KnSubject":
                return self._error(404, "Not found")
            try:
                element = json.loads(body)["KnSubject"]["Element"]
                objects = element["Objects"]
                link = next(o["KnSubjectLink"] for o in objects if "KnSubjectLink" in o)
                attachment = next(
                    o["KnSubjectAttachment"] for o in objects if "KnSubjectAttachment" in o
                )
                link_fields = link["Element"]["Fields"]
                file_fields = attachment["Element"]["Fields"]
                content = base64.b64decode(file_fields["FileStream"], validate=True)
            except (ValueError, KeyError, TypeError, StopIteration):
                return self._error(500, "Invalid KnSubject message")
            employees = {r["Medewerker"] for r in data.connectors.get(USERS, [])}
            if link_fields.get("SfTp") != 2 or link_fields.get("SfId") not in employees:
                return self._error(500, "The entered value for 'Employee' does not exist.")
            with lock:
                subject_id = str(1000 + len(data.uploads))
                data.uploads.append(
                    {
                        "SbId": subject_id,
                        "StId": element["Fields"].get("StId"),
                        "Ds": element["Fields"].get("Ds"),
                        "employee": link_fields["SfId"],
                        "file_name": file_fields["FileName"],
                        "content": content,
                    }
                )
                data.connectors.setdefault(ATTACHMENTS, []).append(
                    {
                        "subject_id": subject_id,
                        "Medewerker": link_fields["SfId"],
                        "file_name": file_fields["FileName"],
                    }
                )
            self._send(201, {"results": {"KnSubject": {"SbId": subject_id}}})

        def _authorized(self) -> bool:
            if self.headers.get("Authorization") == token_header(data.token_xml):
                return True
            self._send(401, {"externalMessage": "Invalid token", "errorNumber": -1})
            return False

        def _fault(self, connector: str, skip: int) -> bool:
            with lock:
                fault = next(
                    (f for f in data.faults if f.connector == connector and f.skip == skip), None
                )
                if fault is None:
                    return False
                data.faults.remove(fault)
            if fault.kind == "429":
                self._send(429, {"message": "Too many requests"}, {"Retry-After": "3"})
            elif fault.kind == "503":
                self._send(
                    503,
                    {
                        "error": {"code": "503", "message": "Service temporarily unavailable"},
                        "retry_after": 7200,
                    },
                )
            else:
                payload = json.dumps({"skip": skip, "take": 1, "rows": [{"Medewerker": "1"}]})
                raw = payload.encode()[: len(payload) // 2]
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)
            return True

        def _error(self, status: int, message: str) -> None:
            self._send(
                status,
                {
                    "externalMessage": message,
                    "errorNumber": -2147220469,
                    "profitLogReference": "B8213AF1C3C54E579686406A8DE71C6C",
                },
            )

        def _send(self, status: int, body: dict, headers: dict | None = None) -> None:
            raw = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(raw)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(raw)

    return Handler


def _filtered(rows: list[dict], query: dict) -> list[dict]:
    """AFAS filters: comma = AND; operator 1 is equality, the only one hrsync sends."""
    names = [n for n in query.get("filterfieldids", "").split(",") if n]
    values = query.get("filtervalues", "").split(",")
    operators = query.get("operatortypes", "").split(",")
    selected = list(rows)
    for name, value, operator in zip(names, values, operators, strict=False):
        if operator != "1":
            raise ValueError(f"fake AFAS only implements operator 1, not {operator}")
        selected = [r for r in selected if str(r.get(name)) == value]
    return selected


def days_from_today(days: int) -> str:
    """An AFAS date-time (Amsterdam midnight with its misleading Z) `days` from today."""
    return f"{(date.today() + timedelta(days=days)).isoformat()}T00:00:00Z"
