"""A state repository with years of nightly history, for benchmarking `hrsync history`.

    python -m bench.history_gen DIR                      # 1,800 nights, 10k → 25k members
    python -m bench.history_gen DIR --nights 60 --start 500 --end 800

Each night is what `hrsync sync` and a reviewer leave on main: an automatic members commit
(moves, leavers' deactivations, as `Hrsync-Mode: automatic`), the teams whose coaches follow
(`Hrsync-Mode: derived`), and the manual proposal on `hrsync/members` (new hires, now and then a
clean-up of old leavers) merged the next morning by a reviewer — half of them as `hrsync review
approve` writes it (`Approved-by:`), half as a GitHub pull-request merge. Now and then a team or a
job is proposed and approved, a reviewer drops a hire (a ledger commit follows), or a person edits
a file on main by hand. Messages come from the project's own `message_with` and
`proposal_trailers`; files from `render_entity`.

Everything is written by one `git fast-import` (as reconciler/gitops/plumbing.py builds commits),
then repacked as a clone from the forge would be, so 1,800 nights take about a minute on two
cores. No commit graph is written. Deterministic for given arguments. Prints a JSON summary:
the repository, how many commits, and a member and a team with many events (for the benchmark).
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import time
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from reconciler.core.model import Job, Member, Team  # noqa: E402
from reconciler.core.propose import ProposedChange  # noqa: E402
from reconciler.gitops.commits import message_with, proposal_trailers  # noqa: E402
from reconciler.state.entities import render_entity  # noqa: E402

FIRST_NAMES = ["Anna", "Łukasz", "Oskar", "Dana", "Mira", "Jonas", "Aoife", "Søren", "Inès", "Kai"]
LAST_NAMES = ["Keller", "Żółć", "Nilsson", "de Vries", "O'Brien", "Müller", "Tanaka", "Costa"]
BOT = "hrsync-bot <hrsync-bot@users.noreply.github.com>"
REVIEWERS = ["Rita Reviewer <rita@northwind.example>", "Sam Lead <sam@northwind.example>"]
EDITORS = ["Hannah HR <hannah@northwind.example>"]
START = datetime(2021, 3, 1, tzinfo=UTC)
SYNCS_PER_NIGHT = 40
LEAVERS_PER_NIGHT = 5


class Org:
    """The company as the HRIS has it, changed a little every night."""

    def __init__(self, size: int, rng: random.Random):
        self.rng = rng
        self.next_id = 100000
        self.teams: dict[str, Team] = {}
        self.jobs: dict[str, Job] = {}
        self.members: dict[str, Member] = {}
        self.managers: list[str] = []  # managers never leave: no reference ever dangles
        self.leads: dict[str, list[str]] = {}  # team -> its managers (one or two)
        self.coach_counts: dict[str, Counter] = {}
        for _ in range(max(3, size // 25)):
            self.new_team()
        for _ in range(max(5, size // 200)):
            self.new_job()
        for _ in range(size):
            self.hire()
        self.teams = {t: replace(team, coaches=self.coaches(t)) for t, team in self.teams.items()}

    def new_team(self) -> Team:
        number = len(self.teams)
        parent = f"T{self.rng.randrange(number)}" if number else None
        team = Team(f"T{number}", f"Department {number}", parent)
        self.teams[team.id] = team
        self.coach_counts[team.id] = Counter()
        self.leads[team.id] = []
        return team

    def manager_in(self, team_id: str) -> str | None:
        leads = self.leads[team_id]
        if leads and self.rng.random() < 0.95:
            return self.rng.choice(leads)
        return self.rng.choice(self.managers) if self.managers else None

    def new_job(self) -> Job:
        job = Job(f"J{len(self.jobs)}", f"Job title {len(self.jobs)}")
        self.jobs[job.id] = job
        return job

    def hire(self) -> Member:
        member_id = str(self.next_id)
        self.next_id += 1
        first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
        team = self.rng.choice(list(self.teams))
        member = Member(
            member_id,
            f"person{member_id}@northwind.example",
            first,
            last,
            True,
            team,
            self.rng.choice(list(self.jobs)),
            self.manager_in(team),
        )
        if len(self.leads[team]) < 2 and self.rng.random() < 0.3:
            self.managers.append(member_id)
            self.leads[team].append(member_id)
        self.put(member)
        return member

    def put(self, member: Member | None, old: Member | None = None) -> None:
        """Store a member's new version (None: removed), keeping the coach counts."""
        for version, step in ((old, -1), (member, 1)):
            if version is not None and version.active and version.manager:
                self.coach_counts[version.team][version.manager] += step
        if member is None:
            del self.members[old.id]
        else:
            self.members[member.id] = member

    def coaches(self, team_id: str) -> tuple[str, ...]:
        return tuple(sorted(m for m, n in self.coach_counts[team_id].items() if n > 0))

    def sync_change(self, member: Member) -> tuple[Member, str]:
        roll = self.rng.random()
        if roll < 0.35:
            team = self.rng.choice(list(self.teams))
            return replace(member, team=team, manager=self.manager_in(team)), ""
        if roll < 0.6:
            return replace(member, job=self.rng.choice(list(self.jobs))), ""
        if roll < 0.9:
            return replace(member, manager=self.manager_in(member.team)), ""
        if roll < 0.97:
            return replace(member, last_name=self.rng.choice(LAST_NAMES)), ""
        return replace(member, email=f"p{member.id}.{self.rng.randrange(99)}@northwind.example"), ""


