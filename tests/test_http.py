"""The shared vendor HTTP client: jittered backoff and the rate limiter."""

from __future__ import annotations

import threading

import httpx
import pytest

from reconciler.http import RateLimiter, VendorHttp


class FakeTime:
    """A clock that moves only when someone sleeps."""

    def __init__(self):
        self.now = 100.0
        self.sleeps: list[float] = []
        self.lock = threading.Lock()

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        with self.lock:
            self.sleeps.append(seconds)
            self.now += seconds


def vendor_http(**options) -> VendorHttp:
    return VendorHttp("Acme", "http://127.0.0.1:9", auth_hint="check ACME_TOKEN", **options)


@pytest.mark.parametrize(("attempt", "step"), [(1, 0.5), (2, 1.0), (3, 2.0), (5, 8.0)])
def test_backoff_is_jittered_between_half_and_the_whole_step(attempt, step):
    http = vendor_http()

    waits = [http._backoff(attempt) for _ in range(200)]

    assert all(step / 2 <= wait <= step for wait in waits)
    assert len(set(waits)) > 150  # eight workers failing together do not come back together
    assert min(waits) < step * 0.6 and max(waits) > step * 0.9  # the whole range is used


def test_backoff_never_exceeds_the_longest_wait():
    http = vendor_http(max_wait=3.0)

    assert all(1.5 <= http._backoff(10) <= 3.0 for _ in range(100))


def test_a_503_waits_a_jittered_backoff_before_each_retry():
    answers = iter([httpx.Response(503), httpx.Response(503), httpx.Response(200)])
    sleeps: list[float] = []
    http = vendor_http(
        sleep=sleeps.append, transport=httpx.MockTransport(lambda request: next(answers))
    )

    assert http.get("/x").status_code == 200
    assert 0.25 <= sleeps[0] <= 0.5 and 0.5 <= sleeps[1] <= 1.0


def test_the_limiter_keeps_every_window():
    clock = FakeTime()
    limiter = RateLimiter([(3, 1.0), (5, 60.0)], clock=clock.monotonic, sleep=clock.sleep)

    starts = []
    for _ in range(11):
        limiter.acquire()
        starts.append(clock.now - 100.0)

    # three at once, two a second later (5 in the minute), then the minute window: 60 s on
    assert starts == [0, 0, 0, 1, 1, 60, 60, 60, 61, 61, 120]


def test_a_pause_holds_everyone_off_and_is_never_shortened():
    clock = FakeTime()
    limiter = RateLimiter([(15, 1.0)], clock=clock.monotonic, sleep=clock.sleep)
    limiter.acquire()

    limiter.pause(7.0)
    limiter.pause(2.0)  # a shorter Retry-After from a later 429 does not cut the first short
    limiter.acquire()

    assert clock.sleeps == [7.0]


def test_the_limiter_is_shared_by_threads_without_exceeding_it():
    """Twelve requests from four threads under 4 per 0.2 s: whatever the threads' timing, the
    limiter books them in slots of four, 0.2 s apart. The clock stands still, so what each
    request was told to wait is exactly its booked slot (wall-clock checks are flaky under load)."""
    waits: list[float] = []
    limiter = RateLimiter([(4, 0.2)], clock=lambda: 100.0, sleep=waits.append)

    def worker():
        for _ in range(3):
            limiter.acquire()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(round(w, 6) for w in waits) == [0.2] * 4 + [0.4] * 4


def test_a_limiter_without_a_window_is_refused():
    with pytest.raises(ValueError):
        RateLimiter([])
    with pytest.raises(ValueError):
        RateLimiter([(0, 1.0)])


def test_a_429_through_a_limiter_pauses_it_for_retry_after():
    clock = FakeTime()
    limiter = RateLimiter([(15, 1.0)], clock=clock.monotonic, sleep=clock.sleep)
    answers = iter([httpx.Response(429, headers={"Retry-After": "3"}), httpx.Response(200)])
    sleeps: list[float] = []
    http = vendor_http(
        sleep=sleeps.append, transport=httpx.MockTransport(lambda request: next(answers))
    )

    assert http.get("/x", limiter=limiter).status_code == 200
    assert clock.sleeps == [3.0]  # waited in the limiter, where the other callers wait too
    assert sleeps == []
