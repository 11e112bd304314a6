"""`hrsync review`: proposals without a forge (`forge: local`). The branch `hrsync/<kind>` is the
pull request: list them, read one, approve one (optionally dropping items first).

Approving merges the branch into main with a merge commit authored by the approver and an
`Approved-by:` trailer, pushes main and applies, like a merged pull request with apply on merge.
Dropping an item is an ordinary commit on the branch that deletes or restores its file, so the
next sync records it in policies/dropped.yaml exactly as for a reviewer on GitHub.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import git

from reconciler import operations as ops
from reconciler.core.model import KINDS, SINGULAR
from reconciler.core.plan import Plan
from reconciler.errors import ConfigError, HrsyncError
from reconciler.gitops.checkout import Checkout, GitOpsError, PushRejected, sync_lock
from reconciler.gitops.commits import Identity, proposed_digests
from reconciler.gitops.dropped import last_proposal_commit
from reconciler.gitops.history import EntityChange, changed_entities
from reconciler.gitops.pipeline import settings_of
from reconciler.gitops.plumbing import CommitSpec, PlumbingError, build_commits


@dataclass(frozen=True)
class PendingProposal:
    kind: str
    branch: str
    tip: str
    subject: str
    author: str
    date: str
    changes: list[EntityChange]
    warnings: tuple[str, ...] = ()  # the proposal commit's "! " lines, mass removal first
    mass_removal: bool = False


@dataclass(frozen=True)
class Approval:
    kind: str
    merge_commit: str
    dropped: list[str]
    plan: Plan | None
    applied: int
    apply_stopped: str | None = None  # merged and pushed, but apply refused or failed: why


def proposal_checkout(root: Path) -> Checkout:
    return Checkout(root, settings_of(ops.Repo.open(root)))


def pending(
    root: Path, kinds: tuple[str, ...] = KINDS, *, fetch: bool = True
) -> list[PendingProposal]:
    """The proposal branches not merged into main yet."""
    checkout = proposal_checkout(root)
    if fetch:
        checkout.fetch()
    main = checkout.rev(checkout.remote_ref(checkout.settings.main))
    out = []
    for kind in kinds:
        branch = checkout.settings.branch(kind)
        tip = checkout.rev(checkout.remote_ref(branch))
        if tip is None or main is None or checkout.is_ancestor(tip, main):
            continue
        commit = checkout.repo.commit(tip)
        base = checkout.git.merge_base(main, tip)
        found = last_proposal_commit(checkout, kind, tip)
        warnings = _warnings_of(checkout.repo.commit(found).message) if found else ()
        out.append(
            PendingProposal(
                kind,
                branch,
                tip,
                _proposal_subject(checkout, kind, tip),
                f"{commit.author.name} <{commit.author.email}>",
                commit.committed_datetime.date().isoformat(),
                changed_entities(checkout.repo, base, tip),
                warnings,
                bool(warnings) and warnings[0].startswith(MASS_REMOVAL_START),
            )
        )
    return out


MASS_REMOVAL_START = "This would remove or deactivate"


def _warnings_of(message: str) -> tuple[str, ...]:
    return tuple(line[2:] for line in message.splitlines() if line.startswith("! "))


def _proposal_subject(checkout: Checkout, kind: str, tip: str) -> str:
    found = last_proposal_commit(checkout, kind, tip)
    return checkout.repo.commit(found or tip).summary


def find_pending(root: Path, kind: str) -> PendingProposal:
    found = pending(root, (kind,))
    if not found:
        raise HrsyncError(f"no proposal to review for {kind}: hrsync/{kind} is merged or absent")
    return found[0]


def approver_identity(root: Path, given: str | None) -> Identity:
    if given:
        try:
            return Identity.parse(given)
        except ValueError as exc:
            raise ConfigError(f"--as: {exc}") from None
    reader = git.Repo(root).config_reader()
    name = reader.get_value("user", "name", default="")
    email = reader.get_value("user", "email", default="")
    if not name or not email:
        raise ConfigError(
            'who approves? set git config user.name/user.email or pass --as "Name <email>"'
        )
    return Identity(str(name), str(email))


def approve(
    root: Path,
    kind: str,
    approver: Identity,
    *,
    drop: tuple[str, ...] = (),
    apply: bool = False,
    max_deletes: int | None = None,
) -> Approval:
    checkout = proposal_checkout(root)
    settings = checkout.settings
    branch = settings.branch(kind)
    with sync_lock(root):
        checkout.fetch()
        start = checkout.checkout_main()
        proposal = find_pending(root, kind)
        tip = proposal.tip
        if drop:
            tip = _drop_items(checkout, kind, tip, start, drop, approver)
        message = (
            f"Merge {branch}: {proposal.subject}\n\n"
            + (f"Dropped in review: {', '.join(drop)}\n\n" if drop else "")
            + "".join(f"! {w}\n" for w in proposal.warnings[:1] if proposal.mass_removal)
            + ("\n" if proposal.mass_removal else "")
            + f"Approved-by: {approver}\nHrsync-Kind: {kind}\n"
        )
        # The merge commit is built in the object store and main moves to it in one step (a
        # kill at any moment leaves the checkout on the old main or the new one, never half-way
        # through a merge). Where main changed a file since the branch was built (another
        # kind's PR merged first), the branch's version wins, as `git merge -X theirs` would:
        # the branch is what the reviewer read; the next sync proposes what still differs.
        merge = _merge_commit(checkout, start, tip, message, approver)
        checkout.advance_main(merge)
        try:
            ops.Repo.open(root).state()
        except HrsyncError:
            checkout.advance_main(start)
            raise
        try:
            checkout.push_main(merge)
        except PushRejected:
            checkout.advance_main(start)
            raise GitOpsError(f"{settings.main} moved on the remote; approve again") from None
        # Like "delete branch after merge": the merge commit keeps what the reviewer merged,
        # which is where the next sync reads any item they dropped.
        checkout.delete_branch(branch, tip)
    plan, applied, stopped = None, 0, None
    if apply:
        try:
            plan, result = ops.run_apply(
                ops.Repo.open(root), max_deletes=max_deletes, confirm=ops.auto_approved
            )
            applied = result.applied if result else 0
        except HrsyncError as exc:
            # Merged and pushed all the same: say so, why apply stopped, and how to go on.
            stopped = str(exc)
            plan = ops.make_plan(ops.Repo.open(root))
    return Approval(kind, merge, list(drop), plan, applied, stopped)


def _merge_commit(checkout, main: str, tip: str, message: str, approver: Identity) -> str:
    """main merged with `tip`, every file the branch changed since they parted taken from it."""
    base = checkout.git.merge_base(main, tip)
    changed = checkout.git.diff_tree("-r", "-z", "--no-renames", base, tip).split("\0")
    blobs: dict[str, str] = {}
    removed: dict[str, None] = {}
    # -z output: ":old_mode new_mode old_sha new_sha status", then the path, field by field.
    for header, path in zip(changed[0::2], changed[1::2], strict=False):
        if not header.startswith(":"):
            continue
        new_sha, status = header.split()[3], header.split()[4]
        if status == "D":
            removed[path] = None
        else:
            blobs[path] = new_sha
    try:
        (sha,) = build_commits(
            checkout.git_dir,
            main,
            [CommitSpec(removed, message, approver, blobs=blobs, merge=tip)],
        )
    except PlumbingError as exc:
        raise GitOpsError(
            f"{exc}: the proposal branch changes files outside state/ and policies/; "
            "remove that commit from the branch, then approve again"
        ) from None
    return sha


def _drop_items(checkout, kind, tip, main, ids, approver: Identity) -> str:
    """One commit on the branch that takes the dropped entities back to main's version (built
    with plumbing: the checkout stays on main)."""
    settings = checkout.settings
    bot_commit = last_proposal_commit(checkout, kind, tip)
    proposed = proposed_digests(checkout.repo.commit(bot_commit).message) if bot_commit else {}
    unknown = [i for i in ids if (kind, i) not in proposed]
    if unknown:
        raise HrsyncError(f"not in the {kind} proposal: {', '.join(unknown)}")
    files = {
        f"state/{kind}/{entity_id}.yaml": checkout.show(main, f"state/{kind}/{entity_id}.yaml")
        for entity_id in ids
    }
    message = f"Drop {SINGULAR[kind]} {', '.join(ids)} from the proposal\n"
    (sha,) = build_commits(checkout.git_dir, tip, [CommitSpec(files, message, approver)])
    if not checkout.force_push_branch(settings.branch(kind), sha, tip):
        raise GitOpsError(f"{settings.branch(kind)} moved on the remote; review again")
    return sha
