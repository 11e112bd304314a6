"""Tiny TrueType fonts built in the test, so fallback tests need no font package installed.

Each glyph is a plain box, which is all a PDF needs to embed it and a text extractor needs to
map it back (through the ToUnicode map fpdf2 writes from the cmap)."""

from __future__ import annotations

from pathlib import Path

from fontTools.fontBuilder import FontBuilder
from fontTools.pens.ttGlyphPen import TTGlyphPen

JAPANESE = "日本語の評価です。とても良い仕事をしました"
EMOJI = "🌍🚀"


def build_font(path: Path, characters: str, family: str = "Hrsync Test Fallback") -> Path:
    """A font at `path` with a glyph for each of `characters` (and nothing else)."""
    chars = sorted(set(characters))
    names = [".notdef", *(f"u{ord(c):05X}" for c in chars)]
    builder = FontBuilder(1000, isTTF=True)
    builder.setupGlyphOrder(names)
    builder.setupCharacterMap({ord(c): name for c, name in zip(chars, names[1:], strict=True)})
    builder.setupGlyf({name: _box() for name in names})
    builder.setupHorizontalMetrics({name: (1000, 100) for name in names})
    builder.setupHorizontalHeader(ascent=880, descent=-120)
    builder.setupNameTable(
        {"familyName": family, "styleName": "Regular", "psName": family.replace(" ", "")}
    )
    builder.setupOS2(sTypoAscender=880, sTypoDescender=-120, usWinAscent=880, usWinDescent=120)
    builder.setupPost()
    path.parent.mkdir(parents=True, exist_ok=True)
    builder.save(str(path))
    return path


def _box():
    pen = TTGlyphPen(None)
    pen.moveTo((100, 0))
    pen.lineTo((100, 700))
    pen.lineTo((900, 700))
    pen.lineTo((900, 0))
    pen.closePath()
    return pen.glyph()
