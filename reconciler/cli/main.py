"""The `hrsync` command: thin click commands that parse, call one operation, render, exit.

Exit codes (see exits.py): 0 fine, 1 error, 2 changes present (with --detailed-exitcode),
64 usage.
"""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import click

from reconciler import logs
from reconciler.cli import commands, github_output
from reconciler.cli.exits import EXIT_PENDING, HrsyncGroup
from reconciler.cli.gitops import only_scope
from reconciler.cli.lazy import lazy
from reconciler.cli.output import ProgressLine, render_to, repo_root, write_file
from reconciler.errors import HrsyncError, InvalidInput

core_plan = lazy("reconciler.core.plan")
dropped_ledger = lazy("reconciler.gitops.dropped")
render_json = lazy("reconciler.render.json")
render_markdown = lazy("reconciler.render.markdown")
render_text = lazy("reconciler.render.text")
ops = lazy("reconciler.operations")

FORMAT = click.Choice(["text", "markdown", "json"])
ONLY_OPTION = click.option(
    "--only",
    "only",
    multiple=True,
    metavar="KIND:ID",
    callback=only_scope,
    help="Only member:ID, team:ID or job:ID (repeatable), with what they depend on.",
)


@click.group(cls=HrsyncGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "-C",
    "--repo",
    "repo_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="The state repository (default: the folder holding hrsync.yaml, from here up).",
)
@click.option(
    "-v",
    "--verbose",
    count=True,
    help="Log more to stderr: -v each HTTP request and each applied change (ids only), and "
    "an error's traceback; -vv debug lines.",
)
@click.option("-q", "--quiet", is_flag=True, help="Errors only: no progress, no warnings.")
@click.version_option(package_name="hrsync")
@click.pass_context
def cli(ctx: click.Context, repo_dir: Path | None, verbose: int, quiet: bool) -> None:
    """Keep a people platform in step with the HRIS, the GitOps way.

    \b
    The flow:  fetch → propose (HRIS → state/) → review → plan (state/ → platform) → apply
    Start with `hrsync demo` to see it run offline, or `hrsync init DIR` for a real company.
    """
    if verbose and quiet:
        raise click.UsageError("-v and -q contradict each other: give one")
    logs.configure(-1 if quiet else verbose)
    ctx.obj = repo_dir


def _repo(ctx: click.Context) -> ops.Repo:
    return ops.Repo.open(repo_root(ctx))


@cli.command()
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the snapshot JSON to this file (default: stdout).",
)
@click.pass_context
def fetch(ctx, output: Path | None) -> None:
    """Fetch a snapshot of employees, teams and jobs from the configured HRIS."""
    repo = _repo(ctx)
    with ProgressLine() as progress:
        snapshot = ops.fetch_snapshot(repo, progress)
    text = json.dumps(snapshot.to_data(), indent=2, ensure_ascii=False) + "\n"
    if output:
        write_file(output, text)
        click.echo(
            f"{len(snapshot.employees)} employees, {len(snapshot.teams)} teams, "
            f"{len(snapshot.jobs)} jobs → {output}",
            err=True,
        )
    else:
        click.echo(text, nl=False)


