import io
from dataclasses import replace
from datetime import date

import pypdf

from reconciler.reviews.model import Question, Section
from reconciler.reviews.pdf import render_review_pdf
from tests.reviews.fixtures import SUBJECTS, review

TODAY = date(2027, 1, 20)


def _render(r, subject=SUBJECTS["1001"]) -> bytes:
    return render_review_pdf(r, subject, company="Acme GmbH", generated_on=TODAY)


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
