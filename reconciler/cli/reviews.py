"""`hrsync reviews`: file finished performance reviews into HRIS personnel files."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from reconciler.cli.exits import EXIT_ERROR, EXIT_PENDING
from reconciler.cli.lazy import lazy
from reconciler.cli.output import ProgressLine, repo_root, write_file

listing = lazy("reconciler.reviews.listing")
runner = lazy("reconciler.reviews.runner")


@click.group("reviews")
def reviews() -> None:
    """Performance reviews as PDF in each employee's HRIS personnel file."""


@reviews.command("export")
@click.option("--dry-run", is_flag=True, help="List what would be uploaded; upload nothing.")
@click.pass_context
def export(ctx: click.Context, dry_run: bool) -> None:
    """Upload finished reviews not yet filed (each version once) and record them in
    reviews/ledger.yaml. Exit code 2 after a dry run that found reviews to upload."""
    root = repo_root(ctx)
    with ProgressLine() as progress:
        result = runner.run_export(root, dry_run=dry_run, progress=progress)
    click.echo(listing.render_export(result), nl=False)
    if not dry_run and (result.uploaded or result.failed):
        click.echo(
            "The ledger (reviews/ledger.yaml) changed: commit it, so that no run files "
            "these reviews again (`hrsync sync` does this itself).",
            err=True,
        )
    if result.failed:
        sys.exit(EXIT_ERROR)
    if dry_run and result.to_upload:
        sys.exit(EXIT_PENDING)


@reviews.command("render")
@click.argument("review_id")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Where to write the PDF.",
)
@click.pass_context
def render(ctx: click.Context, review_id: str, output: Path) -> None:
    """Write one review's PDF (drafts too, as a preview) without uploading it."""
    content = runner.render_review(repo_root(ctx), review_id)
    write_file(output, content)
    click.echo(f"wrote {output} ({len(content) // 1024} KiB)")
