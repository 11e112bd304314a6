"""Bulk work over 100k entities: keep Python's cyclic GC out of the way while it runs."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Loading and diffing allocate millions of small acyclic objects; the cyclic GC would rescan
    the growing heap again and again (superlinear on 100k entities) and find nothing to free."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
