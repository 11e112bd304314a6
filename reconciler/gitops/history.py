"""`hrsync history`: the auditors' view, from git alone.

A merge commit is an approved proposal (its pull request number and who merged it come from the
merge message and the `Approved-by:` trailer); a commit with `Hrsync-Mode: automatic` was made by
the nightly run; anything else is a hand edit on main. Drops recorded in `policies/dropped.yaml`
are listed too.

Why it stays fast on years of nights over a tree of tens of thousands of members: one
`git log --first-parent --raw`, filtered to the entity's own file, names each commit that changed
it with the blobs before and after; with a commit graph that records changed paths (the nightly
sync writes it; `refresh_commit_graph`, `hrsync history --build-graph`) git skips every other
commit without opening its trees. Each blob is then read once through the one `git cat-file
--batch` process GitPython keeps; no tree is ever parsed in Python. So the cost follows the
entity's own events, not the size of the tree or the length of the history.

Old versions are read like today's files (size bound, no anchors or aliases); a version that
cannot be read is reported as unreadable, never a crash.
"""

from __future__ import annotations

import logging
import re
import struct
import subprocess
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

import git

from reconciler.core.ids import is_id
from reconciler.core.model import KINDS, SINGULAR, Member, entity_from_data, field_diff
from reconciler.errors import ConfigError, InvalidInput
from reconciler.gitops.commits import trailers_of
from reconciler.state.loader import MAX_STATE_FILE_BYTES, parse_state_yaml

log = logging.getLogger(__name__)

_PR_NUMBER = re.compile(r"(?:Merge pull request #(\d+)|\(#(\d+)\)$)")
_DROPPED_LINE = re.compile(r"^- dropped (team|job|member) (\S+) by (.+) in ([0-9a-f]+)$")
_NULL_SHA = "0" * 40
_REGULAR_FILE = ("100644", "100755")
# One commit of `git log -z`: these fields, then its --raw entries (`:meta`, path).
_COMMIT_FORMAT = "--format=%H%x00%P%x00%an <%ae>%x00%cI%x00%B"
_COMMIT_FIELDS = 5
LONG_HISTORY = 1000  # first-parent commits from which a missing commit graph is worth a hint


@dataclass(frozen=True)
class EntityChange:
    kind: str
    id: str
    action: str  # import | sync | cleanup | dropped
    fields: list[tuple[str, object, object]] = field(default_factory=list)
    unreadable: str | None = None  # a version that could not be read, and why (fields empty)


@dataclass(frozen=True)
class Event:
    date: str
    commit: str
    change: EntityChange
    how: str  # automatic | approved | derived | direct | dropped
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
        if change["unreadable"]:
            data["unreadable"] = change["unreadable"]
        return data


@dataclass(frozen=True)
class _Unreadable:
    reason: str


class _Versions:
    """Entities by blob, each blob read once through GitPython's persistent `git cat-file
    --batch`, and bounded as a state file is: size first, then no anchors or aliases."""

    def __init__(self, repo: git.Repo):
        self._git = repo.git
        self._read: dict[tuple[str, str], object] = {}

    def entity(self, kind: str, path: str, mode: str, sha: str):
        """The entity, None for no file, or `_Unreadable`."""
        if sha == _NULL_SHA:
            return None
        key = (kind, sha)
        if key not in self._read:
            self._read[key] = self._load(kind, path, mode, sha)
        return self._read[key]

    def _load(self, kind: str, path: str, mode: str, sha: str):
        if mode not in _REGULAR_FILE:
            return _Unreadable(f"not a regular file (mode {mode})")
        try:
            _, _, size, stream = self._git.stream_object_data(sha)
        except ValueError:
            return _Unreadable(f"blob {sha[:10]} is not in this clone")
        if size > MAX_STATE_FILE_BYTES:
            while stream.read(1 << 20):  # drained, so the persistent process stays in step
                pass
            return _Unreadable(f"{size:,} bytes: larger than a state file may be")
        try:
            data = parse_state_yaml(stream.read().decode("utf-8"), path)
        except UnicodeDecodeError:
            return _Unreadable("not UTF-8 text")
        except InvalidInput as exc:
            problem = exc.problems[0]
            where = f"line {problem.line}: " if problem.line else ""
            return _Unreadable(where + problem.message)
        try:
            return entity_from_data(kind, data)
        except (TypeError, KeyError, ValueError, AttributeError):
            return _Unreadable(f"not a {SINGULAR[kind]} (fields missing or unknown)")


