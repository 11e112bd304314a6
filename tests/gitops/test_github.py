"""The GitHub forge against a loopback server speaking GitHub's payloads."""

from __future__ import annotations

import git
import pytest

from reconciler.errors import ConfigError
from reconciler.gitops.forge import ForgeError
from reconciler.gitops.github import GitHubForge
from reconciler.gitops.pipeline import run_sync
from tests.gitops.conftest import remote_heads
from tests.gitops.github_server import FakeGitHub


def _forge(fake: FakeGitHub, **kwargs) -> GitHubForge:
    return GitHubForge(fake.repository, fake.token, api_url=fake.url, **kwargs)


def test_open_find_update_close_with_labels_and_pagination():
    with FakeGitHub() as fake:
        forge = _forge(fake)
        for n in range(3):  # other pull requests, so the list spans pages
            forge.open(f"feature/{n}", f"other {n}", "")
        pr = forge.open("hrsync/members", "hrsync: members: import 1", "body")
        assert fake.labels[pr.number] == ["hrsync"]
        found = forge.find("hrsync/members")
        assert found == pr
        same = forge.update(found, found.title, found.body)
        assert same is found  # nothing changed: no PATCH sent
        assert ("PATCH", f"/api/v3/repos/{fake.repository}/pulls/{pr.number}") not in fake.requests
        forge.update(found, "hrsync: members: import 2", "new body")
        assert fake.pulls[pr.number]["title"] == "hrsync: members: import 2"
        forge.close(found, "Nothing left to review.")
        assert fake.pulls[pr.number]["state"] == "closed"
        assert forge.find("hrsync/members") is None


def test_plan_comment_is_edited_not_duplicated():
    with FakeGitHub() as fake:
        forge = _forge(fake)
        pr = forge.open("hrsync/teams", "t", "b")
        for n in range(3):
            forge.upsert_comment(pr.number, f"<!-- other {n} -->", "someone else")
        forge.upsert_comment(pr.number, "<!-- hrsync:plan -->", "<!-- hrsync:plan -->\nplan 1")
        forge.upsert_comment(pr.number, "<!-- hrsync:plan -->", "<!-- hrsync:plan -->\nplan 2")
        bodies = [c["body"] for c in fake.comments[pr.number]]
        assert len(bodies) == 4 and bodies[-1].endswith("plan 2")


def test_rate_limits_are_waited_out_within_bounds():
    waits: list[float] = []
    with FakeGitHub() as fake:
        forge = _forge(fake, sleep=waits.append, clock=lambda: 1_700_000_000.0)
        fake.throttle = [
            {"status": 429, "retry-after": "7"},
            {"status": 403, "x-ratelimit-remaining": "0", "x-ratelimit-reset": "1700000030"},
        ]
        assert forge.find("hrsync/jobs") is None
        assert waits == [7.0, 30.0]
        fake.throttle = [
            {"status": 403, "x-ratelimit-remaining": "0", "x-ratelimit-reset": "1700009999"}
        ]
        with pytest.raises(ForgeError, match="rate limit"):
            forge.find("hrsync/jobs")
        fake.throttle = [{"status": 429, "retry-after": "1"} for _ in range(5)]
        with pytest.raises(ForgeError, match="still refused after 4 tries"):
            forge.find("hrsync/jobs")


def test_server_errors_are_retried_with_jittered_backoff():
    """Eight workers failing together must not all come back together: the waits are the shared
    client's equal jitter (half to all of a doubling step), not a fixed 2, 4, 8 s."""
    waits: list[float] = []
    with FakeGitHub() as fake:
        forge = _forge(fake, sleep=waits.append)
        fake.throttle = [{"status": 502}, {"status": 503}]
        assert forge.find("hrsync/jobs") is None
        assert len(waits) == 2 and 0.25 <= waits[0] <= 0.5 and 0.5 <= waits[1] <= 1.0
        rounds = set()
        for _ in range(5):
            fake.throttle = [{"status": 500}]
            forge.find("hrsync/jobs")
            rounds.add(waits[-1])
        assert len(rounds) > 1


def test_bad_token_is_final_and_never_echoed():
    with FakeGitHub() as fake:
        forge = GitHubForge(fake.repository, "wrong-secret", api_url=fake.url)
        with pytest.raises(ForgeError) as caught:
            forge.find("hrsync/jobs")
        assert "401" in str(caught.value) and "wrong-secret" not in str(caught.value)


def test_token_comes_from_the_named_variable(monkeypatch):
    monkeypatch.delenv("HRSYNC_GH", raising=False)
    with pytest.raises(ConfigError, match="HRSYNC_GH"):
        GitHubForge.from_config(
            {"type": "github", "token_env": "HRSYNC_GH", "repository": "a/b"}, "main"
        )


