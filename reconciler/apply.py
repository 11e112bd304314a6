"""Plan → target calls. Safe to kill at any point: every call is an idempotent upsert or delete
keyed by HRIS id, so computing the plan again and applying it converges without duplicates."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from reconciler.core.interfaces import OnProgress, Step, Target
from reconciler.core.model import DesiredState
from reconciler.core.plan import Change, Plan, check_deletes, state_digest
from reconciler.core.platform import PlatformState
from reconciler.errors import StalePlanError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ApplyResult:
    applied: int
    summary: dict[str, int]


def check_fresh(plan: Plan, desired: DesiredState, platform: PlatformState) -> None:
    """Refuse a saved plan when state/ or the platform changed since it was made."""
    if plan.state_digest != state_digest(desired):
        raise StalePlanError(
            "the saved plan no longer matches state/ (it changed since the plan was made); "
            "run `hrsync plan` again"
        )
    if plan.platform_digest != platform.digest():
        raise StalePlanError(
            "the saved plan no longer matches the platform (it changed since the plan was "
            "made, or an apply was interrupted); run `hrsync plan` again"
        )


def apply_plan(
    plan: Plan,
    target: Target,
    *,
    max_deletes: int,
    on_progress: OnProgress | None = None,
) -> ApplyResult:
    """Carry the plan out; `on_progress` hears of each change done (n/N, the kind at hand)."""
    check_deletes(plan, max_deletes)
    total = len(plan.changes)
    report = on_progress or (lambda step: None)
    done = 0
    if total:
        report(Step("apply", 0, total, note=plan.changes[0].kind))

    def applied(change: Change) -> None:
        nonlocal done
        done += 1
        log.info("applied %s %s %s", change.action, change.kind, change.id)
        report(Step("apply", done, total, note=change.kind))

    target.apply(plan.changes, applied, on_progress)
    return ApplyResult(applied=done, summary=plan.summary)
