"""Reviews and subjects the review tests share: names from several alphabets on purpose."""

from __future__ import annotations

from datetime import date

from reconciler.reviews.model import Question, Review, Reviewer, ReviewSubject, Section

LONG_ANSWER = (
    "Zoë took over the billing migration when it was already late and brought it home. "
    "She split the work into weekly slices, kept finance informed every Friday and wrote the "
    "runbook the on-call team now uses. "
) * 3


def review(
    review_id: str = "rv-1001-2026q4",
    member_id: str = "1001",
    *,
    status: str = "finished",
    finished_at: str | None = "2027-01-15T10:30:00+00:00",
    answer: str = LONG_ANSWER,
    sections: int = 2,
) -> Review:
    return Review(
        id=review_id,
        member_id=member_id,
        cycle="2026-Q4",
        period_start=date(2026, 10, 1),
        period_end=date(2026, 12, 31),
        reviewers=(Reviewer("Łukasz Żółć", "manager"), Reviewer("Ana María Núñez", "peer")),
        status=status,
        finished_at=finished_at if status == "finished" else None,
        sections=tuple(
            Section(
                title=f"{n}. Delivery & ownership" if n == 1 else f"{n}. Collaboration",
                questions=(
                    Question(
                        "How well did they deliver on their goals this quarter?", 4, 5, answer
                    ),
                    Question(
                        "Communication with the team",
                        3,
                        5,
                        "Clear in writing; could speak up more in planning.",
                    ),
                    Question("Would you like to work with them again?", None, 5, None),
                ),
            )
            for n in range(1, sections + 1)
        ),
    )


SUBJECTS = {
    "1001": ReviewSubject(
        "1001", "Zoë Øvergaard", "zoe@acme.example", "Payments", "Senior Engineer", "Łukasz Żółć"
    ),
    "1002": ReviewSubject(
        "1002", "Ana María Núñez", "ana@acme.example", "Payments", "Engineer", "Łukasz Żółć"
    ),
    "1003": ReviewSubject("1003", "Dana Keller", "dana@acme.example", None, None, None),
}
