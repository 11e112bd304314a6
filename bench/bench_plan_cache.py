"""Benchmark: `hrsync plan` on a 100k-member tree with a warm parse cache, against the floor.

The floor: the same state tree read with PyYAML's C loader alone, as a whole process
(`python bench/bench_night.py floor DIR`). Builds, under a folder you name, a committed state
repository of N members (embedded platform, 1 % of it drifted) and its warm parse cache, kept
beside it as DIR/warm-cache. Three cases, each timed as a whole process:

    unchanged       the tree as committed
    edits           1 % of the member files edited by hand, not committed
    commit          the same edits committed

Each timed run restores the warm cache first, so every run meets the 1 % as new:

    sh -c 'cp DIR/warm-cache DIR/company/.hrsync/parse-cache && exec hrsync -C DIR/company plan'

    python bench/bench_plan_cache.py setup DIR [N]     # once (N defaults to 100000)
    python bench/bench_plan_cache.py warm DIR          # after hrsync changed: a new warm cache
    python bench/bench_plan_cache.py unchanged DIR     # then time the command above
    python bench/bench_plan_cache.py edits DIR
    python bench/bench_plan_cache.py commit DIR
    python bench/bench_plan_cache.py compare DIR [RUNS]  # all three, floor and plan in turn

`compare` prints each case's median ratio (min–max) to the floor; nothing is asserted (machines
are shared and noisy).
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from bench_night import _git  # noqa: E402

CACHE = ".hrsync/parse-cache"
AS_BENCH = ("-c", "user.name=bench", "-c", "user.email=bench@acme.example")


def setup(base: Path, size: int) -> None:
    from orggen import fill_platform, generate, write_tree

    from reconciler.scaffold import init_repository

    if base.exists():
        shutil.rmtree(base)
    root = base / "company"
    init_repository(root, company="Bench", source="file")
    state = generate(size)
    write_tree(root, state)
    fill_platform(root / ".hrsync/platform.db", state)
    _git(root, "add", "-A")
    _git(root, *AS_BENCH, "commit", "-qm", "state")
    (base / "main.sha").write_text(_git(root, "rev-parse", "HEAD").strip())
    warm(base)


def warm(base: Path) -> None:
    """The cache one plan of the committed tree leaves, kept as DIR/warm-cache (again after
    hrsync changed: another version's cache is ignored)."""
    root = base / "company"
    reset_tree(base)
    (root / CACHE).unlink(missing_ok=True)
    subprocess.run(["hrsync", "-C", str(root), "plan"], check=True, capture_output=True)
    shutil.copyfile(root / CACHE, base / "warm-cache")


def reset_tree(base: Path) -> None:
    """The committed tree, nothing edited."""
    root = base / "company"
    sha = (base / "main.sha").read_text().strip()
    _git(root, "checkout", "-qf", "-B", "main", sha)
    _git(root, "clean", "-qfd", "--", "state")


def reset(base: Path) -> None:
    """The committed tree, nothing edited, the warm cache in place."""
    reset_tree(base)
    shutil.copyfile(base / "warm-cache", base / "company" / CACHE)


def edit_one_percent(base: Path) -> int:
    """Every 100th member (not those drifted in the platform) gets another first name of the
    same length: a change the plan shows, in 1 % of the files."""
    folder = base / "company/state/members"
    names = sorted(os.listdir(folder))
    edited = 0
    for name in names[50::100]:
        path = folder / name
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace("first_name: First", "first_name: Fixed"), encoding="utf-8")
        edited += 1
    return edited


def prepare(base: Path, case: str) -> None:
    reset(base)
    if case in ("edits", "commit"):
        edit_one_percent(base)
    if case == "commit":
        _git(base / "company", *AS_BENCH, "commit", "-qam", "1 % edited")


def _seconds(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def compare(base: Path, runs: int) -> None:
    floor = [sys.executable, str(HERE / "bench_night.py"), "floor", str(base)]
    plan = [
        "sh",
        "-c",
        f"cp '{base}/warm-cache' '{base}/company/{CACHE}' && exec hrsync -C '{base}/company' plan",
    ]
    warm(base)
    for case in ("unchanged", "edits", "commit"):
        prepare(base, case)
        ratios, plans, floors = [], [], []
        for _ in range(runs):
            floors.append(_seconds(floor))
            plans.append(_seconds(plan))
            ratios.append(plans[-1] / floors[-1])
        print(
            f"{case:>9}: plan {statistics.median(plans):.2f}s, floor "
            f"{statistics.median(floors):.2f}s, {statistics.median(ratios):.2f}x the floor "
            f"({min(ratios):.2f}-{max(ratios):.2f}, {runs} runs)",
            flush=True,
        )
    reset(base)


if __name__ == "__main__":
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    verb, folder = sys.argv[1], Path(sys.argv[2]).resolve()
    if verb == "setup":
        setup(folder, int(sys.argv[3]) if len(sys.argv) > 3 else 100_000)
    elif verb == "warm":
        warm(folder)
    elif verb in ("unchanged", "edits", "commit"):
        prepare(folder, verb)
    elif verb == "compare":
        compare(folder, int(sys.argv[3]) if len(sys.argv) > 3 else 3)
    else:
        raise SystemExit(__doc__)
