"""GitOps commands: sync, review, history, workflows, plan-comment (thin: parse, call, render)."""

from __future__ import annotations

import io
import json
from datetime import date

import click

from reconciler.cli import github_output
from reconciler.cli.lazy import lazy
from reconciler.cli.output import ProgressLine, repo_root
from reconciler.core.model import KINDS

gitops_text = lazy("reconciler.render.gitops_text")
ops = lazy("reconciler.operations")

KIND_CHOICE = click.Choice([*KINDS, "all"])


def _kinds(kind: str) -> tuple[str, ...]:
    return KINDS if kind == "all" else (kind,)


def only_scope(ctx, param, words: tuple[str, ...]):
    """`--only KIND:ID ...` as a Scope (None when not given); a bad word is a usage error."""
    if not words:
        return None
    from reconciler.core.scope import Scope, ScopeSyntaxError

    try:
        return Scope.parse(words)
    except ScopeSyntaxError as exc:
        raise click.BadParameter(str(exc), ctx=ctx, param=param) from None


@click.command()
@click.option("--kind", type=KIND_CHOICE, default="all", show_default=True)
@click.option("--no-apply", is_flag=True, help="Commit and push, but do not apply.")
@click.option(
    "--max-deletes", type=click.IntRange(min=0), help="Allow apply this many deletions tonight."
)
@click.option(
    "--only",
    "only",
    multiple=True,
    metavar="KIND:ID",
    callback=only_scope,
    help="Provision on demand: only member:ID, team:ID or job:ID (repeatable), with the teams "
    "and jobs a member needs; same policies, so a manual change still waits for review.",
)
@click.option(
    "--incremental",
    is_flag=True,
    help="Fetch only what the HRIS changed since the last incremental run (recorded in "
    "policies/incremental.yaml); proposes imports and syncs, never a cleanup.",
)
@click.pass_context
def sync(ctx, kind: str, no_apply: bool, max_deletes: int | None, only, incremental) -> None:
    """The nightly run: fetch, propose, commit automatic changes to main, rebuild the rolling
    branch and pull request per kind for the manual ones, then plan against main and apply what
    is left (every run, so a night after a failed apply makes it good). Exit 1 when apply
    failed; the output says what is still pending. In GitHub Actions the plan applied (or
    still pending) is also appended to the job summary.

    With --only, the same for the named entities alone (and applies only those); with
    --incremental, the same for what changed since the last incremental run."""
    from reconciler.gitops.pipeline import run_sync

    if only is not None and incremental:
        raise click.UsageError("--only and --incremental do not go together: choose one")
    root = repo_root(ctx)
    with ProgressLine() as progress:
        report = run_sync(
            root,
            _kinds(kind),
            apply=not no_apply,
            max_deletes=max_deletes,
            progress=progress,
            only=only,
            incremental=incremental,
        )
    for warning in report.warnings:
        click.echo(f"! {warning}", err=True)
    _echo(gitops_text.sync_text, report)
    if report.plan is not None and github_output.summary_wanted():
        github_output.append_step_summary(sync_summary(report))
    if report.apply_error is not None:
        ctx.exit(1)


def sync_summary(report) -> str:
    """The night's plan for the job summary: what was applied, or what is still pending."""
    from reconciler.render.markdown import esc, plan_markdown
    from reconciler.render.names import NO_NAMES

    buffer = io.StringIO()
    if report.apply_error is not None:
        buffer.write(f"> [!WARNING]\n> apply failed: {esc(report.apply_error)}\n\n")
        buffer.write("Still pending on the platform:\n\n")
    else:
        buffer.write(f"hrsync sync applied {report.applied} change(s) of this plan:\n\n")
    plan_markdown(report.plan, buffer, names=report.names or NO_NAMES)
    return buffer.getvalue()


def _echo(renderer, value, **kwargs) -> None:
    buffer = io.StringIO()
    renderer(value, buffer, **kwargs)
    click.echo(buffer.getvalue(), nl=False)


@click.group()
def review() -> None:
    """Read and approve proposals without a forge (forge: local): the branches hrsync/<kind>."""


@review.command("list")
@click.pass_context
def review_list(ctx) -> None:
    """The proposals waiting for review."""
    from reconciler.gitops.approval import pending

    _echo(gitops_text.pending_text, pending(repo_root(ctx)))