class FastImport:
    """One `git fast-import`, fed commit by commit."""

    def __init__(self, root: Path):
        self.process = subprocess.Popen(
            ["git", "-C", str(root), "fast-import", "--quiet", "--date-format=raw"],
            stdin=subprocess.PIPE,
        )
        self.mark = 0

    def commit(
        self,
        ref: str,
        when: datetime,
        who: str,
        message: str,
        files: dict[str, str | None],
        parent: str | None,
        merge: str | None = None,
    ) -> str:
        self.mark += 1
        stamp = f"{int(when.timestamp())} +0000"
        data = message.encode()
        out = bytearray(f"commit {ref}\nmark :{self.mark}\n".encode())
        out += f"author {who} {stamp}\ncommitter {who} {stamp}\n".encode()
        out += f"data {len(data)}\n".encode() + data + b"\n"
        if parent:
            out += f"from {parent}\n".encode()
        if merge:
            out += f"merge {merge}\n".encode()
        for path in sorted(files):
            text = files[path]
            if text is None:
                out += f"D {path}\n".encode()
            else:
                blob = text.encode()
                out += f"M 100644 inline {path}\ndata {len(blob)}\n".encode() + blob + b"\n"
        self.process.stdin.write(bytes(out) + b"\n")
        return f":{self.mark}"

    def close(self) -> None:
        self.process.stdin.close()
        if self.process.wait() != 0:
            raise SystemExit("git fast-import failed")


def _files(changes: list[ProposedChange]) -> dict[str, str | None]:
    return {
        f"state/{c.kind}/{c.id}.yaml": None if c.after is None else render_entity(c.kind, c.after)
        for c in changes
    }


class History:
    """Writes the nights; counts each entity's events so the benchmark can pick busy ones."""

    def __init__(self, root: Path, rng: random.Random, scaffold: str):
        self.rng = rng
        self.out = FastImport(root)
        self.main = scaffold
        self.events: Counter = Counter()
        self.pull_request = 0
        self.digest_number = 0
        self.commits = 0

    def _digest(self) -> str:
        self.digest_number += 1
        return f"{self.digest_number:064x}"

    def direct(self, when, who, message, files) -> str:
        self.main = self.out.commit("refs/heads/main", when, who, message, files, self.main)
        self.commits += 1
        return self.main

    def automatic(self, kind: str, when: datetime, changes: list[ProposedChange]) -> None:
        if not changes:
            return
        trailers = proposal_trailers(kind, "automatic", self._digest(), changes)
        self.direct(when, BOT, message_with(changes, trailers), _files(changes))
        self.events.update((c.kind, c.id) for c in changes)

    def proposal(self, kind: str, when: datetime, changes: list[ProposedChange]) -> str:
        """The bot's commit on hrsync/<kind> and a reviewer's merge the next morning."""
        trailers = proposal_trailers(kind, "manual", self._digest(), changes)
        message = message_with(changes, trailers)
        files = _files(changes)
        branch = f"hrsync/{kind}"
        tip = self.out.commit(f"refs/heads/{branch}", when, BOT, message, files, self.main)
        reviewer = self.rng.choice(REVIEWERS)
        subject = message.splitlines()[0]
        if self.rng.random() < 0.5:
            merge_message = f"Merge {branch}: {subject}\n\nApproved-by: {reviewer}\n"
            merge_message += f"Hrsync-Kind: {kind}\n"
        else:
            self.pull_request += 1
            merge_message = (
                f"Merge pull request #{self.pull_request} from northwind/{branch}\n\n{subject}\n"
            )
        morning = when + timedelta(hours=10, minutes=self.rng.randrange(60))
        self.main = self.out.commit(
            "refs/heads/main", morning, reviewer, merge_message, files, self.main, merge=tip
        )
        self.commits += 2
        self.events.update((c.kind, c.id) for c in changes)
        return tip


