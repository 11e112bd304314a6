"""core/employment.py: one employment rule for every HRIS (pure)."""

from __future__ import annotations

from datetime import date

import pytest

from reconciler.core.employment import current_period, is_active, is_employed
from reconciler.core.model import Employee

TODAY = date(2026, 3, 1)
YESTERDAY, TOMORROW = date(2026, 2, 28), date(2026, 3, 2)


def person(active=True, start=None, end=None):
    return Employee("1", "a@x.example", "A", "B", active, start_date=start, end_date=end)


@pytest.mark.parametrize(
    ("status_active", "start", "end", "active"),
    [
        (True, None, None, True),
        (False, None, None, False),  # the vendor says so
        (True, None, YESTERDAY, False),  # the end date has passed
        (True, None, TODAY, True),  # the last day still counts
        (True, None, TOMORROW, True),  # leaving soon
        (False, TOMORROW, None, True),  # a future hire, whatever the status says
        (False, TODAY, None, False),  # day one, still inactive at the vendor
        (False, TOMORROW, YESTERDAY, False),  # an end in the past wins
    ],
)
def test_the_employment_rule(status_active, start, end, active):
    assert is_active(person(status_active, start, end), TODAY) is active


@pytest.mark.parametrize(
    ("start", "end", "employed"),
    [
        (None, None, True),
        (TODAY, TODAY, True),
        (TOMORROW, None, False),
        (None, YESTERDAY, False),
        (YESTERDAY, TOMORROW, True),
    ],
)
def test_is_employed_today(start, end, employed):
    assert is_employed(start, end, TODAY) is employed


def test_the_period_running_today_wins_else_the_latest_start():
    def dates(period):
        return period

    old = (date(2020, 1, 1), date(2024, 12, 31))
    running = (date(2025, 1, 1), None)
    future = (date(2026, 6, 1), None)
    assert current_period([future, old, running], dates, TODAY) == running
    assert current_period([old, future], dates, TODAY) == future  # the rehire's new contract
    ended = (date(2018, 1, 1), date(2019, 1, 1))
    assert current_period([ended, old], dates, TODAY) == old  # the last contract tells the end
    assert current_period([], dates, TODAY) is None
    open_start = (None, None)
    assert current_period([old, open_start], dates, TODAY) == open_start
