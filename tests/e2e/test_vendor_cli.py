"""The real `hrsync` CLI against each vendor's loopback fake: fetch → propose → validate → plan →
apply → plan, then a department rename and a leaver in the HRIS, and bad credentials."""

from __future__ import annotations

import json
import re

from reconciler import clock
from reconciler.core.employment import is_active
from reconciler.core.model import Snapshot
from reconciler.state.tree import read_state
from tests.conftest import commit_all
from tests.e2e.conftest import hrsync


def test_first_sync_creates_everyone_then_nothing_is_pending(running, repo):
    vendor, fake = running.vendor, running.fake
    hrsync(repo, "fetch", "-o", str(repo / "snap.json"))
    text = (repo / "snap.json").read_text(encoding="utf-8")
    employees = json.loads(text)["employees"]
    assert len(employees) == vendor.employee_count(fake)
    pii = vendor.pii(fake)
    assert len(pii) >= vendor.employee_count(fake)
    assert [value for value in pii if value in text] == []

    hrsync(repo, "propose", "--write", "all")

    commit_all(repo)
    state = read_state(repo)
    # Leavers are not imported: they never were on the platform.
    today = clock.today()
    records = Snapshot.from_data(json.loads(text)).employees
    started = [e for e in records if not (e.start_date and e.start_date > today)]
    assert len(state.members) == sum(is_active(e, today) for e in started) > 1
    assert state.teams and state.jobs
    assert hrsync(repo, "validate").output.startswith(f"OK: {len(state.members)} members")

    plan = hrsync(repo, "plan", "--detailed-exitcode", code=2).output
    assert re.search(r"Plan: [1-9]\d* to create", plan)
    hrsync(repo, "apply", "--auto-approve")
    hrsync(repo, "plan", "--detailed-exitcode", code=0)


def test_rename_and_leaver_are_proposed_as_sync_changes(running, repo):
    vendor, fake = running.vendor, running.fake
    hrsync(repo, "propose", "--write", "all")
    commit_all(repo)
    hrsync(repo, "apply", "--auto-approve")
    before = read_state(repo)
    team_id, new_name = vendor.rename_team(fake)
    leaver = vendor.make_leaver(fake)
    assert before.members[leaver].active and before.teams[team_id].name != new_name

    proposal = hrsync(repo, "propose").output
    rename = re.search(rf'~ sync\s+team {re.escape(team_id)} "(.*)"\s+\[rename\]', proposal)
    assert rename and rename.group(1) == new_name, proposal
    assert re.search(rf"~ sync\s+member {leaver} \(.*\)\s+\[deactivation\]", proposal), proposal

    hrsync(repo, "propose", "--write", "all")

    commit_all(repo)
    after = read_state(repo)
    assert after.teams[team_id].name == new_name
    assert set(after.teams) == set(before.teams)  # renamed in place, not a new team
    assert not after.members[leaver].active


def test_bad_credentials_fail_in_one_line_without_the_secret(running, repo, monkeypatch):
    vendor = running.vendor
    monkeypatch.setenv(vendor.secret_var, vendor.wrong_secret)
    result = hrsync(repo, "fetch", "-o", str(repo / "snap.json"), code=1)
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith("Error: ") and vendor.secret_var in lines[0]
    assert vendor.wrong_secret not in result.output
    assert not (repo / "snap.json").exists()


def test_missing_credentials_name_the_variable(running, repo, monkeypatch):
    monkeypatch.delenv(running.vendor.secret_var)
    result = hrsync(repo, "fetch", code=1)
    assert re.fullmatch(
        rf"Error: \w+: environment variable {running.vendor.secret_var} is not set\n",
        result.output,
    ), result.output
