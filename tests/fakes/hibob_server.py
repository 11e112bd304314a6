"""A HiBob (Bob) API double on 127.0.0.1: people search, named lists, employee docs.

Shapes follow HiBob's public docs and SDK models: Basic auth with a service user; one
`POST /v1/people/search` answers everyone (no paging) with only the fields asked for, silently
leaving out fields the service user may not read; named lists nest items in `children` and also
carry a flat `values`; errors are {"key", "error"}. Seeded employees carry PII (birthday,
address, salary, IBAN) that must not leave the connector.

    server, base_url = start_hibob_server()   # server.api is the FakeHiBob
"""

from __future__ import annotations

import base64
import copy
import itertools
import re
from datetime import date, timedelta

from tests.fakes.loopback import FakeApi, Reply, Request, json_reply, serve, stop

__all__ = ["ENV", "FakeHiBob", "hibob_employees", "start_hibob_server", "stop"]

UPLOAD_PATH = re.compile(r"/v1/docs/people/([^/]+)/(shared|confidential|folders/[^/]+)/upload")
SERVICE_USER_ID = "SERVICE-4711"
SERVICE_USER_TOKEN = "bob-token-9f8e7d6c5b4a"
ENV = {"HIBOB_SERVICE_USER_ID": SERVICE_USER_ID, "HIBOB_SERVICE_USER_TOKEN": SERVICE_USER_TOKEN}
SEED_TODAY = date(2025, 3, 1)

DEPARTMENTS = {
    "id": "209192100",
    "name": "Company",
    "children": [
        {
            "id": "209192163",
            "name": "Engineering",
            "children": [
                {"id": "209192164", "name": "Platform", "children": []},
                {"id": "209192165", "name": "Mobile", "children": []},
            ],
        },
        {"id": "209192170", "name": "Sales", "children": []},
        {"id": "209192180", "name": "People", "children": []},
    ],
}
TITLES = {
    "301": "Software Engineer",
    "302": "Engineering Manager",
    "303": "Account Executive",
    "304": "People Partner",
    "305": "CEO",
}
LEAF_DEPARTMENTS = ["209192164", "209192165", "209192170", "209192180", "209192163"]
FIRST = ["Ada", "Grace", "Alan", "Katherine", "Edsger", "Barbara", "Niklaus", "Frances"]
LAST = ["Lovelace", "Hopper", "Turing", "Johnson", "Dijkstra", "Liskov", "Wirth", "Allen"]


def employee_id(number: int) -> str:
    return f"33328838840177{number:05d}"


