import io
import unicodedata
from dataclasses import replace
from datetime import date

import pypdf
import pytest

from reconciler.reviews import pdf as pdf_module
from reconciler.reviews.fonts import MissingGlyphs, report_fonts
from reconciler.reviews.model import Question, Section
from reconciler.reviews.pdf import _ReviewPdf, render_review_pdf, report_texts
from tests.reviews.fixtures import SUBJECTS, review
from tests.reviews.fontmaker import EMOJI, JAPANESE, build_font

TODAY = date(2027, 1, 20)


def _render(r, subject=SUBJECTS["1001"], fonts=None) -> bytes:
    return render_review_pdf(r, subject, company="Acme GmbH", generated_on=TODAY, fonts=fonts)


def _text(content: bytes) -> tuple[int, str]:
    reader = pypdf.PdfReader(io.BytesIO(content))
    return len(reader.pages), "\n".join(page.extract_text() for page in reader.pages)


def test_pdf_opens_and_names_everyone_in_full_unicode():
    content = _render(review())
    assert content.startswith(b"%PDF-")
    pages, text = _text(content)
    assert pages >= 1
    for name in ("Zoë Øvergaard", "Łukasz Żółć", "Ana María Núñez"):
        assert name in text
    for fact in (
        "Acme GmbH",
        "2026-Q4",
        "Senior Engineer",
        "Payments",
        "2026-10-01",
        "2027-01-15",
        "zoe@acme.example",
    ):
        assert fact in text
    assert "4 / 5" in text and "not rated" in text and "No written answer." in text
    assert "Clear in writing; could speak up more in planning." in text
    assert f"Page 1 of {pages}" in text
    assert "Review rv-1001-2026q4 · generated 2027-01-20" in text


def test_long_answers_wrap_onto_more_pages_and_stay_whole():
    sentence = "Ana María Núñez mentored two juniors through their first on-call rotation. "
    long_answer = sentence * 120
    short_pages, _ = _text(_render(review(answer="Short.")))
    long_pages, text = _text(_render(review(answer=long_answer)))
    assert long_pages > short_pages + 1
    assert f"Page {long_pages} of {long_pages}" in text
    # Every word of the answer survives the line and page breaks.
    assert " ".join(text.split()).count(sentence.strip()) >= 2 * 120 - 10


def test_same_review_renders_the_same():
    first, second = _render(review()), _render(review())
    assert _text(first) == _text(second)
    assert first == second


def test_hostile_text_and_a_ten_point_scale_render():
    odd = Section("Values — & <b>honesty</b>", (Question("Scale of ten", 10, 10, "\tTabbed\x07"),))
    content = _render(replace(review(), sections=(odd,)))
    _, text = _text(content)
    assert "10 / 10" in text and "<b>honesty</b>" in text and "Tabbed" in text


def _embedded_fonts(content: bytes) -> list[str]:
    """The PostScript names of the fonts the PDF embeds, without their subset prefix."""
    reader = pypdf.PdfReader(io.BytesIO(content))
    names = {
        str(font["/BaseFont"]).split("+")[-1]
        for page in reader.pages
        for font in page["/Resources"]["/Font"].values()
        if "/BaseFont" in font.get_object()
    }
    return sorted(names)


def _fallback(tmp_path, characters=JAPANESE + EMOJI):
    return report_fonts([str(build_font(tmp_path / "fallback.ttf", characters))], tmp_path)


def test_japanese_answer_without_a_fallback_font_is_refused_naming_characters_and_places():
    with pytest.raises(MissingGlyphs) as refused:
        _render(review(answer=f"Summary: {JAPANESE}"))
    message = str(refused.value)
    assert message.startswith("cannot draw U+65E5 '日', U+672C '本', U+8A9E '語'")
    assert "(in section 1, question 1, answer; section 2, question 1, answer)" in message
    assert "no glyph in DejaVu Sans; add a font that has them to reviews.fallback_fonts" in message
    assert set(refused.value.characters) == set(JAPANESE)


def test_japanese_answer_with_a_fallback_font_is_drawn_and_extracts_whole(tmp_path):
    answer = f"Summary: {JAPANESE}. Zoë did well."
    content = _render(review(answer=answer), fonts=_fallback(tmp_path))
    _, text = _text(content)
    assert answer in text
    assert _embedded_fonts(content) == ["DejaVuSansBold", "DejaVuSansBook", "HrsyncTestFallback"]


