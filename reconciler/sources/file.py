"""The file source: an HRIS export as CSV or JSON (a list of objects with the same keys).

Columns: employee_id, first_name, last_name, email, status (active | inactive) and, optionally,
department, department_id, parent_department_id, job_title, job_id, manager_id, start_date,
end_date (ISO dates). Without ids, a department's or job's id is a slug of its name. Any other
column (salary, birth date, ...) is ignored and never leaves this module.

Documents "uploaded" to this HRIS land in <export folder>/documents/<employee_id>/<filename>.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from reconciler.errors import ConfigError, InvalidInput, Problem, SourceError
from reconciler.model import Employee, Job, Snapshot, Team
from reconciler.slug import slugify
from reconciler.sources import Progress, UploadedDocument

REQUIRED = ("employee_id", "first_name", "last_name", "email", "status")
STATUSES = {"active": True, "inactive": False}


def open_source(settings: dict, base_dir: Path, env: Mapping[str, str]) -> FileSource:
    if not settings.get("path"):
        raise ConfigError("source: type file needs `path:` (the CSV or JSON export)")
    return FileSource(base_dir / settings["path"], label=settings["path"])


@dataclass
class FileSource:
    path: Path
    label: str
    name: str = "file"

    def fetch(self, progress: Progress | None = None) -> Snapshot:
        rows = self._rows()
        problems: list[Problem] = []
        employees: list[Employee] = []
        teams: dict[str, Team] = {}
        jobs: dict[str, Job] = {}
        for line, row in rows:
            missing = [c for c in REQUIRED if not str(row.get(c) or "").strip()]
            if missing:
                problems.append(Problem(self.label, line, f"missing {', '.join(missing)}"))
                continue
            status = str(row["status"]).strip().lower()
            if status not in STATUSES:
                problems.append(
                    Problem(
                        self.label,
                        line,
                        f"status {row['status']!r} of employee {row['employee_id']} is not "
                        "'active' or 'inactive'",
                    )
                )
                continue
            try:
                start = _date(row.get("start_date"))
                end = _date(row.get("end_date"))
            except ValueError as exc:
                problems.append(Problem(self.label, line, f"{exc} (expected YYYY-MM-DD)"))
                continue
            team_id = _text(row.get("department_id")) or (
                slugify(row["department"]) if _text(row.get("department")) else None
            )
            if team_id:
                parent = _text(row.get("parent_department_id"))
                name = _text(row.get("department")) or team_id
                teams[team_id] = Team(team_id, name, parent)
            job_id = _text(row.get("job_id")) or (
                slugify(row["job_title"]) if _text(row.get("job_title")) else None
            )
            if job_id:
                jobs[job_id] = Job(job_id, _text(row.get("job_title")) or job_id)
            employees.append(
                Employee(
                    id=_text(row["employee_id"]),
                    email=_text(row["email"]),
                    first_name=_text(row["first_name"]),
                    last_name=_text(row["last_name"]),
                    active=STATUSES[status],
                    team=team_id,
                    job=job_id,
                    manager=_text(row.get("manager_id")),
                    start_date=start,
                    end_date=end,
                    origin=f"{self.label}, line {line}",
                )
            )
        if problems:
            raise InvalidInput(problems)
        if progress:
            progress(f"file: {len(employees)} employees from {self.label}")
        return Snapshot(
            source=f"file:{self.label}",
            fetched_at=datetime.now(UTC).replace(microsecond=0).isoformat(),
            employees=tuple(employees),
            teams=tuple(teams[k] for k in sorted(teams)),
            jobs=tuple(jobs[k] for k in sorted(jobs)),
        )

    def _rows(self) -> list[tuple[int, dict]]:
        try:
            text = self.path.read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            raise SourceError(f"file: export {self.label} not found") from None
        if self.path.suffix.lower() == ".json":
            try:
                data = json.loads(text)
            except json.JSONDecodeError as exc:
                raise InvalidInput([Problem(self.label, exc.lineno, f"JSON: {exc.msg}")]) from None
            if isinstance(data, dict):
                data = data.get("employees")
            if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
                raise InvalidInput(
                    [
                        Problem(
                            self.label,
                            1,
                            "expected a list of employee objects (or {employees: [...]})",
                        )
                    ]
                )
            # JSON has no row lines worth naming; the item number is what a person can find.
            return [(index + 1, row) for index, row in enumerate(data)]
        reader = csv.DictReader(text.splitlines())
        missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
        if missing:
            raise InvalidInput([Problem(self.label, 1, f"missing column(s): {', '.join(missing)}")])
        rows = []
        for row in reader:
            rows.append((reader.line_num, row))
        return rows

    def _document_path(self, employee_id: str, filename: str) -> Path:
        if "/" in filename or "\\" in filename or filename.startswith("."):
            raise SourceError(f"file: document name {filename!r} is not a plain file name")
        return self.path.parent / "documents" / slugify(employee_id) / filename

    def upload_document(
        self, employee_id: str, filename: str, content: bytes, *, title: str
    ) -> UploadedDocument:
        target = self._document_path(employee_id, filename)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.tmp")
        tmp.write_bytes(content)
        os.replace(tmp, target)
        location = str(target.relative_to(self.path.parent.parent))
        return UploadedDocument(document_id=str(target.name), location=location)

    def find_document(self, employee_id: str, filename: str) -> str | None:
        target = self._document_path(employee_id, filename)
        return target.name if target.is_file() else None


def _text(value) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text or None


def _date(value) -> date | None:
    text = _text(value)
    if not text:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise ValueError(f"date {text!r} is not an ISO date") from None
