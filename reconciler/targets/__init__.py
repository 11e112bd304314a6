"""Platforms hrsync keeps in step: one module per platform behind the `Target` protocol.

A target knows its platform and nothing of HRIS vendors. It reads what the platform holds into
the model (`PlatformState`) and carries out plan changes. A target opened for planning is
read-only: a forgotten dry-run check cannot change the platform.

Plans compare the platform with the part of state/ it can hold (`holdable`), so a platform
that cannot keep a field or an entity does not show it as a change after every apply.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from reconciler.errors import ConfigError
from reconciler.model import DesiredState, Job, Member, Team, entities_digest

if TYPE_CHECKING:
    from reconciler.plan import Change

TARGET_MODULES = {
    "sqlite": "reconciler.targets.sqlite",
    "scim": "reconciler.targets.scim",
}


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
        noun = {"teams": "team", "jobs": "job", "members": "member"}[self.kind]
        return (
            f"{noun} {self.id} is held {len(self.extra) + 1} times on the platform; "
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


Applied = Callable[["Change"], None]
"""Called after each change is durably done on the platform (progress, resumability)."""


class Target(Protocol):
    name: str

    def read(self) -> PlatformState:
        """Everything the platform holds, managed or not."""
        ...

    def apply(self, changes: Sequence[Change], on_applied: Applied | None = None) -> None:
        """Carry out `changes` (already in dependency order). Each one is idempotent, so a run
        killed part-way converges when the same plan is computed and applied again."""
        ...

    def adopt(self, platform_id: str, member_id: str) -> None:
        """Mark a hand-made account as managed under the HRIS id `member_id`."""
        ...

    def close(self) -> None: ...

    # Optional, see `holdable` below:
    #   def holdable(self, desired: DesiredState) -> DesiredState
    # The part of `desired` this platform can hold (fields it cannot keep cleared, entities it
    # cannot keep dropped); what it leaves out it says in `PlatformState.limits`. A target
    # without it holds everything.


def holdable(target: Target, desired: DesiredState) -> DesiredState:
    """The part of `desired` that `target` can hold: what plans compare with the platform."""
    own = getattr(target, "holdable", None)
    return desired if own is None else own(desired)


def open_target(
    settings: Mapping,
    base_dir: Path,
    env: Mapping[str, str] | None = None,
    *,
    writable: bool = False,
) -> Target:
    """The target configured by the `target:` block of hrsync.yaml (read-only unless asked)."""
    kind = settings.get("type", "sqlite")
    module_name = TARGET_MODULES.get(kind)
    if module_name is None:
        known = ", ".join(sorted(TARGET_MODULES))
        raise ConfigError(f"target type {kind!r} is not known (known: {known})")
    module = importlib.import_module(module_name)
    return module.open_target(
        dict(settings), base_dir, os.environ if env is None else env, writable=writable
    )
