"""Personio v1's employee list, page by page: each page checked against the first one's
`metadata`, pages after the first fetched several at a time and taken in page order.

The first page says how many there are (`total_elements`, `total_pages`), so the other offsets
are known and can be asked for together. They are taken strictly in page order, so the records,
the checks and the progress lines are those of a fetch one page at a time; a page that fails,
comes back short or disagrees on the totals fails the whole list (never a part of it).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from reconciler.core.ids import shown
from reconciler.core.interfaces import Step
from reconciler.errors import SourceError

T = TypeVar("T")
R = TypeVar("R")


class EmployeePages:
    """The records of pages taken in order (page numbers from 0), checked as they come."""

    def __init__(self, limit: int):
        self.limit = limit
        self.records: list[dict] = []
        self.total_elements: int | None = None
        self.total_pages = 0
        self._earlier_pages: set[str] = set()

    def take(self, body: dict, page: int) -> None:
        rows, elements, pages = _page_parts(body, page + 1)
        if self.total_elements is None:
            self.total_elements, self.total_pages = elements, pages
        elif (elements, pages) != (self.total_elements, self.total_pages):
            raise SourceError(
                f"Personio: the employee list changed while it was read ({self.total_elements} "
                f"then {elements} employees); nothing was used, run the fetch again"
            )
        offset = page * self.limit
        expected = max(0, min(self.limit, self.total_elements - offset))
        # Personio once ignored limit/offset with `updated_since` and sent every row at once
        # (its documentation still says so): one page announced, holding all, is complete.
        whole = page == 0 and self.total_pages == 1 and len(rows) == self.total_elements
        if len(rows) != expected and not whole:
            raise SourceError(
                f"Personio: employee page {page + 1}/{self.total_pages} held {len(rows)} "
                f"employees where {expected} were announced; the answer was cut short"
            )
        this_page: set[str] = set()
        for row in rows:
            attributes = row.get("attributes") if isinstance(row, dict) else None
            employee_id = (
                attribute_value(attributes, "id") if isinstance(attributes, dict) else None
            )
            if employee_id is None:
                raise SourceError(f"Personio: employee page {page + 1} holds a record without id")
            # On a later page, the list shifted under the offsets. Twice on one page is the
            # HRIS's own data: the snapshot check names both records.
            if str(employee_id) in self._earlier_pages:
                raise SourceError(
                    f"Personio: employee {shown(str(employee_id))} came back on two pages; "
                    f"the list changed during the fetch, run it again"
                )
            this_page.add(str(employee_id))
            self.records.append(attributes)
        self._earlier_pages |= this_page

    def remaining(self) -> range:
        """The pages still to read after the first: as many as the totals need, and no more
        than announced (a fetch one page at a time stops at the same page)."""
        needed = -(-(self.total_elements or 0) // self.limit)
        return range(1, min(self.total_pages, needed))

    def step(self, page: int) -> Step:
        """How far the list is once `page` is taken: pages n/N (the first page gives N)."""
        return Step("fetch Personio employees", page + 1, max(self.total_pages, 1), "pages")

    def complete(self, *, changes_only: bool = False) -> list[dict]:
        """Every record, or a SourceError: never part of the list. `changes_only`: the list of
        employees changed since a moment, which may well be empty."""
        if len(self.records) != self.total_elements:
            raise SourceError(
                f"Personio: {self.total_elements} employees announced on {self.total_pages} "
                f"pages, {len(self.records)} received; nothing was used"
            )
        if not self.records and not changes_only:
            raise SourceError(
                "Personio: the employee list is empty; check that the API credential may read "
                "employees (an empty HRIS is never synced)"
            )
        return self.records


class _Skipped(Exception):
    """A page not asked for because an earlier-started one already failed."""


def in_order(read: Callable[[T], R], items: Iterable[T], in_flight: int) -> Iterator[R]:
    """`read(item)` for each item, at most `in_flight` at a time, yielded in the items' order.

    The first failure in item order is raised; once any read has failed, reads not yet started
    are skipped, and the ones under way finish before this returns (no thread outlives it).
    A consumer that stops early (an exception at a `yield`) stops the rest the same way.
    """
    items = list(items)
    if in_flight <= 1 or len(items) <= 1:
        yield from (read(item) for item in items)
        return
    failed = threading.Event()

    def guarded(item: T) -> R:
        if failed.is_set():
            raise _Skipped
        try:
            return read(item)
        except BaseException:
            failed.set()
            raise

    with ThreadPoolExecutor(max_workers=in_flight, thread_name_prefix="page") as pool:
        futures = [pool.submit(guarded, item) for item in items]
        try:
            # Reads start in submission order, so a skipped item always comes after a failed
            # one: the loop meets the real failure first.
            for future in futures:
                yield future.result()
        finally:
            failed.set()
            for future in futures:
                future.cancel()


def _page_parts(body: dict, page: int) -> tuple[list, int, int]:
    rows = body.get("data")
    metadata = body.get("metadata")
    if not isinstance(rows, list) or not isinstance(metadata, dict):
        raise SourceError(f"Personio: employee page {page} has no data list or no metadata")
    elements, pages = metadata.get("total_elements"), metadata.get("total_pages")
    if not isinstance(elements, int) or not isinstance(pages, int) or elements < 0 or pages < 0:
        raise SourceError(f"Personio: employee page {page} does not say how many pages there are")
    return rows, elements, pages


def attribute_value(attributes: Mapping, key: str):
    """An attribute's value: Personio wraps each as {label, value, type, universal_id}."""
    entry = attributes.get(key)
    if isinstance(entry, dict) and "value" in entry:
        return entry["value"]
    return entry
