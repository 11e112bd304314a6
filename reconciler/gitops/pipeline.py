"""`hrsync sync`: the nightly run, fetch → propose → commit → pull requests → apply.

1. Automatic changes are committed on main, one commit per kind, and pushed. A push rejected
   because main moved is retried from the new main (everything re-rendered), a few times.
2. Manual changes go on `hrsync/<kind>`, rebuilt from main each run and force-pushed (with a
   lease), one pull request per kind opened, updated or closed when nothing is left. A run that
   finds nothing new commits nothing, pushes nothing and leaves the pull request alone.
3. If main changed, the platform is planned and applied.

Before anything is written the HRIS is fetched and the forge is asked for its open pull requests,
so a failed fetch or an unreachable forge leaves main and the branches as they were; a forge
error after a branch push puts that branch back where it was.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from reconciler import operations as ops
from reconciler.gitops.body import pull_request_body, pull_request_title
from reconciler.gitops.checkout import Checkout, PushRejected, sync_lock
from reconciler.gitops.commits import (
    GitSettings,
    commit_paths,
    message_with,
    proposal_trailers,
    proposed_digests,
)
from reconciler.gitops.dropped import (
    Drop,
    Ledger,
    find_drops,
    last_proposal_commit,
    ledger_message,
)
from reconciler.gitops.forge import Forge, ForgeError, PullRequest, open_forge
from reconciler.gitops.reviews_step import file_reviews
from reconciler.model import KINDS, Snapshot
from reconciler.plan import Plan
from reconciler.reviews.export import ExportResult

log = logging.getLogger(__name__)
MAX_PUSH_ATTEMPTS = 3


@dataclass
class KindOutcome:
    kind: str
    outcome: str  # opened | updated | unchanged | closed | nothing | skipped
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
    applied: int = 0
    reviews: ExportResult | None = None  # when `reviews: automatic` filed review reports


def settings_of(repo: ops.Repo) -> GitSettings:
    return GitSettings.from_config(repo.config.git)


def run_sync(
    root: Path,
    kinds: tuple[str, ...] = KINDS,
    *,
    forge: Forge | None = None,
    apply: bool = True,
) -> SyncReport:
    repo = ops.Repo.open(root)
    settings = settings_of(repo)
    checkout = Checkout(root, settings)
    with sync_lock(root):
        checkout.fetch()
        start = checkout.checkout_main()
        repo = ops.Repo.open(root)
        snapshot = ops.fetch_snapshot(repo)
        forge = forge or open_forge(repo.config, settings.main)
        try:
            existing = {kind: forge.find(settings.branch(kind)) for kind in kinds}
            report = SyncReport(snapshot_digest=snapshot.digest())
            for attempt in range(1, MAX_PUSH_ATTEMPTS + 1):
                report.drops, report.main_commits = _commit_main(checkout, snapshot, kinds)
                if checkout.head() == start:
                    break
                try:
                    checkout.push_main()
                    break
                except PushRejected:
                    if attempt == MAX_PUSH_ATTEMPTS:
                        raise
                    log.info("main moved on the remote; re-rendering on the new main")
                    checkout.fetch()
                    start = checkout.checkout_main()
            main_sha = checkout.head()
            ledger = Ledger.load(root)
            for kind in kinds:
                report.kinds.append(
                    _update_proposal(
                        checkout, forge, snapshot, ledger, kind, existing[kind], main_sha, report
                    )
                )
            checkout.checkout_main()
        finally:
            forge.close_session()
        if apply and report.main_commits:
            report.plan, result = ops.run_apply(ops.Repo.open(root))
            report.applied = result.applied if result else 0
        if apply and "members" in kinds and repo.policy.reviews == "automatic":
            report.reviews, subject = file_reviews(
                root, checkout, settings, repo.config.reviews.get("ledger")
            )
            if subject:
                report.main_commits.append(subject)
    return report


def _commit_main(
    checkout: Checkout, snapshot: Snapshot, kinds: tuple[str, ...]
) -> tuple[list[Drop], list[str]]:
    """The ledger commit (what reviewers dropped) and one automatic commit per kind."""
    root, bot = checkout.root, checkout.settings.bot
    subjects: list[str] = []
    ledger = Ledger.load(root)
    repo = ops.Repo.open(root)
    proposal = ops.make_proposal(repo, snapshot)
    added = [d for kind in kinds for d in find_drops(checkout, kind) if ledger.add(d)]
    pruned = ledger.prune(proposal, kinds)
    settled = {(d.kind, d.id) for d in added} & set(pruned)
    added = [d for d in added if (d.kind, d.id) not in settled]
    pruned = [p for p in pruned if p not in settled]
    if added or pruned:
        ledger.save(root)
        message = ledger_message(added, pruned)
        if commit_paths(checkout.repo, message, bot):
            subjects.append(message.splitlines()[0])
    for kind in kinds:
        repo = ops.Repo.open(root)
        proposal = ledger.without_dropped(ops.make_proposal(repo, snapshot))
        automatic = proposal.select(kind, "automatic")
        if not automatic:
            continue
        ops.write_proposal(repo, proposal, _one_of(automatic))
        message = message_with(
            automatic, proposal_trailers(kind, "automatic", proposal.snapshot_digest, automatic)
        )
        if commit_paths(checkout.repo, message, bot):
            subjects.append(message.splitlines()[0])
    return added, subjects


def _update_proposal(
    checkout: Checkout,
    forge: Forge,
    snapshot: Snapshot,
    ledger: Ledger,
    kind: str,
    existing: PullRequest | None,
    main_sha: str,
    report: SyncReport,
) -> KindOutcome:
    settings = checkout.settings
    branch = settings.branch(kind)
    checkout.start_branch(settings.main, main_sha)
    repo = ops.Repo.open(checkout.root)
    proposal = ledger.without_dropped(ops.make_proposal(repo, snapshot))
    report.nothing_reason = proposal.nothing_reason
    report.warnings = list(proposal.warnings)
    manual = proposal.select(kind, "manual")
    old_tip = checkout.rev(checkout.remote_ref(branch))
    if not manual:
        if old_tip is not None:
            checkout.delete_branch(branch, old_tip)
        if existing is not None:
            forge.close(existing, f"Nothing left to review: main matches the HRIS for {kind}.")
        return KindOutcome(kind, "closed" if old_tip or existing else "nothing")

    checkout.start_branch(branch, main_sha)
    ops.write_proposal(repo, proposal, _one_of(manual))
    message = message_with(
        manual, proposal_trailers(kind, "manual", proposal.snapshot_digest, manual)
    )
    sha = commit_paths(checkout.repo, message, settings.bot)
    checkout.start_branch(settings.main, main_sha)
    if sha is None:  # the changes cancel out once made consistent: nothing to review
        return KindOutcome(kind, "nothing")
    title = pull_request_title(proposal, kind)
    body = pull_request_body(proposal, kind, settings)
    if old_tip is not None and _same_proposal(checkout, kind, old_tip, sha, main_sha):
        if existing is None and forge.name != "local":
            return KindOutcome(kind, "opened", len(manual), forge.open(branch, title, body))
        return KindOutcome(kind, "unchanged", len(manual), existing)
    if not checkout.force_push_branch(branch, sha, old_tip):
        return KindOutcome(kind, "skipped", len(manual), existing)
    try:
        if existing is not None:
            return KindOutcome(kind, "updated", len(manual), forge.update(existing, title, body))
        # forge: local has no pull request: a rebuilt branch is an updated proposal
        outcome = "updated" if old_tip is not None and forge.name == "local" else "opened"
        return KindOutcome(kind, outcome, len(manual), forge.open(branch, title, body))
    except ForgeError:
        if old_tip is not None:
            checkout.force_push_branch(branch, old_tip, sha)
        else:
            checkout.delete_branch(branch, sha)
        raise


def _one_of(changes: list):
    chosen = {id(c) for c in changes}
    return lambda change: id(change) in chosen


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
