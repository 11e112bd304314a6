"""GitHub-native output: `validate` errors as annotations, the plan in the job summary.

The runner reads each output line starting with `::` as a command, so an id or a name in a
message must never end a command early or start a second one."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from reconciler.cli.main import cli
from reconciler.errors import Problem
from reconciler.render.workflow_commands import (
    escape_data,
    escape_property,
    problem_annotation,
    workflow_command,
)
from tests.conftest import commit_all


@pytest.fixture
def applied(company):
    runner = CliRunner()
    assert runner.invoke(cli, ["-C", str(company), "propose", "--write", "all"]).exit_code == 0
    commit_all(company)
    assert runner.invoke(cli, ["-C", str(company), "apply", "--auto-approve"]).exit_code == 0
    return company


def test_escaping_follows_githubs_rules():
    assert escape_data("50% done\r\nnext") == "50%25 done%0D%0Anext"
    assert escape_property("a: b, c%\n") == "a%3A b%2C c%25%0A"
    assert escape_data("a: b, c") == "a: b, c"  # the message keeps its colons and commas


@pytest.mark.parametrize(
    "hostile",
    [
        "x\n::add-mask::secret",
        "x\r::set-output name=a::b",
        "x\r\n::stop-commands::token",
        "::set-output name=a::b",
        "%0A::add-mask::already-escaped",
    ],
)
def test_a_hostile_message_or_path_stays_one_command(hostile):
    line = problem_annotation(
        Problem(f"state/members/{hostile}.yaml", 3, hostile, subject=f'member "{hostile}"'),
        f"state/members/{hostile}.yaml",
    )
    assert "\n" not in line and "\r" not in line
    assert line.startswith("::error file=state/members/")
    head, _, message = line.partition(",title=hrsync validate::")
    assert "::" not in head[2:]  # the file property cannot close the properties early
    assert message  # and the message is the rest of this one line
    # What the runner shows, after it undoes the escaping, is the text as it was.
    shown = message.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")
    assert shown == f'member "{hostile}": {hostile}'


def test_invisible_characters_show_in_annotations():
    line = workflow_command("error", {"title": "t"}, "Eve\u202egnp")
    assert "\u202e" not in line and "\\u202e" in line


def _broken_member(root):
    path = root / "state/members/3.yaml"
    path.write_text(path.read_text().replace("team: D2", "team: D9"))
    return path


def test_validate_annotates_each_error_in_github_actions(applied, monkeypatch):
    _broken_member(applied)
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_WORKSPACE", str(applied.parent))
    result = CliRunner().invoke(cli, ["-C", str(applied), "validate"])
    assert result.exit_code == 1
    commands = [line for line in result.stdout.splitlines() if line.startswith("::")]
    assert len(commands) == 1
    assert commands[0].startswith(
        "::error file=company/state/members/3.yaml,line=7,title=hrsync validate::"
    )
    assert "unknown team 'D9'" in commands[0]
    assert "state/members/3.yaml" in result.stderr  # the plain error is still there


def test_validate_format_github_annotates_outside_actions(applied, monkeypatch):
    _broken_member(applied)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    monkeypatch.chdir(applied)
    result = CliRunner().invoke(cli, ["validate", "--format", "github"])
    assert result.exit_code == 1
    assert result.stdout.startswith("::error file=state/members/3.yaml,line=7,")


def test_validate_prints_no_workflow_command_outside_actions(applied, monkeypatch):
    _broken_member(applied)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    result = CliRunner().invoke(cli, ["-C", str(applied), "validate"])
    assert result.exit_code == 1 and "::" not in result.stdout


def test_an_error_without_a_file_is_annotated_too(tmp_path, monkeypatch):
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    result = CliRunner().invoke(cli, ["-C", str(tmp_path), "validate"])
    assert result.exit_code == 1
    assert result.stdout.startswith("::error title=hrsync validate::")


def test_plan_appends_to_the_job_summary(applied, tmp_path, monkeypatch):
    moved = applied / "state/members/4.yaml"
    moved.write_text(moved.read_text().replace("manager: '2'", "manager: '1'"))
    commit_all(applied, "Di reports to Alma")
    summary = tmp_path / "step_summary.md"
    summary.write_text("## an earlier step's summary\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    result = CliRunner().invoke(cli, ["-C", str(applied), "plan"])
    assert result.exit_code == 0, result.output
    text = summary.read_text()
    assert text.startswith("## an earlier step's summary\n### hrsync plan for sqlite: Plan: ")
    assert "manager: 2 (Bo Tech) → 1 (Alma Chief)" in text
    assert 'manager: "2" (Bo Tech) → "1" (Alma Chief)' in result.stdout  # stdout stays text
    CliRunner().invoke(cli, ["-C", str(applied), "plan"])
    assert summary.read_text().count("### hrsync plan") == 2  # appended, never overwritten


def test_no_job_summary_without_the_variable_or_the_file(applied, tmp_path, monkeypatch):
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    before = sorted(p.name for p in tmp_path.iterdir())
    assert CliRunner().invoke(cli, ["-C", str(applied), "plan"]).exit_code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    missing = tmp_path / "nowhere.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(missing))
    result = CliRunner().invoke(cli, ["-C", str(applied), "plan"])
    assert result.exit_code == 0 and not missing.exists()
    assert "job summary not written" in result.stderr


def test_no_summary_into_a_fifo_or_a_folder(applied, tmp_path, monkeypatch):
    """Neither hangs on a FIFO nobody reads, nor writes into anything but a regular file."""
    fifo = tmp_path / "summary.fifo"
    os.mkfifo(fifo)
    for path in (fifo, tmp_path):
        monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(path))
        result = CliRunner().invoke(cli, ["-C", str(applied), "plan"])
        assert result.exit_code == 0 and "job summary not written" in result.stderr


def test_a_plan_over_githubs_summary_limit_leaves_a_note(applied, tmp_path, monkeypatch):
    summary = tmp_path / "step_summary.md"
    summary.write_text("x" * (1024 * 1024 - 200))
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    moved = applied / "state/members/4.yaml"
    moved.write_text(moved.read_text().replace("manager: '2'", "manager: '1'"))
    commit_all(applied)
    assert CliRunner().invoke(cli, ["-C", str(applied), "plan"]).exit_code == 0
    text = summary.read_text()
    assert len(text.encode()) <= 1024 * 1024
    assert text.endswith("run `hrsync plan` to read it.\n")


def test_the_installed_command_annotates_in_actions(applied):
    _broken_member(applied)
    env = {**os.environ, "GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": str(applied)}
    hrsync = os.path.join(os.path.dirname(sys.executable), "hrsync")
    done = subprocess.run(
        [hrsync, "-C", str(applied), "validate"], capture_output=True, text=True, env=env
    )
    assert done.returncode == 1
    expected = "::error file=state/members/3.yaml,line=7,title=hrsync validate::"
    assert done.stdout.startswith(expected)
