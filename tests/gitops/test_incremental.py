"""`hrsync sync --incremental` end to end: a real git repository with a bare remote, the Personio
double on 127.0.0.1 (honouring `updated_since`), the embedded platform. Only what changed is
fetched and proposed, never a cleanup; the fetch start is recorded on main only after success;
a killed run records nothing; two runs at once queue on the repository's lock."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

import git
import pytest
import yaml

from reconciler import operations as ops
from reconciler.core.model import DesiredState
from reconciler.core.policies import Policy
from reconciler.core.propose import propose
from reconciler.core.scope import Scope, overlay
from reconciler.gitops.last_run import MARKER_FILE
from reconciler.gitops.pipeline import run_sync
from reconciler.scaffold import init_repository
from reconciler.sources.personio import open_source
from tests.fakes.personio_server import (
    ENV,
    SEED_TODAY,
    personio_employees,
    start_personio_server,
    stop,
)
from tests.gitops.conftest import remote_heads
from tests.gitops.test_kills import HRSYNC, set_modes

EVERYTHING_AUTOMATIC = "import: automatic, sync: automatic, cleanup: automatic"


@pytest.fixture
def personio(monkeypatch):
    server, base_url = start_personio_server(personio_employees(60))
    for name, value in {**ENV, "HRSYNC_TODAY": SEED_TODAY.isoformat()}.items():
        monkeypatch.setenv(name, value)
    yield server.api, base_url
    stop(server)


@pytest.fixture
def runner(tmp_path, personio):
    """A state repository reading the Personio double, everything automatic, pushed to a bare
    remote."""
    _, base_url = personio
    root = tmp_path / "runner"
    repo = init_repository(root, company="Acme", source="personio")
    config = root / "hrsync.yaml"
    config.write_text(
        config.read_text().replace("base_url: https://api.personio.de", f"base_url: {base_url}")
    )
    repo.git.commit("-qam", "the double")
    git.Repo.init(tmp_path / "remote.git", bare=True, initial_branch="main")
    repo.create_remote("origin", str(tmp_path / "remote.git"))
    repo.git.push("-q", "origin", "main")
    set_modes(
        root,
        teams=EVERYTHING_AUTOMATIC,
        jobs=EVERYTHING_AUTOMATIC,
        members=EVERYTHING_AUTOMATIC,
    )
    return root


def _at(monkeypatch, moment: str) -> None:
    monkeypatch.setenv("HRSYNC_NOW", moment)


def _marker(root) -> dict | None:
    text = git.Repo(root).git.show(f"origin/main:{MARKER_FILE}", with_exceptions=False)
    return yaml.safe_load(text) if text else None


def test_first_run_fetches_everything_and_cleans_up_nothing(runner, personio, monkeypatch):
    api, _ = personio
    run_sync(runner, apply=True)  # a whole night: 60 people
    api.employees = [e for e in api.employees if e["id"]["value"] != 9]  # 9 is gone
    _at(monkeypatch, "2025-03-01T10:00:00Z")
    report = run_sync(runner, apply=True, incremental=True)
    assert api.updated_since_asked == []  # nothing recorded yet: everything was asked for
    assert "9" in ops.Repo.open(runner).state().members  # missing is not a leaver
    assert _marker(runner) == {"fetch_started": "2025-03-01T10:00:00Z", "source": "personio"}
    assert report.main_commits == ["incremental run recorded: fetch started 2025-03-01T10:00:00Z"]


def test_a_run_asks_for_changes_since_the_last_start_less_overlap(runner, personio, monkeypatch):
    api, _ = personio
    run_sync(runner, apply=True)
    _at(monkeypatch, "2025-03-01T10:00:00Z")
    run_sync(runner, apply=True, incremental=True)
    api.change(7, datetime(2025, 3, 1, 10, 30), last_name="Neumann")
    api.employees = [e for e in api.employees if e["id"]["value"] != 9]
    _at(monkeypatch, "2025-03-01T11:00:00Z")
    report = run_sync(runner, apply=True, incremental=True)
    assert api.updated_since_asked == ["2025-03-01T09:45:00"]
    assert report.main_commits[0] == "members: sync 1"
    message = git.Repo(runner).git.log("-1", "--format=%B", "origin/main~1")
    assert "- sync member 7: last_name" in message and "Hrsync-Run: incremental" in message
    assert ops.read_platform(ops.Repo.open(runner)).members["7"].last_name == "Neumann"
    assert "9" in ops.read_platform(ops.Repo.open(runner)).members  # removals wait for the night
    assert _marker(runner)["fetch_started"] == "2025-03-01T11:00:00Z"


def test_an_incremental_run_proposes_what_the_full_night_proposes_for_those_changed(personio):
    """The equality the benchmark relies on: five changes among everyone, fetched whole or
    only changed, give the same proposed changes."""
    api, base_url = personio

    def source():
        settings = {"type": "personio", "base_url": base_url}
        return open_source(settings, Path("."), ENV, today=lambda: SEED_TODAY)

    policy = Policy.default("automatic")
    tree = propose(source().fetch(), DesiredState(), policy, SEED_TODAY).proposed
    saved = datetime(2025, 3, 1, 12, 0)
    api.change(3, saved, last_name="Changed")
    api.change(4, saved, status="inactive")
    api.change(5, saved, position="Chief Listener")
    api.change(6, saved, supervisor=None)
    api.hire(personio_employees(61)[-1], saved)
    whole = propose(source().fetch(), tree, policy, SEED_TODAY)
    changed = source().fetch_changed(datetime(2025, 3, 1, 11, 45, tzinfo=UTC))
    assert sorted(e.id for e in changed.employees) == ["3", "4", "5", "6", "61"]
    scoped = propose(overlay(changed, tree), tree, policy, SEED_TODAY, Scope.of_snapshot(changed))
    assert [(c.kind, c.action, c.id, c.note) for c in whole.changes] == [
        ("jobs", "import", "chief-listener", ""),
        ("members", "import", "61", ""),
        ("members", "sync", "3", ""),
        ("members", "sync", "4", "deactivation"),
        ("members", "sync", "5", ""),
        ("members", "sync", "6", ""),
    ]
    assert scoped.changes == whole.changes


def test_a_killed_incremental_run_records_no_time(runner, personio, tmp_path):
    api, _ = personio
    api.latency = 0.02  # every request takes a moment, so kills land in the fetch too
    env = {**os.environ, "HRSYNC_NOW": "2025-03-01T10:00:00Z"}
    first = subprocess.run(
        [*HRSYNC, "-C", str(runner), "sync", "--incremental"], env=env, capture_output=True
    )
    assert first.returncode == 0, first.stderr
    rng = random.Random(1129)
    for round_ in range(1, 5):
        # Saved after the last recorded start; this round's run starts an hour later.
        api.change(7, datetime(2025, 3, 1, 9 + round_, 30), first_name=f"Round{round_}")
        moment = f"2025-03-01T{10 + round_}:00:00Z"
        started = time.monotonic()
        process = subprocess.Popen(
            [*HRSYNC, "-C", str(runner), "sync", "--incremental"],
            env={**env, "HRSYNC_NOW": moment},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.05, 1.5))
        process.send_signal(signal.SIGKILL)
        process.wait()
        killed_after = time.monotonic() - started
        git.Repo(runner).git.fetch("-q", "origin")
        recorded = _marker(runner)["fetch_started"]
        main_member = yaml.safe_load(git.Repo(runner).git.show("origin/main:state/members/7.yaml"))
        if recorded == moment:
            # Recorded only once what it fetched was on main.
            assert main_member["first_name"] == f"Round{round_}", killed_after
        else:
            assert recorded != moment
        after = subprocess.run(
            [*HRSYNC, "-C", str(runner), "sync", "--incremental"],
            env={**env, "HRSYNC_NOW": moment},
            capture_output=True,
        )
        assert after.returncode == 0, after.stderr
        git.Repo(runner).git.fetch("-q", "origin")
        assert _marker(runner)["fetch_started"] == moment
        main_member = yaml.safe_load(git.Repo(runner).git.show("origin/main:state/members/7.yaml"))
        assert main_member["first_name"] == f"Round{round_}"


def test_two_runs_at_once_queue_on_the_lock(runner, personio, tmp_path):
    api, _ = personio
    api.latency = 0.02
    before = len(git.Repo(runner).git.rev_list("origin/main").split())
    runs = [
        subprocess.Popen(
            [*HRSYNC, "-C", str(runner), "sync", "--incremental"],
            env={**os.environ, "HRSYNC_LOCK_WAIT": "120"},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    results = [run.communicate(timeout=180) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], results
    # The second waited for the first and read its record: one whole fetch, one incremental.
    assert len(api.updated_since_asked) == 1
    subjects = git.Repo(runner).git.log("--format=%s", "origin/main").splitlines()
    assert sum(s.startswith("incremental run recorded") for s in subjects) == 2
    assert len(git.Repo(runner).git.rev_list("origin/main").split()) > before
    assert remote_heads(tmp_path)["main"] == git.Repo(runner).head.commit.hexsha
