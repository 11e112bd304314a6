"""The one lock of a state repository (.hrsync/sync.lock): sync, review approve, plan and apply
never interleave on one checkout. Re-entrant within a process, so a sync that applies at its end
does not lock itself out; a second run waits for it (HRSYNC_LOCK_WAIT seconds, default 60)
before it gives up; portable (flock on POSIX, msvcrt on Windows), imported lazily."""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from reconciler.errors import HrsyncError

LOCK_FILE = ".hrsync/sync.lock"
_held: dict[str, int] = {}
_killed: dict[str, bool] = {}  # the previous holder died holding the lock (it wrote no release)
_guard = threading.Lock()


class Busy(HrsyncError):
    """Another hrsync run holds the repository's lock."""


@contextlib.contextmanager
def repository_lock(root: Path) -> Iterator[None]:
    key = os.path.realpath(root)
    with _guard:
        if _held.get(key):
            _held[key] += 1
            reentered = True
        else:
            reentered = False
    if reentered:
        try:
            yield
        finally:
            with _guard:
                _held[key] -= 1
        return
    path = Path(root) / LOCK_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        wait = _wait_seconds()
        deadline = time.monotonic() + wait
        while not _try_lock(handle):
            # A nightly sync meeting an apply-on-merge should queue behind it, not fail the night.
            if time.monotonic() >= deadline:
                raise Busy(
                    f"another hrsync run holds {LOCK_FILE} (waited {wait:g} s); "
                    "wait for it to finish"
                )
            time.sleep(0.1)
        # A holder writes its pid and clears it when it ends normally: a pid found here means
        # the last run was killed, and whatever it left (git lock files) is stale.
        os.lseek(handle, 0, os.SEEK_SET)
        previous = os.read(handle, 64).strip()
        os.ftruncate(handle, 0)
        os.lseek(handle, 0, os.SEEK_SET)
        os.write(handle, f"{os.getpid()}\n".encode())
        with _guard:
            _held[key] = 1
            _killed[key] = bool(previous)
        try:
            yield
        finally:
            with _guard:
                _held.pop(key, None)
            os.ftruncate(handle, 0)
    finally:
        os.close(handle)  # closing the descriptor releases the lock, also after a kill


def _wait_seconds() -> float:
    try:
        return max(0.0, float(os.environ.get("HRSYNC_LOCK_WAIT", "60")))
    except ValueError:
        return 60.0


def previous_run_was_killed(root: Path) -> bool:
    """True while holding the lock, when the run before ours ended without releasing it."""
    return _killed.get(os.path.realpath(root), False)


def _try_lock(handle: int) -> bool:
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        import msvcrt

        try:
            msvcrt.locking(handle, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True
