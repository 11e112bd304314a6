"""`hrsync demo`: the whole loop, offline, on a bundled fictional company (Northwind Robotics).

Night 1: a first snapshot → proposal → an HR admin approves → plan → apply → show.
Night 2: a new hire, a leaver, a renamed team and a removed job → proposal → approve → apply.
Along the way: a hand-made account is left alone until `hrsync link` adopts it, and an edit made
only in the platform (drift) is reverted.
"""

from __future__ import annotations

import io
import shutil
from collections.abc import Callable
from importlib import resources
from pathlib import Path

import git

from reconciler import operations as ops
from reconciler.gitops.commits import Identity, change_message, commit_paths
from reconciler.render.text import plan_text, platform_text, proposal_text
from reconciler.scaffold import init_repository
from reconciler.targets.sqlite import SqlitePlatform

Say = Callable[[str], None]
HR_ADMIN = Identity("Ines Ferreira (HR)", "ines.ferreira@northwind.example")


def _demo_file(name: str) -> Path:
    return Path(str(resources.files("reconciler").joinpath("data", "demo", name)))


def _rendered(renderer, value, **kwargs) -> str:
    buffer = io.StringIO()
    renderer(value, buffer, **kwargs)
    return buffer.getvalue()


def run_demo(directory: Path, say: Say) -> None:
    say(f"hrsync demo — Northwind Robotics, in {directory}\n")
    init_repository(
        directory, company="Northwind Robotics", source="file", export=_demo_file("night1.csv")
    )
    git_repo = git.Repo(directory)
    say("== hrsync init: a new state repository; every policy starts `manual`\n")

    platform = SqlitePlatform(directory / ".hrsync/platform.db", writable=True)
    platform.add_member_by_hand("ines.ferreira@northwind.example", "Ines", "Ferreira", "admin")
    platform.close()
    say("(In the platform, Ines from HR had already made her own admin account by hand.)\n")

    _night(directory, git_repo, say, "Night 1: the first snapshot")

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

    shutil.copyfile(_demo_file("night2.csv"), directory / "hris/export.csv")
    _night(
        directory,
        git_repo,
        say,
        "Night 2: a new hire, a leaver, a renamed team, a job that is gone, a future hire",
    )

    say("== hrsync show")
    say(_rendered(platform_text, ops.read_platform(ops.Repo.open(directory)), target="sqlite"))
    say("== git log (what auditors read)")
    say(git_repo.git.log("--format=%h %an: %s"))
    say(f"\nDone. The repository is {directory}; try `hrsync -C {directory} plan`.")


def _night(directory: Path, git_repo: git.Repo, say: Say, title: str) -> None:
    say(f"\n==== {title} ====\n")
    repo = ops.Repo.open(directory)
    snapshot = ops.fetch_snapshot(repo)
    say(
        f"== hrsync fetch: {len(snapshot.employees)} employees, {len(snapshot.teams)} teams, "
        f"{len(snapshot.jobs)} jobs"
    )
    proposal = ops.make_proposal(repo, snapshot)
    say("== hrsync propose")
    say(_rendered(proposal_text, proposal))
    say("== an HR admin reviews the proposal and approves all of it")
    ops.write_proposal(repo, proposal, lambda change: True)
    message = change_message(
        proposal.changes,
        {
            "Hrsync-Snapshot": proposal.snapshot_digest,
            "Approved-by": f"{HR_ADMIN.name} <{HR_ADMIN.email}>",
        },
    )
    sha = commit_paths(git_repo, message, HR_ADMIN)
    if sha:
        say(f"committed {sha[:10]}: {message.splitlines()[0]}\n")
    _plan_apply(repo, say)


def _plan_apply(repo: ops.Repo, say: Say) -> None:
    say("== hrsync plan")
    plan = ops.make_plan(repo)
    say(_rendered(plan_text, plan, target="sqlite"))
    if plan.changes:
        say("== hrsync apply --auto-approve")
        _, result = ops.run_apply(repo)
        say(f"Applied {result.applied} change(s).\n" if result else "Nothing applied.\n")
