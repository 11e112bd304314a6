"""-v/-vv/-q as a person runs them: real commands against the Personio fake, a real SCIM server
and the embedded platform. Progress in a CI log has n/N; -v adds each HTTP request and each
applied change (ids only); -q leaves errors alone. At -vv no secret, token, name or e-mail of an
employee reaches stderr."""

from __future__ import annotations

import logging
import os
import pty
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from reconciler import logs
from reconciler.cli.exits import EXIT_USAGE
from reconciler.cli.main import cli
from reconciler.scaffold import init_repository
from tests.conftest import BASE_ROWS, commit_all
from tests.fakes import personio_server
from tests.fakes.loopback import stop
from tests.gitops.conftest import runner  # noqa: F401 (a fixture)
from tests.gitops.test_kills import set_modes
from tests.reviews.repo import make_repo
from tests.targets.test_scim_cli import scim_company  # noqa: F401 (a fixture)


def hrsync(root: Path, *args: str, code: int = 0):
    result = CliRunner().invoke(cli, ["-C", str(root), *args])
    assert result.exit_code == code, result.output
    return result


def personal(rows) -> list[str]:
    """Every employee's e-mail and full name, and first and last names long enough not to be
    ordinary words of a log line."""
    values = []
    for first, last, email in rows:
        values += [email, f"{first} {last}"] + [n for n in (first, last) if len(n) >= 4]
    return values


@pytest.fixture
def personio_repo(tmp_path, monkeypatch):
    """A repository on the Personio fake: 30 employees, 3 pages of 10."""
    server, base_url = personio_server.start_personio_server(personio_server.personio_employees(30))
    root = tmp_path / "company"
    init_repository(root, company="Acme", source="personio")
    path = root / "hrsync.yaml"
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    config["source"] = {**config["source"], "base_url": base_url, "page_size": 10}
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    for name, value in personio_server.ENV.items():
        monkeypatch.setenv(name, value)
    yield root, server.api
    stop(server)


def test_personio_fetch_at_vv_shows_pages_and_requests_and_no_secret_or_person(personio_repo):
    root, api = personio_repo
    result = hrsync(root, "-vv", "fetch", "-o", str(root / "snap.json"))
    stderr = result.stderr
    # The pages as n/N, in a CI log (no terminal here): plain lines, no carriage returns.
    assert "fetch Personio employees  1/3 pages" in stderr
    assert "fetch Personio employees  3/3 pages" in stderr
    assert "\r" not in stderr
    # Each request: method, path, status, milliseconds.
    assert re.search(r"INFO reconciler\.http: Personio: POST /v1/auth 200 \d+ ms", stderr)
    requests = re.findall(r"Personio: GET /v1/company/employees 200 \d+ ms", stderr)
    assert len(requests) == 3
    # Never the query (attributes, offsets), a header, a credential or a token.
    assert "offset" not in stderr and "Authorization" not in stderr
    for secret in [*personio_server.ENV.values(), "papi-token"]:
        assert secret not in stderr
    people = [
        (e["first_name"]["value"], e["last_name"]["value"], e["email"]["value"])
        for e in api.employees
    ]
    assert len(people) == 30
    assert [value for value in personal(people) if value in stderr] == []


def test_scim_apply_at_vv_counts_changes_and_logs_ids_only(scim_company):  # noqa: F811
    root, server = scim_company
    hrsync(root, "-q", "propose", "--write", "all")
    commit_all(root)
    result = hrsync(root, "-vv", "apply", "--auto-approve")
    stderr = result.stderr
    # Progress: the first line at 0 of the plan, the last at all of it.
    total = int(re.search(r"^apply \w+  0/(\d+)$", stderr, flags=re.M).group(1))
    assert total >= 6
    assert re.search(rf"^apply members  {total}/{total}", stderr, flags=re.M)
    # Each applied change by kind and id, each SCIM request by method and path.
    assert "INFO reconciler.apply: applied create members 1" in stderr
    assert re.search(r"scim: POST /v2/Users 201 \d+ ms", stderr)
    assert server.token not in stderr and "Bearer" not in stderr
    people = [(row[1], row[2], row[3]) for row in BASE_ROWS]
    assert [value for value in personal(people) if value in stderr] == []
    assert "Applied" in result.stdout


def test_quiet_prints_no_progress_and_no_warning(company):
    # What the command did stays; the fetch's progress line does not.
    assert hrsync(company, "-q", "propose", "--write", "all").stderr == (
        "14 file(s) written in state/\n"
    )
    commit_all(company)
    applied = hrsync(company, "-q", "apply", "--auto-approve")
    assert applied.stderr == ""
    assert applied.stdout.endswith("Applied 14 change(s).\n")


