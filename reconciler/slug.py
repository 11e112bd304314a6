"""Ids for things an HRIS names but does not number (a job title without a code)."""

from __future__ import annotations

import re
import unicodedata


def slugify(name: str) -> str:
    """Lowercase ascii; other runs become '-'; at most 64 chars; 'unnamed' when nothing is left."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    return slug[:64].strip("-") or "unnamed"
