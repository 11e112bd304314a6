import io
import os
import shutil
import sqlite3
import subprocess

import pypdf
import pytest
from click.testing import CliRunner

from reconciler.cli.main import cli
from reconciler.reviews.naming import review_filename
from reconciler.reviews.store import upsert_review
from tests.reviews.fixtures import review
from tests.reviews.fontmaker import JAPANESE, build_font
from tests.reviews.repo import add_history, make_repo


@pytest.fixture
def repo(tmp_path):
    return make_repo(tmp_path)


def _run(root, *args):
    return CliRunner().invoke(cli, ["-C", str(root), "reviews", *args])


def test_dry_run_lists_what_would_be_filed(repo, snapshot):
    add_history(repo)
    before = (repo / "reviews" / "ledger.yaml").read_bytes()
    result = _run(repo, "export", "--dry-run")
    assert result.exit_code == 2, result.output
    assert result.output == snapshot
    assert (repo / "reviews" / "ledger.yaml").read_bytes() == before


def test_dry_run_with_nothing_to_file_exits_zero(tmp_path):
    root = make_repo(tmp_path)
    (root / ".hrsync" / "platform.db").unlink()
    result = _run(root, "export", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "(no finished reviews of managed members)" in result.output
    assert "nothing to do." in result.output


def test_hostile_name_becomes_a_safe_file_name():
    name = review_filename("2026-Q4", "Jo <b>|</b> Bar", version=1, review_id="r", taken=set())
    assert name == "2026-Q4 review — Jo b b Bar.pdf"
    assert review_filename("../x", "a/b\\c:d", version=3, review_id="r", taken=set()) == (
        "x review — a b c d (v3).pdf"
    )
    long = review_filename("2026-Q4", "Ł" * 300, version=2, review_id="r", taken=set())
    assert len(long.encode()) <= 180 and long.endswith(" (v2).pdf")


def test_render_writes_a_pdf_of_one_review(repo, tmp_path):
    out = tmp_path / "out.pdf"
    result = _run(repo, "render", "rv-1001-q4", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"wrote {out} (")
    text = pypdf.PdfReader(io.BytesIO(out.read_bytes())).pages[0].extract_text()
    assert "Zoë Øvergaard" in text and "Senior Engineer" in text and "Łukasz Żółć" in text


def test_render_errors_are_one_line_and_exit_one(repo, tmp_path):
    missing = _run(repo, "render", "rv-nope", "-o", str(tmp_path / "x.pdf"))
    assert missing.exit_code == 1
    assert "Error: no review 'rv-nope' in .hrsync/platform.db" in missing.output
    unmanaged = _run(repo, "render", "rv-9001-q4", "-o", str(tmp_path / "x.pdf"))
    assert unmanaged.exit_code == 1
    assert "member 9001, who is not in state/members" in unmanaged.output
    assert not (tmp_path / "x.pdf").exists()


def test_bad_review_in_the_platform_stops_the_export_naming_it(repo):
    db = sqlite3.connect(repo / ".hrsync" / "platform.db")
    with db:
        db.execute("UPDATE reviews SET document = '{\"id\": 1}' WHERE review_id = 'rv-1002-q4'")
    db.close()
    result = _run(repo, "export", "--dry-run")
    assert result.exit_code == 1
    assert "Error: Invalid review" in result.output
    assert ".hrsync/platform.db, reviews row 'rv-1002-q4'" in result.output


def test_export_files_into_the_file_source_end_to_end(repo):
    pytest.importorskip("reconciler.sources.file")  # the lead's file source, merged separately
    (repo / "hris").mkdir()
    (repo / "hris" / "employees.csv").write_text(
        "employee_id,first_name,last_name,email,status\n", encoding="utf-8"
    )
    first = _run(repo, "export")
    assert first.exit_code == 0, first.output
    filed = sorted(
        p.relative_to(repo / "hris").as_posix()
        for p in (repo / "hris" / "documents").rglob("*.pdf")
    )
    assert filed == [
        "documents/1001/2026-Q4 review — Zoë Øvergaard.pdf",
        "documents/1002/2026-Q4 review — Ana María Núñez.pdf",
        "documents/1003/2026-Q4 review — Jo b b Bar.pdf",
        "documents/1005/2026-Q4 review — Dana Keller.pdf",
    ]
    assert "4 uploaded." in first.output
    second = _run(repo, "export")
    assert second.exit_code == 0 and "4 up to date." in second.output


def test_installed_script_runs_with_the_repository_as_working_folder(repo):
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    done = subprocess.run(
        [shutil.which("hrsync"), "reviews", "export", "--dry-run"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert "upload" in done.stdout and "rv-1001-q4" in done.stdout


def _with_japanese_review(root):
    db = sqlite3.connect(root / ".hrsync" / "platform.db")
    upsert_review(db, review("rv-1002-q4", "1002", answer=f"Summary: {JAPANESE}"))
    db.close()
    (root / "hris").mkdir()
    (root / "hris" / "employees.csv").write_text(
        "employee_id,first_name,last_name,email,status\n", encoding="utf-8"
    )
    return root


def _configure_fallback(root, entry):
    config = root / "hrsync.yaml"
    config.write_text(
        config.read_text(encoding="utf-8") + f"reviews:\n  fallback_fonts: [{entry}]\n",
        encoding="utf-8",
    )


def test_export_refuses_a_review_it_cannot_draw_names_it_and_files_the_others(repo):
    pytest.importorskip("reconciler.sources.file")
    _with_japanese_review(repo)
    dry = _run(repo, "export", "--dry-run")
    assert dry.exit_code == 1, dry.output
    assert "  refused  rv-1002-q4  Ana María Núñez (1002)  2026-Q4 review" in dry.output
    first = _run(repo, "export")
    assert first.exit_code == 1, first.output
    line = next(x for x in first.output.splitlines() if "rv-1002-q4" in x)
    assert " ".join(line.split()).startswith("refused rv-1002-q4 Ana María Núñez (1002) 2026-Q4")
    assert "cannot draw U+65E5 '日', U+672C '本'" in line
    assert "add a font that has them to reviews.fallback_fonts in hrsync.yaml" in line
    assert "3 uploaded, 1 refused (the next run files a refused review once" in first.output
    documents = repo / "hris" / "documents"
    assert not (documents / "1002").exists() and (documents / "1001").is_dir()

    build_font(repo / "fonts" / "jp.ttf", JAPANESE)
    _configure_fallback(repo, "fonts/jp.ttf")
    second = _run(repo, "export")
    assert second.exit_code == 0, second.output
    assert "1 uploaded, 3 up to date." in second.output
    filed = documents / "1002" / "2026-Q4 review — Ana María Núñez.pdf"
    text = pypdf.PdfReader(io.BytesIO(filed.read_bytes())).pages[0].extract_text()
    assert f"Summary: {JAPANESE}" in " ".join(text.split())


def test_render_refuses_a_review_it_cannot_draw_and_writes_nothing(repo, tmp_path):
    _with_japanese_review(repo)
    out = tmp_path / "x.pdf"
    result = _run(repo, "render", "rv-1002-q4", "-o", str(out))
    assert result.exit_code == 1
    assert "Error: cannot draw U+65E5 '日'" in result.output
    assert not out.exists()


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("fonts/nope.ttf", "Error: hrsync.yaml: reviews.fallback_fonts[0]: font file "),
        ("''", "Error: Invalid"),
    ],
)
def test_a_bad_fallback_font_setting_stops_the_export_with_one_line(repo, entry, message):
    _configure_fallback(repo, entry)
    result = _run(repo, "export", "--dry-run")
    assert result.exit_code == 1
    assert message in result.output