def test_by_default_a_ci_log_gets_plain_progress_lines_and_no_info(company):
    proposed = hrsync(company, "propose", "--write", "all")
    assert proposed.stderr.splitlines()[0] == "fetch file export  6/6 employees"
    commit_all(company)
    stderr = hrsync(company, "apply", "--auto-approve").stderr
    lines = stderr.splitlines()
    assert lines[0] == "apply teams  0/14"
    assert lines[-1].startswith("apply members  14/14")
    assert "INFO" not in stderr


def test_a_night_shows_its_fetch_and_its_apply_step(runner):  # noqa: F811
    everything = "import: automatic, sync: automatic, cleanup: automatic"
    set_modes(runner, teams=everything, jobs=everything, members=everything)
    stderr = hrsync(runner, "sync").stderr
    lines = stderr.splitlines()
    fetched = next(x for x in lines if x.startswith("fetch file export"))
    assert re.fullmatch(r"fetch file export  (\d+)/\1 employees", fetched)
    started = next(x for x in lines if x.startswith("apply "))
    total = int(re.fullmatch(r"apply teams  0/(\d+)", started).group(1))
    assert any(x.startswith(f"apply members  {total}/{total}") for x in lines)


def test_reviews_export_counts_uploads_by_review_id_never_by_name(tmp_path):
    root = make_repo(tmp_path)
    (root / "hris").mkdir()
    (root / "hris" / "employees.csv").write_text(
        "employee_id,first_name,last_name,email,status\n", encoding="utf-8"
    )
    stderr = hrsync(root, "-v", "reviews", "export").stderr
    assert "export reviews rv-1001-q4  0/4 uploads" in stderr
    assert "export reviews  4/4 uploads" in stderr
    assert "INFO reconciler.reviews.export: review rv-1001-q4: filed\n" in stderr
    for name in ("Zoë", "Øvergaard", "Ana María", "Dana Keller", ".pdf"):
        assert name not in stderr


def test_verbose_and_quiet_together_are_a_usage_error(company):
    result = CliRunner().invoke(cli, ["-v", "-q", "-C", str(company), "plan"])
    assert result.exit_code == EXIT_USAGE
    assert "-v and -q" in result.output


def test_the_secrets_hrsync_yaml_names_are_masked_in_any_log_line(
    scim_company,  # noqa: F811
    capsys,
    monkeypatch,
):
    monkeypatch.setattr(logs, "_secrets", set())
    root, server = scim_company
    hrsync(root, "-v", "plan")  # reads hrsync.yaml, which names SCIM_TOKEN
    capsys.readouterr()
    log = logging.getLogger("reconciler.test")
    log.warning("sent %s", server.token)
    log.warning("headers {'Authorization': 'Bearer abc.def-123'}")
    log.warning("github said: Authorization: token ghp_abcdefgh12345678")
    stderr = capsys.readouterr().err
    assert server.token not in stderr and "abc.def-123" not in stderr
    assert "ghp_abcdefgh12345678" not in stderr
    assert stderr.splitlines() == [
        "WARNING reconciler.test: sent ***",
        "WARNING reconciler.test: headers {'Authorization': 'Bearer ***'}",
        "WARNING reconciler.test: github said: Authorization: token ***",
    ]


def test_redaction_masks_the_longest_secret_first_and_ignores_short_values(monkeypatch):
    monkeypatch.setattr(logs, "_secrets", set())
    logs.redact_environment(["A", "B", "C"], {"A": "s3cret-value", "B": "s3cret", "C": "ab"})
    assert logs.redacted("s3cret-value and s3cret, ab") == "*** and ***, ab"


def test_a_terminal_gets_the_line_redrawn_in_place(company):
    exe = shutil.which("hrsync")
    assert exe, "hrsync is not installed (pip install -e .)"
    hrsync(company, "-q", "propose", "--write", "all")
    commit_all(company)
    main, terminal = pty.openpty()
    try:
        done = subprocess.run(
            [exe, "-C", str(company), "apply", "--auto-approve"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=terminal,
            timeout=120,
        )
        os.close(terminal)
        terminal = None
        shown = _read_all(main)
    finally:
        os.close(main)
        if terminal is not None:
            os.close(terminal)
    assert done.returncode == 0 and b"Applied 14 change(s)." in done.stdout
    text = shown.decode()
    assert text.startswith("\rapply teams  0/14"), repr(text)
    assert "\rapply members  14/14" in text
    assert text.rstrip("\r\n").count("\n") == 0  # one line, redrawn; ended once


def _read_all(fd: int) -> bytes:
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO: the other end is closed and everything was read
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)
