"""Review export wired to a repository: its hrsync.yaml, state tree, platform and HRIS.

Configuration (hrsync.yaml), all keys optional:

    reviews:
      store: platform            # platform (the embedded sqlite target's database) | directory
      path: reviews/exported     # store: directory only: a folder of review JSON files
      ledger: reviews/ledger.yaml
      fallback_fonts: [fonts/NotoSansJP-Regular.otf]  # for characters DejaVu Sans lacks

Whether the nightly run exports reviews (`reviews: automatic | manual | off`) is a policy in
policies/sync.yaml, decided by the caller; these functions only do what they are asked.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from reconciler.clock import today as clock_today
from reconciler.config import Config, load_config
from reconciler.core.interfaces import OnProgress
from reconciler.core.model import DesiredState
from reconciler.errors import ConfigError, HrsyncError
from reconciler.reviews.export import ExportResult, export_reviews
from reconciler.reviews.fonts import ReportFonts, report_fonts
from reconciler.reviews.model import Review, ReviewSubject
from reconciler.reviews.pdf import render_review_pdf
from reconciler.reviews.store import DirectoryReviewStore, ReviewStore, SqliteReviewStore
from reconciler.sources import open_source
from reconciler.state.policy_files import load_policy
from reconciler.state.tree import read_state

DEFAULT_LEDGER = "reviews/ledger.yaml"


def run_export(
    root: Path, *, dry_run: bool, progress: OnProgress | None = None, today: date | None = None
) -> ExportResult:
    """Export the repository's finished reviews (see `reconciler.reviews.export`)."""
    config = load_config(root)
    if load_policy(root).reviews == "off":
        raise ConfigError("reviews are `off` in policies/sync.yaml: nothing is exported")
    subjects = subjects_from_state(read_state(root))
    ledger = config.reviews.get("ledger", DEFAULT_LEDGER)
    # A dry run reads only the repository and the platform: no HRIS credentials needed.
    source = None if dry_run else open_source(config.source, root)
    return export_reviews(
        open_review_store(config),
        subjects,
        source,
        root / ledger,
        company=config.company,
        dry_run=dry_run,
        today=today or clock_today(),
        progress=progress,
        ledger_label=ledger,
        fonts=fonts_of(config),
    )


def render_review(root: Path, review_id: str, *, today: date | None = None) -> bytes:
    """One review's PDF, drafts included (a preview); its member must be managed."""
    config = load_config(root)
    store = open_review_store(config)
    review = find_review(store, review_id)
    subjects = subjects_from_state(read_state(root))
    subject = subjects.get(review.member_id)
    if subject is None:
        raise HrsyncError(
            f"review {review_id} is about member {review.member_id}, who is not in state/members; "
            "only reviews of managed members are rendered"
        )
    return render_review_pdf(
        review,
        subject,
        company=config.company,
        generated_on=today or clock_today(),
        fonts=fonts_of(config),
    )


def fonts_of(config: Config) -> ReportFonts:
    """DejaVu Sans and the fallback fonts of hrsync.yaml (paths relative to the repository)."""
    return report_fonts(config.reviews.get("fallback_fonts", ()), config.root)


def find_review(store: ReviewStore, review_id: str) -> Review:
    for review in store.reviews():
        if review.id == review_id:
            return review
    raise HrsyncError(f"no review {review_id!r} in {store.label}")


def open_review_store(config: Config) -> ReviewStore:
    settings = config.reviews
    kind = settings.get("store", "platform")
    if kind == "platform":
        if config.target.get("type") != "sqlite":
            raise ConfigError(
                "reviews: store 'platform' reads the embedded sqlite platform; with target type "
                f"{config.target.get('type')!r} set reviews.store to 'directory' and reviews.path"
            )
        return SqliteReviewStore(config.root / config.target["path"], label=config.target["path"])
    if kind == "directory":
        if not settings.get("path"):
            raise ConfigError("reviews: store 'directory' needs `path:` (a folder of review JSON)")
        return DirectoryReviewStore(config.root / settings["path"], label=settings["path"])
    raise ConfigError(f"reviews: store {kind!r} is not known (known: directory, platform)")


def subjects_from_state(state: DesiredState) -> dict[str, ReviewSubject]:
    """Every member in the tree, leavers included: their personnel file still takes reviews."""
    subjects = {}
    for member in state.members.values():
        team = state.teams.get(member.team) if member.team else None
        job = state.jobs.get(member.job) if member.job else None
        manager = state.members.get(member.manager) if member.manager else None
        subjects[member.id] = ReviewSubject(
            member_id=member.id,
            name=_full_name(member),
            email=member.email,
            team=team.name if team else None,
            job=job.name if job else None,
            manager=_full_name(manager) if manager else None,
        )
    return subjects


def _full_name(member) -> str:
    return f"{member.first_name} {member.last_name}".strip()
