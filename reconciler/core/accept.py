"""One kind's changes accepted onto a base state (pure): what one commit on main or one proposal
branch holds, and exactly which entities it changes.

A commit or pull request for one kind writes only that kind's files, so approving (or dropping)
one never decides for another:

- A member's reference to a team or job that is not in the base yet is held back: an existing
  member keeps the reference it has, a new one gets none, with a line saying what it waits for
  ("waits for team D6, pending in hrsync/teams"). The next run proposes it once the team is in.
  The one exception is a team or job whose own imports are `off`: with `create_missing_*`, a
  member brings it along (nobody else would ever propose it).
- A team or job still referred to by a member of the base is not removed yet: its removal waits
  for the members to move, and is proposed the night after.
- Coaches are derived from the base's members; a commit that changes a team writes its coaches
  as they are now. Coaches alone never make a change (see `coaches_refresh`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from reconciler.core.desired import _resolve_member_references, _resolve_team_parents, with_coaches
from reconciler.core.model import SINGULAR, DesiredState, Team
from reconciler.core.policies import Policy
from reconciler.core.propose import Proposal, ProposedChange, comparable


@dataclass(frozen=True)
class Accepted:
    """The base with one kind's chosen changes: `state`, and the entities that differ from the
    base (`changes`, each with its `before` from the base), plus what was held back and why."""

    kind: str
    state: DesiredState
    changes: tuple[ProposedChange, ...]
    held: tuple[str, ...] = ()
    brought: tuple[ProposedChange, ...] = ()  # teams/jobs a member brings (their import: off)

    def written(self) -> dict[str, dict]:
        """{kind: {id: entity or None}}: every file the commit writes (None = removed)."""
        out: dict[str, dict] = {}
        for change in (*self.changes, *self.brought):
            files = out.setdefault(change.kind, {})
            if change.before is not None and change.after is not None:
                if change.before.id != change.after.id:
                    files[change.before.id] = None  # a rehire moves the file to the new id
            files[change.id] = change.after
        return out


def accept_kind(
    base: DesiredState,
    proposal: Proposal,
    kind: str,
    chosen: Iterable[ProposedChange],
    policy: Policy,
    pending: dict[str, frozenset[str]] | None = None,
    branch_of=lambda kind: f"hrsync/{kind}",
) -> Accepted:
    """`chosen` (changes of `kind`) accepted onto `base`. `pending` holds, per kind, the ids
    another proposal would add: what a held-back reference waits for."""
    pending = pending or {}
    chosen = [c for c in chosen if c.kind == kind]
    notes = {c.id: c for c in chosen}
    held: list[str] = []
    entities = dict(base.of(kind))
    for change in chosen:
        if change.action == "cleanup":
            entities.pop(change.id, None)
            continue
        if change.before is not None and change.before.id != change.id:
            entities.pop(change.before.id, None)
        entities[change.id] = change.after

    teams, jobs, members = dict(base.teams), dict(base.jobs), dict(base.members)
    brought: list[ProposedChange] = []
    if kind == "members":
        teams, jobs, brought = _bring_missing(entities, base, proposal, policy)
        entities = _hold_references(entities, base, teams, jobs, pending, branch_of, held)
        warnings: list[str] = []
        members = _resolve_member_references(entities, teams, jobs, warnings)
        held += warnings
    else:
        entities = _keep_referred(kind, entities, base, held)
        if kind == "teams":
            warnings = []
            entities = _resolve_team_parents(entities, warnings)
            held += warnings
            teams = entities
        else:
            jobs = entities
    teams = _coaches_of_written(teams, base.teams, members)
    state = DesiredState(teams=teams, jobs=jobs, members=members)
    mode = chosen[0].mode if chosen else "automatic"
    changes = _effective(kind, base, state, notes, mode)
    return Accepted(kind, state, changes, tuple(held), tuple(brought))


def _bring_missing(members, base: DesiredState, proposal: Proposal, policy: Policy):
    """Teams and jobs a member refers to that no proposal of their own will ever bring (their
    import is `off`), taken from the full proposal when `create_missing_*` allows it."""
    teams, jobs = dict(base.teams), dict(base.jobs)
    brought: list[ProposedChange] = []
    wanted = proposal.proposed
    bring_teams = policy.create_missing_teams and policy.mode("teams", "import") == "off"
    bring_jobs = policy.create_missing_jobs and policy.mode("jobs", "import") == "off"
    for member in members.values():
        team_id = member.team
        while bring_teams and team_id and team_id not in teams and team_id in wanted.teams:
            teams[team_id] = replace(wanted.teams[team_id], coaches=())
            team_id = wanted.teams[team_id].parent
        if bring_jobs and member.job and member.job not in jobs and member.job in wanted.jobs:
            jobs[member.job] = wanted.jobs[member.job]
    for team_id in sorted(teams.keys() - base.teams.keys()):
        brought.append(ProposedChange("teams", "import", team_id, None, teams[team_id], "", ""))
    for job_id in sorted(jobs.keys() - base.jobs.keys()):
        brought.append(ProposedChange("jobs", "import", job_id, None, jobs[job_id], "", ""))
    if brought:
        teams = _resolve_team_parents(teams, [])
    return teams, jobs, brought


def _hold_references(members, base, teams, jobs, pending, branch_of, held: list[str]) -> dict:
    out = {}
    waiting: dict[tuple[str, str], list[tuple[str, str | None]]] = {}
    for member_id, member in members.items():
        changes = {}
        for key, known, other in (("team", teams, "teams"), ("job", jobs, "jobs")):
            ref = getattr(member, key)
            if ref is None or ref in known:
                continue
            previous = base.members.get(member_id)
            kept = getattr(previous, key) if previous is not None else None
            kept = kept if kept in known else None
            if ref in pending.get(other, frozenset()):
                waiting.setdefault((key, ref), []).append((member_id, kept))
            else:
                held.append(f"member {member_id}: {key} {ref!r} is not in the tree; set to none")
                kept = None
            changes[key] = kept
        out[member_id] = replace(member, **changes) if changes else member
    for (key, ref), who in sorted(waiting.items()):
        branch = branch_of(f"{key}s")
        if len(who) == 1:
            member_id, kept = who[0]
            until = f"keeps {key} {kept} until then" if kept else f"no {key} until then"
            held.append(f"member {member_id}: waits for {key} {ref}, pending in {branch}; {until}")
            continue
        ids = [member_id for member_id, _ in who]
        shown = ", ".join(ids[:6]) + (f" and {len(ids) - 6} more" if len(ids) > 6 else "")
        held.append(
            f"{len(who)} members wait for {key} {ref}, pending in {branch} ({shown}); until it "
            f"is on main they keep the {key} they have, if any"
        )
    return out


def _keep_referred(kind: str, entities: dict, base: DesiredState, held: list[str]) -> dict:
    """Teams/jobs the base's members still refer to stay until the members move."""
    key = "team" if kind == "teams" else "job"
    referred: dict[str, list[str]] = {}
    for member in base.members.values():
        ref = getattr(member, key)
        if ref is not None:
            referred.setdefault(ref, []).append(member.id)
    out = dict(entities)
    for entity_id, entity in base.of(kind).items():
        if entity_id not in out and entity_id in referred:
            who = sorted(referred[entity_id])
            shown = ", ".join(who[:5]) + (f" and {len(who) - 5} more" if len(who) > 5 else "")
            held.append(
                f"{SINGULAR[kind]} {entity_id}: its removal waits until no member refers to it "
                f"(member {shown})"
            )
            out[entity_id] = entity
    return out


