"""Checks across files: unique e-mails, references that resolve, no cycles."""

from __future__ import annotations

from collections.abc import Callable

from reconciler.core.graph import cycle_path, find_cycle_members
from reconciler.core.model import SINGULAR, DesiredState
from reconciler.errors import Problem

Locate = Callable[[str, str], tuple]
"""(kind, id) -> (label, Lines) of the file that holds the entity."""


def reference_problems(desired: DesiredState, locate: Locate) -> list[Problem]:
    problems: list[Problem] = []

    def report(kind: str, entity_id: str, key: str, message: str) -> None:
        label, lines = locate(kind, entity_id)
        problems.append(
            Problem(label, lines.of((key,)), message, subject=f'{SINGULAR[kind]} "{entity_id}"')
        )

    emails: dict[str, str] = {}
    for member_id, member in sorted(desired.members.items()):
        key = member.email.lower()
        if key in emails:
            report(
                "members",
                member_id,
                "email",
                f"email: {member.email!r} is also the e-mail of member {emails[key]!r}",
            )
        else:
            emails[key] = member_id
        if member.team is not None and member.team not in desired.teams:
            report("members", member_id, "team", f"team: unknown team {member.team!r}")
        if member.job is not None and member.job not in desired.jobs:
            report("members", member_id, "job", f"job: unknown job {member.job!r}")
        if member.manager is not None:
            if member.manager == member_id:
                report("members", member_id, "manager", "manager: a member cannot manage themself")
            elif member.manager not in desired.members:
                report(
                    "members", member_id, "manager", f"manager: unknown member {member.manager!r}"
                )

    for team_id, team in sorted(desired.teams.items()):
        if team.parent is not None and team.parent not in desired.teams:
            report("teams", team_id, "parent", f"parent: unknown team {team.parent!r}")
        # A team's coaches are not checked against the members: they are derived from the
        # members' managers wherever they count (the plan, `operations.planned_state`), and a
        # merged members proposal that removes a coach must not make main invalid until the
        # next sync writes the teams' coaches anew.

    for member_id in find_cycle_members(desired.members, "manager"):
        report(
            "members",
            member_id,
            "manager",
            "manager: manager chain is a cycle ("
            + " → ".join(cycle_path(desired.members, member_id, "manager"))
            + ")",
        )
    for team_id in find_cycle_members(desired.teams, "parent"):
        report(
            "teams",
            team_id,
            "parent",
            "parent: team is its own ancestor ("
            + " → ".join(cycle_path(desired.teams, team_id, "parent"))
            + ")",
        )
    return problems
