"""A Personio API double on 127.0.0.1: v1 auth, paged employees, documents, v2 org units.

Payload shapes follow Personio's published v1 spec: every attribute is wrapped as
{label, value, type, universal_id}; supervisor/department/team values are typed objects; errors
are {"success": false, "error": {"code", "message"}}. Seeded employees carry PII attributes
(salary, birthday, address, IBAN) so tests can prove none of it leaves the connector.

`updated_since` on the employee list follows Personio's documentation: an ISO 8601 time
(`2022-12-24T08:15:30`) or a date; only employees updated after it are listed, and with
`attributes[]` only those for which one of the listed attributes changed (a selection filter as
well as a projection); the list is paged with `limit`/`offset` like the whole one (mandatory
since November 2023). Personio does not say which zone the time is in; the double reads UTC.
Changes are made with `change()` and `hire()`, which stamp each attribute they touch.

    server, base_url = start_personio_server()   # server.api is the FakePersonio
    ...
    stop(server)
"""

from __future__ import annotations

import itertools
import math
import re
import threading
import time
from datetime import date, datetime, timedelta

from tests.fakes.loopback import FakeApi, Reply, Request, json_reply, serve, stop

__all__ = ["ENV", "FakePersonio", "personio_employees", "start_personio_server", "stop"]

CLIENT_ID = "papi-client-test"
CLIENT_SECRET = "papi-secret-0123456789"
ENV = {"PERSONIO_CLIENT_ID": CLIENT_ID, "PERSONIO_CLIENT_SECRET": CLIENT_SECRET}
SEED_TODAY = date(2025, 3, 1)
SEEDED_AT = datetime(2025, 1, 1)  # when every seeded attribute was last updated (UTC)
_UPDATED_SINCE = re.compile(r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2})?")

# (id, name, parent id): v1 shows departments without parents, v2 org units with them.
DEPARTMENTS = [
    (281500, "Company", None),
    (281521, "Customer Support", 281500),
    (281522, "Engineering", 281500),
    (281523, "Sales", 281500),
    (281524, "Finance", 281500),
    (281525, "People & Culture", 281500),
    (281526, "Platform", 281522),
]
TEAMS = [(59026, "Tier 1"), (59027, "Backend"), (59028, "Field Sales")]
POSITIONS = [
    "Software Engineer",
    "Support Agent",
    "Account Executive",
    "Controller",
    "HR Partner",
    "Product Designer",
    "Team Lead",
    "Site Reliability Engineer",
]
FIRST = ["Alexander", "Dana", "Jörg", "Ana", "Mehmet", "Sofia", "Liam", "Noor", "Yuki", "Eva"]
_ASCII = str.maketrans({"ö": "oe", "ü": "ue", "ß": "ss", "Ö": "Oe"})
LAST = ["Bergmann", "Keller", "Öztürk", "Novak", "Silva", "Jansen", "Weiß", "Haddad", "Tanaka"]


def attribute(key: str, value, label: str | None = None, kind: str = "standard") -> dict:
    return {
        "label": label or key.replace("_", " ").capitalize(),
        "value": value,
        "type": kind,
        "universal_id": key,
    }


def _object(kind: str, ref_id: int, name: str) -> dict:
    return {"type": kind, "attributes": {"id": ref_id, "name": name}}


def _personio_date(day: date | None) -> str | None:
    return f"{day.isoformat()}T00:00:00+01:00" if day else None


def _email(first: str, last: str, number: int) -> str:
    return f"{first}.{last}.{number}@acme.example".translate(_ASCII).lower()


def _birthday(number: int) -> str:
    return f"19{70 + number % 25}-0{1 + number % 9}-1{number % 10}T00:00:00+01:00"


