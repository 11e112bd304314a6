"""The one boundary for untrusted HRIS data: every snapshot, from every source, passes here
before anything is proposed, written, committed or sent.

A source may return anything its HRIS holds; this check names every record that hrsync cannot
carry safely (an id that could become a path, an e-mail that is not one, a name past the
schema's limit, two records with one id, two names deriving one team or job id) with where it
came from, and refuses the whole snapshot: a partly accepted export would look like leavers.
"""

from __future__ import annotations

import unicodedata
from dataclasses import replace
from datetime import date

from reconciler.core.ids import NAME_MAX_LENGTH, is_email, is_id, shown
from reconciler.core.model import Employee, Job, Snapshot, Team
from reconciler.errors import InvalidInput, Problem

# Text-direction overrides make a name read differently from what it is (Trojan Source); a
# zero-width joiner, by contrast, is part of how some scripts are written, so it stays allowed.
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def check_snapshot(snapshot: Snapshot) -> Snapshot:
    """The snapshot with repeated identical team/job records merged, marked `checked`;
    `InvalidInput` listing every problem when any record is unsafe or ambiguous. A snapshot
    already marked is returned as it is: propose re-checks without paying twice."""
    if snapshot.checked:
        return snapshot
    checked = _checked(snapshot)
    object.__setattr__(checked, "checked", True)  # frozen: the flag is the check's alone
    return checked


def _checked(snapshot: Snapshot) -> Snapshot:
    problems: list[Problem] = []
    _check_employees(snapshot, problems)
    teams = _unique("team", snapshot.teams, snapshot, problems, lambda e: e.team)
    jobs = _unique("job", snapshot.jobs, snapshot, problems, lambda e: e.job)
    for team in teams:
        if team.parent is not None and not is_id(team.parent):
            where = _where_used(snapshot, team.id, lambda e: e.team)
            message = f"parent: {shown(team.parent)} {_why_not_id(team.parent)}"
            problems.append(_problem(where, f"team {shown(team.id)}", message))
    if problems:
        raise InvalidInput(problems)
    if len(teams) == len(snapshot.teams) and len(jobs) == len(snapshot.jobs):
        return snapshot
    return replace(snapshot, teams=tuple(teams), jobs=tuple(jobs))


def _origin(snapshot: Snapshot, employee: Employee, index: int) -> str:
    return employee.origin or f"{snapshot.source}, record {index + 1}"


def _problem(where: str, subject: str, message: str) -> Problem:
    return Problem(where, None, message, subject=subject)


def _check_employees(snapshot: Snapshot, problems: list[Problem]) -> None:
    seen: dict[str, int] = {}
    for index, employee in enumerate(snapshot.employees):
        messages: list[str] = []
        if not is_id(employee.id):
            messages.append(f"id: {shown(employee.id)} {_why_not_id(employee.id)}")
        elif employee.id in seen:
            first = _origin(snapshot, snapshot.employees[seen[employee.id]], seen[employee.id])
            messages.append(f"id: {shown(employee.id)} is also the id of the record at {first}")
        else:
            seen[employee.id] = index
        if not is_email(employee.email):
            messages.append(f"email: {shown(employee.email)} is not an e-mail address")
        for key in ("first_name", "last_name"):
            message = _name_problem(getattr(employee, key), allow_empty=True)
            if message:
                messages.append(f"{key}: {message}")
        for key in ("team", "job", "manager"):
            ref = getattr(employee, key)
            if ref is not None and not is_id(ref):
                messages.append(f"{key}: {shown(ref)} {_why_not_id(ref)}")
        if type(employee.active) is not bool:
            messages.append(f"active: {shown(employee.active)} is not true or false")
        for key in ("start_date", "end_date"):
            value = getattr(employee, key)
            if value is not None and not isinstance(value, date):
                messages.append(f"{key}: {shown(value)} is not a date")
        if messages:  # where and who only for the few that fail: 10k records pass in a blink
            where = _origin(snapshot, employee, index)
            subject = f"employee {shown(employee.id)}"
            problems.extend(_problem(where, subject, message) for message in messages)


def _unique(singular, records, snapshot: Snapshot, problems, ref_of) -> list:
    """One record per id; two different names for one id are an error naming both."""
    by_id: dict[str, Team | Job] = {}
    for record in records:
        subject = f"{singular} {shown(record.id)}"
        where = _where_used(snapshot, record.id, ref_of)
        if not is_id(record.id):
            problems.append(
                _problem(where, subject, f"id: {shown(record.id)} {_why_not_id(record.id)}")
            )
            continue
        message = _name_problem(record.name, allow_empty=False)
        if message:
            problems.append(_problem(where, subject, f"name: {message}"))
            continue
        first = by_id.get(record.id)
        if first is None:
            by_id[record.id] = record
        elif first.name != record.name:
            problems.append(
                _problem(
                    where,
                    subject,
                    f"the names {shown(first.name)} and {shown(record.name)} both give "
                    f"the id {shown(record.id)}; rename one in the HRIS (or give the "
                    f"{singular}s ids) so that two {singular}s are never merged",
                )
            )
        elif first != record and isinstance(record, Team) and first.parent != record.parent:
            problems.append(
                _problem(
                    where, subject, f"parent: both {shown(first.parent)} and {shown(record.parent)}"
                )
            )
    return list(by_id.values())


def _where_used(snapshot: Snapshot, record_id: str, ref_of) -> str:
    for index, employee in enumerate(snapshot.employees):
        if ref_of(employee) == record_id:
            return _origin(snapshot, employee, index)
    return snapshot.source


def _name_problem(value, *, allow_empty: bool) -> str | None:
    if type(value) is not str:
        return f"{shown(value)} is not text"
    if not value.strip() and not allow_empty:
        return "is empty"
    if len(value) > NAME_MAX_LENGTH:
        return f"{shown(value)} is longer than {NAME_MAX_LENGTH} characters"
    if any(unicodedata.category(ch) in ("Cc", "Zl", "Zp") or ch in _BIDI for ch in value):
        return f"{shown(value)} contains control or text-direction characters"
    return None


def _why_not_id(value) -> str:
    if type(value) is not str:
        return "is not text"
    if not value:
        return "is empty"
    if len(value) > 128:
        return "is longer than 128 characters"
    if "/" in value or "\\" in value or ".." in value or value.startswith("."):
        return "could name a path outside its folder (/, \\, .. or a leading dot)"
    return "may hold only letters, digits and . _ @ - (starting with a letter or digit)"
