"""What a run that is not a whole night may propose (pure): `--only` and `--incremental`.

- **On demand** (`hrsync sync --only member:1004`, like Terraform's `-target`): the snapshot is
  whole, the proposal is computed as on any night (the same policies, the same mass-removal
  judgement over the whole snapshot), then cut down to the named entities and the teams and jobs
  a named member or team needs that the tree does not hold yet (their imports follow their own
  policy, so a member may wait for a team pending review, as at night). A named leaver follows
  the cleanup policy; nothing else is ever cleaned up.
- **Incremental** (`hrsync sync --incremental`): the snapshot holds only what the HRIS says
  changed. `overlay` lays it over the tree, so a person missing from it is unchanged, never a
  leaver; only the entities it holds are proposed, and never a cleanup.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from reconciler.core.ids import is_id, shown
from reconciler.core.model import SINGULAR, DesiredState, Employee, Snapshot
from reconciler.core.plan import Plan
from reconciler.core.platform import PlatformState
from reconciler.errors import HrsyncError

KIND_OF = {singular: kind for kind, singular in SINGULAR.items()}


class ScopeSyntaxError(ValueError):
    """A `--only` word that is not KIND:ID with a valid id (a usage error)."""


class UnknownInScope(HrsyncError):
    """`--only` named an entity neither the HRIS nor the tree (nor the platform) knows."""


@dataclass(frozen=True)
class Scope:
    """The entities a run may propose or plan: (kind, id) pairs; `cleanups` False for an
    incremental run (removals stay with the whole night)."""

    named: frozenset[tuple[str, str]]
    cleanups: bool = True
    on_demand: bool = True  # named by a person (--only), not found by an incremental fetch

    @classmethod
    def parse(cls, words: Iterable[str]) -> Scope:
        """`member:1004`, `team:D6`, `job:J1`; each id by the one id rule (ids.py)."""
        named = set()
        for word in words:
            singular, colon, entity_id = str(word).partition(":")
            if not colon or singular not in KIND_OF:
                raise ScopeSyntaxError(f"{shown(word)} is not member:ID, team:ID or job:ID")
            if not is_id(entity_id):
                raise ScopeSyntaxError(f"{shown(entity_id)} is not a valid {singular} id")
            named.add((KIND_OF[singular], entity_id))
        if not named:
            raise ScopeSyntaxError("name at least one member:ID, team:ID or job:ID")
        return cls(frozenset(named))

    @classmethod
    def of_snapshot(cls, snapshot: Snapshot) -> Scope:
        """Everything an incremental fetch returned."""
        named = {("members", e.id) for e in snapshot.employees}
        named |= {("teams", t.id) for t in snapshot.teams}
        named |= {("jobs", j.id) for j in snapshot.jobs}
        return cls(frozenset(named), cleanups=False, on_demand=False)

    def words(self) -> list[str]:
        return [f"{SINGULAR[k]}:{i}" for k, i in sorted(self.named)]

    def label(self) -> str:
        return ", ".join(f"{SINGULAR[k]} {i}" for k, i in sorted(self.named))


def unknown_in_scope(scope: Scope, snapshot: Snapshot, current: DesiredState) -> list[str]:
    """The named entities neither the snapshot nor the tree holds, as `member 1004`."""
    known = {
        "members": {e.id for e in snapshot.employees} | current.members.keys(),
        "teams": {t.id for t in snapshot.teams} | current.teams.keys(),
        "jobs": {j.id for j in snapshot.jobs} | current.jobs.keys(),
    }
    return [f"{SINGULAR[k]} {i}" for k, i in sorted(scope.named) if i not in known[k]]


def needed(scope: Scope, proposed: DesiredState, current: DesiredState) -> set[tuple[str, str]]:
    """The named entities and the teams (parents included) and jobs they refer to in the
    proposed tree that the current tree does not hold yet."""
    wanted = set(scope.named)
    for kind, entity_id in scope.named:
        entity = proposed.of(kind).get(entity_id)
        if entity is None:
            continue
        team = entity.team if kind == "members" else entity.parent if kind == "teams" else None
        if kind == "members" and entity.job and entity.job not in current.jobs:
            if entity.job in proposed.jobs:
                wanted.add(("jobs", entity.job))
        seen: set[str] = set()
        while team and team not in current.teams and team in proposed.teams and team not in seen:
            seen.add(team)
            wanted.add(("teams", team))
            team = proposed.teams[team].parent
    return wanted


def in_scope(changes: Iterable, scope: Scope, proposed: DesiredState, current: DesiredState):
    """The changes a scoped run proposes, in their order (a rehire counts for both its ids)."""
    wanted = needed(scope, proposed, current)
    out = []
    for change in changes:
        keys = {(change.kind, change.id)}
        if change.before is not None:
            keys.add((change.kind, change.before.id))
        if not keys & wanted:
            continue
        if change.action == "cleanup" and not scope.cleanups:
            continue
        out.append(change)
    return out


def scoped_warnings(warnings: Iterable[str], keys: set[tuple[str, str]]) -> list[str]:
    """The snapshot's warnings about the entities in scope (`member 1004: ...`), so an
    on-demand run does not repeat the whole night's."""
    prefixes = [f"{SINGULAR[k]} {i}:" for k, i in keys]
    # A person left out for another's e-mail is named as the HRIS's employee.
    prefixes += [f"employee {i} has the e-mail" for k, i in keys if k == "members"]
    return [w for w in warnings if w.startswith(tuple(prefixes))]


