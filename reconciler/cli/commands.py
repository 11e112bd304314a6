"""Commands beyond the core loop: init and demo (and those the other parts add)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import click

from reconciler.cli import gitops
from reconciler.cli.reviews import reviews
from reconciler.scaffold import SOURCE_BLOCKS, init_repository


@click.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--source",
    type=click.Choice(sorted(SOURCE_BLOCKS)),
    default="file",
    show_default=True,
    help="The HRIS; writes a commented configuration for it.",
)
@click.option(
    "--path",
    "export",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="With --source file: the CSV/JSON export to copy into hris/.",
)
@click.option("--company", help="Company name (default: the folder's name).")
def init(directory: Path, source: str, export: Path | None, company: str | None) -> None:
    """Scaffold a company state repository in DIRECTORY (git init, config, policies, schemas,
    empty state/, first commit). Every policy starts `manual`."""
    init_repository(directory, company=company, source=source, export=export)
    click.echo(
        f"Initialised {directory} (source: {source}). Next: edit hrsync.yaml, then "
        f"`hrsync -C {directory} propose`."
    )


@click.command()
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
def demo(directory: Path | None) -> None:
    """Run the whole loop offline on a bundled fictional company (in DIRECTORY, default a new
    temporary folder): fetch → propose → approve → plan → apply → show, over two nights."""
    from reconciler.demo import run_demo

    if directory is None:
        directory = Path(tempfile.mkdtemp(prefix="hrsync-demo-"))
    run_demo(directory, click.echo)


ALL = [init, demo, reviews, *gitops.ALL]
