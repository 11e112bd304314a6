"""`hrsync sync` in GitHub Actions: the night's plan on the job's summary page."""

from __future__ import annotations

from click.testing import CliRunner

from reconciler.cli.main import cli
from tests.gitops.test_kills import set_modes


def test_sync_appends_what_it_applied_to_the_job_summary(runner, tmp_path, monkeypatch):
    every = "import: automatic, sync: automatic, cleanup: automatic"
    set_modes(runner, teams=every, jobs=every, members=every)
    summary = tmp_path / "step_summary.md"
    summary.write_text("## checkout\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    result = CliRunner().invoke(cli, ["-C", str(runner), "sync"])
    assert result.exit_code == 0, result.output
    text = summary.read_text()
    assert text.startswith("## checkout\nhrsync sync applied 60 change(s) of this plan:\n\n")
    assert "### hrsync plan for platform: Plan: 60 to create" in text
    assert "manager: 1003 (Zoë Øvergaard)" in text and "parent: D200 (Engineering)" in text
    again = CliRunner().invoke(cli, ["-C", str(runner), "sync"])
    assert again.exit_code == 0, again.output
    assert summary.read_text().endswith("No changes\\. The platform matches state/\\.\n\n")


def test_sync_writes_no_summary_outside_actions(runner, tmp_path, monkeypatch):
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    before = sorted(p.name for p in tmp_path.iterdir())
    assert CliRunner().invoke(cli, ["-C", str(runner), "sync"]).exit_code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == before
