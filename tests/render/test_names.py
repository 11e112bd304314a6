"""Reviewers read names, not bare ids: `manager: 1003 (Łukasz Żółć)`. Names come from state/,
then from the platform; an unknown id prints bare. Names are hostile input (a state file edited
by hand skips the snapshot check): they must not break markdown nor reach a terminal with
control or text-direction characters."""

from __future__ import annotations

import io
import json
import unicodedata

import pytest
from markdown_it import MarkdownIt

from reconciler.core.model import DesiredState, Job, Member, Team
from reconciler.core.plan import compute_plan
from reconciler.core.platform import PlatformState
from reconciler.render.json import plan_json
from reconciler.render.markdown import plan_markdown
from reconciler.render.names import Names
from reconciler.render.text import plan_text, visible

GFM = MarkdownIt("commonmark").enable("table")

LUKASZ = Member("1003", "lukasz@acme.example", "Łukasz", "Żółć", team="D1", job="J1")
ZOE = Member("1004", "zoe@acme.example", "Zoë", "Øvergaard", team="D1", job="J1")


def _render(renderer, desired, platform, **kwargs) -> str:
    out = io.StringIO()
    plan = compute_plan(desired, platform)
    renderer(plan, out, names=Names((desired, platform)), **kwargs)
    return out.getvalue()


def test_references_print_with_names_from_state_then_platform():
    gone = Member("0999", "old@acme.example", "Olga", "Gone")
    desired = DesiredState(
        teams={
            "D0": Team("D0", "Company"),
            "D1": Team("D1", "Engineering", "D0", ("1003", "1004")),
        },
        jobs={"J1": Job("J1", "Engineer")},
        members={
            "1003": LUKASZ,
            "1004": ZOE,
            "1005": Member("1005", "new@acme.example", "Nia", "New", manager="1003"),
            "1006": Member("1006", "ufo@acme.example", "Ufo", "Ref", manager="7777"),
        },
    )
    # The platform still has 1005 reporting to a member state/ no longer holds.
    platform = PlatformState(
        teams={"D0": Team("D0", "Company"), "D1": Team("D1", "Engineering", "D0")},
        jobs={"J1": Job("J1", "Engineer")},
        members={
            "1003": LUKASZ,
            "1004": ZOE,
            "0999": gone,
            "1005": Member("1005", "new@acme.example", "Nia", "New", manager="0999"),
        },
    )
    text = _render(plan_text, desired, platform)
    assert 'manager: "0999" (Olga Gone) → "1003" (Łukasz Żółć)' in text
    assert 'coaches: [] → ["1003" (Łukasz Żółć), "1004" (Zoë Øvergaard)]' in text
    assert "manager=7777\n" in text  # unknown id: bare
    markdown = _render(plan_markdown, desired, platform)
    assert "manager: 0999 (Olga Gone) → 1003 (Łukasz Żółć)" in markdown
    assert "coaches: *none* → 1003 (Łukasz Żółć), 1004 (Zoë Øvergaard)" in markdown
    assert "manager: 7777 |" in markdown


def test_a_new_teams_parent_and_a_members_job_show_their_names():
    desired = DesiredState(
        teams={"D0": Team("D0", "Company"), "D1": Team("D1", "Engineering", "D0")},
        jobs={"J1": Job("J1", "Staff Engineer")},
        members={"1003": LUKASZ},
    )
    text = _render(plan_text, desired, PlatformState())
    assert "parent=D0 (Company)" in text
    assert "team=D1 (Engineering) job=J1 (Staff Engineer)" in text


