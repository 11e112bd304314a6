"""A small real PDF, as hrsync's review export would hand one to a source for upload."""

from __future__ import annotations

from fpdf import FPDF


def small_pdf(text: str = "Review 2024") -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text=text)
    return bytes(pdf.output())
