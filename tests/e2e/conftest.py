"""Fixtures for the end-to-end tests: a vendor's fake running, and a state repository on it."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from reconciler.cli.main import cli
from reconciler.scaffold import init_repository
from tests.e2e.vendors import VENDORS, Running, point_config_at


@pytest.fixture(params=sorted(VENDORS))
def running(request) -> Running:
    vendor = VENDORS[request.param]
    server, base_url, fake = vendor.start()
    live = Running(vendor, server, base_url, fake)
    yield live
    live.stop()


@pytest.fixture
def repo(running: Running, tmp_path: Path, monkeypatch) -> Path:
    """A freshly `init`ed repository whose source is the running fake, credentials in env."""
    root = tmp_path / "company"
    init_repository(root, company="Acme", source=running.vendor.name)
    point_config_at(root, running.vendor, running.base_url)
    for name, value in running.vendor.env.items():
        monkeypatch.setenv(name, value)
    return root


def hrsync(root: Path, *args: str, code: int = 0) -> Result:
    """`hrsync -C root ARGS` through click, asserting its exit code."""
    result = CliRunner().invoke(cli, ["-C", str(root), *args], catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result
