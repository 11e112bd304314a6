"""Modules the commands load on first use, so `hrsync --version`, `--help` and shell completion
start without the YAML, JSON Schema, git, HTTP and PDF libraries (the standard library's
LazyLoader: the module object exists at once, its code runs when an attribute is first read)."""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType


def lazy(name: str) -> ModuleType:
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ImportError(f"no module named {name!r}")
    spec.loader = importlib.util.LazyLoader(spec.loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
