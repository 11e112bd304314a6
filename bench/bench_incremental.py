"""An hourly `hrsync sync --incremental` against a whole night, 10 000 members, five changes.

The Personio double serves N employees on loopback (as bench_paging does); a state repository
(embedded platform, a bare remote on disk, every policy automatic) is brought in step with it by
one whole night, and an incremental run records its fetch start. Then five employees change in
the HRIS, and each measured run starts from that same commit and platform:

    whole night   hrsync sync                  fetches all N (100 pages under Personio's limit)
    incremental   hrsync sync --incremental    asks `updated_since` the recorded start

Both are whole processes, each after the same reset (main and the platform put back), taken in
turn; the ratio of medians is printed, and the changes each committed are compared: they must
be the same five.

    python -m bench.bench_incremental                      # 10 000 employees, 3 runs each
    python -m bench.bench_incremental --employees 2000 --runs 5
    python -m bench.bench_incremental --serve DIR          # set up in DIR, keep the double up,
                                                           # print both commands for an outside
                                                           # whole-process timer
"""

from __future__ import annotations

import argparse
import shlex
import shutil
import signal
import statistics
import subprocess
import tempfile
import time
from datetime import datetime
from pathlib import Path

from bench.bench_paging import environment, figures, hrsync_command, state_repository
from reconciler.state.policy_files import policy_text
from tests.fakes.personio_server import personio_employees, start_personio_server
from tests.fakes.personio_server import stop as stop_server

RECORDED = "2025-03-01T10:00:00Z"  # the last incremental run's fetch start
CHANGED_AT = datetime(2025, 3, 1, 10, 30)  # when HR saved the five changes
MEASURED = "2025-03-01T11:00:00Z"  # the measured incremental run's start


def company(count: int) -> list[dict]:
    """`count` employees, each hired in the past (the double's own hire dates run on past
    today from about the 400th, which would leave most of them future hires, not members)."""
    employees = personio_employees(count)
    for employee in employees:
        hired = employee["hire_date"]
        if hired["value"] and hired["value"][:10] > "2024-12-31":
            number = employee["id"]["value"]
            hired["value"] = f"{2010 + number % 14}-{1 + number % 12:02d}-01T00:00:00+01:00"
    return employees


def _git(*args: str) -> str:
    result = subprocess.run(["git", *args], check=True, capture_output=True, text=True)
    return result.stdout.strip()


def prepare(base: Path, base_url: str) -> Path:
    """The state repository in step with the double, an incremental run recorded, its main
    and platform kept aside as the baseline every measured run starts from."""
    root = state_repository(base / "company", base_url, 4)
    (root / "policies/sync.yaml").write_text(policy_text("automatic"), encoding="utf-8")
    _git("-C", str(root), "commit", "-qam", "bench: the double, everything automatic")
    _git("init", "-q", "--bare", "-b", "main", str(base / "remote.git"))
    _git("-C", str(root), "remote", "add", "origin", str(base / "remote.git"))
    _git("-C", str(root), "push", "-q", "origin", "main")
    run(root, "sync")
    run(root, "sync", "--incremental", now=RECORDED)
    (base / "baseline").write_text(_git("-C", str(root), "rev-parse", "HEAD") + "\n")
    shutil.copyfile(root / ".hrsync/platform.db", base / "baseline.db")
    return root


