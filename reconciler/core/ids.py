"""The one rule for entity ids, shared by the snapshot check, the state tree and the schemas.

Ids come from the HRIS, which nobody here controls, and become file names (state/<kind>/<id>.yaml),
branch trailers and markdown. So an id is a short run of letters, digits and `. _ @ -`, starting
with a letter or digit, with no `..` and no trailing dot: it can never name a parent folder, an
absolute path, a hidden file, or carry whitespace, control characters, backticks or markup.
"""

from __future__ import annotations

import re

ID_MAX_LENGTH = 128
# Each dot must be followed by a character that is not a dot: no "..", no trailing "." (Windows).
# `(?!\n)$`, not `$`: Python's `$` also matches before a final newline, and the JSON Schemas
# (read by Python's `re.search`) state these same patterns.
ID_PATTERN = r"^[A-Za-z0-9](?:[A-Za-z0-9_@-]|\.(?=[A-Za-z0-9_@-]))*(?!\n)$"
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+(?!\n)$"
EMAIL_MAX_LENGTH = 254
NAME_MAX_LENGTH = 200

_ID = re.compile(ID_PATTERN)
_EMAIL = re.compile(EMAIL_PATTERN)


def is_id(value) -> bool:
    return type(value) is str and len(value) <= ID_MAX_LENGTH and _ID.fullmatch(value) is not None


def is_email(value) -> bool:
    return (
        type(value) is str
        and len(value) <= EMAIL_MAX_LENGTH
        and _EMAIL.fullmatch(value) is not None
    )


def shown(value, limit: int = 60) -> str:
    """A value as an error message may quote it: repr (so control characters show), cut short."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 1]}…' ({len(str(value))} characters)"