def test_japanese_name_and_company_are_checked_like_answers(tmp_path):
    subject = replace(SUBJECTS["1001"], name="山本 Zoë", team="評価")
    with pytest.raises(MissingGlyphs) as refused:
        render_review_pdf(review(), subject, company="日本 GmbH", generated_on=TODAY)
    assert "(in company name; employee name; employee name, e-mail; and 1 more place(s))" in str(
        refused.value
    )
    content = render_review_pdf(
        review(),
        subject,
        company="日本 GmbH",
        generated_on=TODAY,
        fonts=_fallback(tmp_path, JAPANESE + "山"),
    )
    _, text = _text(content)
    assert "山本 Zoë" in text and "日本 GmbH" in text and "評価" in text


def test_emoji_in_a_title_is_refused_or_drawn_with_an_emoji_font(tmp_path):
    emoji_section = Section("Values 🌍", (Question("Launch 🚀?", 5, 5, "Yes."),))
    with_emoji = replace(review(), sections=(emoji_section,))
    with pytest.raises(MissingGlyphs) as refused:
        _render(with_emoji)
    assert str(refused.value).startswith(
        "cannot draw U+1F30D '🌍', U+1F680 '🚀' (in section 1 title; section 1, question 1)"
    )
    _, text = _text(_render(with_emoji, fonts=_fallback(tmp_path, EMOJI)))
    assert "Values 🌍" in text and "Launch 🚀?" in text


def test_a_configured_fallback_font_changes_nothing_in_a_review_that_does_not_need_it(tmp_path):
    content = _render(review(), fonts=_fallback(tmp_path))
    assert content == _render(review())
    assert _embedded_fonts(content) == ["DejaVuSansBold", "DejaVuSansBook"]


def test_right_to_left_and_combining_characters_are_all_kept():
    answer = "שלום עולם · مرحبا بالعالم · q\u0303 n\u0303 e\u0301 · \u2068isolated\u2069 end"
    subject = replace(SUBJECTS["1001"], name="דנה Keller")
    content = render_review_pdf(review(answer=answer), subject, company="Acme", generated_on=TODAY)
    _, text = _text(content)
    drawn = set(text)
    # Every letter and mark reaches the page (NFC composes e + U+0301 into é); the invisible
    # bidi isolates are left out, as no font draws them and they show nothing.
    expected = set(unicodedata.normalize("NFC", answer) + "דנה") - set(" \u2068\u2069")
    assert expected <= drawn
    assert "isolated" in text and "\u2068" not in text


def test_a_combining_mark_no_font_has_is_refused_by_name():
    with pytest.raises(MissingGlyphs) as refused:
        _render(review(answer="Arrow a\u0350 here"))
    assert "U+0350 COMBINING RIGHT ARROWHEAD ABOVE" in str(refused.value)


def test_report_texts_hold_every_text_the_renderer_draws(monkeypatch):
    drawn: list[tuple[str, str]] = []

    def record(self, text):
        drawn.append((self.font_style, text))
        return text

    monkeypatch.setattr(_ReviewPdf, "normalize_text", record)
    r = review(answer="Long answer. " * 200)
    subject = SUBJECTS["1001"]
    _render(r, subject)
    listed: dict[str, set[str]] = {}
    for style, text, _ in report_texts(r, subject, company="Acme GmbH", generated_on=TODAY):
        listed.setdefault(style, set()).update(text)
    assert drawn
    for style, text in drawn:
        assert set(text) <= listed[style], (style, text)


def test_a_text_the_check_missed_still_cannot_reach_a_pdf(monkeypatch):
    """If report_texts ever forgets a text, fpdf2's record of missing glyphs stops the PDF."""
    r = review(answer=f"Summary: {JAPANESE}")
    forgetful = [
        (style, text, place)
        for style, text, place in report_texts(
            r, SUBJECTS["1001"], company="Acme GmbH", generated_on=TODAY
        )
        if not place.endswith("answer")
    ]
    monkeypatch.setattr(pdf_module, "report_texts", lambda *a, **k: forgetful)
    with pytest.raises(MissingGlyphs) as refused:
        _render(r)
    assert "(in the rendered report)" in str(refused.value)
    assert "U+65E5 '日'" in str(refused.value)