@cli.command()
@click.option(
    "--snapshot",
    "snapshot_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Use a saved snapshot (from `hrsync fetch -o`) instead of fetching.",
)
@click.option(
    "--write",
    type=click.Choice(["automatic", "all"]),
    help="Write the automatic (or all proposed) changes into state/.",
)
@click.option("--format", "fmt", type=FORMAT, default="text", show_default=True)
@click.pass_context
def propose(ctx, snapshot_file: Path | None, write: str | None, fmt: str) -> None:
    """Show what the HRIS would change in state/, split by policy into automatic and manual.

    Nothing is written without --write. An empty or incomplete snapshot proposes nothing.
    """
    repo = _repo(ctx)
    if snapshot_file:
        snapshot = ops.load_snapshot(snapshot_file)
    else:
        with ProgressLine() as progress:
            snapshot = ops.fetch_snapshot(repo, progress)
    proposal = ops.make_proposal(repo, snapshot)
    # What a reviewer dropped stays dropped here too, as in the nightly run.
    reviewed = dropped_ledger.DropLedger.load(repo.root).without_dropped(proposal)
    if len(reviewed.changes) != len(proposal.changes):
        dropped = len(proposal.changes) - len(reviewed.changes)
        click.echo(
            f"· {dropped} change(s) dropped in review are left out (policies/dropped.yaml)",
            err=True,
        )
    proposal = reviewed
    renderer = {
        "text": render_text.proposal_text,
        "markdown": render_markdown.proposal_markdown,
        "json": render_json.proposal_json,
    }[fmt]
    click.echo(render_to(renderer, proposal), nl=False)
    if write:
        touched, warnings = ops.write_proposal(
            repo, proposal, lambda c: write == "all" or c.mode == "automatic"
        )
        for warning in warnings:
            click.echo(f"! {warning}", err=True)
        click.echo(f"{len(touched)} file(s) written in state/", err=True)


@cli.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "github"]),
    default="text",
    show_default=True,
    help="github: each error also as a GitHub Actions annotation (`::error file=…,line=…::`) "
    "on stdout; the default inside GitHub Actions (GITHUB_ACTIONS=true).",
)
@click.pass_context
def validate(ctx, fmt: str) -> None:
    """Check hrsync.yaml, policies and state/ (schemas, references, cycles)."""
    root = None
    try:
        root = repo_root(ctx)
        repo = ops.Repo.open(root)
        state = repo.state()
        from reconciler.gitops.workflows import workflow_problems

        problems = workflow_problems(repo)
        if problems:
            raise InvalidInput(problems)
    except HrsyncError as exc:
        if fmt == "github" or github_output.in_actions():
            github_output.echo_annotations(exc, root)
        raise
    click.echo(
        f"OK: {len(state.members)} members, {len(state.teams)} teams, "
        f"{len(state.jobs)} jobs; policies and configuration valid"
    )


@cli.command()
@click.option("--format", "fmt", type=FORMAT, default="text", show_default=True)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also save the plan as JSON, for `hrsync apply PLANFILE`.",
)
@click.option(
    "--detailed-exitcode",
    is_flag=True,
    help="Exit 2 when the plan has changes, 0 when there are none.",
)
@ONLY_OPTION
@click.pass_context
def plan(ctx, fmt: str, out: Path | None, detailed_exitcode: bool, only) -> None:
    """Show what apply would change on the platform to match state/ (reads only), ids with
    names. In GitHub Actions the plan is also appended, in markdown, to the job summary
    (the file GITHUB_STEP_SUMMARY names).

    With --only, just the named entities and the creations they wait for (like Terraform's
    -target)."""
    repo = _repo(ctx)
    the_plan, names = ops.plan_with_names(repo, scope=only)
    differences = ops.main_differences(repo)
    if differences:
        click.echo(
            f"! state/ differs from main ({'; '.join(differences[:3])}"
            + (f"; and {len(differences) - 3} more" if len(differences) > 3 else "")
            + "): this plan previews the checkout; apply applies only what main holds",
            err=True,
        )
    target = repo.config.target.get("type", "sqlite")
    click.echo(_render_plan(the_plan, fmt, target, names), nl=False)
    # The safety check runs in dry-run too, after the plan is shown (as octoDNS does).
    refusals = core_plan.safety_problems(the_plan, *ops.safety_limits(repo, None, None))
    for problem in refusals:
        click.echo(f"! apply would refuse this plan: {problem}", err=True)
    if github_output.summary_wanted():
        github_output.append_step_summary(
            render_markdown.refusals_markdown(refusals)
            + _render_plan(the_plan, "markdown", target, names)
        )
    if out:
        write_file(out, _render_plan(the_plan, "json", target, names))
    if detailed_exitcode and the_plan.changes:
        ctx.exit(EXIT_PENDING)


