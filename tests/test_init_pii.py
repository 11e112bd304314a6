"""No personal data in git, ever: `hrsync init --path EXPORT` names the export where it is and
never copies it into the repository, and a month of nightly runs pushes none of what the export
holds beyond the model (salaries, bank accounts, birth dates, home addresses).
"""

from __future__ import annotations

import csv
import subprocess
from datetime import date, timedelta
from pathlib import Path

import git
import pytest
import yaml
from click.testing import CliRunner

from reconciler.cli.main import cli
from tests.conftest import set_policy

COLUMNS = [
    "employee_id",
    "first_name",
    "last_name",
    "email",
    "status",
    "department_id",
    "department",
    "job_title",
    "manager_id",
    "start_date",
    "end_date",
    "salary",
    "iban",
    "date_of_birth",
    "home_address",
    "bsn",
]
PERSONAL = ("salary", "iban", "date_of_birth", "home_address", "bsn")


def person(number: int, name: str, **cells: str) -> dict[str, str]:
    """An employee with personal data no other value in the repository could contain: a
    salary with cents, an IBAN, a birth date in the 1950s, a street that exists nowhere."""
    return {
        "employee_id": str(number),
        "first_name": name,
        "last_name": "Visser",
        "email": f"{name.lower()}@acme.example",
        "status": "active",
        "department_id": "D1" if number < 5 else "D2",
        "department": "Engineering" if number < 5 else "Sales",
        "job_title": "Engineer",
        "manager_id": "" if number == 1 else "1",
        "start_date": "2024-01-01",
        "end_date": "",
        "salary": f"{71_000 + number * 1_013}.37",
        "iban": f"NL{number:02d}ABNA04171643{number:02d}",
        "date_of_birth": f"1957-0{number % 9 + 1}-1{number % 10}",
        "home_address": f"Verborgenhof {number * 7}, 3526 KL Utrecht",
        "bsn": f"99999{number:04d}",
        **cells,
    }