@review.command("show")
@click.argument("kind", type=click.Choice(KINDS))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "markdown"]),
    default="text",
    show_default=True,
    help="markdown: the pull-request body exactly as the forge receives it (warnings, changes "
    "with names, the Mermaid org chart of team changes), from the branch's proposal commit.",
)
@click.pass_context
def review_show(ctx, kind: str, fmt: str) -> None:
    """One proposal, entity by entity, field before → after, ids with names."""
    from reconciler.gitops import proposal_view
    from reconciler.gitops.approval import find_pending, proposal_checkout

    root = repo_root(ctx)
    item = find_pending(root, kind)
    checkout = proposal_checkout(root)
    if fmt == "markdown":
        click.echo(proposal_view.pull_request_body_of(checkout, kind, item.tip), nl=False)
        return
    names = proposal_view.pending_names(checkout, item)
    _echo(gitops_text.proposal_detail_text, item, names=names)
    click.echo(f"\nApprove with `hrsync review approve {kind}`; leave items out with --drop ID.")


@review.command("approve")
@click.argument("kind", type=click.Choice(KINDS))
@click.option("--as", "as_", metavar='"NAME <EMAIL>"', help="Who approves (default: git config).")
@click.option("--drop", multiple=True, metavar="ID", help="Leave this entity out (repeatable).")
@click.option("--no-apply", is_flag=True, help="Merge and push, but do not apply.")
@click.option(
    "--max-deletes",
    type=click.IntRange(min=0),
    help="Allow apply this many deletions (default: policies/sync.yaml safety.max_deletes).",
)
@click.pass_context
def review_approve(
    ctx, kind: str, as_: str | None, drop: tuple[str, ...], no_apply: bool, max_deletes
):
    """Merge hrsync/KIND into main (merge commit by the approver, Approved-by trailer), then
    apply. Exit 1 when apply stops after the merge; the output says how to go on."""
    from reconciler.gitops.approval import approve, approver_identity

    root = repo_root(ctx)
    result = approve(
        root,
        kind,
        approver_identity(root, as_),
        drop=drop,
        apply=not no_apply,
        max_deletes=max_deletes,
    )
    if result.dropped:
        click.echo(f"dropped from the proposal: {', '.join(result.dropped)}")
    click.echo(f"merged into main and pushed: {result.merge_commit[:10]}")
    if result.apply_stopped is not None:
        click.echo(f"apply stopped: {result.apply_stopped}", err=True)
        if result.plan is not None:
            click.echo(f"still pending on the platform: {result.plan.summary_line()}", err=True)
        click.echo(
            "To go on: `hrsync apply --auto-approve` (with --max-deletes N if the deletions "
            "are intended).",
            err=True,
        )
        ctx.exit(1)
    if result.plan is not None:
        click.echo(f"{result.plan.summary_line()}\nApplied {result.applied} change(s).")


@click.command()
@click.option("--member", help="Member id or e-mail.")
@click.option("--team", help="Team id.")
@click.option("--job", help="Job id.")
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), help="YYYY-MM-DD.")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.option(
    "--build-graph",
    is_flag=True,
    help="First write git's commit graph with changed paths (once; sync keeps it up to date).",
)
@click.pass_context
def history(ctx, member, team, job, since, fmt: str, build_graph: bool) -> None:
    """Every change to state/ from git alone: when, which commit, field before → after,
    automatic or approved (pull request, who merged it)."""
    from reconciler.gitops.checkout import Checkout
    from reconciler.gitops.history import graph_hint, refresh_commit_graph
    from reconciler.gitops.history import history as read_history
    from reconciler.gitops.pipeline import settings_of

    root = repo_root(ctx)
    settings = settings_of(ops.Repo.open(root))
    checkout = Checkout(root, settings)
    main = checkout.rev(settings.main) or "HEAD"
    if build_graph and not refresh_commit_graph(root):
        click.echo("! the commit graph could not be written; reading history without it", err=True)
    hint = None if build_graph else graph_hint(checkout.repo, main)
    since_day: date | None = since.date() if since else None
    events = read_history(checkout.repo, main, member=member, team=team, job=job, since=since_day)
    if fmt == "json":
        click.echo(json.dumps([e.data() for e in events], indent=2, ensure_ascii=False))
    else:
        _echo(gitops_text.history_text, events)
    if hint:
        click.echo(hint, err=True)


