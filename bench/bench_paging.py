"""`hrsync fetch` of N employees from the Personio double behind a loopback proxy adding latency
per request: pages one at a time against pages `max_in_flight` at a time, whole processes, the
same snapshot (its digest is checked on every run).

    python -m bench.bench_paging                         # 10 000 employees, 50 ms: 1 and 4
    python -m bench.bench_paging --latency-ms 300 --in-flight 1,4,8 --runs 5
    python -m bench.bench_paging --serve                 # start the double, print the commands

Every page request waits its turn under Personio's limit for the employee list (15 a second,
300 a minute), whatever `max_in_flight` is: where one page at a time already comes close to 15
a second (about 50 ms a page), pages in parallel cannot go much faster without breaking it.
`--serve` keeps the double running and prints one `hrsync fetch` per setting, for an outside
timer (`/usr/bin/time -v`, hyperfine, ...).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from reconciler.core.model import Snapshot
from reconciler.scaffold import init_repository
from reconciler.sources.personio import EMPLOYEE_LIST_PER_SECOND, MAX_PAGE_SIZE
from tests.fakes.fault_proxy import FaultProxy
from tests.fakes.personio_server import ENV, SEED_TODAY, personio_employees, start_personio_server
from tests.fakes.personio_server import stop as stop_server


def hrsync_command() -> list[str]:
    script = shutil.which("hrsync") or str(Path(sys.executable).parent / "hrsync")
    if Path(script).exists():
        return [script]
    return [sys.executable, "-c", "from reconciler.cli.main import main; main()"]


def state_repository(folder: Path, base_url: str, in_flight: int) -> Path:
    """A fresh state repository reading the double with `in_flight` pages at a time."""
    init_repository(folder, company="Bench", source="personio")
    config = folder / "hrsync.yaml"
    text = config.read_text(encoding="utf-8").replace(
        "base_url: https://api.personio.de", f"base_url: {base_url}"
    )
    text = text.replace(
        "  type: personio\n",
        f"  type: personio\n  page_size: {MAX_PAGE_SIZE}\n  max_in_flight: {in_flight}\n",
    )
    config.write_text(text, encoding="utf-8")
    return folder


def environment() -> dict[str, str]:
    return {**os.environ, **ENV, "HRSYNC_TODAY": SEED_TODAY.isoformat()}


def fetch_once(repo: Path, output: Path) -> tuple[float, str]:
    """Wall seconds of one `hrsync fetch` process, and the digest of what it fetched."""
    command = [*hrsync_command(), "-C", str(repo), "fetch", "-o", str(output)]
    started = time.perf_counter()
    subprocess.run(command, env=environment(), check=True, capture_output=True)
    elapsed = time.perf_counter() - started
    snapshot = Snapshot.from_data(json.loads(output.read_text(encoding="utf-8")))
    return elapsed, snapshot.digest()


def figures(times: list[float]) -> str:
    return (
        f"min {min(times):6.2f} s  median {statistics.median(times):6.2f} s  "
        f"max {max(times):6.2f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employees", type=int, default=10_000)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument(
        "--in-flight", default="1,4", help="settings to compare; the first is the base"
    )
    parser.add_argument(
        "--runs", type=int, default=3, help="counted runs of each (after one warm-up)"
    )
    parser.add_argument("--serve", action="store_true", help="start the double, print, wait")
    args = parser.parse_args()
    settings = [int(n) for n in args.in_flight.split(",")]

    server, upstream = start_personio_server(personio_employees(args.employees))
    proxy = FaultProxy(upstream, latency=args.latency_ms / 1000)
    pages = -(-args.employees // MAX_PAGE_SIZE)
    try:
        with tempfile.TemporaryDirectory(prefix="bench-paging-") as scratch:
            root = Path(scratch)
            repos = {n: state_repository(root / f"in-flight-{n}", proxy.url, n) for n in settings}
            print(
                f"Personio fetch: {args.employees} employees on {pages} pages of "
                f"{MAX_PAGE_SIZE}, {args.latency_ms:g} ms added per request (the Personio double "
                f"behind a loopback proxy); whole `hrsync fetch` processes"
            )
            print(
                f"  Personio's limit of {EMPLOYEE_LIST_PER_SECOND} requests a second: the last "
                f"of {pages} pages cannot start before {(pages - 1) // EMPLOYEE_LIST_PER_SECOND} s",
                flush=True,
            )
            if args.serve:
                serve(repos)
                return
            compare(repos, settings, args.runs, root / "snapshot.json")
    finally:
        proxy.stop()
        stop_server(server)


def compare(repos: dict[int, Path], settings: list[int], runs: int, output: Path) -> None:
    times: dict[int, list[float]] = {n: [] for n in settings}
    digests: set[str] = set()
    for run in range(runs + 1):  # run 0 warms up: imports compiled, page cache filled
        for n in settings:  # in turn, so a drift of the machine's speed hits all alike
            elapsed, digest = fetch_once(repos[n], output)
            digests.add(digest)
            if run:
                times[n].append(elapsed)
    assert len(digests) == 1, f"the settings fetched different snapshots: {sorted(digests)}"
    base = settings[0]
    for n in settings:
        ratio = statistics.median(times[n]) / statistics.median(times[base])
        print(
            f"  max_in_flight {n}: {figures(times[n])}   {ratio:4.2f}x of {base}",
            flush=True,
        )
    print(f"  every run fetched the same snapshot: digest {digests.pop()[:16]}…")


def serve(repos: dict[int, Path]) -> None:
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # kill PID: a clean stop too
    print("  the double runs until Ctrl-C (or SIGTERM); with these variables set:")
    for name, value in {**ENV, "HRSYNC_TODAY": SEED_TODAY.isoformat()}.items():
        print(f"    export {name}={value}")
    # Not `-o /dev/null`: the snapshot is written atomically (a file beside it, then a rename),
    # which, run as root, would put a regular file in /dev/null's place.
    for n, repo in repos.items():
        print(f"    max_in_flight {n}: hrsync -C {repo} fetch -o {repo / 'snapshot.json'}")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
