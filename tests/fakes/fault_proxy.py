"""A loopback HTTP proxy in front of a test server that injects what real providers do under
load: 429 with Retry-After, 5xx, latency, and dropped connections.

`faults` decides per request (numbered from 1, in arrival order) what goes wrong, if anything.
"""

from __future__ import annotations

import http.client
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "upgrade"}


@dataclass(frozen=True)
class Fault:
    """`status`: answer this instead of forwarding; `drop`: close the connection without an
    answer, before forwarding ("before") or after the upstream did the work ("after")."""

    status: int | None = None
    headers: tuple[tuple[str, str], ...] = ()
    drop: str | None = None


def too_many(retry_after: str = "0") -> Fault:
    return Fault(status=429, headers=(("Retry-After", retry_after),))


def unavailable() -> Fault:
    return Fault(status=503)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # a burst of parallel clients must not wait for SYN retries


Faults = Callable[[int, str, str], Fault | None]  # (n, method, path) → fault


@dataclass
class FaultProxy:
    upstream: str  # e.g. http://127.0.0.1:8080
    latency: float = 0.0  # seconds added to every request
    faults: Faults = field(default=lambda n, method, path: None)
    seen: list[tuple[int, str, str, int | str]] = field(default_factory=list)

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

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _next(self, method: str, path: str) -> tuple[int, Fault | None]:
        with self._lock:
            self._count += 1
            n = self._count
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
                if proxy.latency:
                    threading.Event().wait(proxy.latency)
                if fault and fault.drop == "before":
                    proxy._record(n, self.command, self.path, "dropped")
                    self.close_connection = True
                    return
                if fault and fault.status:
                    proxy._record(n, self.command, self.path, fault.status)
                    self._reply(fault.status, list(fault.headers), b"")
                    return
                status, headers, payload = self._forward(body)
                if fault and fault.drop == "after":
                    proxy._record(n, self.command, self.path, "dropped after")
                    self.close_connection = True
                    return
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
                self.send_response(status)
                for key, value in headers:
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _any

        return Handler
