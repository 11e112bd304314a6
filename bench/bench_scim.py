"""Apply of N member creates to a real scim2-server behind a proxy adding latency per request:
8 in flight with Bulk against one request at a time without Bulk (the sequential baseline),
same run, same result.

    python -m bench.bench_scim                 # 10 000 members, 20 ms: 8/auto and 1/off
    python -m bench.bench_scim --members 2000 --runs 8/auto,8/off,1/off

A run is `concurrency/bulk`: requests in flight, and the target's `bulk` setting (auto: bulk
requests where the server announces them, which scim2-server does; off: single requests).
"""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

from reconciler.core.model import DesiredState, Job, Member, Team
from reconciler.core.plan import compute_plan
from reconciler.targets.scim import open_target
from tests.fakes.fault_proxy import FaultProxy
from tests.fakes.scim_server import start_scim_server

TEAMS = 20
FAN_OUT = 8  # reports per manager: 10 000 members make a tree 5 levels deep


def company(size: int) -> DesiredState:
    teams = {f"T{t:02}": Team(f"T{t:02}", f"Team {t}") for t in range(TEAMS)}
    jobs = {f"J{j}": Job(f"J{j}", f"Job title {j}") for j in range(10)}
    members = {}
    for n in range(size):
        member_id = f"{100000 + n}"
        manager = f"{100000 + (n - 1) // FAN_OUT}" if n else None
        members[member_id] = Member(
            member_id, f"person{n}@acme.example", f"First{n}", f"Last{n}",
            team=f"T{n % TEAMS:02}", job=f"J{n % 10}", manager=manager,
        )  # fmt: skip
    return DesiredState(teams, jobs, members)


def run(size: int, latency: float, concurrency: int, bulk: str) -> tuple[float, int, int, int]:
    server = start_scim_server()
    proxy = FaultProxy(server.url, latency=latency)
    try:
        settings = {"base_url": proxy.url, "concurrency": concurrency, "bulk": bulk}
        target = open_target(settings, Path("."), {"SCIM_TOKEN": server.token}, writable=True)
        desired = company(size)
        plan = compute_plan(desired, target.read())
        started = time.perf_counter()
        target.apply(plan.changes)
        elapsed = time.perf_counter() - started
        requests = proxy.count()
        managed = {u.get("externalId") for u in server.all("/Users")}
        left = compute_plan(desired, target.read()).changes
        target.close()
        return elapsed, requests, len(managed), len(left)
    finally:
        proxy.stop()
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--runs", default="8/auto,1/off", help="concurrency/bulk, ...")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    print(
        f"SCIM apply: {args.members} member creates, {TEAMS} teams, "
        f"{args.latency_ms:g} ms added per request (scim2-server behind a loopback proxy)"
    )
    results = {}
    for spec in args.runs.split(","):
        concurrency, _, bulk = spec.partition("/")
        bulk = bulk or "auto"
        elapsed, requests, users, left = run(
            args.members, args.latency_ms / 1000, int(concurrency), bulk
        )
        results[spec] = elapsed
        print(
            f"  concurrency {int(concurrency):>2}, bulk {bulk:<4}: {elapsed:7.1f} s  "
            f"{args.members / elapsed:6.0f} members/s  {requests:>6} requests  "
            f"users on server: {users}  changes left after apply: {left}",
            flush=True,
        )
    if "1/off" in results:
        for spec, elapsed in results.items():
            if spec != "1/off":
                print(f"  speed-up of {spec} over 1/off: {results['1/off'] / elapsed:.1f}x")


if __name__ == "__main__":
    main()
