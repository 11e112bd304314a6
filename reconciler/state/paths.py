"""Every path hrsync builds from an id goes through here: one place that refuses a name that
could leave its folder, whatever validation ran before (defence in depth)."""

from __future__ import annotations

import os
from pathlib import Path

from reconciler.core.ids import shown
from reconciler.errors import HrsyncError


class UnsafePath(HrsyncError):
    """A file name built from outside data would resolve outside its folder."""


def child_path(folder: Path, name: str, suffix: str = "") -> Path:
    """`folder/name+suffix`, refusing any name that is not one plain entry inside `folder`."""
    if (
        type(name) is not str
        or not name
        or name in (".", "..")
        or name.startswith(".")
        or any(ch in name for ch in "/\\\0:")
        or os.path.isabs(name)
    ):
        raise UnsafePath(f"refusing the file name {shown(name)} under {folder}: not a plain name")
    path = Path(folder) / f"{name}{suffix}"
    if os.path.normpath(path.parent) != os.path.normpath(folder):
        raise UnsafePath(f"refusing the file name {shown(name)}: it resolves outside {folder}")
    return path
