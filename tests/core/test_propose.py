"""Propose: HRIS snapshot + state + policy → import / sync / cleanup, automatic or manual."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from reconciler.core.model import DesiredState, Employee, Job, Member, Snapshot, Team
from reconciler.core.policies import Policy
from reconciler.core.propose import accept, propose

TODAY = date(2026, 11, 25)


def emp(id, manager=None, team="eng", job="dev", **kw) -> Employee:
    return Employee(
        id,
        kw.pop("email", f"p{id}@acme.example"),
        f"F{id}",
        f"L{id}",
        team=team,
        job=job,
        manager=manager,
        **kw,
    )


ENG = (Team("eng", "Engineering"),)
DEV = (Job("dev", "Developer"),)


def snap(*employees, teams=ENG, jobs=DEV, complete=True) -> Snapshot:
    return Snapshot(
        "test", "2026-11-25T00:00:00+00:00", tuple(employees), tuple(teams), tuple(jobs), complete
    )


def as_member(e: Employee, active=True) -> Member:
    return Member(e.id, e.email, e.first_name, e.last_name, active, e.team, e.job, e.manager)


def state_of(snapshot: Snapshot) -> DesiredState:
    """The tree after everything in `snapshot` was accepted."""
    return accept(
        propose(snapshot, DesiredState(), Policy.default(), TODAY), Policy.default(), lambda c: True
    )[0]


def policy(**changes) -> Policy:
    return replace(Policy.default(), **changes)


def kinds_actions(proposal):
    return sorted((c.kind, c.action, c.id, c.note) for c in proposal.changes)


def test_first_snapshot_imports_everything_and_derives_coaches():
    s = snap(emp("1"), emp("2", manager="1"), emp("3", manager="2"))
    proposal = propose(s, DesiredState(), Policy.default(), TODAY)
    assert kinds_actions(proposal) == [
        ("jobs", "import", "dev", ""),
        ("members", "import", "1", ""),
        ("members", "import", "2", ""),
        ("members", "import", "3", ""),
        ("teams", "import", "eng", ""),
    ]
    assert {c.mode for c in proposal.changes} == {"manual"}
    assert proposal.proposed.teams["eng"].coaches == ("1", "2")


def test_modes_come_from_the_policy_and_off_is_not_proposed():
    modes = {
        "members": {"import": "automatic", "sync": "manual", "cleanup": "off"},
        "teams": {"import": "off", "sync": "manual", "cleanup": "manual"},
        "jobs": {"import": "manual", "sync": "manual", "cleanup": "manual"},
    }
    s = snap(emp("1"), emp("2"))
    current = state_of(snap(emp("2"), emp("3")))
    proposal = propose(s, current, policy(modes=modes), TODAY)
    assert [(c.id, c.action, c.mode) for c in proposal.changes] == [("1", "import", "automatic")]


def test_leaver_is_a_deactivation_and_a_rehire_under_the_same_id_a_reactivation():
    current = state_of(snap(emp("1"), emp("2", manager="1")))
    left = propose(
        snap(emp("1", active=False), emp("2", manager="1")), current, Policy.default(), TODAY
    )
    assert kinds_actions(left) == [("members", "sync", "1", "deactivation")]
    after, _ = accept(left, Policy.default(), lambda c: True)
    # A deactivated manager stays a valid reference for their reports.
    assert after.members["2"].manager == "1" and not after.members["1"].active
    back = propose(snap(emp("1"), emp("2", manager="1")), after, Policy.default(), TODAY)
    assert kinds_actions(back) == [("members", "sync", "1", "reactivation")]


def test_an_end_date_in_the_past_means_inactive():
    current = state_of(snap(emp("1")))
    proposal = propose(
        snap(emp("1", end_date=date(2026, 11, 24))), current, Policy.default(), TODAY
    )
    assert kinds_actions(proposal) == [("members", "sync", "1", "deactivation")]
    still = propose(snap(emp("1", end_date=TODAY)), current, Policy.default(), TODAY)
    assert still.changes == ()


def test_rehire_under_a_new_id_is_one_account_proposed_for_review():
    current = accept(
        propose(
            snap(emp("1"), emp("2", email="ann@acme.example")),
            DesiredState(),
            Policy.default(),
            TODAY,
        ),
        Policy.default(),
        lambda c: True,
    )[0]
    gone = propose(
        snap(emp("1"), emp("2", email="ann@acme.example", active=False)),
        current,
        Policy.default(),
        TODAY,
    )
    current = accept(gone, Policy.default(), lambda c: True)[0]
    automatic = policy(
        modes={
            k: dict.fromkeys(("import", "sync", "cleanup"), "automatic")
            for k in ("members", "teams", "jobs")
        }
    )
    back = propose(
        snap(
            emp("1"),
            emp("2", email="ann@acme.example", active=False),
            emp("9", email="ann@acme.example"),
        ),
        current,
        automatic,
        TODAY,
    )
    assert kinds_actions(back) == [
        ("members", "import", "9", "likely rehire of member 2 (same e-mail)")
    ]
    assert back.changes[0].mode == "manual"  # never automatic, whatever the policy says
    after, _ = accept(back, automatic, lambda c: True)
    assert sorted(after.members) == ["1", "9"]
    assert [m.email for m in after.members.values()].count("ann@acme.example") == 1


def test_future_hire_waits_for_the_start_date_and_lead_days():
    s = snap(emp("1"), emp("2", start_date=date(2026, 12, 1)))
    assert [
        c.id for c in propose(s, DesiredState(), Policy.default(), TODAY).select("members")
    ] == ["1"]
    assert (
        "member 2 starts on 2026-12-01"
        in propose(s, DesiredState(), Policy.default(), TODAY).waiting[0]
    )
    early = propose(s, DesiredState(), policy(start_lead_days=6), TODAY)
    assert [c.id for c in early.select("members")] == ["1", "2"]
    # Connectors report a hire not started yet as inactive: the start date decides.
    pending = snap(emp("1"), emp("2", start_date=date(2026, 12, 1), active=False))
    assert propose(pending, DesiredState(), Policy.default(), TODAY).waiting
    imported = propose(pending, DesiredState(), policy(start_lead_days=6), TODAY)
    assert imported.proposed.members["2"].active


def test_email_domain_filter_and_references_outside_become_null_with_warning():
    s = snap(
        emp("1", email="boss@other.example"),
        emp("2", manager="1"),
        emp("3", manager="2", team="gone", job="nojob"),
    )
    proposal = propose(s, DesiredState(), policy(email_domains=("acme.example",)), TODAY)
    assert [c.id for c in proposal.select("members")] == ["2", "3"]
    members = proposal.proposed.members
    assert members["2"].manager is None and members["3"].manager == "2"
    assert members["3"].team is None and members["3"].job is None
    assert "member 2: manager '1' is not a member; set to none" in proposal.warnings
    assert "member 3: team 'gone' is not in the tree; set to none" in proposal.warnings


def test_manager_cycle_in_the_hris_is_broken_with_a_warning():
    s = snap(emp("1", manager="3"), emp("2", manager="1"), emp("3", manager="2"))
    proposal = propose(s, DesiredState(), Policy.default(), TODAY)
    assert proposal.proposed.members["1"].manager is None
    assert any("manager chain is a cycle" in w for w in proposal.warnings)


def test_team_rename_is_a_sync_and_a_team_cleanup_keeps_its_members():
    current = state_of(
        snap(emp("1"), emp("2", team="ops"), teams=(Team("eng", "Engineering"), Team("ops", "Ops")))
    )
    s = snap(emp("1"), emp("2", team="ops"), teams=(Team("eng", "Platform Engineering"),))
    proposal = propose(s, current, Policy.default(), TODAY)
    assert kinds_actions(proposal) == [
        ("members", "sync", "2", ""),
        ("teams", "cleanup", "ops", ""),
        ("teams", "sync", "eng", "rename"),
    ]
    # Accept only the team cleanup: the member stays, without a dangling team.
    after, warnings = accept(proposal, Policy.default(), lambda c: c.kind == "teams")
    assert after.members["2"].team is None and "ops" not in after.teams
    assert "member 2: team 'ops' is not in the tree; set to none" in warnings


def test_a_member_may_bring_its_team_when_the_policy_allows_it():
    s = snap(emp("1", team="new"), teams=(Team("new", "New", "root"), Team("root", "Root")))
    proposal = propose(s, DesiredState(), Policy.default(), TODAY)
    members_only = lambda c: c.kind != "teams"  # noqa: E731
    brought, _ = accept(proposal, Policy.default(), members_only)
    assert sorted(brought.teams) == ["new", "root"] and brought.members["1"].team == "new"
    kept_out, _ = accept(proposal, policy(create_missing_teams=False), members_only)
    assert kept_out.teams == {} and kept_out.members["1"].team is None


@pytest.mark.parametrize(("leavers", "mass"), [(3, False), (4, True)])
def test_mass_removal_is_never_automatic_floor(leavers, mass):
    people = [emp(str(i)) for i in range(1, 21)]
    current = state_of(snap(*people))
    gone = [replace(p, active=False) if int(p.id) <= leavers else p for p in people]
    auto = policy(
        modes={
            k: dict.fromkeys(("import", "sync", "cleanup"), "automatic")
            for k in ("members", "teams", "jobs")
        }
    )
    proposal = propose(snap(*gone), current, auto, TODAY)
    assert proposal.mass_removal is mass
    assert {c.mode for c in proposal.changes} == {"manual" if mass else "automatic"}
    if mass:
        assert proposal.warnings[0].startswith("This would remove or deactivate 4 of 20 members")


@pytest.mark.parametrize(("removed", "mass"), [(10, False), (11, True)])
def test_mass_removal_share_at_n_and_n_plus_one(removed, mass):
    people = [emp(str(i)) for i in range(100, 200)]
    current = state_of(snap(*people))
    proposal = propose(snap(*people[removed:]), current, Policy.default(), TODAY)
    assert len(proposal.select("members")) == removed
    assert proposal.mass_removal is mass


def test_empty_or_incomplete_snapshot_proposes_nothing():
    current = state_of(snap(emp("1")))
    for s, reason in (
        (snap(), "the HRIS returned no employees"),
        (snap(emp("2"), complete=False), "the HRIS fetch was incomplete"),
    ):
        proposal = propose(s, current, Policy.default(), TODAY)
        assert proposal.changes == () and proposal.nothing_reason == reason
        assert proposal.summary_line() == f"Nothing proposed: {reason}."


def test_excluded_entities_are_never_proposed():
    current = state_of(snap(emp("1"), emp("2")))
    excluded = policy(excluded={"members": frozenset({"2", "3"})})
    s = snap(emp("1"), emp("3"))  # 2 left the HRIS, 3 is new: both excluded
    assert propose(s, current, excluded, TODAY).changes == ()


def test_duplicate_emails_in_the_hris_never_make_two_accounts():
    s = snap(emp("1", email="x@acme.example"), emp("2", email="X@acme.example"))
    proposal = propose(s, DesiredState(), Policy.default(), TODAY)
    assert [c.id for c in proposal.select("members")] == ["1"]
    assert "employee 2 has the e-mail X@acme.example of employee 1" in proposal.warnings[0]


def test_the_summary_line_counts_each_kind_and_action_it_was_asked_for():
    """What `sync`, `review list` and the PR title say: counts per kind, only what is there."""
    modes = {
        "members": {"import": "automatic", "sync": "manual", "cleanup": "manual"},
        "teams": {"import": "manual", "sync": "manual", "cleanup": "manual"},
        "jobs": {"import": "manual", "sync": "manual", "cleanup": "manual"},
    }
    current = state_of(snap(emp("1"), emp("2"), emp("3")))
    tonight = snap(
        emp("1", team="ops"),
        emp("2"),
        emp("4"),
        emp("5"),
        teams=(*ENG, Team("ops", "Operations")),
    )
    proposal = propose(tonight, current, policy(modes=modes), TODAY)
    assert proposal.summary_line() == "teams: import 1; members: import 2, sync 1, cleanup 1"
    assert proposal.summary_line("members") == "members: import 2, sync 1, cleanup 1"
    assert proposal.summary_line("members", "manual") == "members: sync 1, cleanup 1"
    assert proposal.summary_line("members", "automatic") == "members: import 2"
    assert proposal.summary_line("jobs") == "No changes: state/ matches the HRIS."
    assert proposal.summary_line("teams", "automatic") == "No changes: state/ matches the HRIS."
    assert proposal.counts("members") == {"import": 2, "sync": 1, "cleanup": 1}
    assert proposal.counts() == {"import": 3, "sync": 1, "cleanup": 1}