def change_five(api, count: int) -> list[str]:
    """Five employees changed in the HRIS, spread over the list; their ids."""
    # Not a leaver, not on leave, not a future hire (see personio_employees): members all.
    picked = [n for n in range(count // 6, count) if n % 25 and n % 60 != 11 and n % 50 != 13]
    picked = picked[:: max(1, len(picked) // 5)][:5]
    edits = [
        {"last_name": "Neumann"},
        {"status": "inactive"},
        {"first_name": "Renamed"},  # a rename reaches the tree and the platform
        {"supervisor": None},
        {"email": "moved.address@acme.example"},
    ]
    for number, values in zip(picked, edits, strict=True):
        api.change(number, CHANGED_AT, **values)
    return [str(n) for n in picked]


def reset_command(base: Path) -> str:
    """The shell line that puts main (remote and local) and the platform back."""
    root, sha = base / "company", (base / "baseline").read_text().strip()
    remote, saved = shlex.quote(str(base / "remote.git")), shlex.quote(str(base / "baseline.db"))
    platform = shlex.quote(str(root / ".hrsync/platform.db"))
    return (
        f"git --git-dir {remote} update-ref refs/heads/main {sha} && "
        f"git -C {shlex.quote(str(root))} reset -q --hard {sha} && cp {saved} {platform}"
    )


def run(root: Path, *args: str, now: str = MEASURED) -> float:
    started = time.perf_counter()
    subprocess.run(
        [*hrsync_command(), "-C", str(root), *args],
        env={**environment(), "HRSYNC_NOW": now},
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - started


def committed_changes(base: Path) -> list[str]:
    """The entity lines (`- sync member 1667: last_name`) of what the run put on main."""
    sha = (base / "baseline").read_text().strip()
    log = _git("-C", str(base / "company"), "log", "--format=%B", f"{sha}..origin/main")
    return sorted(line for line in log.splitlines() if line.startswith("- "))


def compare(base: Path, runs: int) -> None:
    root = base / "company"
    times: dict[str, list[float]] = {"whole night": [], "incremental": []}
    seen: dict[str, set[tuple[str, ...]]] = {name: set() for name in times}
    commands = {"whole night": ("sync",), "incremental": ("sync", "--incremental")}
    for attempt in range(runs + 1):  # attempt 0 warms up: imports compiled, page cache filled
        for name, args in commands.items():  # in turn: a drift of the machine hits both
            subprocess.run(["sh", "-c", reset_command(base)], check=True)
            elapsed = run(root, *args)
            seen[name].add(tuple(committed_changes(base)))
            if attempt:
                times[name].append(elapsed)
    subprocess.run(["sh", "-c", reset_command(base)], check=True)
    for name, elapsed in times.items():
        print(f"  {name:12} {figures(elapsed)}")
    ratio = statistics.median(times["incremental"]) / statistics.median(times["whole night"])
    print(f"  incremental / whole night: {ratio:4.2f}x (medians)")
    (night,), (hourly,) = seen["whole night"], seen["incremental"]
    assert night == hourly, f"different changes:\n{night}\n{hourly}"
    print(f"  both committed the same {len(night)} change(s): {', '.join(night)}")


def serve(base: Path) -> None:
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    root = base / "company"
    print("  the double runs until Ctrl-C (or SIGTERM); with these variables set:")
    for name, value in {**environment(), "HRSYNC_NOW": MEASURED}.items():
        if name.startswith(("PERSONIO_", "HRSYNC_")):
            print(f"    export {name}={value}")
    reset = reset_command(base)
    for name, extra in (("whole night", ""), ("incremental", " --incremental")):
        line = f"{reset} && exec hrsync -C {shlex.quote(str(root))} sync{extra}"
        print(f"    {name}: sh -c {shlex.quote(line)}")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employees", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3, help="counted runs of each (after one)")
    parser.add_argument("--serve", type=Path, metavar="DIR", help="set up in DIR and wait")
    args = parser.parse_args()
    server, base_url = start_personio_server(company(args.employees))
    try:
        with tempfile.TemporaryDirectory(prefix="bench-incremental-") as scratch:
            base = args.serve or Path(scratch)
            if args.serve and base.exists():
                shutil.rmtree(base)
            base.mkdir(parents=True, exist_ok=True)
            print(
                f"Personio double: {args.employees} employees on loopback; setting up "
                "(one whole night, one incremental run)…",
                flush=True,
            )
            prepare(base, base_url)
            changed = change_five(server.api, args.employees)
            print(f"  five employees changed in the HRIS: {', '.join(changed)}", flush=True)
            if args.serve:
                serve(base)
            else:
                compare(base, args.runs)
    finally:
        stop_server(server)


if __name__ == "__main__":
    main()
