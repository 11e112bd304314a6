"""hrsync.yaml: where the HRIS and the platform are. Secrets appear only as env-variable names."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from reconciler.errors import ConfigError
from reconciler.state.loader import load_yaml_file
from reconciler.state.schemas import validate_document

CONFIG_FILE = "hrsync.yaml"
DEFAULT_TARGET = {"type": "sqlite", "path": ".hrsync/platform.db"}


@dataclass(frozen=True)
class Config:
    root: Path
    company: str
    source: dict
    target: dict = field(default_factory=lambda: dict(DEFAULT_TARGET))
    forge: dict = field(default_factory=lambda: {"type": "local"})
    git: dict = field(default_factory=dict)
    reviews: dict = field(default_factory=dict)


def find_root(start: Path) -> Path:
    """The repository root: the nearest folder upwards that holds hrsync.yaml."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / CONFIG_FILE).is_file():
            return folder
    raise ConfigError(f"no {CONFIG_FILE} in {start} or above; create one with `hrsync init DIR`")


def load_config(root: Path) -> Config:
    path = root / CONFIG_FILE
    data, lines = load_yaml_file(path, root)
    validate_document("config", data, lines, str(path.relative_to(root)))
    return Config(
        root=root,
        company=data.get("company", root.name),
        source=data["source"],
        target={**DEFAULT_TARGET, **data.get("target", {})},
        forge=data.get("forge", {"type": "local"}),
        git=data.get("git", {}),
        reviews=data.get("reviews", {}),
    )