def test_sync_opens_then_updates_one_pull_request_per_kind(runner, tmp_path):
    with FakeGitHub() as fake:
        report = run_sync(runner, forge=_forge(fake), apply=True)
        assert [o.pull_request.number for o in report.kinds] == [1, 2, 3]
        assert fake.pulls[3]["head"]["ref"] == "hrsync/members"
        assert fake.pulls[3]["body"].startswith("<!-- hrsync:proposal:members -->")
        heads = remote_heads(tmp_path)
        again = run_sync(runner, forge=_forge(fake), apply=True)
        assert {o.outcome for o in again.kinds} == {"unchanged"}
        assert remote_heads(tmp_path) == heads and len(fake.pulls) == 3


def test_a_forge_error_leaves_main_and_the_branches_as_they_were(runner, tmp_path):
    before = remote_heads(tmp_path)
    with FakeGitHub() as fake:
        fake.throttle = [{"status": 500} for _ in range(10)]
        with pytest.raises(ForgeError):
            run_sync(runner, forge=_forge(fake, sleep=lambda s: None), apply=True)
    assert remote_heads(tmp_path) == before
    assert git.Repo(runner).active_branch.name == "main"


def test_a_plan_over_githubs_comment_limit_is_split_and_edited_in_place():
    from markdown_it import MarkdownIt

    from reconciler.gitops.comments import split_comment

    header = "| | kind | id | name | change |\n|---|---|---|---|---|"
    rows = [
        f"| ➕ create | member | `{i}` | Person {i} | email: p{i}@acme.example |"
        for i in range(2000)
    ]
    body = "### hrsync plan\n\n#### Members (2000)\n\n" + header + "\n" + "\n".join(rows) + "\n"
    body = body + body[: 100_000 - len(body)] if len(body) < 100_000 else body
    assert len(body) >= 100_000
    parts = split_comment(body, "hrsync:plan")
    assert len(parts) >= 2 and all(len(p) <= 65_536 for p in parts)
    gfm = MarkdownIt("commonmark").enable("table")
    for part in parts[1:]:  # a table cut in two repeats its header: each part renders alone
        assert "<table>" in gfm.render(part)
    with FakeGitHub() as fake:
        forge = _forge(fake)
        pr = forge.open("hrsync/members", "t", "b")
        forge.upsert_comments(pr.number, "hrsync:plan", parts)
        forge.upsert_comments(pr.number, "hrsync:plan", parts)  # nothing new: no duplicate
        assert len(fake.comments[pr.number]) == len(parts)
        short = split_comment("### hrsync plan: No changes.", "hrsync:plan")
        forge.upsert_comments(pr.number, "hrsync:plan", short)
        bodies = [c["body"] for c in fake.comments[pr.number]]
        assert len(bodies) == len(parts) and bodies[0].endswith("No changes.")
        assert all("no longer used" in b for b in bodies[1:])


def test_plan_comment_shows_what_apply_would_refuse(tmp_path, monkeypatch):
    """The PR comment carries the plan's safety check, so a reviewer sees it before merging."""
    from click.testing import CliRunner

    from reconciler.cli.main import cli
    from reconciler.scaffold import init_repository
    from tests.conftest import BASE_ROWS, commit_all, write_export

    monkeypatch.setenv("HRSYNC_TODAY", "2026-11-25")
    root = tmp_path / "company"
    export = write_export(root / "hris/export.csv", BASE_ROWS)
    init_repository(root, company="Acme", source="file", export=export)
    runner = CliRunner()
    assert runner.invoke(cli, ["-C", str(root), "propose", "--write", "all"]).exit_code == 0
    commit_all(root)
    assert runner.invoke(cli, ["-C", str(root), "apply", "--auto-approve"]).exit_code == 0
    for member in ("3", "4", "5", "6"):  # four of six leave at once (floor 3)
        text = (root / f"state/members/{member}.yaml").read_text()
        (root / f"state/members/{member}.yaml").write_text(
            text.replace("active: true", "active: false")
        )
    commit_all(root, "four leavers")
    with FakeGitHub() as fake:
        config = root / "hrsync.yaml"
        forge = (
            f"forge:\n  type: github\n  repository: {fake.repository}\n"
            f"  api_url: {fake.url}\n  token_env: FAKE_TOKEN\n"
        )
        text = config.read_text()
        start = text.index("forge:")
        end = text.find("\n", text.index("type:", start))
        config.write_text(text[:start] + forge + text[end + 1 :])
        monkeypatch.setenv("FAKE_TOKEN", fake.token)
        summary = tmp_path / "step_summary.md"
        summary.write_text("")
        monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
        result = runner.invoke(cli, ["-C", str(root), "plan-comment", "--pr", "7"])
        assert result.exit_code == 0, result.output
        (comment,) = fake.comments[7]
        assert "apply would refuse this plan: apply would deactivate 4 of 6" in comment["body"]
        # The check run's summary page shows the same plan, warning first.
        assert comment["body"].endswith(summary.read_text())
