"""`hrsync demo`: the whole loop, offline, on a bundled fictional company (Northwind Robotics).

The state repository in DIRECTORY is the nightly runner's checkout; its remote (standing in for
GitHub) is a bare repository in DIRECTORY/.hrsync/remote.git, and proposals are reviewed with
`hrsync review` (forge: local), so everything runs on this machine in a few seconds.

Night 1: everything is manual → one proposal branch per kind; the HR admin approves teams and
jobs, drops one member (a contractor) from the members proposal and approves the rest → apply.
A hand-made account is adopted with `hrsync link`; a change made only in the platform (drift) is
reverted. HR then makes member syncs automatic.
Night 2: the members sync lands on main by itself and is applied; the dropped member stays out;
the rest waits in proposals. Night 3: nothing changed → no commit. `hrsync history` tells it all.
"""

from __future__ import annotations

import io
import json
import shutil
from collections.abc import Callable
from importlib import resources
from pathlib import Path

import git

from reconciler import operations as ops
from reconciler.gitops.approval import approve, find_pending, pending, proposal_checkout
from reconciler.gitops.commits import Identity, commit_paths
from reconciler.gitops.dropped import DropLedger
from reconciler.gitops.history import history
from reconciler.gitops.pipeline import run_sync
from reconciler.gitops.proposal_view import pending_names, pull_request_body_of
from reconciler.render.gitops_text import (
    history_text,
    pending_text,
    proposal_detail_text,
    sync_text,
)
from reconciler.render.text import plan_text, platform_text, proposal_text
from reconciler.reviews.listing import render_export
from reconciler.reviews.model import Review
from reconciler.reviews.runner import run_export
from reconciler.reviews.store import upsert_review
from reconciler.scaffold import init_repository
from reconciler.targets.sqlite import SqlitePlatform

Say = Callable[[str], None]
HR_ADMIN = Identity("Ines Ferreira (HR)", "ines.ferreira@northwind.example")
CONTRACTOR = "1016"  # Daniel O'Brien: a contractor HR does not want on the platform
STORY_MEMBER = "oskar.nilsson@northwind.example"


def _demo_file(name: str) -> Path:
    return Path(str(resources.files("reconciler").joinpath("data", "demo", name)))


def _rendered(renderer, value, **kwargs) -> str:
    buffer = io.StringIO()
    renderer(value, buffer, **kwargs)
    return buffer.getvalue()


def run_demo(directory: Path, say: Say) -> None:
    directory = directory.resolve()  # git resolves a relative remote against another folder
    say(f"hrsync demo — Northwind Robotics, in {directory}\n")
    git_repo = init_repository(directory, company="Northwind Robotics", source="file")
    # where hrsync.yaml expects the export: the git-ignored hris/, as a real export would be
    export = directory / "hris/export.csv"
    export.parent.mkdir(exist_ok=True)
    shutil.copyfile(_demo_file("night1.csv"), export)
    remote = directory / ".hrsync" / "remote.git"
    git.Repo.init(remote, bare=True, initial_branch="main")
    git_repo.create_remote("origin", str(remote))
    git_repo.git.push("-q", "origin", "main")
    say("== hrsync init: a new state repository; every policy starts `manual`")
    say(f"   (its remote, standing in for GitHub: {remote}; forge: local)\n")

    platform = SqlitePlatform(directory / ".hrsync/platform.db", writable=True)
    platform.add_member_by_hand("ines.ferreira@northwind.example", "Ines", "Ferreira", "admin")
    platform.close()
    say("(In the platform, Ines from HR had already made her own admin account by hand.)")

    _night(directory, say, "Night 1: the first snapshot; everything is manual")
    say("== hrsync review list")
    say(_rendered(pending_text, pending(directory)))
    say("(Each proposal holds one kind: the members wait for their teams and jobs.)\n")
    _approve(directory, say, "teams")
    _approve(directory, say, "jobs")
    say("== hrsync sync --kind members (rebuilt on the new main: teams and jobs are in)")
    say(_rendered(sync_text, run_sync(directory, ("members",), apply=True)))
    say("== hrsync review show members (the first few)")
    say(_review_show(directory, "members", limit=3))
    _approve(directory, say, "members", drop=(CONTRACTOR,))

    say("== hrsync link --email ines.ferreira@northwind.example")
    repo = ops.Repo.open(directory)
    for email, member_id in ops.link_members(repo, ["ines.ferreira@northwind.example"]):
        say(f"linked {email} → member {member_id}")
    _plan_apply(repo, say)

    platform = SqlitePlatform(directory / ".hrsync/platform.db", writable=True)
    platform.db.execute("UPDATE teams SET name = 'Platform Squad' WHERE external_id = 'D210'")
    platform.close()
    say("\n(Someone renamed team D210 in the platform's UI: drift. The HRIS is leading.)")
    _plan_apply(ops.Repo.open(directory), say)

    policy = directory / "policies/sync.yaml"
    policy.write_text(
        policy.read_text(encoding="utf-8").replace(
            "members: {import: manual, sync: manual,", "members: {import: manual, sync: automatic,"
        ),
        encoding="utf-8",
    )
    commit_paths(git_repo, "policies: member syncs are automatic from now on\n", HR_ADMIN)
    git_repo.git.push("-q", "origin", "main")
    say("\n(HR trusts the data now: policies/sync.yaml members.sync → automatic, pushed.)")

    shutil.copyfile(_demo_file("night2.csv"), export)
    _night(directory, say, "Night 2: a leaver, a changed job, a renamed team, a new hire")
    say("== hrsync review list")
    say(_rendered(pending_text, pending(directory)))
    say("== hrsync review show teams --format markdown (the pull-request body, as GitHub shows it)")
    say(_teams_body(directory))
    _approve(directory, say, "teams")

    _night(directory, say, "Night 3: the HRIS has not changed")
    _reviews(directory, git_repo, say)

    say("== hrsync history --member oskar.nilsson@northwind.example")
    main = git_repo.commit("main").hexsha
    say(_rendered(history_text, history(git_repo, main, member=STORY_MEMBER)))
    say(f"== hrsync history --member {CONTRACTOR}")
    say(_rendered(history_text, history(git_repo, main, member=CONTRACTOR)))
    say("== hrsync show")
    say(_rendered(platform_text, ops.read_platform(ops.Repo.open(directory)), target="sqlite"))
    say("== git log --graph (what auditors read)")
    say(git_repo.git.log("--graph", "--format=%h %an: %s", "main"))
    say(f"\nDone. The repository is {directory}; try `hrsync -C {directory} history`.")


