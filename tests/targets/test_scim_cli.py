"""hrsync on a SCIM provider as a user runs it: a state repository whose target is a real
scim2-server on 127.0.0.1, every step through the CLI (click's CliRunner)."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from reconciler.cli.main import cli
from reconciler.targets.scim import JOBS_LIMIT, TEAM_TREE_LIMIT
from tests.conftest import commit_all, rows_with, set_export
from tests.fakes.scim_server import start_scim_server
from tests.targets.test_scim import hand_made


@pytest.fixture
def scim_company(company, monkeypatch):
    """The `company` repository with its target on a provider without the team extension (so
    team parents and coaches are among what it cannot hold)."""
    server = start_scim_server(team_extension=None)
    config = company / "hrsync.yaml"
    text = re.sub(
        r"^target:\n(  .*\n)+",
        f"target: {{type: scim, base_url: '{server.url}', token_env: SCIM_TOKEN}}\n",
        config.read_text(),
        flags=re.M,
    )
    config.write_text(text)
    monkeypatch.setenv("SCIM_TOKEN", server.token)
    yield company, server
    server.stop()


def run(root, *args, code=0):
    result = CliRunner().invoke(cli, ["-C", str(root), *args], catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result.output


def test_propose_plan_apply_show_link_on_a_scim_provider(scim_company):
    root, server = scim_company
    run(root, "propose", "--write", "all")
    commit_all(root)
    assert run(root, "validate").startswith("OK: 6 members")
    run(root, "plan", "--detailed-exitcode", code=2)
    out = run(root, "apply", "--auto-approve")
    assert re.search(r"Applied \d+ change\(s\)\.\n$", out)
    # The tree has team parents and coaches; this provider cannot hold them, and the plan
    # after apply is empty all the same.
    assert "parent: D1" in (root / "state/teams/D2.yaml").read_text()
    assert run(root, "plan", "--detailed-exitcode").endswith(
        "No changes. The platform matches state/.\n"
    )

    shown = run(root, "show")
    assert shown.startswith("scim: ")
    assert "alma@acme.example" in shown and "cy@acme.example" in shown
    assert f"This platform cannot hold: {JOBS_LIMIT}" in shown
    assert f"This platform cannot hold: {TEAM_TREE_LIMIT}" in shown
    data = json.loads(run(root, "show", "--format", "json"))
    assert sorted(m["id"] for m in data["members"]) == ["1", "2", "3", "4", "5", "6"]

    # A new hire whose account someone already made by hand on the provider.
    gi = ["7", "Gi", "New", "gi@acme.example", "active", "D2", "Engineering", "D1", "J3"]
    set_export(root, rows_with({}, extra=[gi + ["Engineer", "2", "2026-01-01", "", "", "", ""]]))
    run(root, "propose", "--write", "all")
    commit_all(root)
    made = hand_made(server, "gi@acme.example")
    out = run(root, "plan", "--detailed-exitcode")  # nothing it may do: the account is not ours
    assert "member 7 (gi@acme.example) is not created" in out
    assert "hrsync link --email gi@acme.example" in out

    assert run(root, "link", "--email", "gi@acme.example") == (
        "linked gi@acme.example → member 7\n"
    )
    # A saved plan is checked against the same view of state/ when it is applied.
    saved = root.parent / "plan.json"
    assert "~ update     member 7 (gi@acme.example)" in run(root, "plan", "--out", str(saved))
    run(root, "apply", str(saved), "--auto-approve")
    run(root, "plan", "--detailed-exitcode", code=0)
    adopted = server.client.get(f"/Users/{made['id']}").json()
    assert adopted["externalId"] == "7" and adopted["name"]["givenName"] == "Gi"
    assert len(server.all("/Users")) == 7


def test_a_bad_token_is_one_line_naming_the_variable_not_the_token(scim_company, monkeypatch):
    root, _ = scim_company
    run(root, "propose", "--write", "all")
    commit_all(root)
    wrong = "not-the-token-but-secret-all-the-same"
    monkeypatch.setenv("SCIM_TOKEN", wrong)
    for command in (["plan"], ["apply", "--auto-approve"], ["show"]):
        out = run(root, *command, code=1)
        assert out.count("\n") == 1 and out.startswith("Error: ")
        assert "SCIM_TOKEN" in out and "401" in out
        assert wrong not in out

    monkeypatch.delenv("SCIM_TOKEN")
    out = run(root, "plan", code=1)
    assert out == "Error: scim target: environment variable SCIM_TOKEN is not set\n"
