"""The rows of an HRIS export file (CSV or JSON), each with the place a person can find it.

An export is read whole and strictly: a row that does not parse cleanly is an error naming its
line, never a guess. A guess costs people: an unclosed quote that swallows the next row would
make that employee look like a leaver, and an extra field shifts every value after it.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, replace

from reconciler.core.ids import shown
from reconciler.errors import InvalidInput, Problem

# Excel writes ';' where the decimal separator is ',' (NL, DE, FR...), and '\t' for "Unicode text".
DELIMITERS = {",": ",", ";": ";", "\t": "\t", "tab": "\t"}


@dataclass(frozen=True)
class Row:
    """One employee record as text values, and where it came from."""

    path: str  # how Problem names the place: "hris/export.csv" or "export.json, item 3"
    line: int | None
    values: dict[str, str | None]

    @property
    def origin(self) -> str:
        return self.path if self.line is None else f"{self.path}, line {self.line}"

    def problem(self, message: str) -> Problem:
        return Problem(self.path, self.line, message)


@dataclass(frozen=True)
class ExportFormat:
    """How the bytes are read (from the file source's settings)."""

    encoding: str = "utf-8"
    delimiter: str | None = None  # None: whichever of , ; tab makes the header hold the columns


def read_rows(
    data: bytes, label: str, fmt: ExportFormat, columns: Sequence[str], required: Sequence[str]
) -> list[Row]:
    """Every record of the export, its `columns` as text or None. Raises `InvalidInput` naming
    each line (or item) that cannot be read; the other columns are never looked at again."""
    text = _decode(data, label, fmt.encoding)
    if label.lower().endswith(".json"):
        return _json_rows(text, label, columns)
    return _csv_rows(text, label, fmt.delimiter, columns, required)


def _decode(data: bytes, label: str, encoding: str) -> str:
    # utf-8-sig: Excel's "CSV UTF-8" starts with a byte-order mark; it is not part of the header.
    codec = "utf-8-sig" if codecs.lookup(encoding).name == "utf-8" else encoding
    try:
        text = data.decode(codec)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InvalidInput(
            [
                Problem(
                    label,
                    line,
                    f"byte {data[exc.start : exc.start + 1]!r} is not {encoding} text; "
                    f"{_encoding_hint(data)}",
                )
            ]
        ) from None
    if "\0" in text:
        line = text.count("\n", 0, text.index("\0")) + 1
        raise InvalidInput(
            [
                Problem(
                    label, line, f"a NUL character is not text in an export; {_encoding_hint(data)}"
                )
            ]
        )
    return text


def _encoding_hint(data: bytes) -> str:
    # UTF-16 has a byte-order mark, or a NUL beside every ASCII letter without one
    if data[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE) or b"\0" in data[:2]:
        guess = "utf-16"
    else:
        guess = "cp1252"
    return (
        f"if the HRIS writes another encoding, name it under source: in hrsync.yaml, "
        f"e.g. `encoding: {guess}`"
    )


def _csv_rows(
    text: str, label: str, delimiter: str | None, columns: Sequence[str], required: Sequence[str]
) -> list[Row]:
    if not text.strip():
        raise InvalidInput([Problem(label, 1, "the export is empty: not even a header line")])
    used = delimiter or _detect_delimiter(text, required)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=used, strict=True)
    records = _records(reader, label)
    header_line, _, header = records[0]
    header = [name.strip() for name in header]
    _check_header(header, Problem(label, header_line, ""), text, used, delimiter, required)
    rows = []
    problems = []
    for line, last_line, cells in records[1:]:
        if not cells:
            continue  # a blank line, e.g. at the end of the file
        if len(cells) != len(header):
            message = f"{len(cells)} fields where the header has {len(header)}"
            if last_line > line:
                message += _run_on(last_line)
            problems.append(Problem(label, line, message))
            continue
        values = dict(zip(header, cells, strict=True))
        rows.append(Row(label, line, {c: _cell(values.get(c)) for c in columns}))
    if problems:
        raise InvalidInput(problems)
    return rows


