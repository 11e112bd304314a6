"""Benchmark: `plan` and `propose` on 1k / 10k / 100k members against the floor.

The floor is what no implementation can beat: reading the same state files and parsing them with
PyYAML's C loader alone. Each measurement runs in its own process, so peak RSS is its own.

    python bench/bench_core.py                # 1000 10000 100000
    python bench/bench_core.py 1000 10000     # smaller sizes

Prints a table; nothing is asserted (machines are shared and noisy).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))


def measure(task: str, root: Path, repeat: int = 3) -> dict:
    """Best wall time of `repeat` runs of `task` in fresh processes, and its peak RSS."""
    best = None
    for _ in range(repeat):
        out = subprocess.run(
            [sys.executable, __file__, "--task", task, str(root)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        result = json.loads(out)
        if best is None or result["seconds"] < best["seconds"]:
            best = result
    return best


def run_task(task: str, root: Path) -> dict:
    import yaml

    from reconciler import operations as ops

    started = time.perf_counter()
    extra = {}
    if task == "floor":
        loader = yaml.CSafeLoader
        count = 0
        for kind in ("teams", "jobs", "members"):
            for entry in os.scandir(root / "state" / kind):
                with open(entry.path, encoding="utf-8") as handle:
                    yaml.load(handle.read(), Loader=loader)
                count += 1
        extra["files"] = count
    elif task == "plan":
        plan = ops.make_plan(ops.Repo.open(root))
        extra["changes"] = len(plan.changes)
    elif task == "propose":
        from reconciler.operations import load_snapshot

        repo = ops.Repo.open(root)
        snapshot = load_snapshot(root / "snapshot.json")
        started = time.perf_counter()  # the snapshot is fetch's cost, not propose's
        proposal = ops.make_proposal(repo, snapshot)
        written, _ = ops.write_proposal(repo, proposal, lambda c: c.mode == "automatic")
        extra["changes"] = len(proposal.changes)
        extra["files_written"] = len(written)
    seconds = time.perf_counter() - started
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": seconds, "rss_mb": rss_mb, **extra}


def prepare(size: int, base: Path) -> Path:
    from orggen import fill_platform, generate, snapshot_of, write_tree

    from reconciler.scaffold import init_repository

    root = base / f"org{size}"
    init_repository(root, company="Bench", source="file")
    state = generate(size)
    write_tree(root, state)
    fill_platform(root / ".hrsync/platform.db", state)
    (root / "snapshot.json").write_text(json.dumps(snapshot_of(state).to_data()))
    return root


def main(sizes: list[int]) -> None:
    os.environ.setdefault("HRSYNC_TODAY", "2026-01-01")
    rows = []
    with tempfile.TemporaryDirectory(prefix="hrsync-bench-") as tmp:
        for size in sizes:
            root = prepare(size, Path(tmp))
            repeat = 3 if size <= 10000 else 2
            floor = measure("floor", root, repeat)
            plan = measure("plan", root, repeat)
            propose = measure("propose", root, repeat)
            rows.append((size, floor, plan, propose))
            print(
                f"{size:>7} members: floor {floor['seconds']:.2f}s | plan {plan['seconds']:.2f}s"
                f" ({plan['seconds'] / floor['seconds']:.2f}x floor, {plan['rss_mb']:.0f} MB,"
                f" {plan['changes']} changes) | propose {propose['seconds']:.2f}s"
                f" ({propose['rss_mb']:.0f} MB, {propose['changes']} changes,"
                f" {propose['files_written']} files written)",
                flush=True,
            )
    for (s1, _, p1, q1), (s2, _, p2, q2) in zip(rows, rows[1:], strict=False):
        print(
            f"{s1} → {s2}: plan ×{p2['seconds'] / p1['seconds']:.1f}, "
            f"propose ×{q2['seconds'] / q1['seconds']:.1f}"
        )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--task":
        print(json.dumps(run_task(sys.argv[2], Path(sys.argv[3]))))
    else:
        main([int(a) for a in sys.argv[1:]] or [1000, 10000, 100000])
