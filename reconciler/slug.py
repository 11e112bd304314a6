"""Stable ids from names, for HRIS values that have a name but no id (Personio positions)."""

from __future__ import annotations

import re
import unicodedata

MAX_LENGTH = 64


def slugify(name: str) -> str:
    """'Head of Süpport & Care' -> 'head-of-support-care'; one name always gives one id."""
    # Drop only the accents; any other non-ASCII character separates words like a space would.
    decomposed = unicodedata.normalize("NFKD", name)
    unaccented = "".join(c for c in decomposed if not unicodedata.combining(c))
    slug = re.sub(r"[^a-z0-9]+", "-", unaccented.lower()).strip("-")
    return slug[:MAX_LENGTH].rstrip("-") or "unnamed"
