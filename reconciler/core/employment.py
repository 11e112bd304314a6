"""Which of an employee's employment periods counts today, the same way for every HRIS."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import TypeVar

from reconciler.core.model import Employee

Period = TypeVar("Period")


def is_active(employee: Employee, today: date) -> bool:
    """The employment rule, for every HRIS: a leaver is someone whose status says so or whose
    end date has passed; a hire whose start date is ahead counts as active (whether they are
    imported yet is the start-date rule's call, in desired.py, not the status's). Connectors
    report the vendor's status and the dates as they are; only this decides."""
    if employee.end_date and employee.end_date < today:
        return False
    return employee.active or bool(employee.start_date and employee.start_date > today)


def is_employed(start: date | None, end: date | None, today: date) -> bool:
    """Started (or no start known) and not yet ended; a future hire is not active before day one."""
    return (start is None or start <= today) and (end is None or end >= today)


def current_period(
    periods: Iterable[Period],
    dates: Callable[[Period], tuple[date | None, date | None]],
    today: date,
) -> Period | None:
    """The period running today, else the one that started last (a rehire's new contract wins
    over the old one; a leaver's last contract is still the one that tells their end date)."""

    def rank(period: Period) -> tuple:
        start, end = dates(period)
        return (is_employed(start, end, today), start or date.min, end or date.max)

    return max(periods, key=rank, default=None)
