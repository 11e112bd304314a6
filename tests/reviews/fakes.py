"""An in-memory HRIS for the export tests: implements the Source protocol's document half."""

from __future__ import annotations

from dataclasses import dataclass, field

from reconciler.core.interfaces import OnProgress, UploadedDocument
from reconciler.core.model import Snapshot
from reconciler.errors import SourceError


@dataclass
class FakeSource:
    """Counts uploads; `fail_on` holds the 1-based upload attempts that raise; `can_list=False`
    imitates a vendor whose API cannot list an employee's documents."""

    name: str = "fake-hris"
    can_list: bool = True
    fail_on: set[int] = field(default_factory=set)
    documents: dict[tuple[str, str], bytes] = field(default_factory=dict)
    attempts: int = 0
    uploads: list[tuple[str, str]] = field(default_factory=list)
    lookups: list[tuple[str, str]] = field(default_factory=list)

    def fetch(self, progress: OnProgress | None = None) -> Snapshot:
        raise SourceError("the fake HRIS has no employees to fetch")

    def upload_document(
        self, employee_id: str, filename: str, content: bytes, *, title: str
    ) -> UploadedDocument:
        self.attempts += 1
        if self.attempts in self.fail_on:
            raise SourceError(f"{self.name}: 503 Service Unavailable (upload {self.attempts})")
        assert content.startswith(b"%PDF"), "only PDFs are filed"
        self.documents[(employee_id, filename)] = content
        self.uploads.append((employee_id, filename))
        return UploadedDocument(
            document_id=f"doc-{len(self.uploads)}",
            location=f"{self.name} › {employee_id} › Documents › {filename}",
        )

    def find_document(self, employee_id: str, filename: str) -> str | None:
        self.lookups.append((employee_id, filename))
        if not self.can_list:
            return None
        return f"found-{filename}" if (employee_id, filename) in self.documents else None
