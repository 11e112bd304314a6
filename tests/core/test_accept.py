"""One kind's changes onto a base (pure): only that kind changes, what waits says why."""

from __future__ import annotations

from datetime import date

from reconciler.core.accept import accept_kind, coaches_refresh
from reconciler.core.model import DesiredState, Employee, Job, Member, Snapshot, Team
from reconciler.core.policies import Policy
from reconciler.core.propose import propose

TODAY = date(2026, 3, 1)


def snapshot(*employees, teams=(), jobs=()):
    return Snapshot("file:x", "t", tuple(employees), tuple(teams), tuple(jobs))


def employee(id, team=None, job=None, manager=None):
    return Employee(id, f"e{id}@a.example", "E", id, True, team, job, manager)


def test_a_member_waits_for_a_team_pending_in_its_own_proposal():
    base = DesiredState(teams={"T1": Team("T1", "One")})
    current_member = Member("1", "e1@a.example", "E", "1", True, "T1", None, None)
    base = DesiredState(teams=base.teams, members={"1": current_member})
    snap = snapshot(
        employee("1", team="T2"),
        employee("2", team="T2"),
        teams=(Team("T1", "One"), Team("T2", "Two")),
    )
    proposal = propose(snap, base, Policy.default(), TODAY)
    pending = {"teams": frozenset({"T2"})}
    accepted = accept_kind(
        base, proposal, "members", proposal.select("members"), Policy.default(), pending
    )
    assert accepted.state.members["1"].team == "T1"  # keeps its team until T2 is in
    assert accepted.state.members["2"].team is None
    assert "T2" not in accepted.state.teams
    assert [c.id for c in accepted.changes] == ["2"]  # member 1 does not change tonight
    assert any("for team T2, pending in hrsync/teams" in h for h in accepted.held)
    assert set(accepted.written()) == {"members"}


def test_a_team_still_referred_to_is_not_removed_yet():
    member = Member("1", "e1@a.example", "E", "1", True, "T1", None, None)
    base = DesiredState(teams={"T1": Team("T1", "One")}, members={"1": member})
    proposal = propose(snapshot(employee("1")), base, Policy.default(), TODAY)
    accepted = accept_kind(base, proposal, "teams", proposal.select("teams"), Policy.default())
    assert "T1" in accepted.state.teams and accepted.changes == ()
    assert any("its removal waits until no member refers to it" in h for h in accepted.held)


def test_coaches_alone_are_a_refresh_not_a_change():
    members = {
        "1": Member("1", "e1@a.example", "E", "1", True, "T1", None, None),
        "2": Member("2", "e2@a.example", "E", "2", True, "T1", None, "1"),
    }
    base = DesiredState(teams={"T1": Team("T1", "One")}, members=members)
    assert coaches_refresh(base) == {"T1": Team("T1", "One", None, ("1",))}
    inactive = {**members, "2": Member("2", "e2@a.example", "E", "2", False, "T1", None, "1")}
    assert coaches_refresh(DesiredState(teams=base.teams, members=inactive)) == {}


def test_jobs_proposal_never_touches_members():
    member = Member("1", "e1@a.example", "E", "1", True, None, "J1", None)
    base = DesiredState(jobs={"J1": Job("J1", "Dev")}, members={"1": member})
    snap = snapshot(employee("1", job="J2"), jobs=(Job("J2", "Ops"),))
    proposal = propose(snap, base, Policy.default(), TODAY)
    accepted = accept_kind(base, proposal, "jobs", proposal.select("jobs"), Policy.default())
    assert set(accepted.written()) == {"jobs"}
    assert accepted.state.members == base.members
    assert "J1" in accepted.state.jobs  # member 1 still refers to it on main


def test_a_member_brings_its_team_when_teams_are_never_proposed_on_their_own():
    from reconciler.core.policies import ACTIONS

    modes = {k: dict.fromkeys(ACTIONS, "automatic") for k in ("teams", "jobs", "members")}
    modes["teams"]["import"] = "off"
    policy = Policy(modes=modes)
    snap = snapshot(
        employee("1", team="T2"),
        teams=(Team("T1", "One"), Team("T2", "Two", "T1")),
    )
    proposal = propose(snap, DesiredState(), policy, TODAY)
    accepted = accept_kind(DesiredState(), proposal, "members", proposal.select("members"), policy)
    assert accepted.state.members["1"].team == "T2"
    assert [(c.kind, c.id) for c in accepted.brought] == [("teams", "T1"), ("teams", "T2")]
    assert set(accepted.written()) == {"members", "teams"}
    kept_out = Policy(modes=modes, create_missing_teams=False)
    proposal = propose(snap, DesiredState(), kept_out, TODAY)
    plain = accept_kind(DesiredState(), proposal, "members", proposal.select("members"), kept_out)
    assert plain.state.members["1"].team is None and plain.brought == ()


def test_a_rehire_under_a_new_id_moves_the_file_and_is_one_change():
    old = Member("1", "same@a.example", "E", "1", False, None, None, None)
    base = DesiredState(members={"1": old})
    snap = snapshot(Employee("2", "same@a.example", "E", "2", True))
    proposal = propose(snap, base, Policy.default("automatic"), TODAY)
    accepted = accept_kind(base, proposal, "members", proposal.select("members"), Policy.default())
    assert [(c.action, c.id, c.before.id) for c in accepted.changes] == [("import", "2", "1")]
    assert "likely rehire" in accepted.changes[0].note
    assert accepted.written() == {"members": {"1": None, "2": accepted.state.members["2"]}}


