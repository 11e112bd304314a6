"""What hrsync ships besides its code: the licence, dependency floors that are tested, the
reusable action and the pre-commit hook."""

from __future__ import annotations

import re
import subprocess
import tomllib
from pathlib import Path

import yaml
from packaging.version import Version

from reconciler.gitops.workflows import PINNED_ACTIONS, SETUP_PYTHON

ROOT = Path(__file__).resolve().parent.parent


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_the_licence_is_mit_as_an_spdx_expression_with_its_file():
    project = _pyproject()["project"]
    assert project["license"] == "MIT"
    assert project["license-files"] == ["LICENSE"]
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License") and "WITHOUT WARRANTY OF ANY KIND" in text


def test_the_lowest_versions_file_pins_every_floor():
    floors = {}
    for requirement in _pyproject()["project"]["dependencies"]:
        name, floor = re.fullmatch(r"([A-Za-z0-9_.-]+)>=([0-9.]+)", requirement).groups()
        floors[name.lower()] = floor
    pinned = {}
    for line in (ROOT / ".ci/lowest.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, version = line.split("==")
            pinned[name.lower()] = version
    assert {name: Version(v) for name, v in pinned.items()} == {
        name: Version(v) for name, v in floors.items()
    }


def test_the_reusable_action_is_a_valid_composite_action():
    done = subprocess.run(
        ["check-jsonschema", "--builtin-schema", "vendor.github-actions", str(ROOT / "action.yml")],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert set(action["inputs"]) >= {"command", "kind", "version"}
    assert action["runs"]["using"] == "composite"
    steps = action["runs"]["steps"]
    assert f"{steps[0]['uses']}" == SETUP_PYTHON.split(" #")[0]
    for step in steps[1:]:
        assert "${{" not in step["run"], step  # inputs reach the script only through env
        assert step["shell"] == "bash"


def test_this_repository_pins_the_same_action_commits_the_workflows_use():
    for path in (ROOT / "action.yml", ROOT / ".github/workflows/ci.yml"):
        uses = re.findall(r"uses: (\S+ # \S+)", path.read_text())
        assert uses and set(uses) <= set(PINNED_ACTIONS), (path.name, uses)


def test_the_pre_commit_hook_runs_hrsync_validate():
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert [hook["id"] for hook in hooks] == ["hrsync-validate"]
    hook = hooks[0]
    assert hook["entry"] == "hrsync validate"
    assert hook["language"] == "python"  # pre-commit installs this repository: hrsync itself
    assert hook["pass_filenames"] is False  # validate reads the whole repository
    pattern = re.compile(hook["files"])
    for path in ("hrsync.yaml", "policies/sync.yaml", "state/members/1.yaml"):
        assert pattern.search(path), path
    assert not pattern.search("README.md")
    assert (ROOT / "pyproject.toml").exists()  # what `language: python` installs
