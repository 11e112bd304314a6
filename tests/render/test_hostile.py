"""Names and titles with markup, pipes and line breaks must not break what people read."""

from __future__ import annotations

import io

from reconciler.core.model import DesiredState, Job, Member, Team
from reconciler.core.plan import compute_plan
from reconciler.core.platform import PlatformState
from reconciler.render.markdown import plan_markdown
from reconciler.render.text import plan_text

HOSTILE = DesiredState(
    teams={"t": Team("t", "R&D | <b>Ops</b>")},
    jobs={"j": Job("j", "*Lead* [x](http://evil.example) `rm`")},
    members={
        "1": Member(
            "1",
            "eve@acme.example",
            "Eve\nInjected: line",
            "<script>x</script>",
            True,
            "t",
            "j",
            None,
        )
    },
)
BEFORE = PlatformState(members={"1": Member("1", "eve@acme.example", "Eve", "Old | name")})


def rendered(renderer) -> str:
    out = io.StringIO()
    renderer(compute_plan(HOSTILE, BEFORE), out)
    return out.getvalue()


def test_markdown_plan_escapes_everything(snapshot):
    text = rendered(plan_markdown)
    assert "<b>" not in text and "<script>" not in text and "](http" not in text
    for line in text.splitlines():
        if line.startswith("| "):
            cells = line.replace("\\|", "").split("|")
            assert len(cells) == 7  # five columns: no value adds a cell
    assert text == snapshot


def test_text_plan_cannot_forge_lines(snapshot):
    text = rendered(plan_text)
    assert "\nInjected: line" not in text
    assert '"Eve\\nInjected: line"' in text
    assert text == snapshot
