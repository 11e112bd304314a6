"""The two interfaces adapters implement: `Source` (an HRIS) and `Target` (a platform).

A source speaks its vendor's API and returns a `Snapshot` of model records; a target speaks its
platform and carries out plan changes. Every method below is part of the interface: there are no
optional capabilities to probe for (a platform that holds everything returns `desired` from
`holdable`; a source with nothing to release does nothing in `close`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from reconciler.core.model import DesiredState, Snapshot
from reconciler.core.platform import PlatformState

if TYPE_CHECKING:
    from reconciler.core.plan import Change


@dataclass(frozen=True)
class Step:
    """How far a long task is: `done` of `total` units (`total` None while unknown). The CLI
    turns a stream of them into n/N, a rate and the time left; nothing here prints.

    `task` says what runs ("fetch Personio employees", "apply"), `note` what it is at now
    ("members"). Neither ever carries a name, an e-mail or a secret: ids and counts only.
    """

    task: str
    done: int
    total: int | None = None
    unit: str = ""
    note: str = ""


OnProgress = Callable[[Step], None]
"""Called with a `Step` as a long fetch, apply or export goes on."""


@dataclass(frozen=True)
class UploadedDocument:
    document_id: str
    location: str  # where a person finds it, e.g. "Personio › Dana Keller › Documents › Reviews"


class Source(Protocol):
    name: str

    def fetch(self, progress: OnProgress | None = None) -> Snapshot:
        """Every employee, team and job. Raises `SourceError` rather than return a partial one."""
        ...

    def upload_document(
        self, employee_id: str, filename: str, content: bytes, *, title: str
    ) -> UploadedDocument:
        """File `content` (a PDF) into the employee's personnel file."""
        ...

    def find_document(self, employee_id: str, filename: str) -> str | None:
        """The id of a document already filed under `filename`, where the API can list them;
        None when it is not there or the vendor offers no way to look."""
        ...

    def close(self) -> None:
        """Release connections (a file export has none)."""
        ...


Applied = Callable[["Change"], None]
"""Called after each change is durably done on the platform (what apply counts and reports)."""


class Target(Protocol):
    name: str

    def read(self) -> PlatformState:
        """Everything the platform holds, managed or not."""
        ...

    def apply(
        self,
        changes: Sequence[Change],
        on_applied: Applied | None = None,
        on_progress: OnProgress | None = None,
    ) -> None:
        """Carry out `changes` (already in dependency order). Each one is idempotent, so a run
        killed part-way converges when the same plan is computed and applied again.

        `on_applied` hears of each change once all of it is done. A platform that finishes
        changes a phase at a time also reports, on `on_progress`, the work inside a long phase
        (users written); one that finishes them one by one has nothing to add there."""
        ...

    def adopt(self, platform_id: str, member_id: str) -> None:
        """Mark a hand-made account as managed under the HRIS id `member_id`."""
        ...

    def close(self) -> None: ...

    def holdable(self, desired: DesiredState) -> DesiredState:
        """The part of `desired` this platform can hold (fields it cannot keep cleared, entities
        it cannot keep dropped), which is what plans compare with it; what it leaves out it
        says in `PlatformState.limits`. A platform that holds everything returns `desired`."""
        ...
