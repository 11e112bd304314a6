"""Typed errors: each maps to one clear line on the command line and exit code 1."""

from __future__ import annotations

from dataclasses import dataclass, field


class HrsyncError(Exception):
    """Base of every error hrsync reports to a person instead of a traceback."""


class ConfigError(HrsyncError):
    """hrsync.yaml or a command-line option is wrong."""


class SourceError(HrsyncError):
    """The HRIS could not be read (or written) completely; nothing was proposed."""


class TargetError(HrsyncError):
    """The platform refused or failed a call."""


class SafetyError(HrsyncError):
    """A safety threshold stopped the run; the message names the numbers and the flag."""


class StalePlanError(HrsyncError):
    """A saved plan no longer matches the state or the platform."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong in one file, with where it is."""

    path: str
    line: int | None
    message: str
    column: int | None = None
    subject: str | None = None  # e.g. 'member "1004"'

    def where(self) -> str:
        if self.line is None:
            return self.path
        col = f", column {self.column}" if self.column else ""
        return f"{self.path}, line {self.line}{col}"


@dataclass
class InvalidInput(HrsyncError):
    """All problems found in the input, grouped by file; raised before anything changes."""

    problems: list[Problem] = field(default_factory=list)

    def __str__(self) -> str:
        lines: list[str] = []
        groups: dict[tuple[str, str | None], list[Problem]] = {}
        for p in self.problems:
            groups.setdefault((p.path, p.subject), []).append(p)
        for (_, subject), items in groups.items():
            first = min(items, key=lambda p: p.line or 0)
            head = f"Invalid {subject}, " if subject else "Invalid "
            lines.append(head + first.where())
            for p in sorted(items, key=lambda p: (p.line or 0, p.message)):
                at = f" (line {p.line})" if p.line and p.line != first.line else ""
                lines.append(f"  - {p.message}{at}")
        return "\n".join(lines)
