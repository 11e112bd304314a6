"""Platforms hrsync keeps in step: one module per platform behind the `Target` protocol.

A target knows its platform and nothing of HRIS vendors. It reads what the platform holds into
the model (`PlatformState`) and carries out plan changes. A target opened for planning is
read-only: a forgotten dry-run check cannot change the platform.

Plans compare the platform with the part of state/ it can hold (`holdable`), so a platform
that cannot keep a field or an entity does not show it as a change after every apply.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Mapping
from pathlib import Path

from reconciler.core.interfaces import Target
from reconciler.errors import ConfigError

TARGET_MODULES = {
    "sqlite": "reconciler.targets.sqlite",
    "scim": "reconciler.targets.scim",
}


def open_target(
    settings: Mapping,
    base_dir: Path,
    env: Mapping[str, str] | None = None,
    *,
    writable: bool = False,
) -> Target:
    """The target configured by the `target:` block of hrsync.yaml (read-only unless asked)."""
    kind = settings.get("type", "sqlite")
    module_name = TARGET_MODULES.get(kind)
    if module_name is None:
        known = ", ".join(sorted(TARGET_MODULES))
        raise ConfigError(f"target type {kind!r} is not known (known: {known})")
    module = importlib.import_module(module_name)
    return module.open_target(
        dict(settings), base_dir, os.environ if env is None else env, writable=writable
    )
