"""`hrsync sync`: the nightly run, fetch → propose → commit → pull requests → apply.

1. Automatic changes are committed on main, one commit per kind, and pushed. A push rejected
   because main moved is retried from the new main (everything re-rendered), a few times.
2. Manual changes go on `hrsync/<kind>`, rebuilt from main each run and force-pushed (with a
   lease), one pull request per kind opened, updated or closed when nothing is left. A run that
   finds nothing new commits nothing, pushes nothing and leaves the pull request alone. A run
   that proposes nothing at all (empty, incomplete or refused fetch) leaves every proposal as
   it is.
3. The platform is planned against main and what is left is applied, every run, whether main
   moved or not: a night after a failed apply makes it good.

Every commit is built with git plumbing (plumbing.py): the checkout shows main at every moment,
so a kill leaves nothing for the next run, or an `apply`, to trip over. Each commit and each
proposal branch holds one kind's files only (core/accept.py says what is held back and why).

Before anything is written the HRIS is fetched and the forge is asked for its open pull requests,
so a failed fetch or an unreachable forge leaves main and the branches as they were; a forge
error after a branch push puts that branch back where it was.

A scoped run does the same for fewer entities (core/scope.py): `only` (on demand, a whole fetch
cut down to the named ids) or `incremental` (what the HRIS changed since the last recorded run,
laid over the tree). Neither proposes a cleanup the night would not; each carries over what a
pending proposal holds for other entities (carried.py), and the commits say which run it was
(`Hrsync-Run:`). An incremental run records its fetch start on main last (last_run.py).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from reconciler import operations as ops
from reconciler.clock import now, today
from reconciler.config import load_config
from reconciler.core.accept import Accepted, accept_kind, coaches_refresh
from reconciler.core.guard import apply_guard, is_removal
from reconciler.core.interfaces import OnProgress
from reconciler.core.model import KINDS, DesiredState, Snapshot
from reconciler.core.plan import Plan
from reconciler.core.policies import Policy
from reconciler.core.propose import Proposal, propose
from reconciler.core.scope import Scope, needed, overlay
from reconciler.errors import HrsyncError
from reconciler.gitops.body import pull_request_body, pull_request_title
from reconciler.gitops.carried import carried_changes
from reconciler.gitops.checkout import Checkout, PushRejected, sync_lock
from reconciler.gitops.commits import (
    GitSettings,
    message_with,
    proposal_trailers,
    proposed_digests,
)
from reconciler.gitops.dropped import (
    DROPPED_FILE,
    Drop,
    DropLedger,
    find_drops,
    last_proposal_commit,
    ledger_message,
)
from reconciler.gitops.forge import Forge, ForgeError, PullRequest, open_forge
from reconciler.gitops.guard import (
    GUARD_FILE,
    GuardState,
    load_guard,
    trip_message,
    window_counts,
)
from reconciler.gitops.history import refresh_commit_graph
from reconciler.gitops.last_run import fetch_since, marker_commit, recorded
from reconciler.gitops.plumbing import CommitSpec, build_commits
from reconciler.render.names import Names
from reconciler.state.entities import render_entity
from reconciler.state.tree import STATE_DIR

if TYPE_CHECKING:  # the PDF library loads only on nights that file reviews
    from reconciler.reviews.export import ExportResult

log = logging.getLogger(__name__)
MAX_PUSH_ATTEMPTS = 3


@dataclass
class KindOutcome:
    kind: str
    outcome: str  # opened | updated | unchanged | closed | nothing | skipped | kept
    changes: int = 0
    pull_request: PullRequest | None = None


@dataclass
class SyncReport:
    snapshot_digest: str = ""
    nothing_reason: str | None = None
    warnings: list[str] = field(default_factory=list)
    drops: list[Drop] = field(default_factory=list)
    main_commits: list[str] = field(default_factory=list)  # subjects of commits pushed to main
    kinds: list[KindOutcome] = field(default_factory=list)
    plan: Plan | None = None
    names: Names | None = None  # who the plan's ids are, from main's state/
    applied: int = 0
    reviews: ExportResult | None = None  # when `reviews: automatic` filed review reports
    mass_removal: bool = False
    apply_error: str | None = None  # apply failed: what stopped it (the plan shows what is left)
    scope: Scope | None = None  # an on-demand or incremental run: what it was limited to
    incremental: str | None = None  # an incremental run: the subject of its recording commit


def settings_of(repo: ops.Repo) -> GitSettings:
    return GitSettings.from_config(repo.config.git)


def run_sync(
    root: Path,
    kinds: tuple[str, ...] = KINDS,
    *,
    forge: Forge | None = None,
    apply: bool = False,
    max_deletes: int | None = None,
    progress: OnProgress | None = None,
    only: Scope | None = None,
    incremental: bool = False,
) -> SyncReport:
    """One night (or, with `only` / `incremental`, one scoped run, see the module doc). The
    configuration is read twice (before the fetch for the git settings, then as main has it),
    main's state once, the snapshot fetched and checked once, the proposal computed once; what
    was committed is what is applied, without reading it back."""
    if only is not None and incremental:
        raise HrsyncError("--only and --incremental do not go together: choose one")
    settings = GitSettings.from_config(load_config(root).git)
    checkout = Checkout(root, settings)
    kinds = tuple(k for k in KINDS if k in kinds)
    with sync_lock(root):
        checkout.recover()
        checkout.fetch()
        start = checkout.checkout_main()
        repo = ops.Repo.open(root)
        run = _Run(only=only)
        if incremental:
            source_type = str(repo.config.source.get("type"))
            since = fetch_since(recorded(checkout, "HEAD", source_type))
            run.started = now()  # before the fetch: a change saved during it is asked again
            snapshot, filtered = ops.fetch_changes(repo, since, progress)
            run.incremental = (source_type, since if filtered else None, len(snapshot.employees))
            run.only = Scope.of_snapshot(snapshot)
        else:
            snapshot = ops.fetch_snapshot(repo, progress)
        forge = forge or open_forge(repo.config, settings.main)
        try:
            existing = {kind: forge.find(settings.branch(kind)) for kind in kinds}
            report = SyncReport(snapshot_digest=snapshot.digest(), scope=run.only)
            for attempt in range(1, MAX_PUSH_ATTEMPTS + 1):
                night = decide_night(checkout, repo, snapshot, kinds, run)
                shas = build_commits(checkout.git_dir, start, night.main_commits)
                if not shas:
                    break
                try:
                    checkout.push_main(shas[-1])
                except PushRejected:
                    if attempt == MAX_PUSH_ATTEMPTS:
                        raise
                    log.info("main moved on the remote; re-rendering on the new main")
                    checkout.fetch()
                    start = checkout.checkout_main()
                    repo = ops.Repo.open(root)
                    continue
                checkout.advance_main(shas[-1])
                break
            report.drops = night.drops
            report.main_commits = [spec.message.splitlines()[0] for spec in night.main_commits]
            report.warnings = list(night.proposal.warnings)
            report.nothing_reason = night.proposal.nothing_reason
            report.mass_removal = night.proposal.mass_removal
            report.snapshot_digest = night.proposal.snapshot_digest
            main_sha = checkout.head()
            touched = {kind for kind, _ in night.scoped} if night.scoped is not None else None
            for kind in kinds:
                if night.proposal.nothing_reason or (touched is not None and kind not in touched):
                    # Nothing was proposed (for this kind): a pending proposal is what it was.
                    report.kinds.append(KindOutcome(kind, "kept"))
                    continue
                report.kinds.append(
                    _update_proposal(checkout, forge, night, kind, existing[kind], main_sha, report)
                )
            desired = night.state_after
            if run.incremental is not None and kinds == KINDS and not report.nothing_reason:
                report.incremental, moved = _record_run(checkout, run)
                report.main_commits.append(report.incremental)
                if moved:  # someone else's commit came in: apply what main holds now
                    repo, desired = ops.Repo.open(root), None
        finally:
            forge.close_session()
        keep_commit_graph(checkout)
        if apply:
            # An on-demand run applies its entities (one waiting for review is in neither state/
            # nor the platform: not an error here); an incremental one applies all of main.
            scope = replace(only, on_demand=False) if only is not None else None
            _apply_main(repo, desired, report, max_deletes, progress, scope)
        if apply and "members" in kinds and repo.policy.reviews == "automatic" and only is None:
            from reconciler.gitops.report_filing import file_reviews

            report.reviews, subject = file_reviews(
                root, checkout, settings, repo.config.reviews.get("ledger")
            )
            if subject:
                report.main_commits.append(subject)
    return report


@dataclass
class _Run:
    """What limits this run: `only` (the scope, named or fetched) and, for an incremental run,
    (source type, the time asked from or None for everything, records fetched) and its start."""

    only: Scope | None = None
    incremental: tuple[str, datetime | None, int] | None = None
    started: datetime | None = None

    def trailers(self) -> list[tuple[str, str]]:
        if self.incremental is not None:
            return [("Hrsync-Run", "incremental")]
        if self.only is not None:
            return [("Hrsync-Run", "on-demand " + " ".join(self.only.words()))]
        return []


def _record_run(checkout: Checkout, run: _Run) -> tuple[str, bool]:
    """Commit the fetch start on main, last (see last_run.py); (its subject, whether main had
    moved on the remote in the meantime)."""
    source_type, since, count = run.incremental
    spec = marker_commit(run.started, source_type, since, count, checkout.settings.bot)
    moved = False
    for attempt in range(1, MAX_PUSH_ATTEMPTS + 1):
        (sha,) = build_commits(checkout.git_dir, checkout.head(), [spec])
        try:
            checkout.push_main(sha)
        except PushRejected:
            if attempt == MAX_PUSH_ATTEMPTS:
                raise
            checkout.fetch()
            checkout.checkout_main()
            moved = True
            continue
        checkout.advance_main(sha)
        break
    return spec.message.splitlines()[0], moved


def keep_commit_graph(checkout: Checkout) -> None:
    """Add tonight's commits to git's commit graph (with changed paths) where one exists, so
    `hrsync history` stays fast on years of nights. A fresh CI clone has none and builds none:
    that full build would be thrown away with the runner (`history --build-graph` makes one)."""
    objects = checkout.git_dir / "objects" / "info"
    if (objects / "commit-graph").exists() or (objects / "commit-graphs").exists():
        refresh_commit_graph(checkout.root)


def _apply_main(
    repo: ops.Repo,
    desired: DesiredState | None,
    report: SyncReport,
    max_deletes,
    progress: OnProgress | None = None,
    scope: Scope | None = None,
) -> None:
    """Plan against main (what this run committed, `desired`; None: read main) and apply what
    is left (of `scope`, for an on-demand run); a failure is reported, with what is pending."""
    report.names = Names((desired if desired is not None else repo.state(),))
    try:
        report.plan, result = ops.run_apply(
            repo,
            max_deletes=max_deletes,
            confirm=ops.auto_approved,
            desired=desired,
            on_progress=progress,
            scope=scope,
        )
        report.applied = result.applied if result else 0
    except HrsyncError as exc:
        report.apply_error = str(exc)
        try:
            report.plan = ops.make_plan(repo, desired, scope)
        except HrsyncError:
            report.plan = None


@dataclass
class Night:
    """What one run decided, from main's state and the snapshot, computed once."""

    proposal: Proposal  # reviewers' drops left out, the removal guard applied
    state_after: DesiredState  # main once the automatic commits are in
    main_commits: list[CommitSpec] = field(default_factory=list)
    drops: list[Drop] = field(default_factory=list)
    pending: dict[str, frozenset[str]] = field(default_factory=dict)
    policy: Policy | None = None
    guard: GuardState | None = None
    scoped: frozenset[tuple[str, str]] | None = None  # a scoped run: the entities it may touch
    run_trailers: list[tuple[str, str]] = field(default_factory=list)


