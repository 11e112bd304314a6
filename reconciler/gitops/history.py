"""`hrsync history`: the auditors' view, from git alone.

One `git log --first-parent` over the state files (path-filtered, so a long history is not
walked per entity) gives each commit that changed main; blobs are read through one persistent
`git cat-file`. A merge commit is an approved proposal (its pull request number and who merged
it come from the merge message and the `Approved-by:` trailer); a commit with
`Hrsync-Mode: automatic` was made by the nightly run; anything else is a hand edit on main.
Drops recorded in `policies/dropped.yaml` are listed too.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import date

import git
import yaml

from reconciler.core.model import KINDS, entity_from_data, field_diff
from reconciler.gitops.commits import trailers_of
from reconciler.state.entities import SINGULAR

_PR_NUMBER = re.compile(r"(?:Merge pull request #(\d+)|\(#(\d+)\)$)")
_DROPPED_LINE = re.compile(r"^- dropped (team|job|member) (\S+) by (.+) in ([0-9a-f]+)$")
_RECORD = "\x1e"


@dataclass(frozen=True)
class EntityChange:
    kind: str
    id: str
    action: str  # import | sync | cleanup | dropped
    fields: list[tuple[str, object, object]] = field(default_factory=list)


@dataclass(frozen=True)
class Event:
    date: str
    commit: str
    change: EntityChange
    how: str  # automatic | approved | direct | dropped
    author: str
    subject: str
    pull_request: int | None = None
    branch: str | None = None
    merged_by: str | None = None

    def data(self) -> dict:
        data = asdict(self)
        change = data.pop("change")
        data.update(
            kind=change["kind"],
            id=change["id"],
            action=change["action"],
            fields=[{"field": n, "before": b, "after": a} for n, b, a in change["fields"]],
        )
        return data


def _entity(repo: git.Repo, rev: str, path: str, kind: str):
    try:
        blob = repo.commit(rev).tree / path
    except KeyError:
        return None
    try:
        return entity_from_data(kind, yaml.safe_load(blob.data_stream.read()))
    except (yaml.YAMLError, TypeError, KeyError):
        return None


def entity_change(repo: git.Repo, old: str, new: str, path: str) -> EntityChange | None:
    """What one state file's change between two revisions means, field by field."""
    parts = path.split("/")
    if len(parts) != 3 or parts[0] != "state" or parts[1] not in KINDS:
        return None
    kind, entity_id = parts[1], parts[2].removesuffix(".yaml")
    before, after = _entity(repo, old, path, kind), _entity(repo, new, path, kind)
    if before is None and after is None:
        return None
    action = "import" if before is None else "cleanup" if after is None else "sync"
    diff = field_diff(before, after) if action != "cleanup" else []
    return EntityChange(kind, entity_id, action, diff)


def changed_entities(repo: git.Repo, old: str, new: str) -> list[EntityChange]:
    """Every entity that differs between two revisions (e.g. main and a proposal branch)."""
    names = repo.git.diff("--name-only", "--no-renames", old, new, "--", "state")
    changes = [entity_change(repo, old, new, path) for path in names.splitlines()]
    return [c for c in changes if c is not None]


def entity_paths(repo: git.Repo, rev: str, *, member=None, team=None, job=None) -> list[str]:
    paths = []
    if member:
        paths += [f"state/members/{i}.yaml" for i in _member_ids(repo, rev, member)]
    if team:
        paths.append(f"state/teams/{team}.yaml")
    if job:
        paths.append(f"state/jobs/{job}.yaml")
    return paths


def _member_ids(repo: git.Repo, rev: str, member: str) -> list[str]:
    if "@" not in member:
        return [member]
    # An e-mail: the file that holds it now, else any file that ever held it (a leaver).
    found = repo.git.grep(
        "-l", "-i", "-F", f"email: {member}", rev, "--", "state/members", with_exceptions=False
    )
    names = [line.split(":", 1)[1] for line in found.splitlines() if ":" in line]
    if not names:
        names = repo.git.log(
            "--format=", "--name-only", f"-S{member}", rev, "--", "state/members"
        ).split()
    ids = sorted({n.rsplit("/", 1)[-1].removesuffix(".yaml") for n in names if n})
    return ids or [member]


def history(
    repo: git.Repo,
    main: str,
    *,
    member: str | None = None,
    team: str | None = None,
    job: str | None = None,
    since: date | None = None,
) -> list[Event]:
    """Each change to the chosen entities (all of state/ without a filter), oldest first."""
    paths = entity_paths(repo, main, member=member, team=team, job=job)
    wanted = {(p.split("/")[1], p.split("/")[2].removesuffix(".yaml")) for p in paths}
    since_args = [f"--since={since.isoformat()}"] if since else []
    log = repo.git.log(
        "--first-parent",
        "--reverse",
        "--diff-merges=first-parent",
        "--name-only",
        "--no-renames",
        f"--format={_RECORD}%H%x00%P%x00%an <%ae>%x00%cI%x00%B%x00",
        *since_args,
        main,
        "--",
        *(paths or ["state"]),
    )
    events: list[Event] = []
    for record in log.split(_RECORD)[1:]:
        sha, parents, author, when, message, names = record.split("\x00", 5)
        parent_list = parents.split()
        if not parent_list:
            continue
        how = _how(message, len(parent_list))
        for path in names.split():
            change = entity_change(repo, parent_list[0], sha, path)
            if change is not None:
                events.append(_event(sha, when, author, message, how, change))
    events += _dropped(repo, main, since_args, wanted if paths else None)
    events.sort(key=lambda e: e.date)
    return events


def _how(message: str, parents: int) -> str:
    trailers = dict(trailers_of(message))
    if parents > 1 or _PR_NUMBER.search(message.splitlines()[0] if message else ""):
        return "approved"
    if trailers.get("Hrsync-Mode") == "automatic":
        return "automatic"
    return "direct"


def _event(sha, when, author, message, how, change) -> Event:
    subject = message.splitlines()[0] if message else ""
    trailers = dict(trailers_of(message))
    number = branch = merged_by = None
    if how == "approved":
        match = _PR_NUMBER.search(subject)
        if match:
            number = int(match.group(1) or match.group(2))
        branch_match = re.search(r"(?:from \S+?/|Merge )(hrsync/\w+)", subject)
        branch = branch_match.group(1) if branch_match else None
        merged_by = trailers.get("Approved-by") or author
    return Event(when, sha, change, how, author, subject, number, branch, merged_by)


def _dropped(repo, main, since_args, wanted) -> list[Event]:
    log = repo.git.log(
        "--first-parent",
        "--reverse",
        f"--format={_RECORD}%H%x00%cI%x00%an <%ae>%x00%B",
        "--grep=^Hrsync-Mode: ledger$",
        *since_args,
        main,
        "--",
        "policies/dropped.yaml",
    )
    events = []
    plural = {v: k for k, v in SINGULAR.items()}
    for record in log.split(_RECORD)[1:]:
        sha, when, author, message = record.split("\x00", 3)
        for line in message.splitlines():
            match = _DROPPED_LINE.match(line.strip())
            if not match:
                continue
            kind = plural[match.group(1)]
            if wanted is not None and (kind, match.group(2)) not in wanted:
                continue
            change = EntityChange(kind, match.group(2), "dropped")
            events.append(
                Event(
                    when,
                    sha,
                    change,
                    "dropped",
                    author,
                    message.splitlines()[0],
                    merged_by=match.group(3),
                )
            )
    return events
