"""core/model.py: entities to and from plain data, the digest, and what differs (pure)."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from reconciler.core.model import (
    DesiredState,
    Employee,
    Job,
    Member,
    Snapshot,
    Team,
    entities_digest,
    entity_data,
    entity_from_data,
    field_diff,
)

ids = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_@-]{0,8}", fullmatch=True)
names = st.text(min_size=1, max_size=20)
maybe = st.none() | ids
teams = st.builds(Team, ids, names, maybe, st.lists(ids, max_size=3).map(tuple))
jobs = st.builds(Job, ids, names)
members = st.builds(Member, ids, st.emails(), names, names, st.booleans(), maybe, maybe, maybe)


@given(
    st.one_of(
        teams.map(lambda e: ("teams", e)),
        jobs.map(lambda e: ("jobs", e)),
        members.map(lambda e: ("members", e)),
    )
)
def test_an_entity_survives_its_plain_data(pair):
    kind, entity = pair
    data = entity_data(entity)
    assert entity_from_data(kind, data) == entity
    assert list(data) == [f for f in entity.__dataclass_fields__]  # schema order
    if kind == "teams":
        assert isinstance(data["coaches"], list)


def test_a_team_file_without_parent_or_coaches_reads_as_none_and_empty():
    assert entity_from_data("teams", {"id": "T", "name": "N"}) == Team("T", "N", None, ())
    assert entity_from_data("teams", {"id": "T", "name": "N", "coaches": None}).coaches == ()


def test_the_digest_follows_content_not_order_or_identity():
    a, b = Team("A", "One"), Team("B", "Two", "A", ("1",))
    digest = entities_digest({"teams": {"A": a, "B": b}, "jobs": {}})
    assert digest == entities_digest({"jobs": {}, "teams": {"B": b, "A": Team("A", "One")}})
    assert digest != entities_digest({"teams": {"A": a, "B": Team("B", "Two", "A")}, "jobs": {}})
    assert digest != entities_digest({"members": {"A": a, "B": b}, "jobs": {}})


def test_a_snapshot_digest_ignores_where_records_came_from_and_when():
    person = Employee("1", "a@x.example", "A", "B", start_date=date(2026, 1, 1))
    here = Snapshot("file:x", "2026-03-01", (person,))
    there = Snapshot(
        "file:x",
        "2026-03-02",
        (Employee("1", "a@x.example", "A", "B", start_date=date(2026, 1, 1), origin="line 9"),),
    )
    assert here.digest() == there.digest()
    moved = Snapshot("file:x", "t", (Employee("1", "a@x.example", "A", "B", team="T"),))
    assert here.digest() != moved.digest()
    assert Snapshot.from_data(here.to_data()) == here


def test_field_diff_lists_what_changed_and_the_id_only_on_a_move():
    before = Member("1", "a@x.example", "A", "B", True, "T1", None, None)
    after = Member("1", "a@x.example", "A", "C", True, "T2", None, None)
    assert field_diff(before, after) == [("last_name", "B", "C"), ("team", "T1", "T2")]
    rehired = Member("9", "a@x.example", "A", "B", True, "T1", None, None)
    assert field_diff(before, rehired) == [("id", "1", "9")]
    new = field_diff(None, Job("J", "Dev"))
    assert new == [("name", None, "Dev")]
    gone = field_diff(Job("J", "Dev"), None)
    assert gone == [("name", "Dev", None)]


def test_managed_counts_members_who_can_log_in_and_every_team_or_job():
    state = DesiredState(
        teams={"T": Team("T", "N")},
        members={
            "1": Member("1", "a@x.example", "A", "B", True),
            "2": Member("2", "b@x.example", "A", "B", False),
        },
    )
    assert (state.managed("members"), state.managed("teams"), state.managed("jobs")) == (1, 1, 0)


employees = st.builds(
    Employee,
    ids,
    st.emails(),
    names,
    names,
    st.booleans(),
    maybe,
    maybe,
    maybe,
    st.none() | st.dates(),
    st.none() | st.dates(),
)


@given(
    st.lists(employees, max_size=4),
    st.lists(teams, max_size=3),
    st.lists(jobs, max_size=3),
    st.booleans(),
)
def test_a_saved_snapshot_reads_back_as_it_was(people, team_list, job_list, complete):
    """`hrsync fetch -o F` then `propose --snapshot F`: the same records, the same digest."""
    snapshot = Snapshot("file:x", "t", tuple(people), tuple(team_list), tuple(job_list), complete)
    again = Snapshot.from_data(snapshot.to_data())
    assert again == snapshot and again.digest() == snapshot.digest()


def test_a_minimal_saved_snapshot_reads_with_its_defaults():
    data = {
        "source": "file:x",
        "fetched_at": "t",
        "teams": [{"id": "T", "name": "N"}],
        "jobs": [{"id": "J", "name": "Dev"}],
    }
    snapshot = Snapshot.from_data(data)
    assert snapshot.complete is True and snapshot.employees == ()
    assert snapshot.teams == (Team("T", "N", None, ()),) and snapshot.jobs == (Job("J", "Dev"),)
