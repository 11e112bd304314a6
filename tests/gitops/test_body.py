"""The pull-request body, snapshot-tested, with a hostile name in every place a value goes."""

from __future__ import annotations

from datetime import date

from reconciler.core.model import DesiredState, Employee, Job, Member, Snapshot, Team
from reconciler.core.policies import Policy
from reconciler.core.propose import propose
from reconciler.gitops.body import mermaid_label, pull_request_body, pull_request_title
from reconciler.gitops.commits import GitSettings, Identity

HOSTILE = "<b>x</b> | *y*"
SETTINGS = GitSettings(Identity("bot", "bot@example.com"))


def _proposal():
    current = DesiredState(
        teams={"T1": Team("T1", "Company"), "T2": Team("T2", "Old Name", "T1")},
        jobs={"J1": Job("J1", "Engineer")},
        members={
            "1": Member("1", "ada@acme.com", "Ada", "Boss", team="T1", job="J1"),
            "2": Member("2", "bob@acme.com", "Bob", "Gone", team="T2", job="J1", manager="1"),
        },
    )
    snapshot = Snapshot(
        "file:test",
        "2026-03-01T00:00:00Z",
        employees=(
            Employee("1", "ada@acme.com", "Ada", "Boss", team="T1", job="J1"),
            Employee("3", "eve@acme.com", HOSTILE, "Smith", team="T3", job="J1", manager="1"),
        ),
        teams=(Team("T1", "Company"), Team("T2", HOSTILE, "T1"), Team("T3", 'Q"A] --> x', "T2")),
        jobs=(Job("J1", "Engineer"),),
    )
    return propose(snapshot, current, Policy.default(), date(2026, 3, 1))


def test_members_body(snapshot):
    proposal = _proposal()
    assert pull_request_title(proposal, "members") == "hrsync: members: import 1, cleanup 1"
    assert pull_request_body(proposal, "members", SETTINGS) == snapshot


def test_teams_body_with_org_chart(snapshot):
    body = pull_request_body(_proposal(), "teams", SETTINGS)
    assert "```mermaid" in body and HOSTILE not in body and "<b>" not in body
    assert body == snapshot


def test_mermaid_labels_cannot_escape():
    label = mermaid_label('a"] --> evil[<script>')
    assert '"' not in label and "]" not in label and "<" not in label and ">" not in label
