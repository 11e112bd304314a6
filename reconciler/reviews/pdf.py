"""One finished review as a PDF report for the employee's personnel file.

The output depends only on the review, its subject, the company name, the generation date and
the fonts passed in: the PDF's creation date comes from the review, so rendering the same review
twice gives the same text (and, with the same fpdf2 version, the same bytes). DejaVu Sans is
bundled so every name (Zoë Øvergaard, Łukasz Żółć) prints; ratings are drawn as boxes, not
glyphs.

A PDF never loses text. Before anything is drawn, every character of every text that goes into
the report (`report_texts`) is checked against the fonts (`reconciler.reviews.fonts`): one that
neither DejaVu Sans nor a configured fallback font can draw stops the review with
`MissingGlyphs`, naming the characters and where they are. After drawing, fpdf2's own record of
glyphs it could not find is checked as well, so a text the first check did not know of cannot
slip through either.

Text is drawn without a shaping engine: right-to-left scripts (Hebrew, Arabic) keep every
character but are laid out left to right, and combining marks follow their base character.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from importlib import resources

from fpdf import FPDF
from fpdf.enums import Align, MethodReturnValue, XPos, YPos

from reconciler.reviews.fonts import (
    BOLD,
    REGULAR,
    MissingGlyphs,
    ReportFonts,
    bundled_fonts,
    undrawable,
)
from reconciler.reviews.model import Question, Review, ReviewSubject

FONT = "DejaVu"
INK = (33, 37, 41)
MUTED = (108, 117, 125)
RULE = (206, 212, 218)
BAND = (233, 240, 248)
ACCENT = (37, 99, 235)
EMPTY = (226, 232, 240)

MARGIN = 18.0
LINE = 5.2  # body line height in mm, for 10 pt text
PIP_W, PIP_H, PIP_GAP = 5.0, 3.2, 1.2
LABEL_WIDTH = 32.0

NO_ANSWER = "No written answer."

# C0/C1 control characters other than newline and tab draw as boxes or break a line's width.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Invisible formatting characters no bundled font has a glyph for: bidi isolates and the Arabic
# letter mark (direction hints for a shaping engine, which is not used), the Mongolian vowel
# separator, tag characters (inside flag emoji) and the supplementary variation selectors. They
# show nothing on any page, so leaving them out loses no text a reader could see.
_INVISIBLE = re.compile(
    "[\u061c\u180e\u2066-\u2069\U000e0001\U000e0020-\U000e007f\U000e0100-\U000e01ef]"
)


def render_review_pdf(
    review: Review,
    subject: ReviewSubject,
    *,
    company: str,
    generated_on: date,
    fonts: ReportFonts | None = None,
) -> bytes:
    """The review as PDF bytes. Raises `MissingGlyphs` rather than leave out a character."""
    fonts = fonts or bundled_fonts()
    texts = report_texts(review, subject, company=company, generated_on=generated_on)
    _refuse_undrawable(fonts, texts)
    pdf = _ReviewPdf(review, company, generated_on, fonts, texts)
    pdf.add_page()
    _title_block(pdf, review, subject)
    for section in review.sections:
        _section(pdf, section.title, section.questions)
    content = bytes(pdf.output())
    # fpdf2 leaves a character out of the page when its font has no glyph, and only logs it.
    lost = list(dict.fromkeys(chr(c) for font in pdf.fonts.values() for c in _missing_glyphs(font)))
    if lost:
        raise MissingGlyphs(lost, ["the rendered report"], fonts)
    return content


def check_review(
    review: Review,
    subject: ReviewSubject,
    *,
    company: str,
    generated_on: date,
    fonts: ReportFonts | None = None,
) -> None:
    """Raise `MissingGlyphs` if some character of the review's report cannot be drawn."""
    texts = report_texts(review, subject, company=company, generated_on=generated_on)
    _refuse_undrawable(fonts or bundled_fonts(), texts)


def _refuse_undrawable(fonts: ReportFonts, texts: list[tuple[str, str, str]]) -> None:
    missing = undrawable(fonts, texts)
    if missing:
        places = list(dict.fromkeys(place for where in missing.values() for place in where))
        raise MissingGlyphs(list(missing), places, fonts)


def _missing_glyphs(font) -> list[int]:
    return [code for code in getattr(font, "missing_glyphs", ()) if code != ord("\n")]


