"""The file source: an HRIS export as CSV or JSON (a list of objects with the same keys).

Columns: employee_id, first_name, last_name, email, status (active | inactive) and, optionally,
department, department_id, parent_department_id, job_title, job_id, manager_id, start_date,
end_date (ISO dates). Without ids, a department's or job's id is a slug of its name. Any other
column (salary, birth date, ...) is ignored and never leaves this module.

Settings: `path` (relative to the repository, or absolute: an export never belongs in git),
`encoding` (default utf-8, a byte-order mark allowed) and `delimiter` (`,`, `;` or `tab`; by
default whichever makes the header name the required columns).

Documents "uploaded" to this HRIS land in <export folder>/documents/<employee_id>/<filename>.
"""

from __future__ import annotations

import codecs
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from reconciler.core.dates import NotADate, iso_date
from reconciler.core.ids import shown
from reconciler.core.interfaces import OnProgress, Step, UploadedDocument
from reconciler.core.model import Employee, Job, Snapshot, Team
from reconciler.errors import ConfigError, InvalidInput, Problem, SourceError
from reconciler.slug import slugify
from reconciler.sources.export_rows import DELIMITERS, ExportFormat, Row, read_rows
from reconciler.sources.settings import SettingsReader
from reconciler.state.paths import UnsafePath, child_path

REQUIRED = ("employee_id", "first_name", "last_name", "email", "status")
OPTIONAL = (
    "department",
    "department_id",
    "parent_department_id",
    "job_title",
    "job_id",
    "manager_id",
    "start_date",
    "end_date",
)
STATUSES = {"active": True, "inactive": False}


@dataclass(frozen=True)
class FileSettings:
    # relative to the repository, or absolute: an export never belongs in git
    path: str = field(metadata={"hint": "the CSV or JSON export"})
    encoding: str = "utf-8"
    delimiter: str | None = None  # one of DELIMITERS; None: whichever the header makes right

    @classmethod
    def from_settings(cls, settings: Mapping) -> FileSettings:
        read = SettingsReader(cls, settings, "file")
        encoding = read.text("encoding")
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise ConfigError(
                f"hrsync.yaml: source.encoding {shown(encoding)} is not known "
                "(e.g. utf-8, cp1252, utf-16)"
            ) from None
        described = "',', ';', tab (or leave it out to detect it from the header)"
        return cls(
            path=read.text("path"),
            encoding=encoding,
            delimiter=read.choice("delimiter", tuple(DELIMITERS), described),
        )

    def export_format(self) -> ExportFormat:
        return ExportFormat(self.encoding, DELIMITERS.get(self.delimiter))


def open_source(settings: dict, base_dir: Path, env: Mapping[str, str]) -> FileSource:
    config = FileSettings.from_settings(settings)
    return FileSource(config, base_dir / Path(config.path).expanduser())


@dataclass
class FileSource:
    config: FileSettings
    path: Path  # where `config.path` is on disk
    name: str = "file"

    def close(self) -> None:
        return None  # an export file holds no connection

    def fetch(self, progress: OnProgress | None = None) -> Snapshot:
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            raise SourceError(f"file: export {self.config.path} not found") from None
        except OSError as exc:
            raise SourceError(
                f"file: export {self.config.path} cannot be read ({exc.strerror})"
            ) from None
        rows = read_rows(
            data, self.config.path, self.config.export_format(), REQUIRED + OPTIONAL, REQUIRED
        )
        problems: list[Problem] = []
        read: list[tuple[Employee, dict]] = []
        for row in rows:
            employee = _employee(row, problems)  # or None, with the reasons added to problems
            if employee is not None:
                read.append((employee, row.values))
        if problems:
            raise InvalidInput(problems)
        employees = [employee for employee, _ in read]
        teams, jobs = _teams_and_jobs(read)
        if progress:
            progress(Step("fetch file export", len(employees), len(employees), "employees"))
        return Snapshot(
            source=f"file:{self.config.path}",
            fetched_at=datetime.now(UTC).replace(microsecond=0).isoformat(),
            employees=tuple(employees),
            teams=tuple(sorted(teams, key=lambda t: (t.id, t.name, t.parent or ""))),
            jobs=tuple(sorted(jobs, key=lambda j: (j.id, j.name))),
        )

    def _document_path(self, employee_id: str, filename: str) -> Path:
        # The real id, not a slug: two ids must never share a personnel folder; child_path
        # refuses any name that would leave its folder.
        try:
            folder = child_path(self.path.parent / "documents", employee_id)
            return child_path(folder, filename)
        except UnsafePath as exc:
            raise SourceError(f"file: {exc}") from None

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


def _employee(row: Row, problems: list[Problem]) -> Employee | None:
    values = row.values
    missing = [c for c in REQUIRED if not values[c]]
    if missing:
        problems.append(row.problem(f"missing {', '.join(missing)}"))
        return None
    status = values["status"].lower()
    if status not in STATUSES:
        problems.append(
            row.problem(
                f"status {shown(values['status'])} of employee {shown(values['employee_id'])} "
                "is not 'active' or 'inactive'"
            )
        )
        return None
    dates = {}
    for column in ("start_date", "end_date"):
        try:
            dates[column] = iso_date(values[column])
        except NotADate as exc:
            problems.append(row.problem(f"{column} {exc}"))
    if len(dates) < 2:
        return None
    return Employee(
        id=values["employee_id"],
        email=values["email"],
        first_name=values["first_name"],
        last_name=values["last_name"],
        active=STATUSES[status],
        team=_team_id(values),
        job=_job_id(values),
        manager=values["manager_id"],
        start_date=dates["start_date"],
        end_date=dates["end_date"],
        origin=row.origin,
    )


def _team_id(values: dict) -> str | None:
    return values["department_id"] or (
        slugify(values["department"]) if values["department"] else None
    )


def _job_id(values: dict) -> str | None:
    return values["job_id"] or (slugify(values["job_title"]) if values["job_title"] else None)


def _teams_and_jobs(read: list[tuple[Employee, dict]]) -> tuple[set[Team], set[Job]]:
    """Every distinct team and job record the rows give.

    Whole records, not one per id: two names that derive one id must both reach the snapshot
    check, which names the pair instead of merging two teams into one. A row with an id but no
    name only refers to its team (or job): it stands for it only when no row names it.
    """
    teams: set[Team] = set()
    jobs: set[Job] = set()
    unnamed_teams: dict[str, Team] = {}
    unnamed_jobs: dict[str, Job] = {}
    for employee, values in read:
        if employee.team:
            name, parent = values["department"], values["parent_department_id"]
            if name:
                teams.add(Team(employee.team, name, parent))
            else:
                unnamed_teams.setdefault(employee.team, Team(employee.team, employee.team, parent))
        if employee.job:
            if values["job_title"]:
                jobs.add(Job(employee.job, values["job_title"]))
            else:
                unnamed_jobs.setdefault(employee.job, Job(employee.job, employee.job))
    return teams | _not_named(unnamed_teams, teams), jobs | _not_named(unnamed_jobs, jobs)


def _not_named(unnamed: dict, named: set) -> set:
    """The unnamed records whose id no named record has: they stand for themselves."""
    ids = {record.id for record in named}
    return {record for record_id, record in unnamed.items() if record_id not in ids}
