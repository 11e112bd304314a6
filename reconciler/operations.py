"""What each command does, on a repository root: load, call the pure core, write.

The CLI and the GitOps pipeline both call these; nothing here prints.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path

from reconciler.apply import ApplyResult, apply_plan, check_fresh
from reconciler.bulk import gc_paused
from reconciler.clock import today
from reconciler.config import Config, load_config
from reconciler.core.desired import with_coaches
from reconciler.core.ids import shown
from reconciler.core.interfaces import OnProgress
from reconciler.core.model import KINDS, DesiredState, Snapshot
from reconciler.core.plan import Plan, compute_plan, raise_if_unsafe
from reconciler.core.platform import PlatformState
from reconciler.core.policies import Policy
from reconciler.core.propose import Proposal, ProposedChange, accept, propose
from reconciler.core.scope import Scope, plan_in_scope
from reconciler.core.snapshot_check import check_snapshot
from reconciler.errors import ConfigError, HrsyncError, InvalidInput, Problem, TargetError
from reconciler.lock import repository_lock
from reconciler.render.names import Names
from reconciler.sources import CHANGE_FILTERED, open_source
from reconciler.state.policy_files import load_policy
from reconciler.state.tree import read_state, remove_entities, write_entities
from reconciler.targets import open_target


def auto_approved(plan: Plan) -> bool:
    """The confirmation of a caller that has decided to write (a nightly run, --auto-approve)."""
    return True


class NotOnMain(HrsyncError):
    """apply was asked to apply something that is not committed on main."""


@dataclass(frozen=True)
class Repo:
    """A state repository, loaded and checked."""

    root: Path
    config: Config
    policy: Policy

    @classmethod
    def open(cls, root: Path) -> Repo:
        config = load_config(root)
        return cls(root, config, load_policy(root))

    def state(self) -> DesiredState:
        return read_state(self.root)


def fetch_snapshot(repo: Repo, progress: OnProgress | None = None) -> Snapshot:
    source = open_source(repo.config.source, repo.root)
    try:
        return check_snapshot(source.fetch(progress))
    finally:
        source.close()


def fetch_changes(repo: Repo, since: datetime | None, progress: OnProgress | None = None):
    """(snapshot, filtered): what the HRIS changed since `since` where its API offers a change
    filter (sources.CHANGE_FILTERED), else everything (filtered False). Either way the caller
    lays it over the tree (core/scope.overlay) and proposes no cleanup from it."""
    if since is None or repo.config.source.get("type") not in CHANGE_FILTERED:
        return fetch_snapshot(repo, progress), False
    source = open_source(repo.config.source, repo.root)
    try:
        return check_snapshot(source.fetch_changed(since, progress)), True
    finally:
        source.close()


def load_snapshot(path: Path) -> Snapshot:
    try:
        snapshot = Snapshot.from_data(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        raise ConfigError(f"snapshot file {path} not found") from None
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        message = f"not an hrsync snapshot: {shown(str(exc), 120)}"
        raise InvalidInput([Problem(str(path), None, message)]) from None
    return check_snapshot(snapshot)


def make_proposal(repo: Repo, snapshot: Snapshot, on: date | None = None) -> Proposal:
    with gc_paused():
        return propose(snapshot, repo.state(), repo.policy, on or today())


def write_proposal(
    repo: Repo, proposal: Proposal, chosen: Callable[[ProposedChange], bool]
) -> tuple[list[Path], list[str]]:
    """Write the chosen changes into state/; the files written or removed, and warnings."""
    new_state, warnings = accept(proposal, repo.policy, chosen)
    touched: list[Path] = []
    for kind in KINDS:
        old, new = proposal.current.of(kind), new_state.of(kind)
        touched += write_entities(repo.root, kind, (e for k, e in new.items() if old.get(k) != e))
        touched += remove_entities(repo.root, kind, [k for k in old if k not in new])
    return touched, warnings


def read_platform(repo: Repo) -> PlatformState:
    target = open_target(repo.config.target, repo.root)
    try:
        return target.read()
    finally:
        target.close()


def main_branch(repo: Repo) -> str:
    return repo.config.git.get("main_branch", "main")


def main_differences(repo: Repo) -> list[str]:
    """How this checkout's state/ and policies/ differ from main (empty: they don't)."""
    from reconciler.gitops.committed import differences_from_main

    return differences_from_main(repo.root, main_branch(repo))


def planned_state(state: DesiredState) -> DesiredState:
    """What the platform should hold: coaches derived from the members as they are now, so a
    merged members proposal reaches the platform whole, before the files' coaches follow."""
    return replace(state, teams=with_coaches(state.teams, state.members))


def make_plan(repo: Repo, desired: DesiredState | None = None, scope: Scope | None = None) -> Plan:
    """The plan against the part of state/ the platform can hold (see `Target.holdable`).
    Takes the repository's lock: a sync writing main meanwhile is waited for, not read half.
    `desired`: the state already read (a night passes what it committed; nothing is re-read).
    `scope`: only the named entities and the creations they wait for (`--only`)."""
    return plan_with_names(repo, desired, scope)[0]