def _coaches_of_written(teams: dict, stored: dict, members: dict) -> dict:
    """A team this commit writes carries its coaches as derived now; the others keep what their
    file says (a `derived` commit brings those up to date, see `coaches_refresh`)."""
    derived = with_coaches(teams, members)
    return {
        k: derived[k] if k not in stored or comparable(stored[k]) != comparable(t) else stored[k]
        for k, t in teams.items()
    }


def _effective(kind, base: DesiredState, state: DesiredState, notes, mode: str) -> tuple:
    """The entities of `kind` that differ from the base, as changes with the base's `before`."""
    have, want = base.of(kind), state.of(kind)
    moved = {
        c.before.id: c.id for c in notes.values() if c.before is not None and c.before.id != c.id
    }
    changes = []
    for key in sorted(want.keys() | have.keys()):
        before, after = have.get(key), want.get(key)
        if after is None and key in moved and moved[key] in want:
            continue  # shown as the rehire under the new id
        if before is None and after is not None:
            old = next((c.before for c in notes.values() if c.id == key and c.before), None)
            note = notes[key].note if key in notes else ""
            changes.append(ProposedChange(kind, "import", key, old, after, mode, note))
        elif after is None:
            changes.append(ProposedChange(kind, "cleanup", key, before, None, mode, ""))
        elif comparable(before) != comparable(after):
            original = notes.get(key)
            note = original.note if original is not None else ""
            if kind == "members" and before.active != after.active:
                note = "reactivation" if after.active else "deactivation"
            changes.append(ProposedChange(kind, "sync", key, before, after, mode, note))
    return tuple(changes)


def coaches_refresh(state: DesiredState) -> dict[str, Team]:
    """Teams whose stored coaches differ from the ones their members derive (after a members
    proposal merged): what a `derived` commit on main brings up to date."""
    derived = with_coaches(state.teams, state.members)
    return {k: t for k, t in derived.items() if state.teams[k].coaches != t.coaches}