def test_a_deactivation_is_named_as_such():
    member = Member("1", "e1@a.example", "E", "1", True, None, None, None)
    base = DesiredState(members={"1": member})
    snap = snapshot(Employee("1", "e1@a.example", "E", "1", False))
    proposal = propose(snap, base, Policy.default("automatic"), TODAY)
    accepted = accept_kind(base, proposal, "members", proposal.select("members"), Policy.default())
    (change,) = accepted.changes
    assert (change.action, change.note, change.mode) == ("sync", "deactivation", "automatic")


def test_what_a_reviewer_reads_deactivation_reactivation_and_a_rehire_under_a_new_id():
    """Each accepted change says what it is: the leaver's sync is a deactivation, the returner's
    a reactivation, and a new id with a known e-mail is one import of a likely rehire (with the
    old member as its `before`), not an import plus a clean-up."""
    member = lambda id, active=True, email=None: Member(  # noqa: E731
        id, email or f"e{id}@a.example", "E", id, active, None, None, None
    )
    base = DesiredState(
        members={"1": member("1"), "2": member("2", False), "3": member("3", email="old@a.example")}
    )
    leaver = Employee("1", "e1@a.example", "E", "1", False)
    returner = Employee("2", "e2@a.example", "E", "2", True)
    rehire = Employee("9", "old@a.example", "E", "9", True)
    proposal = propose(snapshot(leaver, returner, rehire), base, Policy.default(), TODAY)
    accepted = accept_kind(base, proposal, "members", proposal.select("members"), Policy.default())
    seen = [
        (c.action, c.id, c.mode, c.note, c.before.id if c.before else None, c.after is None)
        for c in accepted.changes
    ]
    assert seen == [
        ("sync", "1", "manual", "deactivation", "1", False),
        ("sync", "2", "manual", "reactivation", "2", False),
        ("import", "9", "manual", "likely rehire of member 3 (same e-mail)", "3", False),
    ]
    assert accepted.state.members["1"].active is False
    assert accepted.state.members["2"].active is True
    assert set(accepted.written()["members"]) == {"1", "2", "3", "9"}


def test_a_member_brings_the_teams_and_jobs_nobody_else_will_propose():
    """Teams and jobs whose imports are `off`: with `create_missing_*` the member brings its
    team with the parent chain, and its job (nothing unused); without, the reference is dropped
    with a line saying so."""
    from reconciler.core.policies import ACTIONS

    modes = {
        "teams": dict.fromkeys(ACTIONS, "off"),
        "jobs": dict.fromkeys(ACTIONS, "off"),
        "members": dict.fromkeys(ACTIONS, "automatic"),
    }
    snap = snapshot(
        employee("1", team="T2", job="J1"),
        teams=(Team("T1", "One"), Team("T2", "Two", "T1")),
        jobs=(Job("J1", "Dev"), Job("J9", "Unused")),
    )
    bring = Policy(modes=modes)
    proposal = propose(snap, DesiredState(), bring, TODAY)
    accepted = accept_kind(DesiredState(), proposal, "members", proposal.select("members"), bring)
    assert [(c.kind, c.action, c.id, c.after) for c in accepted.brought] == [
        ("teams", "import", "T1", Team("T1", "One")),
        ("teams", "import", "T2", Team("T2", "Two", "T1")),
        ("jobs", "import", "J1", Job("J1", "Dev")),
    ]
    assert (accepted.state.members["1"].team, accepted.state.members["1"].job) == ("T2", "J1")
    assert set(accepted.written()) == {"teams", "jobs", "members"} and not accepted.held

    keep_out = Policy(modes=modes, create_missing_teams=False, create_missing_jobs=False)
    proposal = propose(snap, DesiredState(), keep_out, TODAY)
    accepted = accept_kind(
        DesiredState(), proposal, "members", proposal.select("members"), keep_out
    )
    assert accepted.brought == () and accepted.state.teams == {} and accepted.state.jobs == {}
    assert (accepted.state.members["1"].team, accepted.state.members["1"].job) == (None, None)
    assert accepted.held == (
        "member 1: team 'T2' is not in the tree; set to none",
        "member 1: job 'J1' is not in the tree; set to none",
    )
    assert set(accepted.written()) == {"members"}


def test_a_plain_hire_and_a_member_gone_from_the_hris_are_an_import_and_a_cleanup():
    base = DesiredState(members={"1": Member("1", "e1@a.example", "E", "1", True)})
    proposal = propose(snapshot(employee("2")), base, Policy.default(), TODAY)
    accepted = accept_kind(base, proposal, "members", proposal.select("members"), Policy.default())
    assert [(c.action, c.id, c.note, c.before, c.after is None) for c in accepted.changes] == [
        ("cleanup", "1", "", base.members["1"], True),
        ("import", "2", "", None, False),
    ]
    assert set(accepted.state.members) == {"2"}
    assert accepted.written()["members"] == {"1": None, "2": accepted.state.members["2"]}