def generate(
    root: Path,
    nights: int = 1800,
    start: int = 10_000,
    end: int = 25_000,
    seed: int = 7,
    repack: bool = True,
) -> dict:
    from reconciler.scaffold import init_repository

    started = time.perf_counter()
    rng = random.Random(seed)
    repo = init_repository(root, company="Northwind Robotics", source="file")
    stamp = f"{int((START - timedelta(days=1)).timestamp())} +0000"
    repo.git.commit("--amend", "-q", "--no-edit", env={"GIT_COMMITTER_DATE": stamp}, date=stamp)
    history = History(root, rng, repo.head.commit.hexsha)
    org = Org(start, rng)

    # The first approved run: every team, job and member, as three merged proposals.
    for kind in ("teams", "jobs", "members"):
        entities = getattr(org, kind)
        changes = [
            ProposedChange(kind, "import", i, None, e, "manual") for i, e in entities.items()
        ]
        history.proposal(kind, START - timedelta(hours=20), changes)

    dropped: dict[str, Member] = {}
    ledger: list[str] = []
    for night in range(nights):
        evening = START + timedelta(days=night, hours=22)
        _night(history, org, night, nights, start, end, evening, dropped, ledger)
    history.out.close()
    for kind in ("teams", "jobs", "members"):
        repo.git.update_ref("-d", f"refs/heads/hrsync/{kind}")
    if repack:  # as a clone from the forge would be packed, not as fast-import leaves it
        repo.git.repack("-a", "-d", "-f", "-q")
    repo.git.reset("-q", "--hard", "main")

    def busiest(kind: str) -> tuple[str, int]:
        counts = sorted((n, i) for (k, i), n in history.events.items() if k == kind)
        n, entity_id = counts[int(len(counts) * 0.9)]  # busier than nine in ten
        return entity_id, n

    member, member_events = busiest("members")
    team, team_events = busiest("teams")
    return {
        "repository": str(root),
        "nights": nights,
        "commits": history.commits + 1,
        "members": len(org.members),
        "member": member,
        "member_email": org.members[member].email if member in org.members else None,
        "member_events": member_events,
        "team": team,
        "team_events": team_events,
        "seconds": round(time.perf_counter() - started, 1),
    }