def _records(reader, label: str) -> list[tuple[int, int, list[str]]]:
    """(first line, last line, cells) of every record; quotes may hold line breaks."""
    records = []
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return records
        except csv.Error as exc:
            message = _csv_error(str(exc))
            if reader.line_num > start and "end of data" not in str(exc):
                message += _run_on(reader.line_num)
            raise InvalidInput([Problem(label, start, message)]) from None
        records.append((start, reader.line_num, cells))


def _csv_error(message: str) -> str:
    if "unexpected end of data" in message:
        return "a quoted field starts in this row and is never closed"
    if "field larger than field limit" in message:
        return f"a field is longer than {csv.field_size_limit()} characters"
    if "expected after" in message:
        return "a quote ends in the middle of a field"
    return f"the row is not valid CSV ({message})"


def _run_on(last_line: int) -> str:
    return f"; the row runs on to line {last_line} inside quotes: a quote left open?"


def _detect_delimiter(text: str, required: Sequence[str]) -> str:
    """The delimiter that makes the header name the most required columns (',' on a tie)."""
    return max(DELIMITERS.values(), key=lambda d: (len(_header_hits(text, d, required)), d == ","))


def _header_hits(text: str, delimiter: str, required: Sequence[str]) -> set[str]:
    try:
        header = next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except (csv.Error, StopIteration):
        return set()
    return {name.strip() for name in header} & set(required)


def _check_header(
    header: list[str],
    at: Problem,
    text: str,
    used: str,
    configured: str | None,
    required: Sequence[str],
) -> None:
    problems = []
    seen: set[str] = set()
    for name in header:
        if name and name in seen:
            problems.append(replace(at, message=f"column {shown(name)} appears twice"))
        seen.add(name)
    missing = [c for c in required if c not in seen]
    if missing:
        message = f"missing column(s): {', '.join(missing)}"
        better = _detect_delimiter(text, required)
        if configured and len(_header_hits(text, better, required)) > len(set(required) & seen):
            message += (
                f"; the header looks {_name(better)}-separated: set "
                f"`delimiter: {_yaml(better)}` under source: in hrsync.yaml, or leave "
                "delimiter out to detect it"
            )
        elif used != ",":
            message += f" (read as {_name(used)}-separated)"
        problems.append(replace(at, message=message))
    if problems:
        raise InvalidInput(problems)


def _name(delimiter: str) -> str:
    return "tab" if delimiter == "\t" else repr(delimiter)


def _yaml(delimiter: str) -> str:
    return "tab" if delimiter == "\t" else f'"{delimiter}"'


def _cell(value: str | None) -> str | None:
    text = value.strip() if value is not None else ""
    return text or None


def _json_rows(text: str, label: str, columns: Sequence[str]) -> list[Row]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            [Problem(label, exc.lineno, f"not valid JSON: {exc.msg}", column=exc.colno)]
        ) from None
    if isinstance(data, dict) and "employees" in data:
        data = data["employees"]
    if not isinstance(data, list):
        raise InvalidInput(
            [
                Problem(
                    label,
                    1,
                    f"the export is a JSON {_json_type(data)}; expected a list of employee "
                    "objects (or an object with an `employees` list)",
                )
            ]
        )
    rows = []
    problems = []
    for number, item in enumerate(data, start=1):
        where = f"{label}, item {number}"
        if not isinstance(item, dict):
            problems.append(Problem(where, None, f"is a JSON {_json_type(item)}, not an object"))
            continue
        values = {}
        for column in columns:
            value, message = _json_value(column, item.get(column))
            if message:
                problems.append(Problem(where, None, f"{column}: {message}"))
            values[column] = value
        rows.append(Row(where, None, values))
    if problems:
        raise InvalidInput(problems)
    return rows


def _json_value(column: str, value) -> tuple[str | None, str | None]:
    """The value as text, or why it cannot be: only ids may be numbers (HRIS ids often are)."""
    if value is None or isinstance(value, str):
        return _cell(value), None
    if type(value) is int and column.endswith("_id"):
        return str(value), None
    return None, f"{shown(value)} is a JSON {_json_type(value)}, not text"


def _json_type(value) -> str:
    if isinstance(value, bool):
        return "true/false"
    return {dict: "object", list: "list", str: "string", int: "number", float: "number"}.get(
        type(value), "null"
    )
