"""core/cron.py: crons as GitHub Actions reads them, checked at each field's boundaries (pure)."""

from __future__ import annotations

import pytest

from reconciler.core.cron import cron_problem

VALID = [
    "0 22 * * *",
    "59 23 31 12 6",  # every field at its top
    "0 0 1 1 0",  # and at its bottom
    "0 0 * JAN SUN",
    "0 0 * DEC SAT",
    "0 0 * jan-mar mon-fri",  # names in any case, in ranges
    "*/15 * * * *",
    "20/15 * * * *",  # GitHub's docs: from minute 20 every 15
    "0-30/5 9-17 1,15 */3 1-5",
    "0   22 * * *",  # runs of spaces
]

INVALID = {
    "60 22 * * *": "minute 60 is out of range (allowed: 0-59",
    "99 22 * * *": "minute 99 is out of range (allowed: 0-59",
    "0 24 * * *": "hour 24 is out of range (allowed: 0-23",
    "0 0 0 * *": "day of month 0 is out of range (allowed: 1-31",
    "0 0 32 * *": "day of month 32 is out of range (allowed: 1-31",
    "0 0 * 0 *": "month 0 is out of range (allowed: 1-12 or JAN-DEC",
    "0 0 * 13 *": "month 13 is out of range (allowed: 1-12 or JAN-DEC",
    "0 0 * * 7": "day of week 7 is out of range (allowed: 0-6 or SUN-SAT",
    "0 0 * * SUNDAY": "day of week SUNDAY is not a value",
    "0 0 * FOO *": "month FOO is not a value",
    "5-1 * * * *": "minute range 5-1 runs backwards",
    "0-60 * * * *": "minute 60 is out of range",
    "*/0 * * * *": "minute step 0 is not a whole number of at least 1",
    "*/x * * * *": "minute step x is not a whole number",
    "1,,2 * * * *": "minute has an empty list item",
    "1- * * * *": "minute 1- is incomplete",
    "0 0 L * *": "day of month L is not a value",
    "0 0 ? * *": "day of month ? is not a value",
    "0 ² * * *": "hour ² is not a value",
    "@daily": "GitHub Actions has no @-shortcuts",
    "0 0 22 * * *": "6 field(s); GitHub Actions' cron has 5",
    "0 22 * *": "4 field(s)",
    "": "0 field(s)",
}


@pytest.mark.parametrize("cron", VALID)
def test_github_accepts_these_crons(cron):
    assert cron_problem(cron) is None


@pytest.mark.parametrize("cron", sorted(INVALID))
def test_github_would_not_run_these_crons(cron):
    assert INVALID[cron] in cron_problem(cron)


def test_a_huge_number_is_named_cut_short():
    problem = cron_problem("9" * 5000 + " * * * *")
    assert "(5000 characters) is out of range" in problem and len(problem) < 200


def test_a_cron_is_text():
    assert (
        cron_problem(2200)
        == "a cron is a string (minute hour day-of-month month day-of-week), not int"
    )
