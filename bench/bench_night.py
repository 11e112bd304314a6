"""Benchmark: one nightly `hrsync sync` on a 10k-member company against the parse floor.

Builds, under a folder you name, a state repository of N members (file source, embedded
platform, a bare remote on disk) already in step with its export, plus two exports: the same
(a night with no change) and one with 1 % churn (leavers, hires, moves). Then times, as whole
processes, with /usr/bin/time or any whole-process timer:

    floor       python bench/bench_night.py floor DIR       # the state tree read with the C loader
    no change   hrsync -C DIR/company sync                  # after `prepare-nochange`
    1 % churn   hrsync -C DIR/company sync                  # after `prepare-churn` (each run)

    python bench/bench_night.py setup DIR [N]      # once (N defaults to 10000)
    python bench/bench_night.py nochange DIR       # resets main and the platform, same export
    python bench/bench_night.py churn DIR          # resets main and the platform, 1 % churn

Nothing is asserted: machines are shared and noisy; the README quotes median ratios.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

COLUMNS = [
    "employee_id",
    "first_name",
    "last_name",
    "email",
    "status",
    "department_id",
    "department",
    "parent_department_id",
    "job_id",
    "job_title",
    "manager_id",
]


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout


def _export(path: Path, state, churn: float = 0.0) -> None:
    import random

    rng = random.Random(11)
    members = sorted(state.members.values(), key=lambda m: m.id)
    rows = []
    for m in members:
        if churn and rng.random() < churn / 3:
            continue  # a leaver gone from the HRIS
        team = state.teams[m.team] if m.team else None
        job = state.jobs[m.job] if m.job else None
        if churn and rng.random() < churn / 3 and m.team:
            team = state.teams[rng.choice(sorted(state.teams))]  # a move
        rows.append(
            [
                m.id,
                m.first_name,
                m.last_name,
                m.email,
                "active" if m.active else "inactive",
                team.id if team else "",
                team.name if team else "",
                (team.parent or "") if team else "",
                job.id if job else "",
                job.name if job else "",
                m.manager or "",
            ]
        )
    for i in range(int(len(members) * churn / 3)):
        rows.append(
            [
                f"9{i:06d}",
                "New",
                f"Hire{i}",
                f"hire{i}@acme.example",
                "active",
                "T0",
                "Company",
                "",
                "J0",
                "Job title 0",
                "",
            ]
        )
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        writer.writerows(rows)


def setup(base: Path, size: int) -> None:
    from orggen import generate

    from reconciler.scaffold import init_repository
    from reconciler.state.policy_files import policy_text

    if base.exists():
        shutil.rmtree(base)
    base.mkdir(parents=True)
    state = generate(size)
    root = base / "company"
    (root / "hris").mkdir(parents=True)
    _export(root / "hris/export.csv", state)
    _export(base / "churn.csv", state, churn=0.01)
    shutil.copyfile(root / "hris/export.csv", base / "same.csv")
    repo = init_repository(root, company="Bench", source="file", export=root / "hris/export.csv")
    (root / "policies/sync.yaml").write_text(policy_text("automatic"), encoding="utf-8")
    _git(root, "commit", "-qam", "automatic")
    _git(base, "init", "-q", "--bare", "-b", "main", "remote.git")
    repo.create_remote("origin", str(base / "remote.git"))
    _git(root, "push", "-q", "origin", "main")
    env = {**os.environ, "HRSYNC_TODAY": "2026-11-29"}
    for _ in range(2):  # teams, jobs, members land; the second night is quiet
        subprocess.run(
            ["hrsync", "-C", str(root), "sync", "--max-deletes", "100000"],
            env=env,
            check=True,
            capture_output=True,
        )
    shutil.copytree(root / ".hrsync", base / "platform-snapshot")
    (base / "main.sha").write_text(_git(root, "rev-parse", "main").strip())


def reset(base: Path, export: str) -> None:
    """Main, the remote and the platform back to the synced state; tonight's export in place."""
    root = base / "company"
    sha = (base / "main.sha").read_text().strip()
    _git(root, "checkout", "-q", "-B", "main", sha)
    _git(root, "push", "-q", "-f", "origin", f"{sha}:refs/heads/main")
    shutil.rmtree(root / ".hrsync")
    shutil.copytree(base / "platform-snapshot", root / ".hrsync")
    shutil.copyfile(base / export, root / "hris/export.csv")


def floor(base: Path) -> None:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    count = 0
    for kind in ("teams", "jobs", "members"):
        folder = base / "company/state" / kind
        for name in os.listdir(folder):
            if name.endswith(".yaml"):
                with open(folder / name, encoding="utf-8") as handle:
                    yaml.load(handle.read(), Loader=loader)
                count += 1
    print(count)


if __name__ == "__main__":
    verb, folder = sys.argv[1], Path(sys.argv[2])
    if verb == "setup":
        setup(folder, int(sys.argv[3]) if len(sys.argv) > 3 else 10_000)
    elif verb == "nochange":
        reset(folder, "same.csv")
    elif verb == "churn":
        reset(folder, "churn.csv")
    elif verb == "floor":
        floor(folder)
    else:
        raise SystemExit(__doc__)
