"""One night reads its configuration and main's state once each (plus the bootstrap read of
the git settings) and computes the proposal once; what it committed is what it applies."""

from __future__ import annotations

import pytest

from reconciler import config as config_module
from reconciler import operations as ops
from reconciler.core import propose as propose_module
from reconciler.gitops import pipeline
from reconciler.state import tree
from tests.gitops.test_kills import set_modes


@pytest.fixture
def counted(monkeypatch):
    counts = {"config": 0, "state": 0, "proposal": 0}

    def counting(name, real):
        def wrapper(*args, **kwargs):
            counts[name] += 1
            return real(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(ops, "load_config", counting("config", config_module.load_config))
    monkeypatch.setattr(pipeline, "load_config", counting("config", config_module.load_config))
    monkeypatch.setattr(ops, "read_state", counting("state", tree.read_state))
    monkeypatch.setattr(pipeline, "propose", counting("proposal", propose_module.propose))
    return counts


def test_a_night_reads_once_and_proposes_once(runner, counted):
    everything = "import: automatic, sync: automatic, cleanup: automatic"
    set_modes(runner, teams=everything, jobs="import: manual", members=everything)
    report = pipeline.run_sync(runner, apply=True)
    assert report.main_commits and report.applied > 0
    assert counted == {"config": 2, "state": 1, "proposal": 1}
