"""File names of review PDFs as they appear in a personnel file: `2026-Q4 review — Dana Keller.pdf`.

Characters that a file system or an HRIS upload rejects are replaced, and the name is kept well
under the 255-byte limit of common file systems. A name is unique per employee: a later version
of the same review gets " (v2)", a second review of the same cycle gets its review id.
"""

from __future__ import annotations

import re
import unicodedata

_REJECTED = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f-\x9f]')
_SPACES = re.compile(r"\s+")
MAX_BYTES = 180  # leaves room for a vendor's own prefix or a de-duplicating suffix


def sanitise(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    # A leading dot hides a file; a trailing dot or space is dropped by Windows and some vendors.
    return _SPACES.sub(" ", _REJECTED.sub(" ", text)).strip(" .")


def review_filename(
    cycle: str, person: str, *, version: int, review_id: str, taken: set[str]
) -> str:
    """The PDF's file name; never one of `taken` (names already used for this employee)."""
    suffix = f" (v{version})" if version > 1 else ""
    name = _fit(f"{sanitise(cycle)} review — {sanitise(person)}", suffix)
    if name in taken:
        name = _fit(
            f"{sanitise(cycle)} review — {sanitise(person)}", f" ({sanitise(review_id)}){suffix}"
        )
    return name


def _fit(stem: str, suffix: str) -> str:
    limit = MAX_BYTES - len(f"{suffix}.pdf".encode())
    while len(stem.encode()) > limit:
        stem = stem[:-1]
    stem = stem.rstrip(" .")
    return f"{stem}{suffix}.pdf"