@click.command()
@click.option("--check", is_flag=True, help="Only report workflows that differ; exit 1 if any.")
@click.pass_context
def workflows(ctx, check: bool) -> None:
    """Write .github/workflows (nightly sync per kind at the policy's schedule, the incremental
    run at schedule.incremental if set, plan on pull request, apply on merge) from hrsync.yaml
    and policies/sync.yaml."""
    from reconciler.gitops.workflows import stale_workflows, write_workflows

    repo = ops.Repo.open(repo_root(ctx))
    if check:
        stale = stale_workflows(repo)
        for rel in stale:
            click.echo(f"{rel}: differs from what `hrsync workflows` writes")
        ctx.exit(1 if stale else 0)
    from reconciler.gitops.workflows import deployment_warnings

    for warning in deployment_warnings(repo.config):
        click.echo(f"! {warning}", err=True)
    written = write_workflows(repo, warn=False)
    for path in written:
        click.echo(f"wrote {path.relative_to(repo.root)}")
    if not written:
        click.echo("Workflows are up to date.")


@click.command("plan-comment")
@click.option("--pr", "number", type=int, required=True, help="The pull request number.")
@click.pass_context
def plan_comment(ctx, number: int) -> None:
    """Post the plan of this checkout as the pull request's hrsync comment (edited in place)."""
    from reconciler.core.plan import safety_problems
    from reconciler.gitops.comments import split_comment
    from reconciler.gitops.forge import open_forge
    from reconciler.render.markdown import plan_markdown, refusals_markdown

    repo = ops.Repo.open(repo_root(ctx))
    plan, names = ops.plan_with_names(repo)
    buffer = io.StringIO()
    # The safety check runs here too, so a reviewer sees before merging what apply would refuse.
    buffer.write(refusals_markdown(safety_problems(plan, *ops.safety_limits(repo, None, None))))
    plan_markdown(plan, buffer, target=repo.config.target.get("type", "sqlite"), names=names)
    if github_output.summary_wanted():  # the check run's summary page shows it too
        github_output.append_step_summary(buffer.getvalue())
    parts = split_comment(buffer.getvalue(), "hrsync:plan")
    forge = open_forge(repo.config, repo.config.git.get("main_branch", "main"))
    try:
        forge.upsert_comments(number, "hrsync:plan", parts)
    finally:
        forge.close_session()
    count = f" in {len(parts)} comments" if len(parts) > 1 else ""
    click.echo(f"plan posted on #{number}{count}: {plan.summary_line()}")


@click.group()
def guard() -> None:
    """The removal guard: automatic removals counted over safety.window_days; once past the
    share, that kind's automatic removals pause until a person releases them."""


@guard.command("status")
@click.pass_context
def guard_status(ctx) -> None:
    """Which kinds are paused, and the automatic removals counted in the window."""
    from reconciler.clock import today
    from reconciler.core.guard import allowed_removals
    from reconciler.gitops.checkout import Checkout
    from reconciler.gitops.guard import load_guard, window_counts
    from reconciler.gitops.pipeline import settings_of

    repo = ops.Repo.open(repo_root(ctx))
    checkout = Checkout(repo.root, settings_of(repo))
    main = checkout.settings.main
    state = load_guard(checkout, main)
    counts = window_counts(checkout, main, repo.policy.window_days, today())
    desired = repo.state()
    for kind in KINDS:
        allowed = allowed_removals(repo.policy, desired.managed(kind))
        entry = state.paused.get(kind)
        status = (
            f"PAUSED since {entry.get('since')} ({entry.get('removals')} removals of "
            f"{entry.get('managed')}); release with `hrsync guard release {kind}`"
            if entry
            else "automatic removals allowed"
        )
        click.echo(
            f"{kind:8} {counts.get(kind, 0)} of {allowed} automatic removals in the last "
            f"{repo.policy.window_days} days; {status}"
        )


@guard.command("release")
@click.argument("kind", type=click.Choice(KINDS))
@click.option("--as", "as_", metavar='"NAME <EMAIL>"', help="Who releases (default: git config).")
@click.pass_context
def guard_release(ctx, kind: str, as_: str | None) -> None:
    """Acknowledge the removals so far and let automatic removals of KIND go on: a commit on
    main with you as its author."""
    from reconciler.gitops.approval import approver_identity
    from reconciler.gitops.checkout import Checkout, sync_lock
    from reconciler.gitops.guard import release
    from reconciler.gitops.pipeline import settings_of

    root = repo_root(ctx)
    person = approver_identity(root, as_)
    checkout = Checkout(root, settings_of(ops.Repo.open(root)))
    with sync_lock(root):
        checkout.fetch()
        checkout.checkout_main()
        sha = release(checkout, kind, person)
    click.echo(f"released: automatic {kind} removals go on ({sha[:10]}, by {person})")


ALL = [sync, review, history, workflows, plan_comment, guard]