def clean(text: str) -> str:
    """NFC text without control characters or invisible formatting marks no font draws, with
    newlines normalised."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    return _INVISIBLE.sub("", _CONTROL.sub("", text.replace("\t", "    ")))


def creation_moment(review: Review) -> datetime:
    """A fixed creation date for the PDF, taken from the review so that output is stable."""
    if review.finished_at:
        moment = datetime.fromisoformat(review.finished_at)
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return datetime.combine(review.period_end, time(0), tzinfo=UTC)


# What the report says, in one place: the drawing code below and `report_texts` (what the glyph
# check reads) both take their text from these functions.


def _header(company: str, review: Review) -> tuple[str, str]:
    return clean(company), f"Performance review · {clean(review.cycle)}"


def _footer(review: Review, generated_on: date, page: int | str) -> tuple[str, str]:
    return (
        f"Review {clean(review.id)} · generated {generated_on.isoformat()}",
        f"Page {page} of {{nb}}",
    )


def _title(review: Review, subject: ReviewSubject) -> tuple[str, str]:
    return clean(subject.name), f"Performance review {clean(review.cycle)}"


def _facts(review: Review, subject: ReviewSubject) -> list[tuple[str, str, str]]:
    """(label, value, where the value comes from) for the title block."""
    reviewers = ", ".join(f"{clean(r.name)} ({clean(r.role)})" for r in review.reviewers)
    finished = creation_moment(review).date().isoformat() if review.finished_at else "not yet"
    period = f"{review.period_start.isoformat()} to {review.period_end.isoformat()}"
    return [
        ("Employee", f"{clean(subject.name)} · {clean(subject.email)}", "employee name, e-mail"),
        ("Job", clean(subject.job) if subject.job else "—", "job"),
        ("Team", clean(subject.team) if subject.team else "—", "team"),
        ("Manager", clean(subject.manager) if subject.manager else "—", "manager"),
        ("Review period", period, "review period"),
        ("Finished", finished, "finished date"),
        ("Reviewers", reviewers or "—", "reviewers"),
    ]


def _rating_label(rating: int | None, scale: int) -> tuple[str, str]:
    """(style, text) after the rating boxes: "4 / 5" for readers and for text extraction."""
    if rating is None:
        return REGULAR, f"not rated (scale 1–{scale})"
    return BOLD, f"{rating} / {scale}"


def _answer(question: Question) -> str | None:
    return clean(question.answer).strip() if question.answer and question.answer.strip() else None


def report_texts(
    review: Review, subject: ReviewSubject, *, company: str, generated_on: date
) -> list[tuple[str, str, str]]:
    """Every text the report draws, as (font style, text, where it comes from)."""
    texts = list(_title_texts(review, subject, company, generated_on))
    for number, section in enumerate(review.sections, 1):
        texts.append((BOLD, clean(section.title), f"section {number} title"))
        for index, question in enumerate(section.questions, 1):
            where = f"section {number}, question {index}"
            texts.append((BOLD, clean(question.text), where))
            texts.append((*_rating_label(question.rating, question.scale), f"{where}, rating"))
            answer = _answer(question)
            texts.append((REGULAR, answer or NO_ANSWER, f"{where}, answer"))
    return texts


def _title_texts(
    review: Review, subject: ReviewSubject, company: str, generated_on: date
) -> Iterator[tuple[str, str, str]]:
    company_name, cycle_line = _header(company, review)
    yield BOLD, company_name, "company name"
    yield REGULAR, cycle_line, "cycle"
    for text in _footer(review, generated_on, "0123456789"):
        yield REGULAR, text, "review id"
    name, cycle_title = _title(review, subject)
    yield BOLD, name, "employee name"
    yield REGULAR, cycle_title, "cycle"
    for label, value, where in _facts(review, subject):
        yield BOLD, label, "label"
        yield REGULAR, value, where


class _ReviewPdf(FPDF):
    def __init__(
        self,
        review: Review,
        company: str,
        generated_on: date,
        fonts: ReportFonts,
        texts: list[tuple[str, str, str]],
    ):
        super().__init__(orientation="P", unit="mm", format="A4")
        self.review = review
        self.company = company
        self.generated_on = generated_on
        for style, font in ((REGULAR, fonts.regular), (BOLD, fonts.bold)):
            with resources.as_file(font.source) as path:
                self.add_font(FONT, style, str(path))
        # Only the fallback fonts this review needs: a CJK font takes a while to load and embed.
        needed = fonts.fallbacks_needed((style, text) for style, text, _ in texts)
        for index, font in enumerate(needed):
            with resources.as_file(font.source) as path:
                self.add_font(f"fallback{index}", "", str(path))
        if needed:
            # exact_match=False: a fallback font without a bold face draws bold text too.
            self.set_fallback_fonts([f"fallback{i}" for i in range(len(needed))], False)
        self.set_margins(MARGIN, 24, MARGIN)
        self.set_auto_page_break(True, margin=20)
        self.set_creation_date(creation_moment(review))
        self.set_title(f"{clean(review.cycle)} performance review")
        self.set_author(clean(company))
        self.set_subject(f"Performance review {review.id}")
        self.set_creator("hrsync")
        self.set_lang("en")

    def header(self) -> None:
        company, cycle_line = _header(self.company, self.review)
        self.set_y(10)
        self.set_font(FONT, BOLD, 9)
        self.set_text_color(*INK)
        width = self.epw / 2
        self.cell(width, 5, company, new_x=XPos.RIGHT, new_y=YPos.TOP)
        self.set_font(FONT, REGULAR, 9)
        self.set_text_color(*MUTED)
        self.cell(width, 5, cycle_line, align=Align.R, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self._rule(self.get_y() + 1.5)
        self.set_y(24)

    def footer(self) -> None:
        review_line, page_line = _footer(self.review, self.generated_on, self.page_no())
        self.set_y(-14)
        self._rule(self.get_y() - 1.5)
        self.set_font(FONT, REGULAR, 8)
        self.set_text_color(*MUTED)
        width = self.epw / 2
        self.cell(width, 5, review_line, new_x=XPos.RIGHT, new_y=YPos.TOP)
        self.cell(width, 5, page_line, align=Align.R)

    def _rule(self, y: float) -> None:
        self.set_draw_color(*RULE)
        self.set_line_width(0.3)
        self.line(self.l_margin, y, self.w - self.r_margin, y)

    def room_left(self) -> float:
        return self.page_break_trigger - self.get_y()

    def text_height(self, width: float, line_height: float, text: str) -> float:
        lines = self.multi_cell(
            width, line_height, text, dry_run=True, output=MethodReturnValue.LINES
        )
        return len(lines) * line_height


def _title_block(pdf: _ReviewPdf, review: Review, subject: ReviewSubject) -> None:
    name, cycle_title = _title(review, subject)
    pdf.set_text_color(*INK)
    pdf.set_font(FONT, BOLD, 18)
    pdf.multi_cell(0, 9, name, align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, REGULAR, 11)
    pdf.set_text_color(*MUTED)
    pdf.multi_cell(0, 6, cycle_title, align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)
    for label, value, _ in _facts(review, subject):
        pdf.set_font(FONT, BOLD, 9.5)
        pdf.set_text_color(*MUTED)
        pdf.cell(LABEL_WIDTH, LINE, label, new_x=XPos.RIGHT, new_y=YPos.TOP)
        pdf.set_font(FONT, REGULAR, 9.5)
        pdf.set_text_color(*INK)
        pdf.multi_cell(0, LINE, value, align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(0.8)
    pdf.ln(3)
    pdf._rule(pdf.get_y())
    pdf.ln(5)


def _section(pdf: _ReviewPdf, title: str, questions: tuple[Question, ...]) -> None:
    title = clean(title)
    pdf.set_font(FONT, BOLD, 12)
    title_height = pdf.text_height(pdf.epw - 6, 7, title) + 4
    # A heading alone at the foot of a page reads as a lost line: keep it with its first question.
    if pdf.room_left() < title_height + 30:
        pdf.add_page()
    pdf.set_fill_color(*BAND)
    pdf.set_text_color(*INK)
    pdf.multi_cell(
        0, 7, title, align=Align.L, fill=True, padding=(2, 3), new_x=XPos.LMARGIN, new_y=YPos.NEXT
    )
    pdf.ln(3)
    for question in questions:
        _question(pdf, question)
    pdf.ln(3)


def _question(pdf: _ReviewPdf, question: Question) -> None:
    text = clean(question.text)
    pdf.set_font(FONT, BOLD, 10)
    needed = pdf.text_height(pdf.epw, LINE, text) + LINE * 3
    if pdf.room_left() < needed:
        pdf.add_page()
    pdf.set_text_color(*INK)
    pdf.multi_cell(0, LINE, text, align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(1)
    _rating(pdf, question.rating, question.scale)
    pdf.ln(1.5)
    pdf.set_font(FONT, REGULAR, 10)
    answer = _answer(question)
    pdf.set_text_color(*(INK if answer else MUTED))
    pdf.multi_cell(0, LINE, answer or NO_ANSWER, align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)


def _rating(pdf: _ReviewPdf, rating: int | None, scale: int) -> None:
    """Boxes for the scale, filled up to the rating, then the rating as text."""
    x, y = pdf.l_margin, pdf.get_y()
    pdf.set_line_width(0.2)
    for step in range(1, scale + 1):
        filled = rating is not None and step <= rating
        pdf.set_fill_color(*(ACCENT if filled else EMPTY))
        pdf.set_draw_color(*(ACCENT if filled else RULE))
        pdf.rect(x, y + (LINE - PIP_H) / 2, PIP_W, PIP_H, style="DF")
        x += PIP_W + PIP_GAP
    pdf.set_xy(x + 1.5, y)
    style, label = _rating_label(rating, scale)
    pdf.set_font(FONT, style, 9)
    pdf.set_text_color(*(INK if rating is not None else MUTED))
    pdf.cell(0, LINE, label, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