def _state_file(path: str) -> tuple[str, str] | None:
    """(kind, id) of `state/<kind>/<id>.yaml`, else None (a .gitkeep, a stray file)."""
    parts = path.split("/")
    if len(parts) != 3 or parts[0] != "state" or parts[1] not in KINDS:
        return None
    if not parts[2].endswith(".yaml"):
        return None
    return parts[1], parts[2].removesuffix(".yaml")


def _change(versions: _Versions, raw: tuple[list[str], str]) -> EntityChange | None:
    """What one `--raw` entry (`:mode mode sha sha status`, path) means, field by field."""
    meta, path = raw
    found = _state_file(path)
    if found is None or len(meta) < 4:
        return None
    kind, entity_id = found
    before = versions.entity(kind, path, meta[0], meta[2])
    after = versions.entity(kind, path, meta[1], meta[3])
    if before is None and after is None:
        return None
    action = "import" if before is None else "cleanup" if after is None else "sync"
    broken = [
        f"{side}: {version.reason}"
        for side, version in (("before", before), ("after", after))
        if isinstance(version, _Unreadable)
    ]
    if broken:
        return EntityChange(kind, entity_id, action, [], "; ".join(broken))
    diff = field_diff(before, after) if action != "cleanup" else []
    return EntityChange(kind, entity_id, action, diff)


def _records(output: str, fields: int) -> list[tuple[list[str], list[tuple[list[str], str]]]]:
    """`git log -z` with `fields` NUL-separated format fields per commit, each followed by its
    `--raw` entries: [(fields, [(meta, path), ...])]. NUL is the one byte a message cannot hold."""
    tokens = output.split("\0")
    records = []
    i = 0
    while i < len(tokens):
        if not tokens[i].strip("\n"):
            i += 1
            continue
        head = [tokens[i].lstrip("\n"), *tokens[i + 1 : i + fields]]
        entries, i = _raw_entries(tokens, i + fields)
        records.append((head, entries))
    return records


def _raw_entries(tokens: list[str], i: int) -> tuple[list[tuple[list[str], str]], int]:
    """The `--raw -z` entries from tokens[i] on (`:mode mode sha sha status`, then the path),
    and the index after them."""
    entries = []
    while i + 1 < len(tokens) and tokens[i].lstrip("\n").startswith(":"):
        entries.append((tokens[i].lstrip("\n")[1:].split(), tokens[i + 1]))
        i += 2
    return entries, i


def entities_at(repo: git.Repo, rev: str, wanted) -> dict[str, dict]:
    """{kind: {id: entity}} of state/ at `rev`, for the files `wanted(kind, id)` asks for (one
    listing of the tree, then only those files read). A file that cannot be read is left out."""
    found: dict[str, dict] = {kind: {} for kind in KINDS}
    listing = repo.git.ls_tree("-r", "-z", "--full-tree", rev, "--", "state")
    versions = _Versions(repo)
    for entry in filter(None, listing.split("\0")):
        meta, _, path = entry.partition("\t")
        located = _state_file(path)
        mode, _, sha = meta.split(" ")
        if located is None or not wanted(*located):
            continue
        entity = versions.entity(located[0], path, mode, sha)
        if entity is not None and not isinstance(entity, _Unreadable):
            found[located[0]][located[1]] = entity
    return found


def changed_entities(repo: git.Repo, old: str, new: str) -> list[EntityChange]:
    """Every entity that differs between two revisions (e.g. main and a proposal branch)."""
    output = repo.git.diff("--raw", "-z", "--no-abbrev", "--no-renames", old, new, "--", "state")
    versions = _Versions(repo)
    entries, _ = _raw_entries(output.split("\0"), 0)
    changes = [_change(versions, entry) for entry in entries]
    return [c for c in changes if c is not None]


def _checked(option: str, kind: str, value: str) -> str:
    if not is_id(value):
        raise ConfigError(f"--{option}: {value!r} is not a {SINGULAR[kind]} id")
    return value