def _render_plan(the_plan: core_plan.Plan, fmt: str, target: str, names=None) -> str:
    buffer = io.StringIO()
    kwargs = {"names": names} if names is not None else {}
    if fmt == "json":
        render_json.plan_json(the_plan, buffer, **kwargs)
    else:
        renderer = render_markdown.plan_markdown if fmt == "markdown" else render_text.plan_text
        renderer(the_plan, buffer, target=target, **kwargs)
    return buffer.getvalue()


@cli.command()
@click.argument("planfile", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--auto-approve", is_flag=True, help="Apply without asking.")
@click.option(
    "--max-deletes",
    type=click.IntRange(min=0),
    help="Allow this many deletions (default: policies/sync.yaml safety.max_deletes).",
)
@click.option(
    "--max-deactivations",
    type=click.IntRange(min=0),
    help="Allow this many member deactivations (default: safety.max_removal_share of the "
    "managed members, at least safety.min_removal_floor).",
)
@ONLY_OPTION
@click.pass_context
def apply(
    ctx,
    planfile: Path | None,
    auto_approve: bool,
    max_deletes: int | None,
    max_deactivations: int | None,
    only,
) -> None:
    """Make the platform match state/ (or carry out a saved PLANFILE if still current).

    With --only, just the named entities and the creations they wait for; the safety checks
    run on what is applied."""
    repo = _repo(ctx)
    saved = None
    if planfile:
        from reconciler.cli.output import read_plan_file

        saved = read_plan_file(planfile)
    target = repo.config.target.get("type", "sqlite")

    def confirm(the_plan: core_plan.Plan) -> bool:
        click.echo(_render_plan(the_plan, "text", target), nl=False)
        if auto_approve:
            return True
        if not sys.stdin.isatty():
            # Exit 1, not 64: the same command line is right on a terminal; what is missing is
            # someone to ask.
            raise HrsyncError(
                "no terminal to ask for approval: pass --auto-approve to apply without asking"
            )
        return click.confirm("Apply these changes?", default=False)

    with ProgressLine() as progress:
        the_plan, result = ops.run_apply(
            repo,
            saved=saved,
            max_deletes=max_deletes,
            max_deactivations=max_deactivations,
            confirm=confirm,
            on_progress=progress,
            scope=only,
        )
    if not the_plan.changes:
        click.echo(the_plan.summary_line())
    elif result is None:
        click.echo("Nothing applied.")
    else:
        click.echo(f"Applied {result.applied} change(s).")


@cli.command()
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.pass_context
def show(ctx, fmt: str) -> None:
    """Show what the platform holds now, managed by hrsync or made by hand."""
    repo = _repo(ctx)
    state = ops.read_platform(repo)
    if fmt == "json":
        click.echo(render_to(render_json.platform_json, state), nl=False)
    else:
        buffer = io.StringIO()
        render_text.platform_text(state, buffer, target=repo.config.target.get("type", "sqlite"))
        click.echo(buffer.getvalue(), nl=False)


@cli.command()
@click.option("--email", "emails", multiple=True, help="E-mail of a hand-made account to adopt.")
@click.option(
    "--all",
    "link_all",
    is_flag=True,
    help="Adopt every hand-made account whose e-mail is a member's in state/.",
)
@click.pass_context
def link(ctx, emails: tuple[str, ...], link_all: bool) -> None:
    """Adopt hand-made platform accounts into hrsync's care, matched by e-mail.

    The member must be in state/ (the HRIS knows them); the next plan then shows any field the
    account has that differs from the HRIS.
    """
    if bool(emails) == link_all:
        raise click.UsageError("give --email E (one or more) or --all")
    linked = ops.link_members(_repo(ctx), None if link_all else list(emails))
    for email, member_id in linked:
        click.echo(f"linked {email} → member {member_id}")
    if not linked:
        click.echo("No hand-made account matches a member in state/.")


for _command in commands.ALL:
    cli.add_command(_command)


def main() -> None:
    cli(prog_name="hrsync")
