"""The fonts a review report is drawn with, and which characters they can draw.

DejaVu Sans (regular and bold) is bundled and covers Latin, Greek, Cyrillic, Hebrew, Arabic,
Armenian, Georgian and many symbols. It has no Chinese, Japanese or Korean, no emoji, and no
Indic scripts. A font that does not have a character's glyph draws nothing for it: fpdf2 leaves
the character out of the page and writes a warning in a log nobody reads. An HR document that
lost a sentence is worse than one not filed, so hrsync checks every character before drawing:
a character must be in the cmap of the font its text is set in, or of one of the fallback fonts
configured in hrsync.yaml (`reviews: {fallback_fonts: [path/to/font.ttf]}`); a review with a
character in none of them is refused, naming the characters, and the others are filed.

No CJK font is bundled: a good one (Noto Sans CJK) weighs 16 MB and more per weight, most
companies never need it, and those who do know which one their people's names need.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from fontTools.ttLib import TTFont, TTLibError
from fpdf import FPDF

from reconciler.errors import ConfigError, HrsyncError

REGULAR, BOLD = "", "B"  # fpdf2's style names
FONT_SUFFIXES = (".ttf", ".otf", ".ttc", ".otc")  # .ttc/.otc: the first face is used
SETTING = "reviews.fallback_fonts"
SHOWN_AT_MOST = 8  # characters named in one message; the rest are counted


@dataclass(frozen=True, eq=False)
class FontFile:
    """One font file and the code points its Unicode cmap maps to a glyph."""

    label: str  # how messages name it, e.g. "DejaVu Sans" or "fonts/NotoSansJP-Regular.otf"
    source: Traversable  # a path, or a resource of the package
    code_points: frozenset[int]

    def draws(self, char: str) -> bool:
        return ord(char) in self.code_points


@dataclass(frozen=True)
class ReportFonts:
    """The bundled DejaVu Sans for each style, then the fallback fonts in the order to try."""

    regular: FontFile
    bold: FontFile
    fallbacks: tuple[FontFile, ...] = ()

    def primary(self, style: str) -> FontFile:
        return self.bold if style == BOLD else self.regular

    def draws(self, style: str, char: str) -> bool:
        return (
            char == "\n"
            or self.primary(style).draws(char)
            or any(font.draws(char) for font in self.fallbacks)
        )

    def fallbacks_needed(self, runs: Iterable[tuple[str, str]]) -> tuple[FontFile, ...]:
        """The fallback fonts some character of `runs` ((style, text) pairs) is drawn with:
        only these are embedded, so a configured CJK font costs nothing in a Latin review."""
        needed: set[int] = set()
        for style, text in runs:
            for char in set(text) - {"\n"}:
                if not self.primary(style).draws(char):
                    first = next((i for i, f in enumerate(self.fallbacks) if f.draws(char)), None)
                    if first is not None:
                        needed.add(first)
        return tuple(self.fallbacks[i] for i in sorted(needed))

    def describe(self) -> str:
        names = ", ".join(f.label for f in self.fallbacks)
        return f"DejaVu Sans or the fallback fonts ({names})" if names else "DejaVu Sans"


def undrawable(fonts: ReportFonts, runs: Iterable[tuple[str, str, str]]) -> dict[str, list[str]]:
    """Each character of `runs` ((style, text, place) triples) that no font can draw, in order
    of first appearance, with the places it appears in."""
    missing: dict[str, list[str]] = {}
    for style, text, place in runs:
        for char in text:
            if not fonts.draws(style, char):
                places = missing.setdefault(char, [])
                if place not in places:
                    places.append(place)
    return missing


class MissingGlyphs(HrsyncError):
    """A review has characters none of the report's fonts can draw; it is not rendered."""

    def __init__(self, characters: Sequence[str], places: Sequence[str], fonts: ReportFonts):
        self.characters = tuple(characters)
        self.places = tuple(places)
        them = "them" if len(self.characters) > 1 else "it"
        super().__init__(
            f"cannot draw {code_points(self.characters)} (in {_places(self.places)}): "
            f"no glyph in {fonts.describe()}; add a font that has {them} to {SETTING} "
            "in hrsync.yaml"
        )


