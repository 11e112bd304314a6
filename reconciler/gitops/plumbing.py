"""Commits built without touching the working tree: `git fast-import` reads the files and the
message from stdin and writes the commits straight into the object store.

Why: the runner's checkout must show main at every moment, so a kill never leaves it on a
proposal branch or half-written (the next run, or an `apply`, would read it); and a message
listing 10,000 changes must never go through argv (E2BIG).
"""

from __future__ import annotations

import subprocess
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from reconciler.core.ids import is_id
from reconciler.core.model import KINDS
from reconciler.errors import HrsyncError
from reconciler.gitops.commits import Identity


class PlumbingError(HrsyncError):
    """git refused to build a commit."""


@dataclass(frozen=True)
class CommitSpec:
    """One commit: {repository path: new text, or None to remove it}, a message, an author;
    `blobs` names contents already in the object store ({path: blob sha}); `merge` makes it a
    merge commit with that second parent."""

    files: dict[str, str | None]
    message: str
    author: Identity
    committer: Identity | None = None
    extra: dict = field(default_factory=dict)
    blobs: dict[str, str] = field(default_factory=dict)
    merge: str | None = None


def _check_path(path: str) -> None:
    # Defence in depth: only the files hrsync owns, named by a valid id, are ever written.
    parts = path.split("/")
    if len(parts) == 3 and parts[0] == "state" and parts[1] in KINDS:
        if parts[2].endswith(".yaml") and is_id(parts[2][: -len(".yaml")]):
            return
    elif len(parts) == 2 and parts[0] in ("policies", "reviews") and is_id(parts[1]):
        return
    raise PlumbingError(f"refusing to write {path!r}: not a file hrsync manages")


def build_commits(git_dir: Path, parent: str, specs: list[CommitSpec]) -> list[str]:
    """The commits, each on top of the one before (the first on `parent`); their shas.

    Nothing but objects is written: no branch, no index, no working tree. A kill leaves at most
    unreferenced objects, which git collects."""
    specs = [s for s in specs if s.files or s.blobs or s.merge]
    if not specs:
        return []
    ref = f"refs/hrsync/build/{uuid.uuid4().hex}"
    stream = bytearray()
    for number, spec in enumerate(specs, 1):
        committer = spec.committer or spec.author
        message = spec.message.encode()
        stream += f"commit {ref}\nmark :{number}\n".encode()
        stream += f"author {_who(spec.author)} now\ncommitter {_who(committer)} now\n".encode()
        stream += f"data {len(message)}\n".encode() + message + b"\n"
        if number == 1:
            stream += f"from {parent}\n".encode()
        if spec.merge:
            stream += f"merge {_sha(spec.merge)}\n".encode()
        for path in sorted(spec.blobs):
            _check_path(path)
            stream += f"M 100644 {_sha(spec.blobs[path])} {path}\n".encode()
        for path in sorted(spec.files):
            _check_path(path)
            text = spec.files[path]
            if text is None:
                stream += f"D {path}\n".encode()
            else:
                data = text.encode()
                stream += f"M 100644 inline {path}\ndata {len(data)}\n".encode() + data + b"\n"
        stream += b"\n"
    with tempfile.NamedTemporaryFile(prefix="hrsync-marks-", suffix=".txt") as marks:
        result = subprocess.run(
            [
                "git",
                "--git-dir",
                str(git_dir),
                "fast-import",
                "--quiet",
                "--date-format=now",
                f"--export-marks={marks.name}",
            ],
            input=bytes(stream),
            capture_output=True,
        )
        if result.returncode != 0:
            detail = result.stderr.decode(errors="replace").strip().splitlines()
            raise PlumbingError(f"git fast-import failed: {detail[-1] if detail else '?'}")
        shas = dict(
            line.split(" ", 1) for line in Path(marks.name).read_text().splitlines() if line
        )
    subprocess.run(["git", "--git-dir", str(git_dir), "update-ref", "-d", ref], capture_output=True)
    return [shas[f":{n}"].strip() for n in range(1, len(specs) + 1)]


def _sha(value: str) -> str:
    if len(value) not in (40, 64) or any(c not in "0123456789abcdef" for c in value):
        raise PlumbingError(f"not an object id: {value!r}")
    return value


def _who(identity: Identity) -> str:
    name = identity.name.replace("<", "").replace(">", "").replace("\n", " ")
    email = identity.email.replace("<", "").replace(">", "").replace("\n", "")
    return f"{name} <{email}>"
