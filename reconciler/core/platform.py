"""What a platform holds, in the model's words: managed entities by HRIS id, hand-made
accounts, what it cannot hold, and ids it holds more than once."""

from __future__ import annotations

from dataclasses import dataclass, field

from reconciler.core.model import SINGULAR, Job, Member, Team, entities_digest


@dataclass(frozen=True)
class UnmanagedMember:
    """An account made by hand on the platform: hrsync leaves it alone until it is linked."""

    platform_id: str
    email: str
    first_name: str
    last_name: str
    active: bool = True


@dataclass(frozen=True)
class Duplicate:
    """One managed id held by several platform records (a create whose answer was lost and
    that was sent again, another tool): hrsync reads and writes `kept`; apply removes `extra`."""

    kind: str
    id: str
    kept: str
    extra: tuple[str, ...]

    def message(self) -> str:
        return (
            f"{SINGULAR[self.kind]} {self.id} is held {len(self.extra) + 1} times on the platform; "
            f"apply keeps {self.kept} and removes {', '.join(self.extra)}"
        )


@dataclass(frozen=True)
class PlatformState:
    """What the platform holds. Managed entities are keyed by their HRIS id."""

    teams: dict[str, Team] = field(default_factory=dict)
    jobs: dict[str, Job] = field(default_factory=dict)
    members: dict[str, Member] = field(default_factory=dict)
    unmanaged: tuple[UnmanagedMember, ...] = ()
    # What this platform cannot hold, said plainly in `hrsync show` (e.g. "job profiles").
    limits: tuple[str, ...] = ()
    duplicates: tuple[Duplicate, ...] = ()

    def of(self, kind: str) -> dict:
        return getattr(self, kind)

    def digest(self) -> str:
        groups = {kind: self.of(kind) for kind in ("teams", "jobs", "members")}
        groups["unmanaged"] = {u.platform_id: u for u in self.unmanaged}
        if self.duplicates:
            groups["duplicates"] = {f"{d.kind}/{d.id}": d for d in self.duplicates}
        return entities_digest(groups)
