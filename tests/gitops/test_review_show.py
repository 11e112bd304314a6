"""`hrsync review show`: ids with names, and `--format markdown` printing the pull-request body
exactly as the forge received it, so a team without a forge reads the same thing."""

from __future__ import annotations

from click.testing import CliRunner
from markdown_it import MarkdownIt

from reconciler.cli.main import cli
from reconciler.gitops.github import GitHubForge
from reconciler.gitops.pipeline import run_sync
from tests.gitops.conftest import new_export
from tests.gitops.github_server import FakeGitHub

APPROVER = "Rita Reviewer <rita@northwind.example>"


def _show(root, *args: str) -> str:
    result = CliRunner().invoke(cli, ["-C", str(root), "review", "show", *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def _bodies(fake: FakeGitHub) -> dict[str, str]:
    return {
        pull["head"]["ref"].split("/", 1)[1]: pull["body"]
        for pull in fake.pulls.values()
        if pull["state"] == "open"
    }


def test_markdown_is_the_body_the_forge_received_night_after_night(runner):
    with FakeGitHub() as fake:
        forge = GitHubForge(fake.repository, fake.token, api_url=fake.url)
        run_sync(runner, forge=forge, apply=True)
        first = _bodies(fake)
        assert set(first) == {"teams", "jobs", "members"}
        for kind, body in first.items():
            assert _show(runner, kind, "--format", "markdown") == body
        assert "```mermaid" in first["teams"]
        assert "manager: 1003 (Zoë Øvergaard)" in first["members"]
        _approve(runner, "teams")
        _approve(runner, "jobs")
        new_export(runner, "night2.csv")  # a rename, a new job, a leaver, moves
        run_sync(runner, forge=GitHubForge(fake.repository, fake.token, api_url=fake.url))
        second = _bodies(fake)
        assert second["teams"] != first["teams"] and "Mobile #38; Web" in second["teams"]
        for kind, body in second.items():
            assert _show(runner, kind, "--format", "markdown") == body
        assert "waits for job J14, pending in hrsync/jobs" in second["members"]


def _approve(root, kind: str) -> None:
    approved = CliRunner().invoke(
        cli, ["-C", str(root), "review", "approve", kind, "--as", APPROVER]
    )
    assert approved.exit_code == 0, approved.output


def test_text_shows_names_and_markdown_renders(runner):
    run_sync(runner, apply=True)
    _approve(runner, "teams")
    _approve(runner, "jobs")
    run_sync(runner, apply=True)
    text = _show(runner, "members")
    assert '+ import   member 1004 "Łukasz Żółć"' in text
    assert 'manager: null → "1003" (Zoë Øvergaard)' in text
    assert 'job: null → "J13" (R&D <Lead> | Platform)' in text
    assert 'team: null → "D210" (Platform)' in text
    assert text.rstrip().endswith("leave items out with --drop ID.")
    markdown = _show(runner, "members", "--format", "markdown")
    html = MarkdownIt("commonmark").enable("table").render(markdown)
    assert "<Lead>" not in html and "R&amp;D &lt;Lead&gt; | Platform" in html


def test_markdown_ignores_a_reviewers_later_edit_as_the_forge_does(runner, tmp_path):
    """The body is the bot's: an item a reviewer dropped on the branch still shows until the
    next night rebuilds the proposal, exactly as the pull request's body on GitHub would."""
    run_sync(runner)
    before = _show(runner, "jobs", "--format", "markdown")
    import git

    clone = git.Repo.clone_from(str(tmp_path / "remote.git"), tmp_path / "reviewer")
    clone.git.checkout("hrsync/jobs")
    clone.index.remove(["state/jobs/J13.yaml"], working_tree=True)
    clone.index.commit("drop J13")
    clone.git.push("origin", "hrsync/jobs")
    assert _show(runner, "jobs", "--format", "markdown") == before
    assert "J13" not in _show(runner, "jobs")  # the text view shows the branch as it is


def test_markdown_matches_the_body_for_a_rehire_under_a_new_id(runner):
    """A likely rehire is one change (the new id, its before the old member): the body and
    `review show --format markdown` agree on it too."""
    from tests.gitops.test_kills import set_modes

    every = "import: automatic, sync: automatic, cleanup: automatic"
    set_modes(runner, teams=every, jobs=every, members=every)
    run_sync(runner, apply=True)
    export = runner / "hris/export.csv"
    rows = export.read_text().splitlines()
    (priya,) = [r for r in rows if r.startswith("1005,")]
    rows = [r for r in rows if r != priya] + ["1099" + priya[len("1005") :]]
    export.write_text("\n".join(rows) + "\n")
    with FakeGitHub() as fake:
        run_sync(runner, forge=GitHubForge(fake.repository, fake.token, api_url=fake.url))
        body = _bodies(fake)["members"]
    assert "likely rehire of member 1005" in body
    assert _show(runner, "members", "--format", "markdown") == body
