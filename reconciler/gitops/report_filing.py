"""The nightly run's last step when `reviews: automatic`: file review PDFs, commit the ledger.

The ledger (reviews/ledger.yaml) is what keeps uploads exactly-once, so it must reach main even
when main moved meanwhile: on a rejected push the ledger's new content is carried onto the new
main and pushed again (hrsync is the only writer of that file). The commit is built with
plumbing and pushed before the checkout moves to it, so a kill at any moment leaves either the
old main with the ledger modified in the working tree (the next run files nothing twice and
commits it) or the new main.
"""

from __future__ import annotations

import logging
from pathlib import Path

from reconciler.gitops.checkout import Checkout, PushRejected
from reconciler.gitops.commits import GitSettings
from reconciler.gitops.plumbing import CommitSpec, build_commits
from reconciler.reviews.export import ExportResult
from reconciler.reviews.runner import DEFAULT_LEDGER, run_export

log = logging.getLogger(__name__)
MAX_PUSH_ATTEMPTS = 3


def file_reviews(
    root: Path, checkout: Checkout, settings: GitSettings, ledger_setting: str | None
) -> tuple[ExportResult, str | None]:
    """Upload what is due; the subject of the ledger commit pushed to main (None: nothing new)."""
    result = run_export(root, dry_run=False)
    ledger_rel = ledger_setting or DEFAULT_LEDGER
    ledger_path = root / ledger_rel
    if not ledger_path.exists() or not checkout.repo.git.status("--porcelain", "--", ledger_rel):
        return result, None
    content = ledger_path.read_bytes()
    subject = f"reviews: filed {len(result.uploaded)} review report(s)"
    if result.failed:
        subject += f", {len(result.failed)} to retry"
    message = f"{subject}\n\nHrsync-Mode: reviews\n"
    text = content.decode("utf-8")
    for attempt in range(1, MAX_PUSH_ATTEMPTS + 1):
        commit = CommitSpec({ledger_rel: text}, message, settings.bot)
        (sha,) = build_commits(checkout.git_dir, checkout.head(), [commit])
        try:
            checkout.push_main(sha)
        except PushRejected:
            if attempt == MAX_PUSH_ATTEMPTS:
                raise
            log.info("main moved while filing reviews; carrying the ledger onto the new main")
            checkout.fetch()
            checkout.checkout_main()  # the modified ledger comes along (main never writes it)
            ledger_path.parent.mkdir(parents=True, exist_ok=True)
            ledger_path.write_bytes(content)
            continue
        # The working tree's ledger already is the pushed one: put main's back so the move
        # sees no local change (a kill just here is settled by the next move, see checkout.py).
        if checkout.show("HEAD", ledger_rel) is None:
            ledger_path.unlink()
        else:
            checkout.git.checkout("HEAD", "--", ledger_rel)
        checkout.advance_main(sha)
        return result, subject
    return result, None
