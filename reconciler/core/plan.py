"""state + platform → Plan (pure): what apply would change, like `terraform plan`.

Only managed entities are compared. Changes come in dependency order: teams (parents first), jobs,
members (managers first); deletions run the other way round, members first.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

from reconciler.core.model import (
    KINDS,
    DesiredState,
    Job,
    Member,
    Team,
    entities_digest,
    entity_data,
    entity_from_data,
    field_diff,
)
from reconciler.core.platform import Duplicate, PlatformState
from reconciler.errors import SafetyError

Entity = Member | Team | Job
CHANGE_ACTIONS = ("create", "update", "deactivate", "reactivate", "delete")
FORMAT_VERSION = 1


@dataclass(frozen=True)
class Change:
    kind: str
    id: str
    before: Entity | None
    after: Entity | None
    action: ClassVar[str] = ""

    def changed_fields(self) -> list[tuple[str, object, object]]:
        return field_diff(self.before, self.after)

    @property
    def data(self) -> dict:
        return {
            "kind": self.kind,
            "action": self.action,
            "id": self.id,
            "before": entity_data(self.before) if self.before else None,
            "after": entity_data(self.after) if self.after else None,
        }


class Create(Change):
    action = "create"


class Update(Change):
    action = "update"


class Deactivate(Change):
    action = "deactivate"


class Reactivate(Change):
    action = "reactivate"


class Delete(Change):
    action = "delete"


CHANGE_TYPES = {cls.action: cls for cls in (Create, Update, Deactivate, Reactivate, Delete)}


@dataclass(frozen=True)
class Conflict:
    """A member hrsync would create whose e-mail already belongs to a hand-made account."""

    member_id: str
    email: str

    def message(self) -> str:
        return (
            f"member {self.member_id} ({self.email}) is not created: a hand-made platform "
            f"account has this e-mail; adopt it with `hrsync link --email {self.email}`"
        )


@dataclass(frozen=True)
class Plan:
    changes: tuple[Change, ...]
    state_digest: str
    platform_digest: str
    managed_members: int
    conflicts: tuple[Conflict, ...] = ()
    # Entities the platform holds more than once; each has a change, so apply merges them.
    duplicates: tuple[Duplicate, ...] = ()

    @property
    def summary(self) -> dict[str, int]:
        counts = dict.fromkeys(CHANGE_ACTIONS, 0)
        for change in self.changes:
            counts[change.action] += 1
        return counts

    def summary_line(self) -> str:
        if not self.changes:
            return "No changes. The platform matches state/."
        counts = self.summary
        return "Plan: " + ", ".join(f"{counts[a]} to {a}" for a in CHANGE_ACTIONS) + "."

    @property
    def data(self) -> dict:
        return {
            "format_version": FORMAT_VERSION,
            "state_digest": self.state_digest,
            "platform_digest": self.platform_digest,
            "managed_members": self.managed_members,
            "changes": [c.data for c in self.changes],
            "conflicts": [{"id": c.member_id, "email": c.email} for c in self.conflicts],
            "summary": self.summary,
        }

    @classmethod
    def from_data(cls, data: dict) -> Plan:
        changes = []
        for c in data["changes"]:
            kind = c["kind"]
            before = entity_from_data(kind, c["before"]) if c["before"] else None
            after = entity_from_data(kind, c["after"]) if c["after"] else None
            changes.append(CHANGE_TYPES[c["action"]](kind, c["id"], before, after))
        return cls(
            changes=tuple(changes),
            state_digest=data["state_digest"],
            platform_digest=data["platform_digest"],
            managed_members=data["managed_members"],
            conflicts=tuple(Conflict(c["id"], c["email"]) for c in data.get("conflicts", [])),
        )

    def deletes(self) -> int:
        return sum(1 for c in self.changes if c.action == "delete")


def state_digest(desired: DesiredState) -> str:
    return entities_digest({kind: desired.of(kind) for kind in KINDS})


def compute_plan(desired: DesiredState, platform: PlatformState) -> Plan:
    taken_emails = {u.email.lower(): u for u in platform.unmanaged}
    duplicated = {(d.kind, d.id) for d in platform.duplicates}
    upserts: list[Change] = []
    deletes: list[Change] = []
    conflicts: list[Conflict] = []

    for kind in KINDS:
        want = desired.of(kind)
        have = platform.of(kind)
        for key in _dependency_order(kind, want):
            after = want[key]
            before = have.get(key)
            if before is None:
                if kind == "members" and after.email.lower() in taken_emails:
                    conflicts.append(Conflict(key, after.email))
                    continue
                upserts.append(Create(kind, key, None, after))
            elif before != after:
                upserts.append(_change_type(kind, before, after)(kind, key, before, after))
            elif (kind, key) in duplicated:
                upserts.append(Update(kind, key, before, after))  # apply removes the copies
        gone = [key for key in have if key not in want]
        for key in reversed(_dependency_order(kind, {k: have[k] for k in gone})):
            deletes.append(Delete(kind, key, have[key], None))

    upserts, deletes = _rekey_rehires(upserts, deletes)
    upserts = _free_emails_first(upserts, platform)
    # Deletes run members first, then jobs, then teams: the reverse of creation.
    ordered_deletes = [c for kind in reversed(KINDS) for c in deletes if c.kind == kind]
    return Plan(
        changes=tuple(upserts + ordered_deletes),
        state_digest=state_digest(desired),
        platform_digest=platform.digest(),
        managed_members=len(platform.members),
        conflicts=tuple(conflicts),
        duplicates=platform.duplicates,
    )


def _rekey_rehires(upserts: list[Change], deletes: list[Change]):
    """A managed account that left the tree while a new id with its e-mail arrived is the same
    person (a rehire under a new HRIS id): keep the account and move it to the new id, instead
    of deleting it and creating a second one."""
    leaving = {c.before.email.lower(): c for c in deletes if c.kind == "members"}
    if not leaving:
        return upserts, deletes
    kept = []
    for change in upserts:
        old = (
            leaving.pop(change.after.email.lower(), None)
            if (change.kind == "members" and change.action == "create")
            else None
        )
        if old is None:
            kept.append(change)
            continue
        cls = _change_type("members", old.before, change.after)
        kept.append(cls("members", change.id, old.before, change.after))
        deletes = [d for d in deletes if d is not old]
    return kept, deletes


def _free_emails_first(upserts: list[Change], platform: PlatformState) -> list[Change]:
    """A member whose e-mail moves to another member (ids swapped in the HRIS, a correction)
    changes first, so the platform never holds one e-mail twice mid-apply. Each change still
    follows the ones it waits for; the order is otherwise kept."""
    holder = {m.email.lower(): key for key, m in platform.members.items()}
    by_id = {c.id: c for c in upserts if c.kind == "members"}
    waits_for: dict[int, list[Change]] = {}
    for change in by_id.values():
        email = change.after.email.lower()
        owner = holder.get(email)
        if owner is not None and owner != change.id and owner in by_id:
            releasing = by_id[owner]
            if releasing.after.email.lower() != email:
                waits_for.setdefault(id(change), []).append(releasing)
    if not waits_for:
        return upserts
    ordered: list[Change] = []
    placed: set[int] = set()
    visiting: set[int] = set()

    def place(change: Change) -> None:
        if id(change) in placed or id(change) in visiting:
            return  # a swap (a cycle) keeps its order; the platform reports the clash
        visiting.add(id(change))
        for first in waits_for.get(id(change), ()):
            place(first)
        visiting.discard(id(change))
        placed.add(id(change))
        ordered.append(change)

    for change in upserts:
        place(change)
    return ordered


def _change_type(kind: str, before: Entity, after: Entity) -> type[Change]:
    if kind == "members" and before.active != after.active:
        return Reactivate if after.active else Deactivate
    return Update


def _dependency_order(kind: str, entities: dict[str, Entity]) -> list[str]:
    """Ids sorted so that a parent team or a manager comes before those that point at it."""
    if kind == "jobs":
        return sorted(entities)
    link = "parent" if kind == "teams" else "manager"
    depth: dict[str, int] = {}

    def depth_of(key: str) -> int:
        # Iterative walk: manager chains can be long and recursion would hit Python's limit.
        chain = []
        seen = set()
        while key in entities and key not in depth and key not in seen:
            seen.add(key)
            chain.append(key)
            key = getattr(entities[key], link)
        base = depth.get(key, -1) if key in depth else -1
        for offset, item in enumerate(reversed(chain), start=1):
            depth[item] = base + offset
        return depth[chain[0]] if chain else depth.get(key, 0)

    for key in entities:
        depth_of(key)
    return sorted(entities, key=lambda k: (depth[k], k))


def safety_problems(
    plan: Plan,
    max_deletes: int,
    max_deactivation_share: float = 1.0,
    deactivation_floor: int = 0,
) -> list[str]:
    """What would make apply refuse this plan, each with the numbers and the flag that allows
    it (octoDNS's `raise_if_unsafe`): deletions over `max_deletes`, and member deactivations
    over the share of managed members (with a floor, so a 5-person company is not stopped)."""
    problems = []
    count = plan.deletes()
    if count > max_deletes:
        members = sum(1 for c in plan.changes if c.action == "delete" and c.kind == "members")
        problems.append(
            f"apply would delete {count} entities ({members} members of "
            f"{plan.managed_members} managed) but --max-deletes is {max_deletes}; "
            f"raise --max-deletes to {count} if this is intended"
        )
    deactivations = sum(1 for c in plan.changes if c.action == "deactivate" and c.kind == "members")
    managed = plan.managed_members
    allowed = max(deactivation_floor, math.floor(max_deactivation_share * managed))
    if deactivations > allowed:
        share = deactivations / managed if managed else 1.0
        problems.append(
            f"apply would deactivate {deactivations} of {managed} managed members "
            f"({share:.0%} > {max_deactivation_share:.0%}); raise --max-deactivations to "
            f"{deactivations} if this is intended"
        )
    return problems


def raise_if_unsafe(plan: Plan, max_deletes: int, share: float = 1.0, floor: int = 0) -> None:
    problems = safety_problems(plan, max_deletes, share, floor)
    if problems:
        raise SafetyError("; ".join(problems))


def check_deletes(plan: Plan, max_deletes: int) -> None:
    """Refuse more deletions than allowed (the last line of defence inside apply itself)."""
    raise_if_unsafe(plan, max_deletes)