def personio_employees(count: int = 250, today: date = SEED_TODAY) -> list[dict]:
    """`count` employees' attribute maps, the same every time.

    Employee 1 leads; every 25th is inactive (left 30 days ago); every 60th+11 left in the past
    but is still marked active; every 40th+7 is on leave; every 50th+13 is onboarding with a
    hire date 20 days ahead.
    """
    employees = []
    names = itertools.product(LAST, FIRST)
    for number in range(1, count + 1):
        last, first = next(names) if number <= len(LAST) * len(FIRST) else ("Extra", f"N{number}")
        dept_id, dept_name, _ = DEPARTMENTS[1 + number % (len(DEPARTMENTS) - 1)]
        team = TEAMS[number % len(TEAMS)] if number % 4 else None
        status, hired, terminated = "active", date(2015, 1, 1) + timedelta(days=number * 9), None
        if number > 1 and number % 25 == 0:
            status, terminated = "inactive", today - timedelta(days=30)
        elif number % 60 == 11:
            terminated = today - timedelta(days=3)
        elif number % 40 == 7:
            status = "leave"
        elif number % 50 == 13:
            status, hired = "onboarding", today + timedelta(days=20)
        supervisor = None
        if number > 1:
            supervisor = {
                "type": "Employee",
                "attributes": {"id": attribute("id", max(1, number // 10), "ID", "integer")},
            }
        employees.append(
            {
                "id": attribute("id", number, "ID", "integer"),
                "first_name": attribute("first_name", first, "First name"),
                "last_name": attribute("last_name", last, "Last name"),
                "email": attribute("email", _email(first, last, number), "Email"),
                "status": attribute("status", status, "Status"),
                "position": attribute("position", POSITIONS[number % len(POSITIONS)], "Position"),
                "supervisor": attribute("supervisor", supervisor, "Supervisor"),
                "department": attribute(
                    "department", _object("Department", dept_id, dept_name), "Department"
                ),
                "team": attribute("team", _object("Team", *team) if team else None, "Team"),
                "hire_date": attribute("hire_date", _personio_date(hired), "Hire date", "date"),
                "termination_date": attribute(
                    "termination_date", _personio_date(terminated), "Termination date", "date"
                ),
                "fix_salary": attribute("fix_salary", 61000 + number * 7.25, "Salary", "decimal"),
                "date_of_birth": attribute("date_of_birth", _birthday(number), "Birthday", "date"),
                "dynamic_1001": attribute(
                    "dynamic_1001", f"Hauptstraße {number}, 80331 München", "Home address"
                ),
                "dynamic_2001": attribute(
                    "dynamic_2001", f"DE8937040044053201{number:04d}", "IBAN"
                ),
                "dynamic_3001": attribute("dynamic_3001", "Guild " + "ABC"[number % 3], "Guild"),
            }
        )
    return employees


class FakePersonio(FakeApi):
    def __init__(
        self,
        employees: list[dict] | None = None,
        *,
        rotate_tokens: bool = False,
        honor_projection: bool = True,
        categories: dict[int, str] | None = None,
        latency: float = 0.0,
        paged_changes: bool = True,
    ):
        super().__init__()
        # False: `updated_since` lists every match in one answer, limit and offset ignored, as
        # Personio's reference still describes it (paging it became mandatory in November 2023).
        self.paged_changes = paged_changes
        self.latency = latency  # seconds each answer takes, spent outside the lock (overlapping)
        self.in_flight = 0
        self.most_in_flight = 0
        self.arrivals: list[tuple[float, str]] = []  # (time.monotonic(), path) per request
        self._gauge = threading.Lock()
        self.employees = personio_employees() if employees is None else employees
        self.rotate_tokens = rotate_tokens
        self.honor_projection = honor_projection
        self.categories = categories or {1: "Certificates of employment", 3: "Performance reviews"}
        self.org_units = [
            {"id": str(i), "type": "department", "name": n, "parent_id": p and str(p)}
            for i, n, p in DEPARTMENTS
        ]
        self.org_unit_page_size = 5  # small, so the connector has to follow the cursor
        self.tokens: set[str] = set()
        self.v2_tokens: set[str] = set()
        self.uploads: list[dict] = []
        self._serial = itertools.count(1)
        # employee id -> {attribute: when it last changed}; absent: SEEDED_AT
        self.updated: dict[int, dict[str, datetime]] = {}
        self.updated_since_asked: list[str] = []

    # -- test helpers ------------------------------------------------------------------------

    def rename_department(self, department_id: int, name: str) -> None:
        for employee in self.employees:
            value = employee["department"]["value"]
            if value and value["attributes"]["id"] == department_id:
                value["attributes"]["name"] = name

    def change(self, employee_id: int, at: datetime, **values) -> None:
        """Set attribute values of one employee, as an HR person saving at `at` (UTC)."""
        employee = next(e for e in self.employees if e["id"]["value"] == employee_id)
        stamps = self.updated.setdefault(employee_id, {})
        for key, value in values.items():
            employee[key]["value"] = value
            stamps[key] = at

    def hire(self, attributes: dict, at: datetime) -> None:
        """A new employee record (attribute maps as `personio_employees` makes), saved at `at`."""
        self.employees.append(attributes)
        self.updated[attributes["id"]["value"]] = dict.fromkeys(attributes, at)

    def _last_update(self, employee: dict, keys: set[str]) -> datetime:
        stamps = self.updated.get(employee["id"]["value"], {})
        return max(
            (stamps.get(k, SEEDED_AT) for k in (keys or employee) if k in employee),
            default=SEEDED_AT,
        )

    # -- routing ---------------------------------------------------------------------------

    def __call__(self, request: Request) -> Reply:
        with self._gauge:
            self.arrivals.append((time.monotonic(), request.path))
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            if self.latency:
                time.sleep(self.latency)
            return super().__call__(request)
        finally:
            with self._gauge:
                self.in_flight -= 1

    def route(self, request: Request) -> Reply:
        if request.method == "POST" and request.path == "/v1/auth":
            return self._auth(request)
        if request.method == "POST" and request.path == "/v2/auth/token":
            return self._v2_auth(request)
        if request.path.startswith("/v2/"):
            if _bearer(request) not in self.v2_tokens:
                return json_reply(
                    401, {"errors": [{"title": "Unauthorized", "detail": "Invalid token"}]}
                )
            if request.method == "GET" and request.path == "/v2/org-units":
                return self._org_units(request)
            return json_reply(404, {"errors": [{"title": "Not found"}]})
        token = _bearer(request)
        if token is None:
            return _error(401, 401, "Authorization is not provided")
        if token not in self.tokens:
            return _error(403, 403, "Provided authorization is not valid")
        if self.rotate_tokens:
            self.tokens.discard(token)
            token = self._issue()
        headers = {"Authorization": f"Bearer {token}"}
        if request.method == "GET" and request.path == "/v1/company/employees":
            return self._employees(request, headers)
        if request.method == "GET" and request.path == "/v1/company/document-categories":
            data = [
                {"id": i, "type": "DocumentCategory", "attributes": {"name": n}}
                for i, n in self.categories.items()
            ]
            return json_reply(200, {"success": True, "data": data}, headers)
        if request.method == "POST" and request.path == "/v1/company/documents":
            return self._upload(request, headers)
        return _error(404, 0, "Not found")

    def _issue(self) -> str:
        token = f"papi-token-{next(self._serial)}"
        self.tokens.add(token)
        return token

    def _auth(self, request: Request) -> Reply:
        content_type = request.headers.get("Content-Type", "")
        if content_type.startswith("application/json"):
            given = request.json() or {}
        else:
            given = {k: p.text for k, p in request.form().items()}
        given = {**{k: v[0] for k, v in request.query.items()}, **given}
        if given.get("client_id") != CLIENT_ID or given.get("client_secret") != CLIENT_SECRET:
            return _error(401, 401, "Wrong credentials")
        token = self._issue()
        data = {"token": token, "expires_in": 86400, "scope": "employees:read documents:write"}
        return json_reply(200, {"success": True, "data": data})

    def _v2_auth(self, request: Request) -> Reply:
        form = {k: p.text for k, p in request.form().items()}
        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
            return json_reply(401, {"error": "invalid_client"})
        if form.get("grant_type") != "client_credentials":
            return json_reply(400, {"error": "unsupported_grant_type"})
        token = f"v2-{next(self._serial)}"
        self.v2_tokens.add(token)
        return json_reply(200, {"access_token": token, "token_type": "Bearer", "expires_in": 86400})

    def _employees(self, request: Request, headers: dict) -> Reply:
        limit = min(100, int(request.arg("limit", "50")))
        offset = int(request.arg("offset", "0"))
        wanted = set(request.query.get("attributes[]", [])) if self.honor_projection else set()
        listed = self.employees
        updated_since = request.arg("updated_since")
        if updated_since is not None:
            self.updated_since_asked.append(updated_since)
            if not _UPDATED_SINCE.fullmatch(updated_since):
                return _error(422, 0, "The updated since must be a valid date.", headers)
            since = datetime.fromisoformat(updated_since)
            asked = set(request.query.get("attributes[]", []))
            listed = [e for e in listed if self._last_update(e, asked) > since]
            if not self.paged_changes:
                limit, offset = max(1, len(listed)), 0
        rows = []
        for employee in listed[offset : offset + limit]:
            attributes = {
                k: v for k, v in employee.items() if not wanted or k in wanted or k == "id"
            }
            rows.append({"type": "Employee", "attributes": attributes})
        total = len(listed)
        metadata = {
            "total_elements": total,
            "current_page": offset // limit,
            "total_pages": math.ceil(total / limit),
        }
        body = {
            "success": True,
            "metadata": metadata,
            "offset": offset,
            "limit": limit,
            "data": rows,
        }
        return json_reply(200, body, headers)

    def _upload(self, request: Request, headers: dict) -> Reply:
        form = request.form()
        missing = [f for f in ("file", "title", "employee_id", "category_id") if f not in form]
        if missing:
            errors = {f: [f"The {f} field is required."] for f in missing}
            body = {
                "success": False,
                "error": {
                    "code": 0,
                    "message": "The given data was invalid.",
                    "error_data": errors,
                },
            }
            return json_reply(422, body, headers)
        employee_id = int(form["employee_id"].text)
        if not any(e["id"]["value"] == employee_id for e in self.employees):
            return _error(404, 0, f"No query results for model [Employee] {employee_id}", headers)
        category_id = int(form["category_id"].text)
        if category_id not in self.categories:
            return _error(
                404, 0, f"No query results for model [DocumentCategory] {category_id}", headers
            )
        document_id = 9000 + len(self.uploads) + 1
        self.uploads.append(
            {
                "id": document_id,
                "employee_id": employee_id,
                "category_id": category_id,
                "title": form["title"].text,
                "filename": form["file"].filename,
                "content": form["file"].content,
            }
        )
        data = {
            "id": document_id,
            "type": "Document",
            "attributes": {
                "title": form["title"].text,
                "date": SEED_TODAY.isoformat(),
                "comment": "",
                "employee": {
                    "type": "Employee",
                    "attributes": {"id": attribute("id", employee_id, "ID", "integer")},
                },
                "category": {
                    "id": category_id,
                    "type": "DocumentCategory",
                    "attributes": {"name": self.categories[category_id]},
                },
            },
        }
        return json_reply(201, {"success": True, "data": data}, headers)

    def _org_units(self, request: Request) -> Reply:
        unit_type = request.arg("type")
        units = [u for u in self.org_units if u["type"] == unit_type]
        limit = min(self.org_unit_page_size, int(request.arg("limit", "50")))
        start = int(request.arg("cursor", "0"))
        page = units[start : start + limit]
        links = {"self": {"href": f"/v2/org-units?type={unit_type}&cursor={start}"}}
        if start + limit < len(units):
            links["next"] = {
                "href": f"/v2/org-units?type={unit_type}&limit={limit}&cursor={start + limit}"
            }
        return json_reply(200, {"_data": page, "_meta": {"links": links}})

    def rate_limit_body(self) -> object:
        return {"success": False, "error": {"code": 429, "message": "Too Many Requests"}}


def _bearer(request: Request) -> str | None:
    value = request.headers.get("Authorization", "")
    return value[len("Bearer ") :] if value.startswith("Bearer ") else None


def _error(status: int, code: int, message: str, headers: dict | None = None) -> Reply:
    return json_reply(
        status, {"success": False, "error": {"code": code, "message": message}}, headers
    )


def start_personio_server(employees: list[dict] | None = None, **options):
    """(server, base_url); `server.api` is the FakePersonio; log in with CLIENT_ID/CLIENT_SECRET."""
    return serve(FakePersonio(employees, **options))
