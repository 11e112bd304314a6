"""Commands beyond the core loop: init, doctor and demo (and those the other parts add)."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import click

from reconciler.cli import gitops
from reconciler.cli.output import repo_root
from reconciler.cli.reviews import reviews
from reconciler.scaffold import (
    FORGE_BLOCKS,
    SOURCE_BLOCKS,
    TARGET_BLOCKS,
    Deployment,
    init_repository,
    next_steps,
)


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
    help="With --source file: the CSV/JSON export hrsync.yaml names (never copied).",
)
@click.option("--company", help="Company name (default: the folder's name).")
@click.option(
    "--target",
    type=click.Choice(sorted(TARGET_BLOCKS)),
    help="The people platform: sqlite (embedded, one machine) or scim "
    "(default: scim with --base-url, else sqlite).",
)
@click.option("--base-url", metavar="URL", help="With --target scim: the SCIM endpoint.")
@click.option(
    "--forge",
    type=click.Choice(sorted(FORGE_BLOCKS)),
    help="Where proposals are reviewed: github (pull requests, nightly workflows) or local "
    "(branches) (default: github with --repository, else local).",
)
@click.option("--repository", metavar="OWNER/NAME", help="With --forge github: the repository.")
@click.option("--remote", metavar="URL", help="Add this URL as the git remote origin.")
def init(
    directory: Path,
    source: str,
    export: Path | None,
    company: str | None,
    target: str | None,
    base_url: str | None,
    forge: str | None,
    repository: str | None,
    remote: str | None,
) -> None:
    """Scaffold a company state repository in DIRECTORY (git init, config, policies, schemas,
    empty state/, with --forge github the workflows; first commit) and print the steps that
    make it run. Every policy starts `manual`."""
    deployment = Deployment(
        target=target or ("scim" if base_url else "sqlite"),
        base_url=base_url,
        forge=forge or ("github" if repository else "local"),
        repository=repository,
        remote=remote,
    )
    init_repository(directory, company=company, source=source, export=export, deployment=deployment)
    where = f" {deployment.repository}" if deployment.repository else ""
    click.echo(
        f"Initialised {directory} (source: {source}, target: {deployment.target}, "
        f"forge: {deployment.forge}{where})."
    )
    if deployment.forge == "github":
        click.echo(
            "Wrote .github/workflows: a nightly sync per kind, plan on pull requests, "
            "apply on merge."
        )
    if remote:
        click.echo(f"Added the remote origin: {remote}")
    click.echo("Next:")
    for number, step in enumerate(next_steps(directory, deployment), 1):
        click.echo(f"  {step}" if step.startswith("!") else f"  {number}. {step}")


@click.command()
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.pass_context
def doctor(ctx, fmt: str) -> None:
    """Check that this deployment can work: the remote and main, a platform that keeps its
    data between CI runs, every variable hrsync.yaml names (names only, never values), the
    forge token, the HRIS credentials, the platform. Each failed check says how to fix it.
    Exit 0 only when all pass."""
    from reconciler.doctor import run_checks

    report = run_checks(repo_root(ctx))
    if fmt == "json":
        click.echo(json.dumps(report.data(), indent=2, ensure_ascii=False))
    else:
        click.echo(report.text(), nl=False)
    if not report.ok:
        ctx.exit(1)


@click.command()
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
def demo(directory: Path | None) -> None:
    """Run the whole loop offline on a bundled fictional company (in DIRECTORY, default a new
    temporary folder): fetch → propose → approve → plan → apply → show, over two nights."""
    from reconciler.demo import run_demo

    if directory is None:
        directory = Path(tempfile.mkdtemp(prefix="hrsync-demo-"))
    run_demo(directory, click.echo)


ALL = [init, doctor, demo, reviews, *gitops.ALL]