def code_point(char: str) -> str:
    """`U+65E5 '日'`; a mark or an invisible character by its Unicode name instead."""
    if unicodedata.category(char)[0] in "MCZ":
        return f"U+{ord(char):04X} {unicodedata.name(char, 'unnamed character')}"
    return f"U+{ord(char):04X} '{char}'"


def code_points(characters: Sequence[str]) -> str:
    shown = ", ".join(code_point(c) for c in characters[:SHOWN_AT_MOST])
    more = len(characters) - SHOWN_AT_MOST
    return f"{shown} and {more} more" if more > 0 else shown


def _places(places: Sequence[str]) -> str:
    more = len(places) - 3
    return "; ".join(places[:3]) + (f"; and {more} more place(s)" if more > 0 else "")


def bundled_fonts() -> ReportFonts:
    return ReportFonts(_bundled("DejaVuSans.ttf"), _bundled("DejaVuSans-Bold.ttf"))


def report_fonts(fallback_fonts: Sequence[str], root: Path) -> ReportFonts:
    """The bundled fonts with the fallback fonts of hrsync.yaml (paths relative to `root`)."""
    fonts = bundled_fonts()
    fallbacks = tuple(
        _fallback(entry, root, f"{SETTING}[{index}]") for index, entry in enumerate(fallback_fonts)
    )
    return ReportFonts(fonts.regular, fonts.bold, fallbacks)


@cache
def _bundled(name: str) -> FontFile:
    source = resources.files("reconciler").joinpath("data", "fonts", name)
    with resources.as_file(source) as path:
        return FontFile("DejaVu Sans", source, _code_points(path))


def _fallback(entry: str, root: Path, setting: str) -> FontFile:
    path = Path(entry).expanduser()
    path = path if path.is_absolute() else root / path
    if path.suffix.lower() not in FONT_SUFFIXES:
        raise ConfigError(
            f"hrsync.yaml: {setting}: {entry!r} is not a TrueType or OpenType font file "
            f"({', '.join(FONT_SUFFIXES)})"
        )
    if not path.is_file():
        raise ConfigError(f"hrsync.yaml: {setting}: font file {entry!r} not found")
    return _font_file(path.resolve(), entry, setting)


@cache
def _font_file(path: Path, entry: str, setting: str) -> FontFile:
    try:
        code_points = _code_points(path)
    except (TTLibError, OSError, AssertionError, KeyError, ValueError) as exc:
        raise ConfigError(
            f"hrsync.yaml: {setting}: {entry!r} is not a readable font ({exc})"
        ) from None
    if not code_points:
        raise ConfigError(f"hrsync.yaml: {setting}: {entry!r} has no Unicode character map")
    try:
        # Loaded once as fpdf2 loads it for each PDF, so that a font fpdf2 cannot embed is a
        # configuration error now rather than a traceback halfway through an export.
        FPDF().add_font("check", "", str(path))
    except Exception as exc:  # a font parser fails in many ways; each means "unusable"
        raise ConfigError(
            f"hrsync.yaml: {setting}: {entry!r} cannot be embedded in a PDF ({exc})"
        ) from None
    return FontFile(entry, path, code_points)


def _code_points(path: Path) -> frozenset[int]:
    # fontNumber: the first face of a collection (.ttc); ignored for a single font.
    with TTFont(path, fontNumber=0, lazy=True) as font:
        cmap = font.getBestCmap() or {}
        glyphs = set(font.getGlyphOrder())
    # A cmap entry pointing at a glyph the font does not have draws nothing either.
    return frozenset(code for code, glyph in cmap.items() if glyph in glyphs and glyph != ".notdef")