def _reviews(directory: Path, git_repo: git.Repo, say: Say) -> None:
    say("\n==== Night 4: the 2026-H2 review cycle closed; reports go into the HRIS ====\n")
    platform = SqlitePlatform(directory / ".hrsync/platform.db", writable=True)
    documents = json.loads(_demo_file("reviews.json").read_text(encoding="utf-8"))
    for data in documents:
        upsert_review(platform.db, Review.from_data(data))
    platform.close()
    finished = sum(1 for d in documents if d["status"] == "finished")
    say(f"(In the platform, {finished} reviews were finished; 1 is still a draft.)")
    say("== hrsync reviews export --dry-run")
    say(render_export(run_export(directory, dry_run=True)))
    policy = directory / "policies/sync.yaml"
    policy.write_text(
        policy.read_text(encoding="utf-8").replace("reviews: manual", "reviews: automatic"),
        encoding="utf-8",
    )
    commit_paths(git_repo, "policies: file finished reviews every night\n", HR_ADMIN)
    git_repo.git.push("-q", "origin", "main")
    say("(policies/sync.yaml reviews → automatic, pushed.)\n")
    say("== hrsync sync (the nightly run)")
    report = run_sync(directory, apply=True)
    say(_rendered(sync_text, report))
    say(render_export(report.reviews))
    say("== where they are: the HRIS personnel files (this demo's HRIS is a file export)")
    for pdf in sorted((directory / "hris/documents").rglob("*.pdf")):
        say(f"  {pdf.relative_to(directory)}  ({pdf.stat().st_size // 1024} KiB)")
    say("\n== hrsync sync again: each review is filed once")
    say(_rendered(sync_text, run_sync(directory, apply=True)))


def _night(directory: Path, say: Say, title: str) -> None:
    say(f"\n==== {title} ====\n")
    repo = ops.Repo.open(directory)
    snapshot = ops.fetch_snapshot(repo)
    say(
        f"== what the HRIS says: {len(snapshot.employees)} employees, {len(snapshot.teams)} "
        f"teams, {len(snapshot.jobs)} jobs; `hrsync propose` compared with main:"
    )
    proposal = DropLedger.load(directory).without_dropped(ops.make_proposal(repo, snapshot))
    say(_rendered(proposal_text, proposal))
    say("== hrsync sync (the nightly run)")
    say(_rendered(sync_text, run_sync(directory, apply=True)))


def _approve(directory: Path, say: Say, kind: str, drop: tuple[str, ...] = ()) -> None:
    flags = "".join(f" --drop {i}" for i in drop)
    say(f'== hrsync review approve {kind}{flags} --as "{HR_ADMIN}"')
    result = approve(directory, kind, HR_ADMIN, drop=drop, apply=True)
    if result.dropped:
        say(f"dropped from the proposal: {', '.join(result.dropped)}")
    say(f"merged into main: {result.merge_commit[:10]}")
    if result.plan is not None:
        say(f"apply: {result.plan.summary_line()} {result.applied} applied.\n")


def _review_show(directory: Path, kind: str, limit: int) -> str:
    item = find_pending(directory, kind)
    names = pending_names(proposal_checkout(directory), item)
    return _rendered(proposal_detail_text, item, limit=limit, names=names)


def _teams_body(directory: Path) -> str:
    item = find_pending(directory, "teams")
    return pull_request_body_of(proposal_checkout(directory), "teams", item.tip)


def _plan_apply(repo: ops.Repo, say: Say) -> None:
    say("== hrsync plan")
    plan, names = ops.plan_with_names(repo)
    say(_rendered(plan_text, plan, target="sqlite", names=names))
    if plan.changes:
        say("== hrsync apply --auto-approve")
        _, result = ops.run_apply(repo, confirm=ops.auto_approved)
        say(f"Applied {result.applied} change(s).\n" if result else "Nothing applied.\n")