def decide_night(
    checkout: Checkout,
    repo: ops.Repo,
    snapshot: Snapshot,
    kinds: tuple[str, ...],
    run: _Run | None = None,
) -> Night:
    """The ledger commit (what reviewers dropped), one automatic commit per kind, and the
    coaches brought up to date: everything main gets tonight, as commits not yet written."""
    run = run or _Run()
    bot = checkout.settings.bot
    state = repo.state()
    if run.incremental is not None:
        snapshot = overlay(snapshot, state)  # who is not in the fetch is as the tree has them
    raw = propose(snapshot, state, repo.policy, today(), run.only)
    scoped = None
    if run.only is not None:
        scoped = frozenset(needed(run.only, raw.proposed, state))
    ledger = DropLedger.load(repo.root)
    specs: list[CommitSpec] = []
    added = [d for kind in kinds for d in find_drops(checkout, kind) if ledger.add(d)]
    pruned = ledger.prune(raw, kinds, within=scoped)
    settled = {(d.kind, d.id) for d in added} & set(pruned)
    added = [d for d in added if (d.kind, d.id) not in settled]
    pruned = [p for p in pruned if p not in settled]
    if added or pruned:
        specs.append(CommitSpec({DROPPED_FILE: ledger.text()}, ledger_message(added, pruned), bot))
    proposal = ledger.without_dropped(raw)
    guard = load_guard(checkout, "HEAD")
    window = window_counts(checkout, "HEAD", repo.policy.window_days, today())
    decision = apply_guard(proposal, repo.policy, window, frozenset(guard.paused))
    proposal = decision.proposal
    for kind, (total, managed) in sorted(decision.tripped.items()):
        entry = {
            "since": today().isoformat(),
            "removals": total,
            "managed": managed,
            "window_days": repo.policy.window_days,
        }
        guard = guard.with_pause(kind, entry)
        warning = next(w for w in proposal.warnings if f"`hrsync guard release {kind}`" in w)
        specs.append(
            CommitSpec({GUARD_FILE: guard.text()}, trip_message(kind, entry, warning), bot)
        )
    pending = {
        k: frozenset(c.id for c in proposal.select(k, "manual") if c.action == "import")
        for k in KINDS
    }
    base = state
    for kind in kinds:
        automatic = proposal.select(kind, "automatic")
        if not automatic:
            continue
        accepted = accept_kind(
            base, proposal, kind, automatic, repo.policy, pending, checkout.settings.branch
        )
        if not accepted.changes and not accepted.brought:
            continue
        changes = [*accepted.changes, *accepted.brought]
        trailers = proposal_trailers(kind, "automatic", proposal.snapshot_digest, changes)
        message = message_with(changes, trailers + run.trailers(), notes=accepted.held)
        specs.append(CommitSpec(files_of(accepted), message, bot))
        base = accepted.state
    if "teams" in kinds or "members" in kinds:
        refreshed = coaches_refresh(base)
        if refreshed:
            specs.append(CommitSpec(_team_files(refreshed), coaches_message(refreshed, base), bot))
            base = replace(base, teams={**base.teams, **refreshed})
    return Night(proposal, base, specs, added, pending, repo.policy, guard, scoped, run.trailers())