def test_json_plan_carries_a_names_map_and_keeps_its_keys():
    desired = DesiredState(
        teams={"D1": Team("D1", "Engineering")},
        jobs={"J1": Job("J1", "Engineer")},
        members={"1003": LUKASZ, "1004": ZOE},
    )
    platform = PlatformState(
        teams={"D1": Team("D1", "Engineering")},
        jobs={"J1": Job("J1", "Engineer")},
        members={"1003": LUKASZ, "1004": ZOE},
    )
    desired.members["1004"] = Member(
        "1004", "zoe@acme.example", "Zoë", "Øvergaard", team="D1", job="J1", manager="1003"
    )
    data = json.loads(_render(plan_json, desired, platform))
    assert set(data) >= {"format_version", "changes", "summary", "state_digest"}
    assert data["names"] == {
        "teams": {"D1": "Engineering"},
        "jobs": {"J1": "Engineer"},
        "members": {"1003": "Łukasz Żółć", "1004": "Zoë Øvergaard"},
    }


HOSTILE_NAMES = [
    "Eve\u202egnp.exe",  # right-to-left override
    "Mallory\u2066\u2069\u200b",  # isolates and a zero-width space
    "Bob\x1b[31mred\x1b[0m",  # a terminal colour code
    "Ann\u2028Injected: line",  # a line separator
    "Zed\x85next",  # a C1 "next line"
    "`code` | <b>x</b> ](http://evil.example)\n| a | b |",
]


def _hostile_plan(name: str):
    desired = DesiredState(
        teams={"D1": Team("D1", name, None, ("1",))},
        jobs={"J1": Job("J1", name)},
        members={
            "1": Member("1", "boss@acme.example", name, name, team="D1", job="J1"),
            "2": Member("2", "e@acme.example", "E", "Ve", team="D1", job="J1", manager="1"),
        },
    )
    return desired, PlatformState()


def _invisible(text: str) -> set[str]:
    return {
        ch for ch in text if ch != "\n" and unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp")
    }


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_hostile_names_reach_no_terminal_as_control_characters(name):
    text = _render(plan_text, *_hostile_plan(name))
    assert _invisible(text) == set()
    assert "\nInjected" not in text and "\nnext" not in text


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_hostile_names_cannot_break_the_markdown_plan(name):
    markdown = _render(plan_markdown, *_hostile_plan(name))
    assert _invisible(markdown) == set()
    rendered = GFM.render(markdown)
    assert "<b>" not in rendered and 'href="http://evil' not in rendered
    rows = rendered.split("<tr>")[1:]
    assert rows and all(r.count("<td>") + r.count("<th>") == 5 for r in rows)


def test_visible_shows_what_it_escapes():
    assert visible("Eve\u202egnp") == "Eve\\u202egnp"
    assert visible("Łukasz Żółć\u00a0Jr") == "Łukasz Żółć\u00a0Jr"  # a no-break space is fine
    assert visible("x\U000e0041") == "x\\udb40\\udc41"  # a tag character, as JSON writes it
    assert json.loads('"' + visible("x\U000e0041\u202e") + '"') == "x\U000e0041\u202e"


def test_a_hand_edited_state_file_cannot_reach_the_terminal_raw(company, tmp_path):
    """The loader takes any name of up to 200 characters (the snapshot check never saw a hand
    edit): every rendering of the plan shows the invisible characters, JSON keeps the name."""
    from click.testing import CliRunner

    from reconciler.cli.main import cli
    from tests.conftest import commit_all

    runner = CliRunner()
    assert runner.invoke(cli, ["-C", str(company), "propose", "--write", "all"]).exit_code == 0
    hostile = "Bo\u202eevil\x1b[2J\u200b"
    path = company / "state/members/2.yaml"
    escaped = 'first_name: "Bo\\u202eevil\\e[2J\\u200b"'  # YAML's own escapes
    path.write_text(path.read_text().replace("first_name: Bo", escaped))
    commit_all(company)
    assert runner.invoke(cli, ["-C", str(company), "validate"]).exit_code == 0
    for fmt in ("text", "markdown", "json"):
        result = runner.invoke(cli, ["-C", str(company), "plan", "--format", fmt])
        assert result.exit_code == 0, result.output
        assert _invisible(result.stdout) == set()
        assert "\\u202e" in result.stdout
    data = json.loads(runner.invoke(cli, ["-C", str(company), "plan", "--format", "json"]).stdout)
    assert data["names"]["members"]["2"] == f"{hostile} Tech"
