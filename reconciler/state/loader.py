"""YAML in and out, with file:line context for every error.

Loading is on the hot path (100k member files), so the data comes from PyYAML's C loader and the
line numbers are worked out only when a problem has to be reported.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from reconciler.errors import InvalidInput, Problem

try:  # The C parser is several times faster; fall back where libyaml is missing.
    from yaml import CSafeDumper as _BaseDumper
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeDumper as _BaseDumper  # type: ignore[assignment]
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]


class DuplicateKey(yaml.MarkedYAMLError):
    pass


class _Loader(_BaseLoader):
    """The C loader plus a refusal of duplicate keys (PyYAML silently keeps the last one)."""

    def construct_mapping(self, node, deep=False):
        mapping = super().construct_mapping(node, deep=deep)
        if len(mapping) != len(node.value):
            seen = set()
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=True)
                if key in seen:
                    raise DuplicateKey(None, None, f"duplicate key {key!r}", key_node.start_mark)
                seen.add(key)
        return mapping


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _Loader.construct_mapping)


class Lines:
    """Line numbers of a document's keys, computed on first use from the text."""

    def __init__(self, text: str):
        self._text = text
        self._map: dict[tuple, int] | None = None

    def of(self, path: tuple) -> int | None:
        """1-based line of the key (or item) at `path`; the nearest parent's if it is absent."""
        if self._map is None:
            self._map = _line_map(self._text)
        path = tuple(path)
        while path not in self._map and path:
            path = path[:-1]
        return self._map.get(path)


def _line_map(text: str) -> dict[tuple, int]:
    try:
        root = yaml.compose(text, Loader=_BaseLoader)
    except yaml.YAMLError:
        return {}
    lines: dict[tuple, int] = {}

    def walk(node, path):
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                sub = (*path, key_node.value)
                lines.setdefault(sub, key_node.start_mark.line + 1)
                walk(value_node, sub)
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                sub = (*path, index)
                lines.setdefault(sub, item.start_mark.line + 1)
                walk(item, sub)

    if root is not None:
        lines[()] = root.start_mark.line + 1
        walk(root, ())
    return lines


def parse_yaml(text: str, label: str):
    """The document's data; a syntax error becomes an `InvalidInput` naming file and line."""
    try:
        return yaml.load(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = exc.problem or str(exc)
        if exc.context and not isinstance(exc, DuplicateKey):
            message = f"{exc.context}: {message}"
        raise InvalidInput(
            [
                Problem(
                    label,
                    mark.line + 1 if mark else None,
                    f"YAML syntax: {message}",
                    column=mark.column + 1 if mark else None,
                )
            ]
        ) from None
    except yaml.YAMLError as exc:
        raise InvalidInput([Problem(label, None, f"YAML syntax: {exc}")]) from None


def load_yaml_file(path: Path, root: Path | None = None):
    """(data, Lines) of one YAML file; errors carry the path relative to `root`."""
    label = str(path.relative_to(root)) if root and path.is_relative_to(root) else str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidInput([Problem(label, None, "file not found")]) from None
    except UnicodeDecodeError as exc:
        raise InvalidInput([Problem(label, None, f"not UTF-8 text ({exc.reason})")]) from None
    return parse_yaml(text, label), Lines(text)


def dump_yaml(data, header: str | None = None) -> str:
    """Stable YAML: keys in the given order, block style, UTF-8 kept as is."""
    body = yaml.dump(
        data,
        Dumper=_BaseDumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=1000,
    )
    return f"{header}\n{body}" if header else body
