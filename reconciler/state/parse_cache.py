"""The parse cache of `state/`: each file's checked entity, keyed by the git blob id of its bytes.

Loading 100k state files is mostly YAML parsing; in a git checkout nearly all of them are the same
blobs as last time. Git already knows, from its index, which blob each tracked file holds and
(through `git status`, which re-hashes what its stat data cannot vouch for, racy edits
included) which files differ from the index. So:

- a tracked file that `git status` does not mention, marked plainly in the index (`H`: not
  assume-unchanged, not skip-worktree) and a regular file there, holds its index blob: its cached
  entity is used without reading the file;
- any other file (edited, untracked, ignored, a symlink, staged as a conflict) is read and hashed
  the way `git hash-object` does, and looked up by that id;
- an entity is stored only under the id of the very bytes it was parsed from, and only once it
  passed every per-file check (YAML, size, schema, id = file name): a file that fails is never
  stored, and is read and reported like any other, with its line.

The cache only holds values, never decisions: a hit still has to carry the file's own id, and the
checks across files (references, cycles, e-mails) run on every load, their line numbers read from
the file (which, on a hit, git has just vouched for).

The file `.hrsync/parse-cache` is one marshal blob behind a header: a fingerprint of the hrsync
version, the Python version and the source of the code that parses and checks (another version's
cache is ignored), and a checksum of the payload (a torn, truncated or damaged file is ignored).
It is rewritten atomically only when something was added or dropped; entries this load did not
use are dropped then. `.hrsync/` is as trusted as the platform database beside it: the cache
defends against accidents (edits, checkouts, stashes, kills, another version), not against
someone who forges entries there. Outside a git work tree, without git, or with
`HRSYNC_PARSE_CACHE=0`, every file is parsed.
"""

from __future__ import annotations

import hashlib
import logging
import marshal
import os
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

from reconciler.core.model import KIND_CLASSES, KINDS
from reconciler.state.loader import write_atomic

log = logging.getLogger(__name__)

CACHE_FILE = ".hrsync/parse-cache"
DISABLE_ENV = "HRSYNC_PARSE_CACHE"
FORMAT = b"hrsync parse cache 1\n"
_SUM = 20  # sha1 digest size, for the fingerprint and the payload checksum
# Only plain files that git neither assumes unchanged nor skips ("H"), not symlinks (120000):
# for these the index blob is the file's bytes once git status has nothing to say about it.
_PLAIN = ("H 100644 ", "H 100755 ")
# An entry holds the entity's fields in the model's order: id first.
_FIELDS = {kind: tuple(f.name for f in fields(cls)) for kind, cls in KIND_CLASSES.items()}


def blob_id(data: bytes) -> str:
    """The id git gives these bytes as a blob (`git hash-object`), without a process."""
    digest = hashlib.sha1(b"blob %d\0" % len(data))
    digest.update(data)
    return digest.hexdigest()


def enabled() -> bool:
    return os.environ.get(DISABLE_ENV, "1").strip().lower() not in ("0", "no", "off", "false")


class ParseCache:
    """One load's view: which files git vouches for, and the entries of the cache file."""

    def __init__(self, path: Path, fingerprint: bytes, clean: dict[str, str], entries: dict):
        self._path = path
        self._fingerprint = fingerprint
        self._clean = clean  # "members/1004.yaml" -> blob id, for files git vouches for
        # kind -> {blob id: the entity's field values}
        self._entries = {kind: entries.get(kind, {}) for kind in KINDS}
        self._used: dict[str, dict] = {kind: {} for kind in KINDS}
        self._added = False

    def vouched(self, kind: str, names: list[str]) -> dict:
        """{file name: entity} for the files of `names` that git vouches for and whose blob
        is cached. An entry counts only for the file it was checked as: same kind, same id."""
        clean, known, used = self._clean, self._entries[kind], self._used[kind]
        make = KIND_CLASSES[kind]
        prefix = kind + "/"
        found = {}
        for name in names:
            blob = clean.get(prefix + name)
            if blob is not None:
                values = known.get(blob)
                if values is not None and values[0] == name[:-5]:
                    used[blob] = values
                    found[name] = make(*values)
        return found

    def find(self, kind: str, blob: str, file_id: str):
        """The entity cached for a file read and hashed here, or None."""
        values = self._entries[kind].get(blob)
        if values is None or values[0] != file_id:
            return None
        self._used[kind][blob] = values
        return KIND_CLASSES[kind](*values)

    def add(self, kind: str, blob: str, entity) -> None:
        """`entity` passed every check of its own, parsed from bytes whose blob id is `blob`."""
        self._used[kind][blob] = tuple(getattr(entity, name) for name in _FIELDS[kind])
        self._added = True

    def save(self) -> None:
        """Write what this load used, if that is not what the file already holds."""
        kept = sum(len(v) for v in self._used.values())
        held = sum(len(self._entries.get(kind, ())) for kind in KINDS)
        if not self._added and kept == held:
            return
        payload = marshal.dumps(self._used)
        content = FORMAT + self._fingerprint + hashlib.sha1(payload).digest() + payload
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(self._path, content)
        except OSError as exc:  # a cache that cannot be written is only a slower next load
            log.debug("parse cache not written: %s", exc)


