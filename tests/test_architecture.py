"""The house's rules, executable: import contracts (pyproject.toml, [tool.importlinter])."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_import_contracts_hold():
    lint = shutil.which("lint-imports")
    assert lint, "import-linter is a test dependency"
    result = subprocess.run([lint], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 kept, 0 broken" in result.stdout


def test_deepdiff_is_not_a_dependency_nothing_imports():
    text = (ROOT / "pyproject.toml").read_text()
    assert "deepdiff" not in text