def hibob_employees(count: int = 40, today: date = SEED_TODAY) -> list[dict]:
    """`count` employees in Bob's machine format, the same every time.

    Employee 1 is the CEO; every 10th has left (Inactive, terminated 40 days ago); every 15th+4
    has a termination date 2 days past but is still Active; employee 6 is hired, starting in 14
    days.
    """
    people = []
    names = itertools.product(LAST, FIRST)
    for number in range(1, count + 1):
        last, first = next(names)
        status, lifecycle, terminated = "Active", "employed", None
        start = date(2016, 1, 4) + timedelta(days=number * 17)
        if number % 10 == 0:
            status, lifecycle, terminated = "Inactive", "terminated", today - timedelta(days=40)
        elif number % 15 == 4:
            terminated = today - timedelta(days=2)
        elif number == 6:
            lifecycle, start = "hired", today + timedelta(days=14)
        manager = None if number == 1 else max(1, number // 5)
        email = f"{first}.{last}@bob.example".lower()
        people.append(
            {
                "id": employee_id(number),
                "firstName": first,
                "surname": last,
                "displayName": f"{first} {last}",
                "email": email,
                "work": {
                    "title": "305" if number == 1 else sorted(TITLES)[number % 4],
                    "department": "209192100" if number == 1 else LEAF_DEPARTMENTS[number % 5],
                    "site": "London",
                    "startDate": start.isoformat(),
                    "reportsTo": manager
                    and {
                        "id": employee_id(manager),
                        "email": "m@bob.example",
                        "firstName": "M",
                        "surname": "M",
                        "displayName": "M M",
                    },
                    "manager": manager and employee_id(manager),
                },
                "internal": {
                    "status": status,
                    "lifecycleStatus": lifecycle,
                    "terminationDate": terminated and terminated.isoformat(),
                },
                "personal": {
                    "birthday": f"19{60 + number % 30}-04-{10 + number % 18}",
                    "nationality": ["British"],
                },
                "address": {"fullAddress": f"{number} Analytical Engine Lane, London"},
                "payroll": {"salary": {"base": 90000 + number * 13, "currency": "GBP"}},
                "financial": {"iban": f"GB29NWBK601613319{number:05d}"},
            }
        )
    return people


class FakeHiBob(FakeApi):
    def __init__(
        self,
        employees: list[dict] | None = None,
        *,
        honor_fields: bool = True,
        hidden_fields: set[str] | None = None,
        list_shape: str = "both",
    ):
        super().__init__()
        self.employees = hibob_employees() if employees is None else employees
        self.honor_fields = honor_fields
        self.hidden_fields = hidden_fields or set()  # paths the service user may not read
        self.list_shape = list_shape  # "both", "items" (nested only) or "values" (flat only)
        # A copy: rename_department must not change the tree the next test's fake starts with.
        self.departments = [copy.deepcopy(DEPARTMENTS)]
        self.titles = dict(TITLES)
        self.documents: list[dict] = []
        self._doc_ids = itertools.count(17016973)

    # -- test helpers ------------------------------------------------------------------------

    def rename_department(self, item_id: str, name: str) -> None:
        for item in _walk(self.departments):
            if item["id"] == item_id:
                item["name"] = name

    # -- routing ---------------------------------------------------------------------------

    def route(self, request: Request) -> Reply:
        if not self._authorized(request):
            return json_reply(401, {"key": "unauthorized", "error": "Invalid credentials"})
        if request.method == "POST" and request.path == "/v1/people/search":
            return self._search(request)
        if request.method == "GET" and request.path.startswith("/v1/company/named-lists/"):
            return self._named_list(request.path.rsplit("/", 1)[1])
        upload = UPLOAD_PATH.fullmatch(request.path)
        if request.method == "POST" and upload:
            return self._upload(request, upload.group(1), upload.group(2).removeprefix("folders/"))
        listing = re.fullmatch(r"/v1/docs/people/([^/]+)", request.path)
        if request.method == "GET" and listing:
            return self._documents(listing.group(1))
        return json_reply(404, {"key": "not.found", "error": "Not found"})

    def _authorized(self, request: Request) -> bool:
        expected = base64.b64encode(f"{SERVICE_USER_ID}:{SERVICE_USER_TOKEN}".encode()).decode()
        return request.headers.get("Authorization") == f"Basic {expected}"

    def _search(self, request: Request) -> Reply:
        body = request.json()
        fields = body.get("fields") if isinstance(body, dict) else None
        if fields is not None and (not isinstance(fields, list) or len(fields) > 400):
            return json_reply(400, {"key": "invalid.fields", "error": "At most 400 fields"})
        if len(body.get("filters") or []) > 1:
            return json_reply(400, {"key": "invalid.filters", "error": "Only one filter allowed"})
        people = [
            p
            for p in self.employees
            if body.get("showInactive") or p["internal"]["status"] != "Inactive"
        ]
        return json_reply(200, {"employees": [self._project(p, fields) for p in people]})

    def _project(self, person: dict, fields: list[str] | None) -> dict:
        if not self.honor_fields or fields is None:
            paths = _paths(person)
        else:
            paths = [f.removeprefix("root.") for f in fields]
        result: dict = {"id": person["id"]}
        for path in paths:
            if path in self.hidden_fields or "root." + path in self.hidden_fields:
                continue
            parts = path.split(".")
            value = _get(person, parts)
            if value is not _MISSING:
                _put(result, parts, value)
            flat_key = "/" + path.replace(".", "/")  # the flat form Bob also documents
            if flat_key in person:
                result[flat_key] = person[flat_key]
        return result

    def _named_list(self, name: str) -> Reply:
        if name == "department":
            nested = self.departments
        elif name == "title":
            nested = [{"id": i, "name": n, "children": []} for i, n in self.titles.items()]
        else:
            return json_reply(404, {"key": "list.not.found", "error": f"No list {name}"})
        values = [{"id": i["id"], "value": i["name"], "name": i["name"]} for i in _walk(nested)]
        body: dict = {"name": name}
        if self.list_shape in ("both", "values"):
            body["values"] = values
        if self.list_shape in ("both", "items"):
            body["items"] = [_item(i) for i in nested]
        return json_reply(200, body)

    def _upload(self, request: Request, person: str, folder: str) -> Reply:
        if not any(p["id"] == person for p in self.employees):
            return json_reply(404, {"key": "employee.not.found", "error": "Employee not found"})
        part = request.form().get("file")
        if part is None or not part.filename:
            return json_reply(400, {"key": "file.missing", "error": "A file part is required"})
        document_id = next(self._doc_ids)
        self.documents.append(
            {
                "id": document_id,
                "employee_id": person,
                "folder": folder,
                "name": part.filename,
                "content": part.content,
            }
        )
        return json_reply(200, {"id": document_id})

    def _documents(self, person: str) -> Reply:
        if not any(p["id"] == person for p in self.employees):
            return json_reply(404, {"key": "employee.not.found", "error": "Employee not found"})
        mine = [
            {
                "id": d["id"],
                "name": d["name"],
                "folderId": d["folder"],
                "downloadUrl": f"https://files.invalid/{d['id']}",
            }
            for d in self.documents
            if d["employee_id"] == person
        ]
        return json_reply(200, {"documents": mine})

    def rate_limit_body(self) -> object:
        return {"key": "too.many.requests", "error": "Rate limit exceeded"}


_MISSING = object()


def _get(node, parts: list[str]):
    for part in parts:
        if not isinstance(node, dict) or part not in node:
            return _MISSING
        node = node[part]
    return node


def _put(target: dict, parts: list[str], value) -> None:
    for part in parts[:-1]:
        target = target.setdefault(part, {})
    target[parts[-1]] = value


def _paths(node: dict, prefix: str = "") -> list[str]:
    found = []
    for key, value in node.items():
        path = f"{prefix}{key}"
        found += (
            _paths(value, path + ".") if isinstance(value, dict) and key != "reportsTo" else [path]
        )
    return found


def _walk(items: list[dict]):
    for item in items:
        yield item
        yield from _walk(item.get("children", []))


def _item(item: dict) -> dict:
    return {
        "id": item["id"],
        "value": item["name"],
        "name": item["name"],
        "archived": False,
        "children": [_item(c) for c in item.get("children", [])],
    }


def start_hibob_server(employees: list[dict] | None = None, **options):
    """(server, base_url); `server.api` is the FakeHiBob; Basic auth with SERVICE_USER_ID/TOKEN."""
    return serve(FakeHiBob(employees, **options))