def entity_paths(repo: git.Repo, rev: str, *, member=None, team=None, job=None) -> list[str]:
    paths = []
    if member:
        paths += [f"state/members/{i}.yaml" for i in _member_ids(repo, rev, member)]
    if team:
        paths.append(f"state/teams/{_checked('team', 'teams', team)}.yaml")
    if job:
        paths.append(f"state/jobs/{_checked('job', 'jobs', job)}.yaml")
    return paths


def _member_ids(repo: git.Repo, rev: str, member: str) -> list[str]:
    if "@" not in member:
        return [_checked("member", "members", member)]
    # An e-mail: the file that holds it now (one `git grep`, then each hit read to be sure it
    # is the e-mail and not a longer one), else any file that ever held it (a leaver).
    found = repo.git.grep(
        "-l",
        "-z",
        "-i",
        "-F",
        f"email: {member}",
        rev,
        "--",
        "state/members",
        with_exceptions=False,
    )
    paths = [name.split(":", 1)[1] for name in found.split("\0") if ":" in name]
    ids = sorted(i for i in map(_member_of, paths) if i and _holds(repo, rev, i, member))
    if ids:
        return ids
    # Nobody holds it now; it may still be an id (ids may hold an @).
    return sorted(_former_holders(repo, rev, member)) or ([member] if is_id(member) else [])


def _former_holders(repo: git.Repo, rev: str, email: str) -> set[str]:
    """Ids whose file once held `email`: among the files deleted on main first (a leaver, one
    walk naming each deletion), else among all versions that held it (an e-mail that changed;
    git's pickaxe reads every changed file, so it is the slow path). Each version is read to be
    sure it is the e-mail and not a longer one."""
    versions = _Versions(repo)
    for search in (["--diff-filter=D"], ["--regexp-ignore-case", f"-S{email}"]):
        output = repo.git.log(
            "--first-parent",
            "--diff-merges=first-parent",
            "--raw",
            "--no-abbrev",
            "-z",
            "--format=%H",
            *search,
            rev,
            "--",
            "state/members",
        )
        ids = set()
        for _, entries in _records(output, 1):
            for meta, path in entries:
                entity_id = _member_of(path)
                if entity_id is None or len(meta) < 4:
                    continue
                for mode, sha in ((meta[0], meta[2]), (meta[1], meta[3])):
                    if _has_email(versions.entity("members", path, mode, sha), email):
                        ids.add(entity_id)
        if ids:
            return ids
    return set()


def _has_email(entity, email: str) -> bool:
    return isinstance(entity, Member) and str(entity.email).lower() == email.lower()


def _member_of(path: str) -> str | None:
    found = _state_file(path.strip("\n"))
    return found[1] if found and found[0] == "members" else None


def _holds(repo: git.Repo, rev: str, member_id: str, email: str) -> bool:
    path = f"state/members/{member_id}.yaml"
    sha = repo.git.rev_parse(f"{rev}:{path}")
    return _has_email(_Versions(repo).entity("members", path, _REGULAR_FILE[0], sha), email)


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
    paths = sorted(entity_paths(repo, main, member=member, team=team, job=job))
    if not paths and (member or team or job):
        return []
    wanted = {_state_file(p) for p in paths}
    since_args = [f"--since={since.isoformat()}"] if since else []
    versions = _Versions(repo)
    if len(paths) > 1:
        # git (2.39 here) consults the changed-path filters for a single pathspec only: one log
        # per file, then the events in the order of main's history, as one log would give them.
        events = [e for p in paths for e in _state_events(repo, main, p, since_args, versions)]
        order = repo.git.rev_list("--first-parent", "--reverse", main).split()
        position = {sha: n for n, sha in enumerate(order)}
        events.sort(key=lambda e: position.get(e.commit, 0))
    else:
        events = _state_events(repo, main, paths[0] if paths else "state", since_args, versions)
    events += _dropped(repo, main, since_args, wanted if paths else None)
    events.sort(key=lambda e: e.date)
    return events


