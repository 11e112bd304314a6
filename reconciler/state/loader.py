"""YAML in and out, with file:line context for every error, and bounds on what a file may cost.

Loading is on the hot path (100k member files), so the data comes from PyYAML's C loader and the
line numbers are worked out only when a problem has to be reported.

Bounds, because a repository's files are edited by people and pull requests, not only by hrsync:
- Size: a state file holds one entity (a few hundred bytes), so one over `MAX_STATE_FILE_BYTES`
  is refused before it is parsed; every other file (policies, hrsync.yaml, ledgers) over
  `MAX_FILE_BYTES`.
- Aliases: a "billion laughs" file (anchors of aliases of aliases) is a few hundred bytes that
  expand to billions of values in whatever walks the data (line maps, schema checks). State
  files never need an anchor, so any anchor or alias there is refused. Policies and hrsync.yaml
  may share a block with `&name` / `*name`, as long as the aliases add at most
  `MAX_ALIAS_NODES` values to what the file spells out. Both checks read the C parser's events
  (no data is built), and only for text that holds `&` or `*`, which anchors and aliases need.
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from reconciler.core.ids import shown
from reconciler.errors import InvalidInput, Problem

try:  # The C parser is several times faster; fall back where libyaml is missing.
    from yaml import CSafeDumper as _BaseDumper
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeDumper as _BaseDumper  # type: ignore[assignment]
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]

MAX_STATE_FILE_BYTES = 1_000_000
MAX_FILE_BYTES = 10_000_000
MAX_ALIAS_NODES = 10_000


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
                    raise DuplicateKey(
                        None, None, f"duplicate key {shown(key)}", key_node.start_mark
                    )
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
    if root is None:
        return lines
    lines[()] = root.start_mark.line + 1
    # Iterative, and each node walked once: a deeply nested or aliased document costs no more
    # than its size (aliases of a loaded file are already bounded, see the module doc).
    walked: set[int] = set()
    pending = [(root, ())]
    while pending:
        node, path = pending.pop()
        if id(node) in walked:
            continue
        walked.add(id(node))
        if isinstance(node, yaml.MappingNode):
            children = [(key.value, key, value) for key, value in node.value]
        elif isinstance(node, yaml.SequenceNode):
            children = [(index, item, item) for index, item in enumerate(node.value)]
        else:
            continue
        for step, mark_node, child in reversed(children):
            sub = (*path, step)
            lines.setdefault(sub, mark_node.start_mark.line + 1)
            pending.append((child, sub))
    return lines


def _alias_problem(text: str, label: str, allowed: int | None) -> Problem | None:
    """The first anchor or alias the bound refuses: `allowed=None` refuses any at all (state
    files); otherwise aliases may add up to `allowed` values to what the text spells out."""
    open_sizes: list[list] = []  # [anchor, values so far] of each collection being read
    sizes: dict[str, int] = {}  # values each finished anchor stands for, its aliases included
    added = 0
    try:
        for event in yaml.parse(text, Loader=_BaseLoader):
            anchor = getattr(event, "anchor", None)
            if anchor is not None and allowed is None:
                kind, sign = (
                    ("alias", "*") if isinstance(event, yaml.AliasEvent) else ("anchor", "&")
                )
                return _at(
                    event,
                    label,
                    f"YAML {kind} {shown(sign + anchor)}: anchors and aliases are not allowed in "
                    "a state file (it spells out one entity)",
                )
            if isinstance(event, yaml.AliasEvent):
                if any(item[0] == anchor for item in open_sizes):
                    message = f"YAML alias {shown('*' + anchor)} refers to a value holding it"
                    return _at(event, label, message)
                count = sizes.get(anchor, 1)
                added += count
                if added > allowed:
                    return _at(
                        event,
                        label,
                        f"YAML aliases (here {shown('*' + anchor)}) expand the file by more than "
                        f"{allowed} values; write the values out instead",
                    )
            elif isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
                open_sizes.append([anchor, 1])
                continue
            elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
                anchor, count = open_sizes.pop()
                if anchor is not None:
                    sizes[anchor] = count
            elif isinstance(event, yaml.ScalarEvent):
                count = 1
                if anchor is not None:
                    sizes[anchor] = 1
            else:
                continue
            if open_sizes:
                open_sizes[-1][1] += count
    except yaml.YAMLError:
        return None  # a syntax error: loading reports it, with its line, before building data
    return None


def _at(event, label: str, message: str) -> Problem:
    mark = event.start_mark
    return Problem(label, mark.line + 1, message, column=mark.column + 1)


def parse_yaml(text: str, label: str, *, max_alias_nodes: int = MAX_ALIAS_NODES):
    """The document's data; a syntax error or an alias bomb becomes an `InvalidInput` naming file
    and line."""
    if "*" in text:  # aliases need a `*`; without one nothing can expand
        problem = _alias_problem(text, label, max_alias_nodes)
        if problem is not None:
            raise InvalidInput([problem])
    return _load(text, label)


def parse_state_yaml(text: str, label: str):
    """A state file's data: as `parse_yaml`, but any anchor or alias is refused."""
    if "&" in text or "*" in text:  # anchors and aliases need one; most files have neither
        problem = _alias_problem(text, label, None)
        if problem is not None:
            raise InvalidInput([problem])
    return _load(text, label)


def _load(text: str, label: str):
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
        raise InvalidInput([Problem(label, None, f"YAML syntax: {shown(str(exc), 200)}")]) from None


def read_text(path: str | os.PathLike, label: str, max_bytes: int = MAX_FILE_BYTES) -> str:
    """A UTF-8 text file, refused (with its name) when too large, unreadable or not UTF-8."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read(max_bytes + 1)
            if len(raw) > max_bytes:
                size = os.fstat(handle.fileno()).st_size
                message = f"{size:,} bytes: larger than the {max_bytes:,} bytes it may hold"
                raise InvalidInput([Problem(label, None, message)])
    except FileNotFoundError:
        raise InvalidInput([Problem(label, None, "file not found")]) from None
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise InvalidInput([Problem(label, None, f"cannot read it: {reason}")]) from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        message = f"not UTF-8 text (byte 0x{raw[exc.start]:02x}); save it as UTF-8"
        raise InvalidInput([Problem(label, line, message, column=column)]) from None


def load_yaml_file(path: Path, root: Path | None = None):
    """(data, Lines) of one YAML file; errors carry the path relative to `root`."""
    label = str(path.relative_to(root)) if root and path.is_relative_to(root) else str(path)
    text = read_text(path, label)
    return parse_yaml(text, label), Lines(text)


def write_atomic(path: Path, content: str | bytes) -> None:
    """Write `path` whole or not at all: a kill or a full disk mid-write must never leave half a
    file for the next run to choke on, nor the temporary file beside it. An error names `path`,
    not the temporary file. A target that exists and is not a regular file (`-o /dev/null`, a
    pipe) is written to directly: renaming over it would replace a device with a file."""
    if os.path.exists(path) and not os.path.isfile(path) and not os.path.isdir(path):
        data = content if isinstance(content, bytes) else content.encode("utf-8")
        with open(path, "wb") as handle:
            handle.write(data)
        return
    # One temporary name per process: two writers of one file (two loads saving the parse
    # cache) each rename a whole file of their own; the last rename wins.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        if isinstance(content, bytes):
            tmp.write_bytes(content)
        else:
            tmp.write_text(content, encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        # OSError(errno, ...) comes back as the matching subclass (PermissionError, ...).
        raise OSError(exc.errno, exc.strerror, str(path)) from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


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
