"""One finished review as a PDF report for the employee's personnel file.

The output depends only on the review, its subject, the company name and the generation date
passed in: the PDF's creation date comes from the review, so rendering the same review twice
gives the same text (and, with the same fpdf2 version, the same bytes). DejaVu Sans is bundled
so every name (Zoë Øvergaard, Łukasz Żółć) prints; ratings are drawn as boxes, not glyphs.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime, time
from importlib import resources

from fpdf import FPDF
from fpdf.enums import Align, MethodReturnValue, XPos, YPos

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

# C0/C1 control characters other than newline and tab draw as boxes or break a line's width.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def render_review_pdf(
    review: Review, subject: ReviewSubject, *, company: str, generated_on: date
) -> bytes:
    """The review as PDF bytes."""
    pdf = _ReviewPdf(review, company, generated_on)
    pdf.add_page()
    _title_block(pdf, review, subject)
    for section in review.sections:
        _section(pdf, section.title, section.questions)
    return bytes(pdf.output())


def clean(text: str) -> str:
    """NFC text without control characters, with newlines normalised."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", text.replace("\t", "    "))


def creation_moment(review: Review) -> datetime:
    """A fixed creation date for the PDF, taken from the review so that output is stable."""
    if review.finished_at:
        moment = datetime.fromisoformat(review.finished_at)
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return datetime.combine(review.period_end, time(0), tzinfo=UTC)


class _ReviewPdf(FPDF):
    def __init__(self, review: Review, company: str, generated_on: date):
        super().__init__(orientation="P", unit="mm", format="A4")
        self.review = review
        self.company = clean(company)
        self.generated_on = generated_on
        fonts = resources.files("reconciler").joinpath("data", "fonts")
        with resources.as_file(fonts.joinpath("DejaVuSans.ttf")) as regular:
            self.add_font(FONT, "", str(regular))
        with resources.as_file(fonts.joinpath("DejaVuSans-Bold.ttf")) as bold:
            self.add_font(FONT, "B", str(bold))
        self.set_margins(MARGIN, 24, MARGIN)
        self.set_auto_page_break(True, margin=20)
        self.set_creation_date(creation_moment(review))
        self.set_title(f"{clean(review.cycle)} performance review")
        self.set_author(self.company)
        self.set_subject(f"Performance review {review.id}")
        self.set_creator("hrsync")
        self.set_lang("en")

    def header(self) -> None:
        self.set_y(10)
        self.set_font(FONT, "B", 9)
        self.set_text_color(*INK)
        width = self.epw / 2
        self.cell(width, 5, self.company, new_x=XPos.RIGHT, new_y=YPos.TOP)
        self.set_font(FONT, "", 9)
        self.set_text_color(*MUTED)
        self.cell(
            width,
            5,
            f"Performance review · {clean(self.review.cycle)}",
            align=Align.R,
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
        self._rule(self.get_y() + 1.5)
        self.set_y(24)

    def footer(self) -> None:
        self.set_y(-14)
        self._rule(self.get_y() - 1.5)
        self.set_font(FONT, "", 8)
        self.set_text_color(*MUTED)
        width = self.epw / 2
        generated = self.generated_on.isoformat()
        self.cell(
            width,
            5,
            f"Review {self.review.id} · generated {generated}",
            new_x=XPos.RIGHT,
            new_y=YPos.TOP,
        )
        self.cell(width, 5, f"Page {self.page_no()} of {{nb}}", align=Align.R)

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
    pdf.set_text_color(*INK)
    pdf.set_font(FONT, "B", 18)
    pdf.multi_cell(0, 9, clean(subject.name), align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, "", 11)
    pdf.set_text_color(*MUTED)
    pdf.multi_cell(
        0,
        6,
        f"Performance review {clean(review.cycle)}",
        align=Align.L,
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.ln(4)
    reviewers = ", ".join(f"{clean(r.name)} ({clean(r.role)})" for r in review.reviewers)
    finished = creation_moment(review).date().isoformat() if review.finished_at else "not yet"
    facts = [
        ("Employee", f"{clean(subject.name)} · {clean(subject.email)}"),
        ("Job", clean(subject.job) if subject.job else "—"),
        ("Team", clean(subject.team) if subject.team else "—"),
        ("Manager", clean(subject.manager) if subject.manager else "—"),
        ("Review period", f"{review.period_start.isoformat()} to {review.period_end.isoformat()}"),
        ("Finished", finished),
        ("Reviewers", reviewers or "—"),
    ]
    label_width = 32.0
    for label, value in facts:
        pdf.set_font(FONT, "B", 9.5)
        pdf.set_text_color(*MUTED)
        pdf.cell(label_width, LINE, label, new_x=XPos.RIGHT, new_y=YPos.TOP)
        pdf.set_font(FONT, "", 9.5)
        pdf.set_text_color(*INK)
        pdf.multi_cell(0, LINE, value, align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(0.8)
    pdf.ln(3)
    pdf._rule(pdf.get_y())
    pdf.ln(5)


def _section(pdf: _ReviewPdf, title: str, questions: tuple[Question, ...]) -> None:
    title = clean(title)
    pdf.set_font(FONT, "B", 12)
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
    pdf.set_font(FONT, "B", 10)
    needed = pdf.text_height(pdf.epw, LINE, text) + LINE * 3
    if pdf.room_left() < needed:
        pdf.add_page()
    pdf.set_text_color(*INK)
    pdf.multi_cell(0, LINE, text, align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(1)
    _rating(pdf, question.rating, question.scale)
    pdf.ln(1.5)
    pdf.set_font(FONT, "", 10)
    if question.answer and question.answer.strip():
        pdf.set_text_color(*INK)
        pdf.multi_cell(
            0,
            LINE,
            clean(question.answer).strip(),
            align=Align.L,
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
    else:
        pdf.set_text_color(*MUTED)
        pdf.multi_cell(
            0, LINE, "No written answer.", align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )
    pdf.ln(4)


def _rating(pdf: _ReviewPdf, rating: int | None, scale: int) -> None:
    """Boxes for the scale, filled up to the rating, then "4 / 5" as text for readers and
    for text extraction."""
    x, y = pdf.l_margin, pdf.get_y()
    pdf.set_line_width(0.2)
    for step in range(1, scale + 1):
        filled = rating is not None and step <= rating
        pdf.set_fill_color(*(ACCENT if filled else EMPTY))
        pdf.set_draw_color(*(ACCENT if filled else RULE))
        pdf.rect(x, y + (LINE - PIP_H) / 2, PIP_W, PIP_H, style="DF")
        x += PIP_W + PIP_GAP
    pdf.set_xy(x + 1.5, y)
    pdf.set_font(FONT, "B" if rating is not None else "", 9)
    pdf.set_text_color(*(INK if rating is not None else MUTED))
    label = f"{rating} / {scale}" if rating is not None else f"not rated (scale 1–{scale})"
    pdf.cell(0, LINE, label, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
