"""policies/sync.yaml: crons as GitHub Actions reads them, checked at each field's boundaries
before any workflow is written."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from reconciler.cli.main import cli
from reconciler.core.cron import cron_problem
from reconciler.errors import InvalidInput
from reconciler.state.policy_files import load_policy

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


def set_schedule(root, kind: str, cron: str) -> int:
    """Put `cron` in schedule.<kind>; the line it is on."""
    path = root / "policies/sync.yaml"
    lines = path.read_text().splitlines()
    index = next(i for i, line in enumerate(lines) if line.startswith(f"  {kind}: "))
    lines[index] = f'  {kind}: "{cron}"'
    path.write_text("\n".join(lines) + "\n")
    return index + 1


def test_validate_names_file_line_field_and_range(company):
    line = set_schedule(company, "teams", "99 22 * * *")
    result = CliRunner().invoke(cli, ["-C", str(company), "validate"])
    assert result.exit_code == 1
    assert result.output == (
        f"Error: Invalid policies/sync.yaml, line {line}\n"
        "  - schedule.teams: '99 22 * * *': minute 99 is out of range "
        "(allowed: 0-59, *, a-b, a,b, /step)\n"
    )


def test_every_bad_cron_is_listed(company):
    set_schedule(company, "teams", "0 24 * * *")
    set_schedule(company, "members", "@daily")
    with pytest.raises(InvalidInput) as info:
        load_policy(company)
    assert [p.message.split(":")[0] for p in info.value.problems] == [
        "schedule.teams",
        "schedule.members",
    ]


def test_workflows_writes_nothing_for_a_bad_cron(company):
    set_schedule(company, "jobs", "0 0 * * 7")
    result = CliRunner().invoke(cli, ["-C", str(company), "workflows"])
    assert result.exit_code == 1 and "day of week 7 is out of range" in result.output
    assert not (company / ".github").exists()
    set_schedule(company, "jobs", "0 0 * * 6")
    result = CliRunner().invoke(cli, ["-C", str(company), "workflows"])
    assert result.exit_code == 0 and (company / ".github/workflows/hrsync-sync-jobs.yml").exists()


def test_a_cron_that_is_not_a_string_is_reported_once(company):
    path = company / "policies/sync.yaml"
    path.write_text(path.read_text().replace('teams: "0 22 * * *"', "teams: 22"))
    with pytest.raises(InvalidInput) as info:
        load_policy(company)
    assert [p.message for p in info.value.problems] == [
        "schedule.teams: 22 is not of type 'string'"
    ]


def test_a_policy_may_share_blocks_through_aliases(company):
    path = company / "policies/sync.yaml"
    text = path.read_text()
    text = text.replace("members: {import: manual", "members: &same {import: manual", 1)
    text = text.replace("teams:   {import: manual, sync: manual, cleanup: manual}", "teams: *same")
    path.write_text(text)
    assert load_policy(company).mode("teams", "cleanup") == "manual"
