"""snapshot → the state the tree would have if every change were accepted (pure).

Rules a person can rely on (they are in the README too):
- Only employees whose e-mail domain is allowed become members; excluded ids stay as they are.
- New employees are imported only when active and started (or within `start_lead_days`).
- A member who is in the tree and inactive in the HRIS (status, or an end date in the past) is
  kept, deactivated. A rehire under the same id is a reactivation.
- A reference to a manager, team, job or parent team that is not in the proposed state becomes
  null, with a warning. A deactivated manager stays a valid reference.
- Manager cycles and teams that are their own ancestor are broken, with a warning.
- A team's coaches are derived: the managers of its active members (sorted, unique).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

from reconciler.core.employment import is_active
from reconciler.core.graph import find_cycle_members
from reconciler.core.model import DesiredState, Employee, Member, Snapshot, Team
from reconciler.core.policies import Policy


@dataclass(frozen=True)
class Derived:
    state: DesiredState
    warnings: tuple[str, ...]
    rehires: dict[str, str]  # new member id -> id of the existing member with the same e-mail
    waiting: tuple[str, ...] = ()  # future hires not imported yet


def derive(snapshot: Snapshot, current: DesiredState, policy: Policy, today: date) -> Derived:
    warnings: list[str] = []
    waiting: list[str] = []
    cutoff = today + timedelta(days=policy.start_lead_days)
    current_by_email = {m.email.lower(): m for m in current.members.values()}

    candidates: dict[str, list[tuple[Employee, bool]]] = {}
    members: dict[str, Member] = {}
    for employee in sorted(snapshot.employees, key=lambda e: e.id):
        existing = current.members.get(employee.id)
        if policy.is_excluded("members", employee.id):
            if existing:
                members[employee.id] = existing
            continue
        if not _domain_allowed(employee.email, policy.email_domains):
            continue
        active = is_active(employee, today)
        if existing is None:
            if not active:
                continue
            if employee.start_date and employee.start_date > cutoff:
                waiting.append(
                    f"member {employee.id} starts on {employee.start_date}: "
                    f"imported from {employee.start_date - (cutoff - today)}"
                )
                continue
        candidates.setdefault(employee.email.lower(), []).append((employee, active))
    for member_id, member in current.members.items():
        if member_id not in members and policy.is_excluded("members", member_id):
            members[member_id] = member

    rehires: dict[str, str] = {}
    for email, group in sorted(candidates.items()):
        employee, active = _one_per_email(group, current, warnings)
        previous = current_by_email.get(email)
        if (
            previous is not None
            and previous.id != employee.id
            and employee.id not in current.members
        ):
            rehires[employee.id] = previous.id
        members[employee.id] = Member(
            id=employee.id,
            email=employee.email,
            first_name=employee.first_name,
            last_name=employee.last_name,
            active=active,
            team=employee.team,
            job=employee.job,
            manager=employee.manager,
        )

    teams = _with_exclusions("teams", {t.id: t for t in snapshot.teams}, current.teams, policy)
    jobs = _with_exclusions("jobs", {j.id: j for j in snapshot.jobs}, current.jobs, policy)

    teams = _resolve_team_parents(teams, warnings)
    members = _resolve_member_references(members, teams, jobs, warnings)
    teams = with_coaches(teams, members)
    return Derived(
        DesiredState(teams=teams, jobs=jobs, members=members),
        tuple(warnings),
        rehires,
        tuple(waiting),
    )


def _one_per_email(group, current: DesiredState, warnings: list[str]) -> tuple[Employee, bool]:
    """One employee per e-mail: never a second account for one address.

    An active record wins over inactive ones (a rehire under a new id); among several active
    ones the one already in the tree (else the lowest id) wins and the others are reported.
    """
    if len(group) == 1:
        return group[0]
    active = [item for item in group if item[1]] or group
    active.sort(key=lambda item: (item[0].id not in current.members, item[0].id))
    chosen = active[0]
    for employee, _ in active[1:]:
        warnings.append(
            f"employee {employee.id} has the e-mail {employee.email} of employee "
            f"{chosen[0].id}; it is left out until the HRIS is corrected"
        )
    return chosen


def _with_exclusions(kind: str, from_hris: dict, current: dict, policy: Policy) -> dict:
    """An excluded entity stays exactly as the tree has it (or absent): the HRIS is ignored."""
    out = {k: v for k, v in from_hris.items() if not policy.is_excluded(kind, k)}
    out.update({k: v for k, v in current.items() if policy.is_excluded(kind, k)})
    return out


def _domain_allowed(email: str, domains: tuple[str, ...]) -> bool:
    return not domains or email.rsplit("@", 1)[-1].lower() in domains


def _resolve_team_parents(teams: dict[str, Team], warnings: list[str]) -> dict[str, Team]:
    out = dict(teams)
    for team_id, team in teams.items():
        if team.parent is not None and team.parent not in teams:
            warnings.append(f"team {team_id}: parent {team.parent!r} is unknown; set to none")
            out[team_id] = replace(team, parent=None)
    for team_id in find_cycle_members(out, "parent")[:1]:
        # Breaking one link per cycle is enough; recheck until no cycle is left.
        warnings.append(f"team {team_id}: its parent chain is a cycle; parent set to none")
        out[team_id] = replace(out[team_id], parent=None)
        return _resolve_team_parents(out, warnings)
    return out


def _resolve_member_references(members, teams, jobs, warnings) -> dict[str, Member]:
    out = {}
    for member_id, member in members.items():
        changes = {}
        if member.team is not None and member.team not in teams:
            warnings.append(
                f"member {member_id}: team {member.team!r} is not in the tree; set to none"
            )
            changes["team"] = None
        if member.job is not None and member.job not in jobs:
            warnings.append(
                f"member {member_id}: job {member.job!r} is not in the tree; set to none"
            )
            changes["job"] = None
        if member.manager is not None and (
            member.manager not in members or member.manager == member_id
        ):
            warnings.append(
                f"member {member_id}: manager {member.manager!r} is not a member; set to none"
            )
            changes["manager"] = None
        out[member_id] = replace(member, **changes) if changes else member
    while cycle := find_cycle_members(out, "manager"):
        warnings.append(
            f"member {cycle[0]}: manager chain is a cycle ({', '.join(cycle)}); manager set to none"
        )
        out[cycle[0]] = replace(out[cycle[0]], manager=None)
    return out


def with_coaches(teams: dict[str, Team], members: dict[str, Member]) -> dict[str, Team]:
    """Teams with their coaches derived from the members' manager links."""
    coaches: dict[str, set[str]] = {}
    for member in members.values():
        if member.active and member.team in teams and member.manager in members:
            coaches.setdefault(member.team, set()).add(member.manager)
    out = {}
    for team_id, team in teams.items():
        derived = tuple(sorted(coaches.get(team_id, ())))
        out[team_id] = team if team.coaches == derived else replace(team, coaches=derived)
    return out


def resolve(
    state: DesiredState, fallback: DesiredState, policy: Policy, warnings: list[str]
) -> DesiredState:
    """Make a partly accepted state consistent: no dangling reference, coaches re-derived.

    A member may bring a team or job it needs from `fallback` (the full proposal) when the
    policy's create_missing_* option allows it; otherwise the reference becomes null.
    """
    teams = dict(state.teams)
    jobs = dict(state.jobs)
    for member in state.members.values():
        if (
            member.team is not None
            and member.team not in teams
            and policy.create_missing_teams
            and member.team in fallback.teams
        ):
            team_id = member.team
            while team_id is not None and team_id not in teams and team_id in fallback.teams:
                teams[team_id] = fallback.teams[team_id]
                team_id = fallback.teams[team_id].parent
        if (
            member.job is not None
            and member.job not in jobs
            and policy.create_missing_jobs
            and member.job in fallback.jobs
        ):
            jobs[member.job] = fallback.jobs[member.job]
    teams = _resolve_team_parents(teams, warnings)
    members = _resolve_member_references(state.members, teams, jobs, warnings)
    return DesiredState(teams=with_coaches(teams, members), jobs=jobs, members=members)