def _night(history, org, night, nights, start, end, evening, dropped, ledger) -> None:
    rng = org.rng
    # Teams and jobs: now and then a new one or a rename, proposed and approved.
    if night % 23 == 5:
        if rng.random() < 0.5:
            team = org.new_team()
            change = ProposedChange("teams", "import", team.id, None, team, "manual")
        else:
            old = org.teams[rng.choice(list(org.teams))]
            team = replace(old, name=f"{old.name} (renamed {night})")
            org.teams[team.id] = team
            change = ProposedChange("teams", "sync", team.id, old, team, "manual")
        history.proposal("teams", evening, [change])
    if night % 41 == 7:
        job = org.new_job()
        history.proposal(
            "jobs",
            evening + timedelta(minutes=20),
            [ProposedChange("jobs", "import", job.id, None, job, "manual")],
        )
    evening += timedelta(minutes=40)
    if ledger:  # what a reviewer dropped last night goes into the ledger first
        lines = [
            f"members: {len(ledger)} dropped in review",
            "",
            *ledger,
            "",
            "Hrsync-Mode: ledger",
        ]
        text = "members:\n" + "".join(f"- id: '{d.split()[2]}'\n" for d in ledger)
        history.direct(evening, BOT, "\n".join(lines) + "\n", {"policies/dropped.yaml": text})
        ledger.clear()

    # Members, automatic: moves, leavers deactivated, now and then a rehire.
    touched_teams: set[str] = set()
    ids = list(org.members)
    changes: dict[str, ProposedChange] = {}
    for member_id in rng.sample(ids, min(len(ids), SYNCS_PER_NIGHT)):
        old = org.members[member_id]
        new, note = org.sync_change(old)
        if new == old:  # the HRIS changed nothing hrsync keeps
            continue
        changes[member_id] = ProposedChange(
            "members", "sync", member_id, old, new, "automatic", note
        )
    leavers = [i for i in rng.sample(ids, LEAVERS_PER_NIGHT * 2) if i not in org.managers]
    for member_id in leavers[:LEAVERS_PER_NIGHT]:
        old = changes[member_id].after if member_id in changes else org.members[member_id]
        if old.active:
            before = org.members[member_id]
            changes[member_id] = ProposedChange(
                "members",
                "sync",
                member_id,
                before,
                replace(old, active=False),
                "automatic",
                "deactivation",
            )
    for change in changes.values():
        org.put(change.after, change.before)
        touched_teams.update({change.before.team, change.after.team})
    history.automatic("members", evening, sorted(changes.values(), key=lambda c: c.id))

    # Teams, derived: coaches follow the members.
    refreshed = []
    for team_id in sorted(touched_teams):
        old = org.teams[team_id]
        coaches = org.coaches(team_id)
        if coaches != old.coaches:
            org.teams[team_id] = replace(old, coaches=coaches)
            refreshed.append(
                ProposedChange("teams", "sync", team_id, old, org.teams[team_id], "automatic")
            )
    if refreshed:
        lines = [f"teams: coaches follow the members ({len(refreshed)} team(s))", ""]
        lines += [
            f"- team {c.id}: coaches {', '.join(c.before.coaches) or 'none'} → "
            f"{', '.join(c.after.coaches) or 'none'}"
            for c in refreshed
        ]
        lines += ["", "Hrsync-Kind: teams", "Hrsync-Mode: derived"]
        history.direct(
            evening + timedelta(minutes=1), BOT, "\n".join(lines) + "\n", _files(refreshed)
        )
        history.events.update(("teams", c.id) for c in refreshed)

    # Members, manual: the new hires (up to the night's target size), monthly a clean-up.
    target = start + (end - start) * (night + 1) // nights
    proposed = []
    for _ in range(max(0, target - len(org.members))):
        member = org.hire()
        proposed.append(ProposedChange("members", "import", member.id, None, member, "manual"))
    for member in list(dropped.values()):
        if rng.random() < 0.2:  # the HRIS changed them: proposed again, approved this time
            del dropped[member.id]
            org.put(member)
            proposed.append(ProposedChange("members", "import", member.id, None, member, "manual"))
    if night % 30 == 29:
        gone = [m for m in org.members.values() if not m.active and int(m.id) % 3 == 0][:20]
        for member in gone:
            org.put(None, member)
            proposed.append(ProposedChange("members", "cleanup", member.id, member, None, "manual"))
    if night % 47 == 13 and len(proposed) > 1:  # a reviewer drops a hire before merging
        drop = proposed.pop(0)
        org.put(None, drop.after)
        dropped[drop.id] = drop.after
        ledger.append(f"- dropped member {drop.id} by {REVIEWERS[0]} in {night:010x}")
    if proposed:
        history.proposal("members", evening + timedelta(minutes=2), proposed)

    # Now and then a person fixes a file on main by hand.
    if night % 97 == 50:
        old = org.members[rng.choice(list(org.members))]
        new = replace(old, first_name=old.first_name + "-Marie")
        org.put(new, old)
        history.direct(
            evening + timedelta(hours=12),
            rng.choice(EDITORS),
            "Fix a first name\n",
            _files([ProposedChange("members", "sync", old.id, old, new, "manual")]),
        )
        history.events[("members", old.id)] += 1


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--nights", type=int, default=1800)
    parser.add_argument("--start", type=int, default=10_000, help="members on the first night")
    parser.add_argument("--end", type=int, default=25_000, help="members on the last night")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-repack", action="store_true", help="keep fast-import's pack")
    args = parser.parse_args(argv)
    if args.directory.exists() and any(args.directory.iterdir()):
        parser.error(f"{args.directory} is not empty")
    summary = generate(
        args.directory, args.nights, args.start, args.end, args.seed, not args.no_repack
    )
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
