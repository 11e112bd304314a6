"""File each finished review of a managed member into their HRIS personnel file, exactly once.

Only finished reviews of members in the state tree are exported; drafts and reviews of members
hrsync does not manage are counted and left alone. The ledger (reviews/ledger.yaml) makes
re-runs cheap and safe:

- a review whose content hash is already filed is skipped;
- a review re-opened and finished again (new hash) is uploaded as a new version, " (v2)" in its
  file name; earlier versions stay in the ledger for audit;
- before any upload, the version is written to the ledger as `pending` (hash and file name),
  atomically. The next run asks the HRIS, through `Source.find_document`, whether a pending
  file arrived: if so, it is recorded without uploading again (a crash between upload and
  ledger write causes no duplicate); if not, it is uploaded.

Trade-off: a vendor whose API cannot list an employee's documents answers `find_document` with
None. With such a vendor, a crash in the moment between an upload and its ledger write, or an
upload that failed after the vendor had in fact stored it (a timeout on the response), makes the
next run upload that one review again: a possible duplicate is preferred to a missing review.
With a vendor that can list documents (and the file source), neither case duplicates.

Failures: one failed upload does not stop the batch (a vendor may reject one employee's file for
reasons of its own); after `MAX_FAILURES_IN_A_ROW` failures in a row the run stops, since the
vendor is then most likely down or the credentials wrong. Either way the ledger is right: every
review not filed stays pending or absent, and the next run uploads exactly those.

Refused: a review with a character that neither DejaVu Sans nor a configured fallback font can
draw (`reconciler.reviews.fonts`) is not uploaded: an HR document must not lose text. It is
refused before its ledger entry is written, naming the characters, and the others are filed;
the next run tries it again, so adding a fallback font to hrsync.yaml is all it takes.

Dry-run reads only the store and the ledger; it neither calls the HRIS nor writes the ledger.
It checks the glyphs too, so a dry run shows the reviews an export would refuse.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from reconciler.core.interfaces import OnProgress, Source, Step
from reconciler.errors import HrsyncError
from reconciler.reviews.fonts import MissingGlyphs, ReportFonts, bundled_fonts
from reconciler.reviews.ledger import FILED, PENDING, FilingLedger, Version, filed
from reconciler.reviews.model import Review, ReviewSubject
from reconciler.reviews.naming import review_filename
from reconciler.reviews.pdf import check_review, render_review_pdf
from reconciler.reviews.store import ReviewStore

log = logging.getLogger(__name__)

MAX_FAILURES_IN_A_ROW = 3

# What happens to a review, first as planned (from the ledger), then as it turned out.
UPLOAD = "upload"  # never filed
NEW_VERSION = "new version"  # filed before, content changed since
RETRY = "retry"  # pending from an earlier run: checked in the HRIS, uploaded if missing
UP_TO_DATE = "up to date"

WOULD_UPLOAD = "would upload"
UPLOADED = "uploaded"
FOUND = "found"  # a pending upload of an earlier run was in the HRIS already
SKIPPED = "skipped"
FAILED = "failed"
REFUSED = "refused"  # a character no font can draw: not rendered, not uploaded
NOT_TRIED = "not tried"  # the run stopped before this one


@dataclass(frozen=True)
class ExportItem:
    review_id: str
    member_id: str
    member_name: str
    filename: str
    version: int
    action: str
    outcome: str
    location: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class ExportResult:
    dry_run: bool
    items: tuple[ExportItem, ...]
    drafts: int = 0
    unmanaged: tuple[str, ...] = ()  # ids of finished reviews of members hrsync does not manage
    stopped: bool = False  # stopped after MAX_FAILURES_IN_A_ROW failures in a row

    def having(self, *outcomes: str) -> tuple[ExportItem, ...]:
        return tuple(item for item in self.items if item.outcome in outcomes)

    @property
    def uploaded(self) -> tuple[ExportItem, ...]:
        return self.having(UPLOADED, FOUND)

    @property
    def skipped(self) -> tuple[ExportItem, ...]:
        return self.having(SKIPPED)

    @property
    def failed(self) -> tuple[ExportItem, ...]:
        return self.having(FAILED, REFUSED, NOT_TRIED)

    @property
    def refused(self) -> tuple[ExportItem, ...]:
        return self.having(REFUSED)

    @property
    def to_upload(self) -> tuple[ExportItem, ...]:
        return self.having(WOULD_UPLOAD)


def _now() -> datetime:
    return datetime.now(UTC)


def export_reviews(
    store: ReviewStore,
    subjects: Mapping[str, ReviewSubject],
    source: Source | None,
    ledger_path: Path,
    *,
    company: str,
    dry_run: bool = True,
    today: date,
    progress: OnProgress | None = None,
    ledger_label: str | None = None,
    clock: Callable[[], datetime] = _now,
    fonts: ReportFonts | None = None,
) -> ExportResult:
    """Upload what the ledger lacks (or, with `dry_run`, say what would be uploaded).

    `subjects` holds the managed members by HRIS id; `today` is printed in each PDF's footer;
    `fonts` are those the PDFs are drawn with (DejaVu Sans alone if None).
    `source` may be None for a dry run.
    """
    report = _Report(company, today, fonts or bundled_fonts())
    ledger = FilingLedger.load(ledger_path, ledger_label or str(ledger_path))
    reviews = store.reviews()
    drafts = sum(1 for r in reviews if not r.finished)
    finished = [r for r in reviews if r.finished]
    unmanaged = tuple(r.id for r in finished if r.member_id not in subjects)
    managed = [r for r in finished if r.member_id in subjects]
    if dry_run:
        items = tuple(
            _preview(ledger, review, subjects[review.member_id], report) for review in managed
        )
        return ExportResult(True, items, drafts, unmanaged)
    if source is None:
        raise ValueError("export_reviews needs a source unless dry_run is set")
    run = _Run(ledger, subjects, source, report, progress, clock)
    items, stopped = run.execute(managed)
    return ExportResult(False, items, drafts, unmanaged, stopped)


@dataclass(frozen=True)
class _Report:
    """What every PDF of a run is drawn with."""

    company: str
    today: date
    fonts: ReportFonts

    def refusal(self, review: Review, subject: ReviewSubject) -> str | None:
        """Why the review's PDF cannot be drawn without losing text; None when it can."""
        try:
            check_review(
                review, subject, company=self.company, generated_on=self.today, fonts=self.fonts
            )
        except MissingGlyphs as exc:
            # The export's result lists the refusal with its reason (the characters may come
            # from the person's name); -v logs that it happened.
            log.info("review %s: refused, a character no font has", review.id)
            return str(exc)
        return None

    def render(self, review: Review, subject: ReviewSubject) -> bytes:
        return render_review_pdf(
            review, subject, company=self.company, generated_on=self.today, fonts=self.fonts
        )


