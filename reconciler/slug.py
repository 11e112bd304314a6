"""Stable ids from names, for HRIS data that has names but no ids (e.g. free-text job titles).

A derived id becomes a file name and a reference in every member file, so it has to be the same
every night for the same name, a valid id (`reconciler.core.ids.is_id`) for any name, and as
readable as the name allows. Two different names may still slug alike ("R&D", "R D"); sources
pass both records on and the snapshot check names the pair, so they are never merged silently.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

from anyascii import anyascii

SLUG_MAX_LENGTH = 64
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_HASH_LENGTH = 8


def slugify(name: str) -> str:
    """'Head of R&D — Zürich' -> 'head-of-r-d-zurich', 'Łódź' -> 'lodz', '営業部' -> 'yingyebu'.

    A name with nothing to transliterate (only symbols) gets 'x-' and a hash of the name; a
    name too long for a readable id keeps its start and gets the hash as its end, so two long
    titles that differ only at the end still get two ids.
    """
    normalized = unicodedata.normalize("NFC", name)
    slug = _NON_ALNUM.sub("-", anyascii(normalized).lower()).strip("-")
    if not slug:
        return f"x-{_digest(normalized)}"
    if len(slug) > SLUG_MAX_LENGTH:
        head = slug[: SLUG_MAX_LENGTH - _HASH_LENGTH - 1].rstrip("-")
        return f"{head}-{_digest(normalized)}"
    return slug


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:_HASH_LENGTH]