def _state_events(
    repo: git.Repo, main: str, pathspec: str, since_args: list[str], versions: _Versions
) -> list[Event]:
    """The events of one `git log --first-parent` over `pathspec`, oldest first."""
    output = repo.git.log(
        "--first-parent",
        "--reverse",
        "--diff-merges=first-parent",
        "--raw",
        "--no-abbrev",
        "--no-renames",
        "-z",
        _COMMIT_FORMAT,
        *since_args,
        main,
        "--",
        pathspec,
    )
    events: list[Event] = []
    for (sha, parents, author, when, message), entries in _records(output, _COMMIT_FIELDS):
        parent_list = parents.split()
        if not parent_list:
            continue
        how = _how(message, len(parent_list))
        for entry in entries:
            change = _change(versions, entry)
            if change is not None:
                events.append(_event(sha, when, author, message, how, change))
    return events


def _how(message: str, parents: int) -> str:
    trailers = dict(trailers_of(message))
    if parents > 1 or _PR_NUMBER.search(message.splitlines()[0] if message else ""):
        return "approved"
    if trailers.get("Hrsync-Mode") in ("automatic", "derived"):
        return trailers["Hrsync-Mode"]  # derived: team coaches following the members
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
    output = repo.git.log(
        "--first-parent",
        "--reverse",
        "-z",
        "--format=%H%x00%cI%x00%an <%ae>%x00%B",
        "--grep=^Hrsync-Mode: ledger$",
        *since_args,
        main,
        "--",
        "policies/dropped.yaml",
    )
    events = []
    plural = {v: k for k, v in SINGULAR.items()}
    for (sha, when, author, message), _ in _records(output, 4):
        for line in message.splitlines():
            match = _DROPPED_LINE.match(line.strip())
            if not match:
                continue
            kind = plural[match.group(1)]
            if wanted is not None and (kind, match.group(2)) not in wanted:
                continue
            change = EntityChange(kind, match.group(2), "dropped")
            subject = message.splitlines()[0]
            events.append(
                Event(when, sha, change, "dropped", author, subject, merged_by=match.group(3))
            )
    return events


# The commit graph: what lets `git log -- <one file>` skip the commits that did not touch it.


def _objects_info(repo: git.Repo) -> Path:
    return Path(repo.common_dir) / "objects" / "info"


def has_changed_paths_graph(repo: git.Repo) -> bool:
    """True when git's commit graph records changed paths (Bloom filters), in one file or in
    a chain of layers. Reads only the files' chunk tables."""
    info = _objects_info(repo)
    files = [info / "commit-graph"]
    chain = info / "commit-graphs" / "commit-graph-chain"
    if chain.exists():
        layers = chain.read_text(encoding="ascii", errors="replace").split()
        files += [info / "commit-graphs" / f"graph-{layer}.graph" for layer in layers]
    return any(_has_bloom_chunk(path) for path in files)


def _has_bloom_chunk(path: Path) -> bool:
    try:
        with open(path, "rb") as handle:
            header = handle.read(8)
            if len(header) < 8 or header[:4] != b"CGPH":
                return False
            table = handle.read(12 * (header[6] + 1))
    except OSError:
        return False
    ids = [struct.unpack_from(">4s", table, 12 * n)[0] for n in range(len(table) // 12)]
    return b"BIDX" in ids and b"BDAT" in ids


def refresh_commit_graph(repo_path: str | Path) -> bool:
    """Write git's commit graph with changed paths for everything reachable; True when done.

    `--split`, as the nightly sync writes it: each night adds a small layer for its commits
    (git merges layers as they grow), so only the first write on years of history costs seconds.
    A failure is logged, not raised: the graph only makes `hrsync history` faster."""
    result = subprocess.run(
        [
            "git",
            "-C",
            str(repo_path),
            "commit-graph",
            "write",
            "--reachable",
            "--changed-paths",
            "--split",
        ],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        detail = result.stderr.strip().splitlines()
        log.warning("git commit-graph write failed: %s", detail[-1] if detail else "?")
        return False
    return True


def graph_hint(repo: git.Repo, main: str) -> str | None:
    """A hint for a long history without a changed-paths commit graph; None otherwise."""
    if has_changed_paths_graph(repo):
        return None
    count = int(repo.git.rev_list("--first-parent", "--count", main) or 0)
    if count < LONG_HISTORY:
        return None
    return (
        f"hint: {count:,} commits on main and no commit graph with changed paths: "
        "`hrsync history --build-graph` writes it once (the nightly sync keeps it up to date), "
        "and history then reads only the commits that touched the file"
    )
