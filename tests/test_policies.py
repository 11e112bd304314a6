"""policies/sync.yaml: a bad cron is refused with its file and line before any workflow is
written (the cron rule itself: tests/core/test_cron.py)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from reconciler.cli.main import cli
from reconciler.errors import InvalidInput
from reconciler.state.policy_files import load_policy


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
