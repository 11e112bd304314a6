"""A loopback imitation of the GitHub REST endpoints the forge uses, with GitHub's payload shapes
(pull request objects, issue comments, Link pagination, rate-limit headers)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


class FakeGitHub:
    def __init__(self, repository: str = "northwind/people", token: str = "t0ken"):
        self.repository = repository
        self.token = token
        self.pulls: dict[int, dict] = {}
        self.comments: dict[int, list[dict]] = {}
        self.labels: dict[int, list[str]] = {}
        self.requests: list[tuple[str, str]] = []
        self.throttle: list[dict] = []  # headers (and status) of responses to send first
        self.next_id = 1
        self.page_size = 2
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/api/v3"

    def __enter__(self) -> FakeGitHub:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _pull(self, number: int, head: str, title: str, body: str) -> dict:
        owner, name = self.repository.split("/")
        return {
            "url": f"{self.url}/repos/{self.repository}/pulls/{number}",
            "id": 1000 + number,
            "number": number,
            "state": "open",
            "title": title,
            "body": body,
            "html_url": f"https://github.example/{self.repository}/pull/{number}",
            "user": {"login": "hrsync-bot", "type": "Bot"},
            "head": {"label": f"{owner}:{head}", "ref": head, "sha": "0" * 40},
            "base": {"label": f"{owner}:main", "ref": "main", "sha": "1" * 40},
            "merged": False,
            "draft": False,
        }

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                return

            def _send(self, status: int, payload=None, headers: dict | None = None):
                body = json.dumps(payload).encode() if payload is not None else b""
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(body)

            def _body(self) -> dict:
                length = int(self.headers.get("Content-Length") or 0)
                return json.loads(self.rfile.read(length) or b"{}")

            def _list(self, items: list, query: dict):
                page = int(query.get("page", ["1"])[0])
                size = fake.page_size
                chunk = items[(page - 1) * size : page * size]
                headers = {}
                if page * size < len(items):
                    base = f"http://127.0.0.1:{fake.server.server_address[1]}{urlparse(self.path).path}"
                    headers["Link"] = (
                        f'<{base}?per_page={size}&page={page + 1}>; rel="next", '
                        f'<{base}?per_page={size}&page=1>; rel="first"'
                    )
                self._send(200, chunk, headers)

            def _route(self, method: str):
                parsed = urlparse(self.path)
                fake.requests.append((method, parsed.path))
                if self.headers.get("Authorization") != f"Bearer {fake.token}":
                    return self._send(401, {"message": "Bad credentials"})
                if fake.throttle:
                    spec = fake.throttle.pop(0)
                    status = spec.pop("status", 403)
                    return self._send(status, {"message": "API rate limit exceeded"}, spec)
                prefix = f"/api/v3/repos/{fake.repository}"
                path = parsed.path.removeprefix(prefix)
                query = parse_qs(parsed.query)
                parts = path.strip("/").split("/")
                if parts == ["pulls"] and method == "GET":
                    head = query.get("head", [""])[0].split(":")[-1]
                    items = [
                        p
                        for p in fake.pulls.values()
                        if p["state"] == query.get("state", ["open"])[0]
                        and (not head or p["head"]["ref"] == head)
                    ]
                    return self._list(items, query)
                if parts == ["pulls"] and method == "POST":
                    data = self._body()
                    number = fake.next_id
                    fake.next_id += 1
                    fake.pulls[number] = fake._pull(
                        number, data["head"], data["title"], data.get("body", "")
                    )
                    return self._send(201, fake.pulls[number])
                if len(parts) == 2 and parts[0] == "pulls" and method == "PATCH":
                    pull = fake.pulls[int(parts[1])]
                    pull.update(
                        {k: v for k, v in self._body().items() if k in ("title", "body", "state")}
                    )
                    return self._send(200, pull)
                if len(parts) == 3 and parts[0] == "issues" and parts[2] == "labels":
                    names = self._body()["labels"]
                    fake.labels.setdefault(int(parts[1]), []).extend(names)
                    return self._send(200, [{"id": 1, "name": n, "color": "ededed"} for n in names])
                if len(parts) == 3 and parts[0] == "issues" and parts[2] == "comments":
                    comments = fake.comments.setdefault(int(parts[1]), [])
                    if method == "GET":
                        return self._list(comments, query)
                    text = self._body()["body"]
                    if len(text) > 65536:  # GitHub's limit
                        return self._send(
                            422,
                            {
                                "message": "Validation Failed",
                                "errors": [
                                    {"message": "Body is too long (maximum is 65536 characters)"}
                                ],
                            },
                        )
                    comment = {
                        "id": 500 + fake.next_id,
                        "body": text,
                        "user": {"login": "hrsync-bot"},
                        "html_url": "https://github.example/c",
                    }
                    fake.next_id += 1
                    comments.append(comment)
                    return self._send(201, comment)
                if len(parts) == 3 and parts[:2] == ["issues", "comments"] and method == "PATCH":
                    for comments in fake.comments.values():
                        for comment in comments:
                            if comment["id"] == int(parts[2]):
                                text = self._body()["body"]
                                if len(text) > 65536:
                                    return self._send(422, {"message": "Body is too long"})
                                comment["body"] = text
                                return self._send(200, comment)
                return self._send(404, {"message": "Not Found"})

            def do_GET(self):
                self._route("GET")

            def do_POST(self):
                self._route("POST")

            def do_PATCH(self):
                self._route("PATCH")

        return Handler
