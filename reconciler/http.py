"""The one HTTP client: retries with bounded, jittered backoff, rate limits honoured and kept
(`RateLimiter`), errors named, secrets never in a message.

HRIS connectors, the SCIM target and the GitHub forge all talk through `VendorHttp`, so
429/5xx/timeout handling is written once; each raises its own error class (`error=`) and a
service with its own rate-limit rules overrides `retry_wait` (GitHub's 403 rate limits).
"""

from __future__ import annotations

import email.utils
import logging
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence

import httpx

from reconciler.errors import HrsyncError, SourceError

log = logging.getLogger(__name__)

RETRY_STATUSES = {429, 500, 502, 503, 504}


def request_log_hooks(vendor: str) -> dict[str, list[Callable]]:
    """httpx event hooks that log each request at INFO (`-v`): method, path, status and time to
    the answer's headers. The path only, never the query (a SCIM filter holds an e-mail) nor a
    header."""
    started = threading.local()

    def on_request(request: httpx.Request) -> None:
        started.at = time.monotonic()

    def on_response(response: httpx.Response) -> None:
        if log.isEnabledFor(logging.INFO):
            took = (time.monotonic() - getattr(started, "at", time.monotonic())) * 1000
            request = response.request
            log.info(
                "%s: %s %s %d %.0f ms",
                vendor,
                request.method,
                request.url.path,
                response.status_code,
                took,
            )

    return {"request": [on_request], "response": [on_response]}


class RateLimiter:
    """At most `count` requests in any `seconds`, for each (count, seconds) window; thread-safe.

    Each `acquire` books the earliest moment that keeps every window, then waits for it outside
    the lock, so the callers go out in the order they asked and the booked times never go back.
    `pause` holds everyone off, as a 429 asks. The waiting is one `sleep` call per request
    (never a loop), so a test's recording `sleep` does not hang it.
    """

    def __init__(
        self,
        windows: Sequence[tuple[int, float]],
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ):
        if not windows or any(count < 1 or seconds <= 0 for count, seconds in windows):
            raise ValueError("a rate limit needs at least one window of 1+ requests")
        self.windows = tuple(windows)
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._booked: deque[float] = deque(maxlen=max(count for count, _ in self.windows))
        self._not_before = 0.0

    def acquire(self) -> None:
        with self._lock:
            now = self._clock()
            start = max(now, self._not_before)
            for count, seconds in self.windows:
                if len(self._booked) >= count:
                    start = max(start, self._booked[-count] + seconds)
            self._booked.append(start)
        if start > now:
            self._sleep(start - now)

    def pause(self, seconds: float) -> None:
        """No request starts in the next `seconds` (those already booked keep their time)."""
        with self._lock:
            self._not_before = max(self._not_before, self._clock() + seconds)


