"""A synthetic organisation of any size: departments in a hierarchy, job titles, a manager tree.

Deterministic for a given size and seed, so benchmark runs compare like with like.
"""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

from reconciler.core.model import DesiredState, Employee, Job, Member, Snapshot, Team
from reconciler.state.tree import write_entities
from reconciler.targets.sqlite import SCHEMA, extra_schema


def generate(size: int, seed: int = 7) -> DesiredState:
    rng = random.Random(seed)
    team_count = max(3, size // 25)
    teams = {"T0": Team("T0", "Company")}
    for i in range(1, team_count):
        parent = f"T{rng.randrange(0, i)}" if i > 1 else "T0"
        teams[f"T{i}"] = Team(f"T{i}", f"Department {i}", parent)
    jobs = {f"J{i}": Job(f"J{i}", f"Job title {i}") for i in range(max(5, size // 200))}
    job_ids = list(jobs)
    members = {}
    for i in range(size):
        member_id = str(100000 + i)
        # Managers come from earlier ids: a tree, never a cycle; ~8 reports per manager.
        manager = str(100000 + rng.randrange(0, i // 8 + 1)) if i else None
        if manager == member_id:
            manager = None
        members[member_id] = Member(
            member_id,
            f"person{i}@acme.example",
            f"First{i}",
            f"Last{i}",
            rng.random() > 0.03,
            f"T{rng.randrange(team_count)}",
            rng.choice(job_ids),
            manager,
        )
    from reconciler.core.desired import with_coaches

    return DesiredState(with_coaches(teams, members), jobs, members)


def snapshot_of(state: DesiredState) -> Snapshot:
    employees = tuple(
        Employee(m.id, m.email, m.first_name, m.last_name, m.active, m.team, m.job, m.manager)
        for m in state.members.values()
    )
    teams = tuple(Team(t.id, t.name, t.parent) for t in state.teams.values())
    return Snapshot(
        "bench", "2026-01-01T00:00:00+00:00", employees, teams, tuple(state.jobs.values())
    )


def write_tree(root: Path, state: DesiredState) -> None:
    for kind in ("teams", "jobs", "members"):
        write_entities(root, kind, state.of(kind).values())


def fill_platform(db_path: Path, state: DesiredState, drift_every: int = 100) -> None:
    """The platform as a previous apply left it, with some drift, in one bulk transaction."""
    db_path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(db_path)
    db.executescript(SCHEMA + extra_schema())
    with db:
        db.executemany(
            "INSERT INTO teams (pk, external_id, name, managed) VALUES (?, ?, ?, 1)",
            [(i, t.id, t.name) for i, t in enumerate(state.teams.values(), 1)],
        )
        team_pk = {t.id: i for i, t in enumerate(state.teams.values(), 1)}
        db.executemany(
            "UPDATE teams SET parent_pk = ? WHERE pk = ?",
            [(team_pk[t.parent], team_pk[t.id]) for t in state.teams.values() if t.parent],
        )
        db.executemany(
            "INSERT INTO jobs (pk, external_id, name, managed) VALUES (?, ?, ?, 1)",
            [(i, j.id, j.name) for i, j in enumerate(state.jobs.values(), 1)],
        )
        job_pk = {j.id: i for i, j in enumerate(state.jobs.values(), 1)}
        member_pk = {m: i for i, m in enumerate(state.members, 1)}
        rows = []
        for n, m in enumerate(state.members.values()):
            name = m.last_name if n % drift_every else m.last_name + " (edited in the platform)"
            rows.append(
                (
                    member_pk[m.id],
                    m.id,
                    m.email,
                    m.first_name,
                    name,
                    int(m.active),
                    team_pk.get(m.team),
                    job_pk.get(m.job),
                    member_pk.get(m.manager),
                )
            )
        db.executemany(
            "INSERT INTO members (pk, external_id, email, first_name, last_name, can_login,"
            " team_pk, job_pk, manager_pk, managed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1)",
            rows,
        )
        db.executemany(
            "INSERT INTO team_coaches (team_pk, member_pk) VALUES (?, ?)",
            [(team_pk[t.id], member_pk[c]) for t in state.teams.values() for c in t.coaches],
        )
    db.close()