def plan_with_names(
    repo: Repo, desired: DesiredState | None = None, scope: Scope | None = None
) -> tuple[Plan, Names]:
    """The plan, and who its ids are: names from state/, then from the platform."""
    with repository_lock(repo.root), gc_paused():
        desired = planned_state(repo.state() if desired is None else desired)
        target = open_target(repo.config.target, repo.root)
        try:
            platform = target.read()
            holdable = target.holdable(desired)
            plan = _scoped(compute_plan(holdable, platform), scope, holdable, platform)
        finally:
            target.close()
    return plan, Names((desired, platform))


def _scoped(plan: Plan, scope: Scope | None, desired: DesiredState, platform) -> Plan:
    return plan if scope is None else plan_in_scope(plan, scope, desired, platform)


def run_apply(
    repo: Repo,
    *,
    saved: Plan | None = None,
    max_deletes: int | None = None,
    max_deactivations: int | None = None,
    confirm: Callable[[Plan], bool] | None = None,
    desired: DesiredState | None = None,
    on_progress: OnProgress | None = None,
    scope: Scope | None = None,
) -> tuple[Plan, ApplyResult | None]:
    """Plan (or check the saved plan), check its safety, confirm, apply. (plan, None) when
    nothing was applied. Dry by default: without `confirm` nothing is written (the CLI and the
    nightly run decide to write, by passing one). The safety check runs before anyone is asked.

    Only what is committed on main is applied: a checkout that differs is refused, whatever
    its state/ holds (a proposal branch, a half-finished run, an uncommitted edit).
    `scope`: only the named entities and what they wait for (`--only`), safety checked alike."""
    with repository_lock(repo.root):
        return _run_apply(
            repo, saved, max_deletes, max_deactivations, confirm, on_progress, desired, scope
        )


def safety_limits(repo: Repo, max_deletes: int | None, max_deactivations: int | None):
    """(max_deletes, share, floor) for the plan's safety check: the command line, then the
    repository's policy. An explicit --max-deactivations N lets exactly N through."""
    policy = repo.policy
    deletes = policy.max_deletes if max_deletes is None else max_deletes
    if max_deactivations is not None:
        return deletes, 0.0, max_deactivations
    return deletes, policy.max_removal_share, policy.min_removal_floor


def _run_apply(repo, saved, max_deletes, max_deactivations, confirm, on_progress, desired, scope):
    differences = main_differences(repo)
    if differences:
        from reconciler.gitops.committed import refusal

        raise NotOnMain(refusal(differences, main_branch(repo)))
    # Read (and so validated) before the target is opened: invalid state/ touches nothing.
    wanted = planned_state(repo.state() if desired is None else desired)
    target = open_target(repo.config.target, repo.root, writable=confirm is not None)
    try:
        platform = target.read()
        # The same view as `make_plan`, so a saved plan's state digest is checked like for like.
        desired = target.holdable(wanted)
        if saved is not None:
            check_fresh(saved, desired, platform)
            plan = saved
        else:
            plan = compute_plan(desired, platform)
        plan = _scoped(plan, scope, desired, platform)
        limit, share, floor = safety_limits(repo, max_deletes, max_deactivations)
        raise_if_unsafe(plan, limit, share, floor)  # before anyone is asked to confirm
        if not plan.changes or confirm is None or not confirm(plan):
            return plan, None
        return plan, apply_plan(plan, target, max_deletes=limit, on_progress=on_progress)
    finally:
        target.close()


def link_members(repo: Repo, emails: list[str] | None) -> list[tuple[str, str]]:
    """Adopt hand-made accounts whose e-mail is a member's in state/; (email, member id) pairs.

    `emails=None` links every hand-made account that matches.
    """
    desired = repo.state()
    by_email = {m.email.lower(): m.id for m in desired.members.values()}
    target = open_target(repo.config.target, repo.root, writable=True)
    try:
        platform = target.read()
        hand_made = {u.email.lower(): u for u in platform.unmanaged}
        wanted = [e.lower() for e in emails] if emails is not None else sorted(hand_made)
        problems = []
        for email in wanted:
            if email not in hand_made:
                problems.append(f"{email}: no hand-made account with this e-mail on the platform")
            elif email not in by_email:
                problems.append(
                    f"{email}: no member in state/ has this e-mail; hrsync adopts "
                    "only people the HRIS knows"
                )
        if emails is not None and problems:
            raise TargetError("; ".join(problems))
        linked = []
        for email in wanted:
            if email in hand_made and email in by_email:
                target.adopt(hand_made[email].platform_id, by_email[email])
                linked.append((hand_made[email].email, by_email[email]))
        return linked
    finally:
        target.close()
