"""A real plan over GitHub's comment limit (65,536 characters) splits into parts that each fit,
each render on their own, and together hold every change once."""

from __future__ import annotations

import io
import re

from markdown_it import MarkdownIt

from reconciler.core.model import DesiredState, Job, Member, Team
from reconciler.core.plan import compute_plan
from reconciler.core.platform import PlatformState
from reconciler.gitops.comments import COMMENT_LIMIT, split_comment
from reconciler.render.markdown import plan_markdown
from reconciler.render.names import Names


def _big_plan_markdown(members: int) -> str:
    teams = {f"D{i}": Team(f"D{i}", f"Zespół {i} | R&D <b>", "D0" if i else None) for i in range(8)}
    jobs = {"J1": Job("J1", "Inżynier oprogramowania")}
    people = {
        str(1000 + n): Member(
            str(1000 + n),
            f"osoba{n}@acme.example",
            "Łukasz" if n % 2 else "Zoë",
            f"Żółć-Øvergaard {n}",
            team=f"D{n % 8}",
            job="J1",
            manager=str(1000 + n // 10) if n else None,
        )
        for n in range(members)
    }
    desired = DesiredState(teams=teams, jobs=jobs, members=people)
    out = io.StringIO()
    plan_markdown(compute_plan(desired, PlatformState()), out, names=Names((desired,)))
    return out.getvalue()


def test_a_plan_of_100k_characters_splits_into_parts_that_each_fit_and_render():
    body = _big_plan_markdown(400)
    assert len(body) > 100_000
    parts = split_comment(body, "hrsync:plan")
    assert len(parts) >= 2
    for n, part in enumerate(parts, 1):
        assert len(part) <= COMMENT_LIMIT
        assert len(part.encode("utf-16-le")) // 2 <= COMMENT_LIMIT  # however GitHub counts
        assert part.startswith(f"<!-- hrsync:plan:{n} -->\n**hrsync plan, part {n} of ")
        html = MarkdownIt("commonmark").enable("table").render(part)
        assert "<table>" in html and html.count("<b>") == html.count("<summary><b>")
    ids = [m for part in parts for m in re.findall(r"\| `(1\d{3})` \|", part)]
    assert sorted(ids) == sorted(str(1000 + n) for n in range(400))  # each change once
    assert r"manager: 1000 (Zoë Żółć\-Øvergaard 0)" in "".join(parts)
