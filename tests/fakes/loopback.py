"""A tiny HTTP server on 127.0.0.1 for vendor test doubles: routing, recording, injected faults.

A vendor fake subclasses `FakeApi` and implements `route(request) -> Reply`. Tests inject faults
(`api.inject(...)`) to make the n-th matching request fail the way real vendors fail.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import Message
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: Message
    body: bytes

    def json(self):
        return json.loads(self.body or b"null")

    def arg(self, name: str, default: str | None = None) -> str | None:
        return self.query.get(name, [default])[0]

    def form(self) -> dict[str, FormPart]:
        """multipart/form-data or urlencoded fields by name."""
        content_type = self.headers.get("Content-Type", "")
        if content_type.startswith("application/x-www-form-urlencoded"):
            fields = parse_qs(self.body.decode())
            return {k: FormPart(k, None, v[0].encode()) for k, v in fields.items()}
        if not content_type.startswith("multipart/form-data"):
            return {}
        head = f"Content-Type: {content_type}\r\n\r\n".encode()
        message = BytesParser(policy=HTTP).parsebytes(head + self.body)
        parts = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            parts[name] = FormPart(name, part.get_filename(), part.get_payload(decode=True) or b"")
        return parts


@dataclass(frozen=True)
class FormPart:
    name: str
    filename: str | None
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode()


@dataclass
class Reply:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


def json_reply(status: int, data, headers: dict[str, str] | None = None) -> Reply:
    return Reply(
        status, json.dumps(data).encode(), {"Content-Type": "application/json", **(headers or {})}
    )


@dataclass
class Fault:
    """Make matching requests fail: after `after` good ones, the next `times` ones.

    kinds: "rate_limit" (429 + Retry-After), "unavailable" (503), "missing" (404), "truncated"
    (the normal body, cut in half), "edit" (the normal JSON body passed through `edit`).
    """

    method: str
    path: str
    kind: str
    after: int = 0
    times: int = 1
    retry_after: str | None = "2"
    edit: Callable[[object], object] | None = None
    seen: int = 0
    fired: int = 0


class FakeApi:
    def __init__(self):
        self.requests: list[Request] = []
        self.faults: list[Fault] = []
        self.lock = threading.Lock()

    def inject(self, method: str, path: str, kind: str, **options) -> Fault:
        fault = Fault(method, path, kind, **options)
        self.faults.append(fault)
        return fault

    def route(self, request: Request) -> Reply:
        raise NotImplementedError

    def requests_to(self, path: str, method: str = "GET") -> list[Request]:
        return [r for r in self.requests if r.path == path and r.method == method]

    def __call__(self, request: Request) -> Reply:
        with self.lock:
            self.requests.append(request)
            fault = self._due(request)
            if fault and fault.kind == "rate_limit":
                headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
                return json_reply(429, self.rate_limit_body(), headers)
            if fault and fault.kind == "missing":
                return Reply(404, b"<html>Not Found</html>", {"Content-Type": "text/html"})
            if fault and fault.kind == "unavailable":
                return Reply(
                    503, b"<html>Service Unavailable</html>", {"Content-Type": "text/html"}
                )
            reply = self.route(request)
        if fault and fault.kind == "truncated":
            reply.body = reply.body[: len(reply.body) // 2]
        elif fault and fault.kind == "edit" and fault.edit is not None:
            reply.body = json.dumps(fault.edit(json.loads(reply.body))).encode()
        return reply

    def rate_limit_body(self) -> object:
        return {"error": "Too many requests"}

    def _due(self, request: Request) -> Fault | None:
        for fault in self.faults:
            if fault.method != request.method or fault.path != request.path:
                continue
            fault.seen += 1
            if fault.seen > fault.after and fault.fired < fault.times:
                fault.fired += 1
                return fault
        return None


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def _handle(self) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        request = Request(
            method=self.command,
            path=url.path,
            query=parse_qs(url.query),
            headers=self.headers,
            body=self.rfile.read(length) if length else b"",
        )
        reply = self.server.api(request)
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body)

    do_GET = do_POST = do_PUT = do_DELETE = _handle

    def log_message(self, format, *args):  # noqa: A002 - keep test output quiet
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, api: FakeApi):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.api = api


def serve(api: FakeApi) -> tuple[_Server, str]:
    """Start `api` on a free loopback port in a thread; stop it with `stop(server)`."""
    server = _Server(api)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def stop(server: ThreadingHTTPServer) -> None:
    server.shutdown()
    server.server_close()


@contextmanager
def running(api: FakeApi) -> Iterator[str]:
    server, base_url = serve(api)
    try:
        yield base_url
    finally:
        stop(server)