def _preview(
    ledger: FilingLedger, review: Review, subject: ReviewSubject, report: _Report
) -> ExportItem:
    record = ledger.reviews.get(review.id)
    latest = record.latest if record else None
    digest = review.content_hash()
    if latest and latest.sha256 == digest and latest.status == FILED:
        return _item(review, subject, latest, UP_TO_DATE, SKIPPED, latest.location)
    if latest and latest.sha256 == digest:
        version, action = latest, RETRY
    else:
        version = _next_version(ledger, review, subject)
        action = NEW_VERSION if version.version > 1 else UPLOAD
    refusal = report.refusal(review, subject)
    if refusal:
        return _item(review, subject, version, action, REFUSED, error=refusal)
    if action != RETRY:
        ledger.set_latest(review.id, review.member_id, version)  # in memory only: unique names
    return _item(review, subject, version, action, WOULD_UPLOAD)


def _next_version(ledger: FilingLedger, review: Review, subject: ReviewSubject) -> Version:
    """The pending version that files `review` as it is now. A pending version with other
    content is superseded (its number and name are reused): the caller made sure it is not
    in the HRIS."""
    record = ledger.reviews.get(review.id)
    versions = list(record.versions) if record else []
    taken = ledger.filenames_of(review.member_id)
    if versions and versions[-1].status == PENDING:
        taken.discard(versions.pop().filename)
    number = versions[-1].version + 1 if versions else 1
    filename = review_filename(
        review.cycle, subject.name, version=number, review_id=review.id, taken=taken
    )
    return Version(number, review.content_hash(), filename, PENDING)


def _item(
    review: Review,
    subject: ReviewSubject,
    version: Version,
    action: str,
    outcome: str,
    location: str | None = None,
    error: str | None = None,
) -> ExportItem:
    return ExportItem(
        review.id,
        review.member_id,
        subject.name,
        version.filename,
        version.version,
        action,
        outcome,
        location,
        error,
    )


