"""Benchmark: `hrsync history --member/--team` on years of nightly history, before and after.

    python -m bench.bench_history                           # generate 1,800 nights, then time
    python -m bench.bench_history --repo /tmp/hist          # reuse (or create) that repository
    python -m bench.bench_history --before-rev 23cb3be      # the code to compare with

"Before" is the `reconciler` package of `--before-rev` (default: main), taken out with `git
archive`; "after" is this checkout. Each figure is a whole `hrsync` process (interpreter start,
imports, git), run `--runs` times after one warm-up: min / median / max wall seconds, and the
ratio of the medians. Runs without a commit graph first, then with the one `hrsync history
--build-graph` (and the nightly sync) writes. Both versions must print the same; the script
says so. Nothing is asserted on time: machines are shared and noisy.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent
HRSYNC = "import sys; from reconciler.cli.main import main; sys.argv[0] = 'hrsync'; main()"


def code_of(rev: str, into: Path) -> Path:
    """The `reconciler` package as it is at `rev`, unpacked under `into`."""
    archive = subprocess.run(
        ["git", "-C", str(PROJECT), "archive", "--format=tar", rev, "reconciler"],
        check=True,
        capture_output=True,
    ).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


def run(code: Path, repo: Path, args: list[str]) -> tuple[float, str]:
    env = {**os.environ, "PYTHONPATH": str(code)}
    started = time.perf_counter()
    done = subprocess.run(  # -P: the current folder must not shadow PYTHONPATH's package
        [sys.executable, "-P", "-c", HRSYNC, "-C", str(repo), "history", *args],
        env=env,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"hrsync history {' '.join(args)} failed:\n{done.stderr}")
    return seconds, done.stdout


def imports_from(code: Path) -> bool:
    """True when a process given `code` on PYTHONPATH imports that `reconciler`, not another."""
    check = "import reconciler; print(reconciler.__file__)"
    env = {**os.environ, "PYTHONPATH": str(code)}
    found = subprocess.run([sys.executable, "-P", "-c", check], env=env, capture_output=True)
    return found.stdout.decode().startswith(str(code))


def timed(code: Path, repo: Path, args: list[str], runs: int) -> tuple[list[float], str]:
    _, output = run(code, repo, args)  # warm-up: the file cache, .pyc files
    return [run(code, repo, args)[0] for _ in range(runs)], output


def drop_commit_graph(repo: Path) -> None:
    info = repo / ".git" / "objects" / "info"
    (info / "commit-graph").unlink(missing_ok=True)
    shutil.rmtree(info / "commit-graphs", ignore_errors=True)


def figures(seconds: list[float]) -> str:
    return f"{min(seconds):6.2f} {statistics.median(seconds):6.2f} {max(seconds):6.2f}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repo", type=Path, help="generated history (made when absent)")
    parser.add_argument("--nights", type=int, default=1800)
    parser.add_argument("--before-rev", default="main")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(PROJECT))
    from bench.history_gen import generate
    from reconciler.gitops.history import refresh_commit_graph

    work = Path(tempfile.mkdtemp(prefix="hrsync-bench-history-"))
    try:
        repo = args.repo or work / "history"
        summary_file = repo / ".git" / "hrsync-bench.json"
        if not summary_file.exists():
            print(f"generating {args.nights} nights in {repo} …", flush=True)
            summary = generate(repo, nights=args.nights)
            summary_file.write_text(json.dumps(summary))
        summary = json.loads(summary_file.read_text())
        print(json.dumps(summary))
        before = code_of(args.before_rev, work / "before")
        for code in (before, PROJECT):
            if not imports_from(code):
                raise SystemExit(f"{code}: another reconciler package comes first on sys.path")
        cases = {
            f"--member {summary['member']} ({summary['member_events']} events)": [
                "--member",
                summary["member"],
            ],
            "--member <its e-mail>": ["--member", summary["member_email"]],
            f"--team {summary['team']} ({summary['team_events']} events)": [
                "--team",
                summary["team"],
            ],
        }
        print(f"\nwhole process, wall seconds, {args.runs} runs each: min median max")
        for graph in (False, True):
            if graph:
                refresh_commit_graph(repo)
            else:
                drop_commit_graph(repo)
            print(f"\n{'with' if graph else 'without'} a commit graph with changed paths")
            for name, case in cases.items():
                old, old_out = timed(before, repo, case, args.runs)
                new, new_out = timed(PROJECT, repo, case, args.runs)
                same = "same output" if old_out == new_out else "OUTPUT DIFFERS"
                ratio = statistics.median(old) / statistics.median(new)
                print(f"  {name}")
                print(f"    before {figures(old)}")
                print(f"    after  {figures(new)}   ×{ratio:.1f} faster, {same}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