class VendorHttp:
    """An httpx client for one service. 401/403 are final (retrying can get the caller blocked)
    unless `retry_wait` says the response is a rate limit.

    Safe to share between threads: httpx's client is, and retries keep their state per call.
    """

    def __init__(
        self,
        vendor: str,
        base_url: str,
        *,
        auth_hint: str,
        headers: dict | None = None,
        auth: httpx.Auth | tuple | None = None,
        timeout: float = 30.0,
        max_retries: int = 5,
        max_wait: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        transport: httpx.BaseTransport | None = None,
        error: type[HrsyncError] = SourceError,
    ):
        self.vendor = vendor
        self.error = error
        self.clock = clock
        self.auth_hint = auth_hint  # e.g. "check PERSONIO_CLIENT_ID / PERSONIO_CLIENT_SECRET"
        self.max_retries = max_retries
        self.max_wait = max_wait
        self.sleep = sleep
        self._random = random.Random()
        self.client = httpx.Client(
            base_url=base_url,
            headers=headers or {},
            auth=auth,
            timeout=timeout,
            transport=transport,
            follow_redirects=False,
            event_hooks=request_log_hooks(vendor),
        )

    def request(
        self,
        method: str,
        url: str,
        *,
        ok=(200, 201),
        limiter: RateLimiter | None = None,
        **kwargs,
    ) -> httpx.Response:
        """`limiter`: every try (retries too) waits its turn; a 429 pauses all its callers."""
        attempt = 0
        while True:
            attempt += 1
            if limiter is not None:
                limiter.acquire()
            try:
                response = self.client.request(method, url, **kwargs)
            except (httpx.TimeoutException, httpx.TransportError) as exc:
                if attempt > self.max_retries:
                    raise self.error(
                        f"{self.vendor}: {method} {_path(url)} failed after {attempt} tries: "
                        f"{type(exc).__name__}"
                    ) from None
                self._wait(self._backoff(attempt), f"{type(exc).__name__}")
                continue
            if response.status_code in ok:
                return response
            wait = self.retry_wait(response, attempt)
            if wait is None:
                raise self._refused(method, url, response)
            if attempt > self.max_retries:
                raise self.error(
                    f"{self.vendor}: {method} {_path(url)} still refused after {attempt} tries "
                    f"(HTTP {response.status_code}{_detail(response)})"
                )
            if limiter is not None and response.status_code == 429:
                # Everyone sharing the limit holds off, this call too (in acquire).
                log.info("%s: HTTP 429, pausing requests for %.1f s", self.vendor, wait)
                limiter.pause(wait)
            else:
                self._wait(wait, f"HTTP {response.status_code}")

    def retry_wait(self, response: httpx.Response, attempt: int) -> float | None:
        """Seconds to wait before trying again, or None when this answer is final."""
        if response.status_code in RETRY_STATUSES:
            return self._retry_after(response, attempt)
        return None

    def _refused(self, method: str, url: str, response: httpx.Response) -> HrsyncError:
        if response.status_code in (401, 403):
            return self.error(
                f"{self.vendor}: access denied (HTTP {response.status_code}) on "
                f"{method} {_path(url)}; {self.auth_hint}"
            )
        return self.error(
            f"{self.vendor}: {method} {_path(url)} returned HTTP {response.status_code}"
            f"{_detail(response)}"
        )

    def get(self, url: str, **kwargs) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def json(self, response: httpx.Response):
        try:
            return response.json()
        except ValueError:
            raise self.error(
                f"{self.vendor}: {response.request.url.path} returned a body that is not JSON "
                f"(truncated or wrong endpoint?)"
            ) from None

    def close(self) -> None:
        self.client.close()

    def _backoff(self, attempt: int) -> float:
        """Equal jitter: between half and all of the doubling step (0.5 s, 1 s, 2 s, ...), so
        callers that failed together do not all come back together."""
        step = min(self.max_wait, 0.5 * 2 ** (attempt - 1))
        return step / 2 + self._random.uniform(0, step / 2)

    def _retry_after(self, response: httpx.Response, attempt: int) -> float:
        """Retry-After (seconds or HTTP date), else X-RateLimit-Reset (epoch), else backoff."""
        value = response.headers.get("Retry-After")
        if value:
            try:
                return min(self.max_wait, max(0.0, float(value)))
            except ValueError:
                parsed = email.utils.parsedate_to_datetime(value)
                if parsed is not None:
                    return min(self.max_wait, max(0.0, parsed.timestamp() - self.clock()))
        reset = response.headers.get("X-RateLimit-Reset")
        if reset:
            try:
                return min(self.max_wait, max(0.0, float(reset) - self.clock()))
            except ValueError:
                pass
        # Personio asks for at least a second between a 429 and the next try.
        return max(1.0 if response.status_code == 429 else 0.0, self._backoff(attempt))

    def _wait(self, seconds: float, why: str) -> None:
        log.info("%s: %s, retrying in %.1f s", self.vendor, why, seconds)
        self.sleep(seconds)


def _path(url: str) -> str:
    """The path only: a query string can carry a cursor, a filter or, on a bad API, a secret."""
    return httpx.URL(url).path or url


def _detail(response: httpx.Response) -> str:
    """A short vendor message from an error body, if there is one (never request data)."""
    try:
        body = response.json()
    except ValueError:
        return ""
    message = None
    if isinstance(body, dict):
        err = body.get("error")
        if isinstance(err, dict):
            message = err.get("message")
        elif isinstance(err, str):
            message = err
        message = message or body.get("externalMessage") or body.get("detail")
        message = message or body.get("message")
        if not message and isinstance(body.get("errors"), list) and body["errors"]:
            first = body["errors"][0]
            message = first.get("detail") or first.get("title")
    return f": {str(message)[:200]}" if message else ""
