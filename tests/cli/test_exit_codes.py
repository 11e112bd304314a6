"""Exit codes a script can rely on: 0 fine, 1 error, 2 changes pending, 64 usage — for every
command of the tree, read from click itself so that a new command is covered by adding it."""

from __future__ import annotations

import shutil
import subprocess

import click
import pytest
from click.testing import CliRunner

from reconciler.cli.exits import EXIT_USAGE
from reconciler.cli.main import cli
from tests.conftest import commit_all


def command_paths(group: click.Group = cli, prefix: tuple[str, ...] = ()) -> list[tuple]:
    """Every command and group under `group`, as the words that call it."""
    paths = []
    for name, command in sorted(group.commands.items()):
        path = (*prefix, name)
        paths.append(path)
        if isinstance(command, click.Group):
            paths += command_paths(command, path)
    return paths


COMMANDS = command_paths()


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args))


def test_the_tree_is_what_the_readme_lists():
    # A guard on the enumeration itself: if this shrinks, the tests below cover less.
    assert {"apply", "plan", "sync", "review approve", "reviews export"} <= {
        " ".join(path) for path in COMMANDS
    }
    assert len(COMMANDS) >= 20


@pytest.mark.parametrize("path", [(), *COMMANDS], ids=lambda p: " ".join(p) or "hrsync")
def test_an_unknown_option_exits_64_for_every_command(path):
    result = invoke(*path, "--no-such-option")
    assert result.exit_code == EXIT_USAGE, result.output
    assert "No such option '--no-such-option'" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("path", [(), *COMMANDS], ids=lambda p: " ".join(p) or "hrsync")
def test_help_still_exits_0(path):
    assert invoke(*path, "--help").exit_code == 0


@pytest.mark.parametrize(
    "args, says",
    [
        (("no-such-command",), "No such command 'no-such-command'"),
        (("review", "nope"), "No such command 'nope'"),
        (("review", "show"), "Missing argument"),
        (("review", "show", "staff"), "'staff' is not one of 'teams', 'jobs', 'members'"),
        (("plan", "--format", "pdf"), "'pdf' is not one of 'text', 'markdown', 'json'"),
        (("apply", "--max-deletes", "-1"), "-1 is not in the range x>=0"),
        (("sync", "--kind", "people"), "'people' is not one of"),
        (("plan-comment",), "Missing option '--pr'"),
        (("plan-comment", "--pr", "seven"), "'seven' is not a valid integer"),
        (("history", "--since", "yesterday"), "'yesterday' does not match the format"),
        (("init",), "Missing argument 'DIRECTORY'"),
        (("init", "x", "--path", "/no/such/export.csv"), "does not exist"),
        (("reviews", "render", "r1"), "Missing option '-o'"),
        (("link",), "give --email E (one or more) or --all"),  # raised by the command itself
    ],
)
def test_usage_errors_exit_64(args, says, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = invoke(*args)
    assert result.exit_code == EXIT_USAGE, result.output
    assert says in result.output


def test_a_group_without_its_command_exits_64():
    for group in ((), ("review",), ("reviews",)):
        result = invoke(*group)
        assert result.exit_code == EXIT_USAGE and "Usage:" in result.output


def test_the_installed_script_exits_64_on_a_mistyped_option(tmp_path):
    exe = shutil.which("hrsync")
    assert exe, "hrsync is not installed (pip install -e .)"
    done = subprocess.run([exe, "plan", "--detailled-exitcode"], capture_output=True, text=True)
    assert done.returncode == 64 and "Did you mean '--detailed-exitcode'?" in done.stderr


def test_apply_without_a_terminal_is_an_error_not_a_usage_error(company):
    # On a terminal the same command line asks; in a pipe there is no one to ask.
    CliRunner().invoke(cli, ["-C", str(company), "propose", "--write", "all"])
    commit_all(company)
    result = CliRunner().invoke(cli, ["-C", str(company), "apply"])
    assert result.exit_code == 1
    assert result.output.endswith(
        "Error: no terminal to ask for approval: pass --auto-approve to apply without asking\n"
    )


def test_changes_pending_is_2_and_only_with_detailed_exitcode(company):
    CliRunner().invoke(cli, ["-C", str(company), "propose", "--write", "all"])
    assert CliRunner().invoke(cli, ["-C", str(company), "plan"]).exit_code == 0
    result = CliRunner().invoke(cli, ["-C", str(company), "plan", "--detailed-exitcode"])
    assert result.exit_code == 2