def write(path: Path, people: list[dict[str, str]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, COLUMNS)
        writer.writeheader()
        writer.writerows(people)
    return path


def hrsync(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def source_path(root: Path) -> str:
    return yaml.safe_load((root / "hrsync.yaml").read_text(encoding="utf-8"))["source"]["path"]


def every_object(git_dir: Path) -> bytes:
    """The content of every object in the repository: every commit, tree and blob of every
    ref, and any object no ref reaches any more."""
    return subprocess.run(
        ["git", "--git-dir", str(git_dir), "cat-file", "--batch-all-objects", "--batch"],
        capture_output=True,
        check=True,
    ).stdout


def test_init_names_an_export_outside_the_repository_where_it_is(tmp_path):
    export = write(tmp_path / "hr share" / "export #1.csv", [person(1, "Anna")])
    root = tmp_path / "company"
    hrsync("init", str(root), "--source", "file", "--path", str(export))
    assert source_path(root) == str(export.resolve())
    assert not (root / "hris").exists()
    assert b"NL01ABNA0417164301" not in every_object(root / ".git")
    assert "Anna" in hrsync("-C", str(root), "propose")


def test_init_names_an_export_inside_the_repository_relatively_and_git_ignores_it(tmp_path):
    root = tmp_path / "company"
    inside_hris = write(root / "hris" / "people.csv", [person(1, "Anna")])
    hrsync("init", str(root), "--path", str(inside_hris))
    assert source_path(root) == "hris/people.csv"
    repo = git.Repo(root)
    assert repo.git.ls_files() and "hris" not in repo.git.ls_files()
    assert repo.git.status("--porcelain", "--untracked-files=all") == ""
    assert "Anna" in hrsync("-C", str(root), "propose")


def test_an_export_elsewhere_in_the_repository_gets_its_own_ignore_line(tmp_path):
    root = tmp_path / "company"
    export = write(root / "exports" / "week [48].csv", [person(1, "Anna")])
    hrsync("init", str(root), "--path", str(export))
    assert source_path(root) == "exports/week [48].csv"
    repo = git.Repo(root)
    assert "exports" not in repo.git.ls_files()
    assert repo.git.check_ignore("exports/week [48].csv") == "exports/week [48].csv"
    assert "Anna" in hrsync("-C", str(root), "propose")


def test_init_without_an_export_expects_it_in_the_ignored_hris_folder(tmp_path):
    root = tmp_path / "company"
    hrsync("init", str(root))
    assert source_path(root) == "hris/export.csv"
    assert git.Repo(root).git.check_ignore("hris/export.csv") == "hris/export.csv"


def test_an_export_path_is_only_for_the_file_source(tmp_path):
    export = write(tmp_path / "export.csv", [person(1, "Anna")])
    result = CliRunner().invoke(
        cli, ["init", str(tmp_path / "company"), "--source", "personio", "--path", str(export)]
    )
    assert result.exit_code == 1
    assert "--path is the export of --source file" in result.output


NIGHTS = 30
FIRST_NIGHT = date(2026, 11, 1)


def the_company_on(night: int) -> list[dict[str, str]]:
    """Eight people; over the month two are hired, one leaves, one gets an end date, one is
    hired with a start date a week ahead, and a department is renamed."""
    people = [person(n, name) for n, name in enumerate(["Anna", "Bram", "Cor", "Daan"], 1)]
    people += [person(n, name) for n, name in enumerate(["Eva", "Fenna", "Gijs", "Hugo"], 5)]
    if night >= 4:
        people.append(person(9, "Iris", start_date="2026-11-04"))
    if night >= 9:
        people[2]["status"] = "inactive"
    if night >= 12:
        people.append(person(10, "Joost", start_date="2026-11-20"))
    if night >= 17:
        people[6]["end_date"] = "2026-11-21"
    if night >= 23:
        for row in people:
            if row["department_id"] == "D2":
                row["department"] = "Sales & Partnerships"
    return people


@pytest.mark.parametrize("where", ["hris/export.csv", "outside/export.csv"])
def test_a_month_of_nights_leaves_no_personal_data_in_any_git_object(tmp_path, monkeypatch, where):
    root = tmp_path / "company"
    export = root / where if where.startswith("hris/") else tmp_path / where
    write(export, the_company_on(1))
    monkeypatch.setenv("HRSYNC_TODAY", FIRST_NIGHT.isoformat())
    hrsync("init", str(root), "--source", "file", "--path", str(export))
    set_policy(root, teams="automatic", jobs="automatic", members="automatic")
    repo = git.Repo(root)
    repo.git.commit("-qam", "policies: everything automatic")
    remote = tmp_path / "remote.git"
    git.Repo.init(remote, bare=True, initial_branch="main")
    repo.create_remote("origin", str(remote))
    repo.git.push("-q", "origin", "main")

    for night in range(1, NIGHTS + 1):
        monkeypatch.setenv("HRSYNC_TODAY", (FIRST_NIGHT + timedelta(days=night - 1)).isoformat())
        write(export, the_company_on(night))
        hrsync("-C", str(root), "sync")

    members = root / "state/members"
    assert (members / "10.yaml").is_file()  # the month did happen: hires, leavers, a rename
    assert "active: false" in (members / "3.yaml").read_text(encoding="utf-8")
    assert "active: false" in (members / "7.yaml").read_text(encoding="utf-8")
    assert "Sales & Partnerships" in (root / "state/teams/D2.yaml").read_text(encoding="utf-8")
    assert repo.commit("main") == git.Repo(remote).commit("main")

    personal = {row[c] for night in (1, NIGHTS) for row in the_company_on(night) for c in PERSONAL}
    for git_dir in (root / ".git", remote):
        objects = every_object(git_dir)
        assert b"Anna" in objects  # the scan reads content, not compressed bytes
        found = sorted(value for value in personal if value.encode() in objects)
        assert found == [], f"personal data in {git_dir}: {found}"