class _Run:
    def __init__(
        self,
        ledger: FilingLedger,
        subjects: Mapping[str, ReviewSubject],
        source: Source,
        report: _Report,
        progress: OnProgress | None,
        clock: Callable[[], datetime],
    ):
        self.ledger = ledger
        self.subjects = subjects
        self.source = source
        self.report = report
        self.progress = progress
        self.clock = clock

    def execute(self, reviews: list[Review]) -> tuple[tuple[ExportItem, ...], bool]:
        done: dict[str, ExportItem] = {}
        queue: list[tuple[Review, Version, str]] = []
        for review in reviews:
            item, queued = self._prepare(review)
            if item:
                done[review.id] = item
            if queued:
                # Recorded at once so that the next review's file name sees this one's.
                self.ledger.set_latest(review.id, review.member_id, queued[1])
                queue.append(queued)
        if queue:
            # One atomic write records every upload about to happen, before the first one.
            self.ledger.save()
        failures_in_a_row = 0
        stopped = False
        say = self.progress or (lambda step: None)
        for index, (review, version, action) in enumerate(queue):
            subject = self.subjects[review.member_id]
            if stopped:
                done[review.id] = _item(review, subject, version, action, NOT_TRIED)
                continue
            # The review's id, never its file name: that holds the employee's name.
            say(Step("export reviews", index, len(queue), "uploads", note=review.id))
            item = self._upload(review, subject, version, action)
            done[review.id] = item
            failures_in_a_row = failures_in_a_row + 1 if item.outcome == FAILED else 0
            stopped = failures_in_a_row >= MAX_FAILURES_IN_A_ROW
        if queue and not stopped:
            say(Step("export reviews", len(queue), len(queue), "uploads"))
        return tuple(done[r.id] for r in reviews), stopped

    def _prepare(self, review: Review) -> tuple[ExportItem | None, tuple | None]:
        """(item, None) when nothing is to upload, (item or None, queued upload) otherwise."""
        subject = self.subjects[review.member_id]
        record = self.ledger.reviews.get(review.id)
        latest = record.latest if record else None
        digest = review.content_hash()
        if latest and latest.status == FILED and latest.sha256 == digest:
            return _item(review, subject, latest, UP_TO_DATE, SKIPPED, latest.location), None
        if latest and latest.status == PENDING:
            try:
                document_id = self.source.find_document(review.member_id, latest.filename)
            except HrsyncError as exc:
                # Unknown whether it arrived: uploading could duplicate it, so leave it pending.
                return _item(review, subject, latest, RETRY, FAILED, error=str(exc)), None
            if document_id is not None:
                location = f"{self.source.name}: document {document_id}"
                self.ledger.set_latest(
                    review.id,
                    review.member_id,
                    filed(
                        latest,
                        document_id,
                        self._stamp(),
                        location,
                        note="found in the HRIS after an interrupted run",
                    ),
                )
                self.ledger.save()
                log.info("review %s: found filed in the HRIS", review.id)
                if latest.sha256 == digest:
                    return _item(review, subject, latest, RETRY, FOUND, location), None
            elif latest.sha256 == digest:
                return self._checked(review, subject, latest, RETRY)
        version = _next_version(self.ledger, review, subject)
        return self._checked(
            review, subject, version, NEW_VERSION if version.version > 1 else UPLOAD
        )

    def _checked(
        self, review: Review, subject: ReviewSubject, version: Version, action: str
    ) -> tuple[ExportItem | None, tuple | None]:
        """The upload queued, or refused before its ledger entry is written."""
        refusal = self.report.refusal(review, subject)
        if refusal:
            return _item(review, subject, version, action, REFUSED, error=refusal), None
        return None, (review, version, action)

    def _upload(
        self, review: Review, subject: ReviewSubject, version: Version, action: str
    ) -> ExportItem:
        try:
            content = self.report.render(review, subject)
        except MissingGlyphs as exc:
            # The check before queueing missed a text; the PDF would have lost it. The ledger
            # entry stays pending: nothing was uploaded, the next run tries again.
            log.warning("review %s: refused while drawing, a character no font has", review.id)
            return _item(review, subject, version, action, REFUSED, error=str(exc))
        try:
            uploaded = self.source.upload_document(
                review.member_id,
                version.filename,
                content,
                title=f"Performance review {review.cycle}",
            )
        except HrsyncError as exc:
            # The vendor's message may quote the file name, which holds the person's name;
            # the export's result shows it to whoever runs the export.
            log.warning("review %s: upload failed (%s)", review.id, type(exc).__name__)
            return _item(review, subject, version, action, FAILED, error=str(exc))
        self.ledger.set_latest(
            review.id,
            review.member_id,
            filed(
                version,
                uploaded.document_id,
                self._stamp(),
                uploaded.location,
            ),
        )
        self.ledger.save()
        # Not the file name, the place or the document id: those can hold the person's name.
        log.info("review %s: filed", review.id)
        return _item(review, subject, version, action, UPLOADED, uploaded.location)

    def _stamp(self) -> str:
        return self.clock().astimezone(UTC).replace(microsecond=0).isoformat()