def files_of(accepted: Accepted) -> dict[str, str | None]:
    files: dict[str, str | None] = {}
    for kind, entities in accepted.written().items():
        for entity_id, entity in entities.items():
            path = f"{STATE_DIR}/{kind}/{entity_id}.yaml"
            files[path] = None if entity is None else render_entity(kind, entity)
    return files


def _team_files(teams: dict) -> dict[str, str | None]:
    return {f"{STATE_DIR}/teams/{k}.yaml": render_entity("teams", t) for k, t in teams.items()}


def coaches_message(refreshed: dict, state: DesiredState) -> str:
    lines = [f"teams: coaches follow the members ({len(refreshed)} team(s))", ""]
    for team_id, team in sorted(refreshed.items()):
        before = state.teams[team_id].coaches
        lines.append(
            f"- team {team_id}: coaches {', '.join(before) or 'none'} → "
            f"{', '.join(team.coaches) or 'none'}"
        )
    lines += ["", "Hrsync-Kind: teams", "Hrsync-Mode: derived"]
    return "\n".join(lines) + "\n"


def _update_proposal(
    checkout: Checkout,
    forge: Forge,
    night: Night,
    kind: str,
    existing: PullRequest | None,
    main_sha: str,
    report: SyncReport,
) -> KindOutcome:
    settings = checkout.settings
    branch = settings.branch(kind)
    proposal = night.proposal
    old_tip = checkout.rev(checkout.remote_ref(branch))
    chosen = proposal.select(kind, "manual")
    if night.scoped is not None:
        # A scoped run replaces its own entities on the branch and keeps the others.
        chosen += carried_changes(checkout, kind, old_tip, night.state_after, set(night.scoped))
    accepted = accept_kind(
        night.state_after, proposal, kind, chosen, night.policy, night.pending, settings.branch
    )
    changes = [*accepted.changes, *accepted.brought]
    report.warnings += [w for w in accepted.held if w not in report.warnings]
    if not changes:
        if old_tip is not None:
            checkout.delete_branch(branch, old_tip)
        if existing is not None:
            forge.close(existing, f"Nothing left to review: main matches the HRIS for {kind}.")
        return KindOutcome(kind, "closed" if old_tip or existing else "nothing")

    # What the pull request shows is what its commit holds (main before, the branch after, the
    # warnings as the message writes them), so `review show --format markdown` rebuilds it
    # from git alone (gitops/proposal_view.py).
    view = replace(
        proposal,
        changes=tuple(replace(c, mode="manual") for c in changes),
        warnings=tuple(" ".join(str(w).split()) for w in (*proposal.warnings, *accepted.held)),
        current=night.state_after,
        proposed=accepted.state,
        source=" ".join(proposal.source.split()),
    )
    from_hris = {(c.kind, c.id): c.after for c in proposal.select(kind)}
    trailers = proposal_trailers(kind, "manual", proposal.snapshot_digest, changes, from_hris)
    trailers.insert(3, ("Hrsync-Source", view.source))
    message = message_with(changes, trailers + night.run_trailers, notes=view.warnings)
    files = files_of(accepted)
    guard = night.guard
    if guard is not None and kind in guard.paused and any(is_removal(c) for c in changes):
        # Merging the held removals is the person's acknowledgement: it releases the pause.
        files[GUARD_FILE] = guard.without(kind).text() if len(guard.paused) > 1 else None
    (sha,) = build_commits(checkout.git_dir, main_sha, [CommitSpec(files, message, settings.bot)])
    title = pull_request_title(view, kind)
    body = pull_request_body(view, kind, settings)
    count = len(changes)
    if old_tip is not None and _same_proposal(checkout, kind, old_tip, sha, main_sha):
        if existing is None and forge.name != "local":
            return KindOutcome(kind, "opened", count, forge.open(branch, title, body))
        return KindOutcome(kind, "unchanged", count, existing)
    if not checkout.force_push_branch(branch, sha, old_tip):
        return KindOutcome(kind, "skipped", count, existing)
    try:
        if existing is not None:
            return KindOutcome(kind, "updated", count, forge.update(existing, title, body))
        # forge: local has no pull request: a rebuilt branch is an updated proposal
        outcome = "updated" if old_tip is not None and forge.name == "local" else "opened"
        return KindOutcome(kind, outcome, count, forge.open(branch, title, body))
    except ForgeError:
        if old_tip is not None:
            checkout.force_push_branch(branch, old_tip, sha)
        else:
            checkout.delete_branch(branch, sha)
        raise


def _same_proposal(checkout: Checkout, kind: str, old_tip: str, new: str, main_sha: str) -> bool:
    """Nothing new to push: the branch already holds this proposal.

    Either it is based on main with the same files, or it proposes the same content (same
    Hrsync-Proposed digests) and still merges into main without a conflict; main having moved
    on for other reasons is no reason to push, nor to disturb the pull request.
    """
    if checkout.is_ancestor(main_sha, old_tip) and checkout.tree(old_tip) == checkout.tree(new):
        return True
    previous = last_proposal_commit(checkout, kind, old_tip)
    if previous is None or previous != old_tip:
        return False  # a reviewer edited the branch: rebuilt, their drop is in the ledger now
    same = proposed_digests(checkout.repo.commit(previous).message) == proposed_digests(
        checkout.repo.commit(new).message
    )
    return same and checkout.merges_cleanly(main_sha, old_tip)
