"""HRIS sources: one module per vendor (and the file export), each behind the `Source` protocol.

A source knows its vendor's API and nothing of git or the platform. It returns a `Snapshot` of
model records, never raw vendor JSON, and can file a document into an employee's personnel file.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Mapping
from pathlib import Path

from reconciler.core.interfaces import Source
from reconciler.errors import ConfigError

# type name in hrsync.yaml -> module under reconciler.sources that defines `open_source`
SOURCE_MODULES = {
    "file": "reconciler.sources.file",
    "personio": "reconciler.sources.personio",
    "hibob": "reconciler.sources.hibob",
    "afas": "reconciler.sources.afas",
    "nmbrs": "reconciler.sources.nmbrs",
}

# Sources whose API can list only what changed since a moment (`fetch_changed(since, progress)`),
# for `hrsync sync --incremental`; the others fetch everything (still proposing no cleanup).
# HiBob, AFAS and Nmbrs: see README, "Incremental runs", for why each is a full fetch.
CHANGE_FILTERED = frozenset({"personio"})


def open_source(settings: Mapping, base_dir: Path, env: Mapping[str, str] | None = None) -> Source:
    """The source configured by the `source:` block of hrsync.yaml."""
    kind = settings.get("type")
    module_name = SOURCE_MODULES.get(kind)
    if module_name is None:
        known = ", ".join(sorted(SOURCE_MODULES))
        raise ConfigError(f"source type {kind!r} is not known (known: {known})")
    module = importlib.import_module(module_name)
    return module.open_source(dict(settings), base_dir, os.environ if env is None else env)
