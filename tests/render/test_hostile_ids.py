"""Ids reach markdown as code spans: an id with backticks, pipes or HTML (which the snapshot
check already refuses) still cannot close its span, add a table cell or inject markup."""

from __future__ import annotations

import io

import pytest
from markdown_it import MarkdownIt

from reconciler.core.model import DesiredState, Member, Team
from reconciler.core.plan import compute_plan
from reconciler.core.platform import PlatformState
from reconciler.core.propose import Proposal, ProposedChange
from reconciler.gitops.body import org_chart, pull_request_body
from reconciler.gitops.commits import GitSettings, Identity
from reconciler.render.markdown import code, plan_markdown

HOSTILE_IDS = ["`<b>x</b>`", "a|b", "``<img src=x onerror=alert(1)>", "x`\n</details>"]
GFM = MarkdownIt("commonmark").enable("table")


def html_of(markdown: str) -> str:
    return GFM.render(markdown)


@pytest.mark.parametrize("hostile", HOSTILE_IDS)
def test_a_code_span_holds_any_id(hostile):
    rendered = html_of(code(hostile))
    assert "<b>" not in rendered and "<img" not in rendered and "</details>" not in rendered
    assert rendered.count("<code>") == 1


@pytest.mark.parametrize("hostile", HOSTILE_IDS)
def test_plan_tables_keep_their_shape_with_hostile_ids(hostile):
    desired = DesiredState(members={hostile: Member(hostile, "e@acme.example", "E", "Ve")})
    out = io.StringIO()
    plan_markdown(compute_plan(desired, PlatformState()), out)
    rendered = html_of(out.getvalue())
    assert "<b>" not in rendered and "<img" not in rendered
    rows = [r for r in rendered.split("<tr>")[1:]]
    assert rows and all(r.count("<td>") + r.count("<th>") == 5 for r in rows)


@pytest.mark.parametrize("hostile", HOSTILE_IDS)
def test_pull_request_body_and_chart_escape_hostile_ids(hostile):
    team = Team(hostile, "R&D")
    current = DesiredState()
    proposed = DesiredState(teams={hostile: team})
    change = ProposedChange("teams", "import", hostile, None, team, "manual")
    proposal = Proposal((change,), (), current, proposed, "0" * 64, "file:x")
    settings = GitSettings(Identity("bot", "bot@example.com"))
    body = pull_request_body(proposal, "teams", settings)
    rendered = html_of(body)
    assert "<b>" not in rendered and "<img" not in rendered
    chart = org_chart(proposal)
    assert "<" not in chart.split("flowchart TD", 1)[1].split("classDef", 1)[0]
    assert "`" not in chart.split("flowchart TD", 1)[1].split("classDef", 1)[0]
