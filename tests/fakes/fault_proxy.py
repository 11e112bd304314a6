"""A loopback HTTP proxy in front of a test server that injects what real providers do under
load: 429 with Retry-After, 5xx, latency, dropped connections and answers that come too late
(before or after the upstream did the work), and, with `answers`, providers that answer in
their own way (other casing, extra sub-attributes).

`faults` decides per request (numbered from 1, in arrival order) what goes wrong, if anything.
"""

from __future__ import annotations

import http.client
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

WRITES = ("POST", "PUT", "PATCH", "DELETE")
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "upgrade"}


@dataclass(frozen=True)
class Fault:
    """`status`: answer this instead of forwarding (with `forwarded`: after the upstream did
    the work, as a gateway timing out on a slow backend does); `drop`: close the connection
    without an answer, before forwarding ("before") or after the upstream did the work
    ("after"); `delay`: seconds to wait, after the upstream did the work, before answering."""

    status: int | None = None
    headers: tuple[tuple[str, str], ...] = ()
    drop: str | None = None
    forwarded: bool = False
    delay: float = 0.0


def too_many(retry_after: str = "0") -> Fault:
    return Fault(status=429, headers=(("Retry-After", retry_after),))


def unavailable() -> Fault:
    return Fault(status=503)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # a burst of parallel clients must not wait for SYN retries


def answer_lost() -> Fault:
    """The upstream does the work; its answer never arrives (a reset connection)."""
    return Fault(drop="after")


def failed_after_work(status: int = 502) -> Fault:
    """The upstream does the work; the client gets a 5xx instead of its answer."""
    return Fault(status=status, forwarded=True)


Faults = Callable[[int, str, str], Fault | None]  # (n, method, path) → fault
Answers = Callable[[str, str, bytes], bytes]  # (method, path, upstream's body) → body sent


@dataclass
class FaultProxy:
    upstream: str  # e.g. http://127.0.0.1:8080
    latency: float = 0.0  # seconds added to every request
    faults: Faults = field(default=lambda n, method, path: None)
    answers: Answers | None = None
    seen: list[tuple[int, str, str, int | str]] = field(default_factory=list)
    arrived: list[tuple[int, str, str]] = field(default_factory=list)  # as they came in
    bodies: dict[int, bytes] = field(default_factory=dict)  # request bodies of writes, by n

    def __post_init__(self):
        parts = urlsplit(self.upstream)
        self._target = (parts.hostname, parts.port)
        self._lock = threading.Lock()
        self._count = 0
        self._server = _Server(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        """The proxy's URL with the upstream's path (so `…/v2` stays `…/v2`)."""
        path = urlsplit(self.upstream).path
        return f"http://127.0.0.1:{self._server.server_address[1]}{path}"

    def count(self, method: str | None = None) -> int:
        return sum(1 for _, m, _, _ in self.seen if method is None or m == method)

    def writes(self) -> list[tuple[str, str]]:
        """(method, path) of every request that could change the upstream, in order of
        arrival (also those still being answered)."""
        with self._lock:
            return [(m, p) for _, m, p in sorted(self.arrived) if m in WRITES]

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _next(self, method: str, path: str) -> tuple[int, Fault | None]:
        with self._lock:
            self._count += 1
            n = self._count
            self.arrived.append((n, method, path))
        return n, self.faults(n, method, path)

    def _record(self, n: int, method: str, path: str, outcome: int | str) -> None:
        with self._lock:
            self.seen.append((n, method, path, outcome))

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes: without this, Nagle and delayed ACKs add
            # 40 ms to every answer and would swamp the latency under test.
            disable_nagle_algorithm = True

            def log_message(self, *args):  # keep test output quiet
                pass

            def _any(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                n, fault = proxy._next(self.command, self.path)
                if self.command in WRITES:
                    with proxy._lock:
                        proxy.bodies[n] = body
                if proxy.latency:
                    threading.Event().wait(proxy.latency)
                if fault and fault.drop == "before":
                    proxy._record(n, self.command, self.path, "dropped")
                    self.close_connection = True
                    return
                if fault and fault.status and not fault.forwarded:
                    proxy._record(n, self.command, self.path, fault.status)
                    self._reply(fault.status, list(fault.headers), b"")
                    return
                status, headers, payload = self._forward(body)
                if fault and fault.delay:
                    threading.Event().wait(fault.delay)
                if fault and fault.drop == "after":
                    proxy._record(n, self.command, self.path, "dropped after")
                    self.close_connection = True
                    return
                if fault and fault.status:
                    proxy._record(n, self.command, self.path, f"{fault.status} after")
                    self._reply(fault.status, list(fault.headers), b"")
                    return
                if proxy.answers is not None and payload:
                    payload = proxy.answers(self.command, self.path, payload)
                proxy._record(n, self.command, self.path, status)
                self._reply(status, headers, payload)

            def _forward(self, body: bytes):
                conn = http.client.HTTPConnection(*proxy._target, timeout=60)
                try:
                    headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
                    conn.request(self.command, self.path, body=body or None, headers=headers)
                    response = conn.getresponse()
                    payload = response.read()
                    kept = [
                        (k, v)
                        for k, v in response.getheaders()
                        if k.lower() not in HOP_BY_HOP and k.lower() != "content-length"
                    ]
                    return response.status, kept, payload
                finally:
                    conn.close()

            def _reply(self, status: int, headers: list, payload: bytes):
                try:
                    self.send_response(status)
                    for key, value in headers:
                        self.send_header(key, value)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True  # the client gave up waiting (a timeout)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _any

        return Handler