def overlay(changed: Snapshot, current: DesiredState) -> Snapshot:
    """An incremental snapshot laid over the tree: what the HRIS changed wins, everyone and
    everything else is as the tree holds it (a person missing is unchanged, not a leaver)."""
    employees = {e.id: e for e in changed.employees}
    for member in current.members.values():
        if member.id not in employees:
            employees[member.id] = Employee(
                member.id,
                member.email,
                member.first_name,
                member.last_name,
                member.active,
                member.team,
                member.job,
                member.manager,
                origin=f"state/members/{member.id}.yaml",
            )
    teams = {**current.teams, **{t.id: t for t in changed.teams}}
    jobs = {**current.jobs, **{j.id: j for j in changed.jobs}}
    return Snapshot(
        source=changed.source,
        fetched_at=changed.fetched_at,
        employees=tuple(employees[k] for k in sorted(employees)),
        teams=tuple(teams[k] for k in sorted(teams)),
        jobs=tuple(jobs[k] for k in sorted(jobs)),
        complete=changed.complete,
    )


def plan_in_scope(plan: Plan, scope: Scope, desired: DesiredState, platform: PlatformState) -> Plan:
    """The plan's changes for the named entities, and the creations they wait for (a member's
    team, job and manager, a team's parent, each with its own), in the plan's order, so apply
    never writes a reference to something the platform does not hold yet. An id neither side
    holds is refused when a person named it for the plan; an on-demand sync applying after its
    proposal passes `on_demand=False`, since a change waiting for review is in neither yet."""
    unknown = [
        f"{SINGULAR[k]} {i}"
        for k, i in sorted(scope.named)
        if i not in desired.of(k) and i not in platform.of(k)
    ]
    if unknown and scope.on_demand:
        raise UnknownInScope(
            f"--only: {', '.join(unknown)} is neither in state/ nor on the platform; "
            "check the id (`hrsync show` lists the platform)"
        )
    creates = {(c.kind, c.id) for c in plan.changes if c.action == "create"}
    wanted = set(scope.named)
    stack = list(scope.named)
    while stack:
        kind, entity_id = stack.pop()
        entity = desired.of(kind).get(entity_id)
        if entity is None:
            continue
        if kind == "members":
            refs = [("teams", entity.team), ("jobs", entity.job), ("members", entity.manager)]
        elif kind == "teams":
            refs = [("teams", entity.parent)]
        else:
            refs = []
        for ref in refs:
            if ref[1] is not None and ref in creates and ref not in wanted:
                wanted.add(ref)
                stack.append(ref)

    def kept(change) -> bool:
        before = change.before.id if change.before is not None else change.id
        return (change.kind, change.id) in wanted or (change.kind, before) in wanted

    return replace(
        plan,
        changes=tuple(c for c in plan.changes if kept(c)),
        conflicts=tuple(c for c in plan.conflicts if ("members", c.member_id) in wanted),
        duplicates=tuple(d for d in plan.duplicates if (d.kind, d.id) in wanted),
    )
