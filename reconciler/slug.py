"""Stable ids from names, for HRIS data that has names but no ids (e.g. free-text job titles)."""

from __future__ import annotations

import re
import unicodedata

_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def slugify(name: str) -> str:
    """'Head of R&D — Zürich' -> 'head-of-r-d-zurich'; the same name always gives the same id."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    slug = _NON_ALNUM.sub("-", folded.lower()).strip("-")[:64].strip("-")
    return slug or "unnamed"
