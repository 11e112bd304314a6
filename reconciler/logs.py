"""hrsync's log lines: levels from `-v`/`-q`, one handler on stderr, secrets redacted.

    -q   ERROR    errors only, no progress
         WARNING  the default: warnings, progress lines
    -v   INFO     and each HTTP request (method, path, status, ms), each applied change (kind, id)
    -vv  DEBUG

Only hrsync's own loggers (`reconciler.*`) follow the flags. Libraries keep Python's default
(WARNING): httpx would log whole URLs at INFO, and a SCIM filter's query holds an e-mail.

Log calls name ids and counts, never a person's name or e-mail, and never a secret. As a second
line of defence every line written here is redacted: the values of the environment variables
hrsync.yaml names (its `*_env` keys and their defaults), and Authorization headers and bearer
tokens wherever they appear.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import Iterable, Mapping

LOGGER = "reconciler"
FORMAT = "%(levelname)s %(name)s: %(message)s"
MASK = "***"
# A shorter "secret" (a test value, a username like "hr") would mask ordinary words and digits.
SHORTEST_SECRET = 4

_AUTHORIZATION = re.compile(
    r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?)(?:(bearer|basic|token)\s+)?[^\s'\",;}]+"
)
_BEARER = re.compile(r"(?i)\b(bearer)\s+[A-Za-z0-9._~+/=-]+")
_secrets: set[str] = set()


def level_for(verbosity: int) -> int:
    """-1 (`-q`) ERROR, 0 WARNING, 1 (`-v`) INFO, 2 or more (`-vv`) DEBUG."""
    if verbosity < 0:
        return logging.ERROR
    return {0: logging.WARNING, 1: logging.INFO}.get(verbosity, logging.DEBUG)


def configure(verbosity: int) -> None:
    """Set hrsync's log level and its one stderr handler (again on each call: tests run many
    commands in one process)."""
    logger = logging.getLogger(LOGGER)
    logger.setLevel(level_for(verbosity))
    for handler in [h for h in logger.handlers if isinstance(h, StderrHandler)]:
        logger.removeHandler(handler)
    handler = StderrHandler()
    handler.setFormatter(RedactingFormatter(FORMAT))
    logger.addHandler(handler)


def progress_shown() -> bool:
    """Progress is shown unless `-q` asked for errors only."""
    return logging.getLogger(LOGGER).isEnabledFor(logging.WARNING)


def logging_steps() -> bool:
    """With `-v` log lines interleave with progress, so progress is plain lines then too."""
    return logging.getLogger(LOGGER).isEnabledFor(logging.INFO)


def redact_environment(names: Iterable[str], env: Mapping[str, str] | None = None) -> None:
    """Mask the values of these environment variables in every line logged from now on."""
    env = os.environ if env is None else env
    for name in names:
        value = env.get(name)
        if value and len(value) >= SHORTEST_SECRET:
            _secrets.add(value)


def redacted(text: str) -> str:
    """`text` without Authorization headers, bearer tokens and known secret values."""

    def header(match: re.Match) -> str:
        scheme = f"{match.group(2)} " if match.group(2) else ""
        return f"{match.group(1)}{scheme}{MASK}"

    text = _AUTHORIZATION.sub(header, text)
    text = _BEARER.sub(lambda m: f"{m.group(1)} {MASK}", text)
    # Longest first: a secret that contains another is masked whole.
    for secret in sorted(_secrets, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


class RedactingFormatter(logging.Formatter):
    """Redacts the whole formatted line: message, arguments and any traceback."""

    def format(self, record: logging.LogRecord) -> str:
        return redacted(super().format(record))


class StderrHandler(logging.StreamHandler):
    """Writes to whatever `sys.stderr` is when a line is logged (click's test runner swaps it)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:
        pass
