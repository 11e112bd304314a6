"""The core's laws on generated organisations (hypothesis):

- propose, accept everything, propose again: nothing is left to propose;
- plan, apply, plan again: nothing is left to apply (on the real embedded platform);
- one kind at a time (what the nightly run does) reaches the same tree in a few nights.
"""

from __future__ import annotations

import tempfile
from datetime import date, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.core.accept import accept_kind
from reconciler.core.model import KINDS, DesiredState, Employee, Job, Snapshot, Team
from reconciler.core.plan import compute_plan
from reconciler.core.policies import Policy
from reconciler.core.propose import accept, propose
from reconciler.targets.sqlite import SqlitePlatform

TODAY = date(2026, 6, 1)
IDS = [str(i) for i in range(1, 13)]
TEAM_IDS = ["T1", "T2", "T3", "T4"]
JOB_IDS = ["J1", "J2", "J3"]


@st.composite
def organisations(draw) -> Snapshot:
    teams = tuple(Team(t, f"Team {t}", draw(st.sampled_from([None, *TEAM_IDS]))) for t in TEAM_IDS)
    jobs = tuple(Job(j, f"Job {j}") for j in JOB_IDS)
    people = draw(st.lists(st.sampled_from(IDS), unique=True, min_size=1, max_size=len(IDS)))
    employees = []
    for person in people:
        start = draw(
            st.sampled_from([None, TODAY - timedelta(days=400), TODAY + timedelta(days=9)])
        )
        end = draw(
            st.sampled_from([None, None, TODAY - timedelta(days=3), TODAY + timedelta(days=30)])
        )
        employees.append(
            Employee(
                id=person,
                # a few people share an e-mail: one account per address, the others reported
                email=f"p{draw(st.sampled_from([person, person, person, '1']))}@acme.example",
                first_name="P",
                last_name=person,
                active=draw(st.booleans()),
                team=draw(st.sampled_from([None, *TEAM_IDS, "T9"])),
                job=draw(st.sampled_from([None, *JOB_IDS, "J9"])),
                manager=draw(st.sampled_from([None, *IDS])),
                start_date=start,
                end_date=end,
            )
        )
    return Snapshot("file:generated", "t", tuple(employees), teams, jobs)


LAWS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@LAWS
@given(first=organisations(), second=organisations())
def test_propose_accept_propose_leaves_nothing(first, second):
    policy = Policy.default("automatic")
    state, _ = accept(propose(first, DesiredState(), policy, TODAY), policy, lambda c: True)
    proposal = propose(second, state, policy, TODAY)
    after, _ = accept(proposal, policy, lambda c: True)
    again = propose(second, after, policy, TODAY)
    assert again.changes == (), again.changes


@LAWS
@given(first=organisations(), second=organisations())
def test_plan_apply_plan_leaves_nothing(first, second):
    policy = Policy.default("automatic")
    with tempfile.TemporaryDirectory() as folder:
        platform = SqlitePlatform(Path(folder) / "platform.db", writable=True)
        try:
            for snapshot in (first, second):
                proposal = propose(snapshot, DesiredState(), policy, TODAY)
                desired, _ = accept(proposal, policy, lambda c: True)
                platform.apply(compute_plan(desired, platform.read()).changes)
                assert compute_plan(desired, platform.read()).changes == ()
        finally:
            platform.close()


@LAWS
@given(org=organisations())
def test_one_kind_at_a_time_converges_to_the_whole(org):
    """What the nightly run does with everything automatic: teams, jobs, members, each on the
    state the one before left; a second night finishes what waited (held references)."""
    policy = Policy.default("automatic")
    whole, _ = accept(propose(org, DesiredState(), policy, TODAY), policy, lambda c: True)
    state = DesiredState()
    for _night in range(3):
        proposal = propose(org, state, policy, TODAY)
        for kind in KINDS:
            state = accept_kind(state, proposal, kind, proposal.select(kind), policy).state
    for kind in ("teams", "jobs"):
        assert state.of(kind).keys() == whole.of(kind).keys()
    assert state.members == whole.members