def open_cache(root: Path) -> ParseCache | None:
    """The cache for `root`'s state/, or None (disabled, no git, not a work tree)."""
    if not enabled():
        return None
    try:
        return _open(Path(root))
    except (OSError, subprocess.SubprocessError, ValueError) as exc:
        log.debug("parse cache not used: %s", exc)
        return None


def _git(root: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        ["git", *args],
        cwd=root,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )


def _output(process: subprocess.Popen) -> bytes:
    out, _ = process.communicate()
    if process.returncode != 0:
        raise ValueError(f"git exited with {process.returncode}")
    return out


def _open(root: Path) -> ParseCache | None:
    where = _output(_git(root, "rev-parse", "--is-inside-work-tree", "--show-prefix")).split(b"\n")
    if where[0] != b"true":
        return None
    prefix = where[1]
    # git status compares each file with the index, re-hashing those whose stat data cannot
    # vouch for them (changed, or racy: written in the second the index was): the check this
    # cache relies on, never a timestamp of ours. Without optional locks it never writes the
    # index: a load reads only, and a kill cannot leave an index.lock behind.
    # It runs while the index is listed and the cache file read.
    status = _git(
        root,
        "--no-optional-locks",
        "status",
        "--porcelain=v2",
        "-z",
        "--untracked-files=no",
        "--no-renames",
        "--ignore-submodules=all",
        "--",
        "state/",
    )
    try:
        index = _output(_git(root, "ls-files", "-s", "-v", "-z", "--", "state/"))
        path = root / CACHE_FILE
        fingerprint = _fingerprint()
        entries = _read(path, fingerprint)
        changed = _changed(_output(status), prefix + b"state/")
    finally:
        if status.poll() is None:
            status.kill()
            status.wait()
    # "H 100644 <40 hex> 0\tstate/members/1004.yaml": stage 0 only (not a conflict).
    records = os.fsdecode(index).split("\0")
    clean = {r[58:]: r[9:49] for r in records if r[:9] in _PLAIN and r[50:58] == "0\tstate/"}
    for relative in changed:
        clean.pop(os.fsdecode(relative), None)
    return ParseCache(path, fingerprint, clean, entries)


def _changed(status: bytes, state_prefix: bytes) -> set[bytes]:
    """Paths under state/ (relative to it) that git status names for any reason: edited,
    staged, deleted, in conflict. Only tracked files it does not name are vouched for."""
    changed = set()
    fields = iter(status.split(b"\0"))
    for record in fields:
        if not record:
            continue
        kind = record[:1]
        if kind == b"1":
            path = record.split(b" ", 8)[8]
        elif kind == b"2":  # a rename (not asked for, read anyway): the next field is its origin
            path = record.split(b" ", 9)[9]
            origin = next(fields, b"")
            changed.add(origin.removeprefix(state_prefix))
        elif kind == b"u":
            path = record.split(b" ", 10)[10]
        elif kind in (b"?", b"!"):
            path = record[2:]
        else:
            raise ValueError("unexpected git status output")
        changed.add(path.removeprefix(state_prefix))
    return changed


def _read(path: Path, fingerprint: bytes) -> dict:
    """The entries of the cache file, or none if it is missing, damaged or another version's."""
    try:
        content = path.read_bytes()
    except OSError:
        return {}
    head = len(FORMAT)
    body = head + 2 * _SUM
    if content[:head] != FORMAT or content[head : head + _SUM] != fingerprint:
        return {}
    payload = content[body:]
    if hashlib.sha1(payload).digest() != content[head + _SUM : body]:
        return {}
    try:
        entries = marshal.loads(payload)
    except (ValueError, EOFError, TypeError):
        return {}
    if type(entries) is not dict or not all(_well_formed(k, entries.get(k)) for k in KINDS):
        return {}
    return entries


def _well_formed(kind: str, entries) -> bool:
    """Every value a tuple of the kind's fields: a cache that decodes into something else (made
    by another build, or by hand) is ignored, not fed to the model."""
    if type(entries) is not dict:
        return False
    size = len(_FIELDS[kind])
    return all(type(v) is tuple and len(v) == size for v in entries.values())


def _fingerprint() -> bytes:
    """What the cached values depend on: hrsync's version, Python's (marshal's format), and the
    source of the code and schemas that parse and check a state file."""
    from importlib import metadata

    digest = hashlib.sha1(FORMAT)
    try:
        digest.update(metadata.version("hrsync").encode())
    except metadata.PackageNotFoundError:
        digest.update(b"unknown")
    digest.update(sys.version.encode())
    # Read as files, not imported: the loader imports this module, not the other way round.
    package = Path(__file__).resolve().parent.parent
    for source in _FINGERPRINTED:
        digest.update((package / source).read_bytes())
    return digest.digest()


_FINGERPRINTED = (
    "core/ids.py",
    "core/model.py",
    "core/dates.py",
    "state/entities.py",
    "state/loader.py",
    "state/schemas.py",
    "state/tree.py",
    "state/parse_cache.py",
    "schemas/team.schema.json",
    "schemas/job.schema.json",
    "schemas/member.schema.json",
)
