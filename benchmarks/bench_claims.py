"""Benchmark: a claim storm — 100 agent processes empty a pool of 10^5 available issues.

Target: ≥ 1,000 claims/s on the 2-core machine through the path agents run
(``services.claim.claim`` then ``complete``, pooled connections), with 0 issues claimed twice and
0 lost; p50/p99 claim latency. Beside it, the same claim statement executed directly (the
kernel), and the same statement without ``SKIP LOCKED`` (a naive ``SELECT … FOR UPDATE`` claim:
every agent queues behind the top row) for the same number of seconds.

    uv run python benchmarks/bench_claims.py [--agents 100 --issues 100000 --seconds 20]
    uv run python benchmarks/bench_claims.py --solo [--pairs 3000 --repeats 3]

``--solo`` runs no storm: one process claims and completes ``--pairs`` issues on a quiet
database, through the product path and through the kernel, and prints the agent's CPU per
claim + completion for each (medians of ``--repeats``). That is the agent's share of the
storm's CPU budget, measurable without saturating the machine.

Each phase gets a fresh copy of the seeded database (2,000 repositories across the six
languages, 50 ranked issues each). Caps are opened wide (the storm measures claiming, not
policy) except the per-repository concurrency cap of 1, which stays on: the statement still
locks and checks every cap. Agents start together on a signal after their imports; claims/s is
claims over the span from the first claim to the last completion. The server is GlobaLLM's
embedded PostgreSQL in a temporary directory (fsync on, as in production).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WIDE = str(10**12)
ENV_CAPS = {
    "GLOBALLM_BUDGET__MAX_ISSUES_PER_REPO": WIDE,
    "GLOBALLM_BUDGET__MAX_ISSUES_PER_LANGUAGE": WIDE,
    "GLOBALLM_BUDGET__WEEKLY_TOKEN_BUDGET": WIDE,
    "GLOBALLM_BUDGET__MAX_TOKENS_PER_REPO": WIDE,
    "GLOBALLM_BUDGET__MAX_TIME_PER_REPO": WIDE,
}
LANGUAGES = ("python", "javascript", "typescript", "go", "rust", "java")
TARGET = 1_000.0


# --- one agent process ----------------------------------------------------------------------------


def worker(mode: str, dsn: str, out: Path, deadline_seconds: float) -> None:
    """Claim and complete until the pool is empty (or the deadline), then report."""
    import psycopg

    from globallm_assets.services import claim as service
    from globallm_assets.settings import load_settings
    from globallm_assets.store import claims as store

    settings = load_settings()
    agent = service.AgentIdentity.current().id
    limits = service.claim_limits(settings)
    conn = None if mode == "service" else psycopg.connect(dsn, autocommit=True)
    statement = None if conn is None else kernel_statement(agent, limits, naive=mode == "naive")
    claimed: list[str] = []
    latencies: list[float] = []
    empty = deadlocks = 0
    # How many claim statements and diagnoses the product path ran: an empty claim (rows held
    # by other agents) costs a diagnosis and another round, which the claims/s alone hides.
    calls = {"claim": 0, "diagnose": 0}
    if mode == "service":
        for name in calls:
            setattr(store, name, _counted(getattr(store, name), calls, name))
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    sys.stdin.readline()  # the start signal
    start = time.time()
    cpu_start = time.process_time()
    deadline = time.monotonic() + deadline_seconds
    while time.monotonic() < deadline:
        t0 = time.perf_counter()
        if mode == "service":
            got = service.claim(settings, dsn, agent).issue
            key = None if got is None else (got.repository, got.number)
        else:
            try:
                row = kernel_claim(conn, statement)
            except psycopg.errors.DeadlockDetected:
                # Queueing on locks in any order deadlocks; PostgreSQL aborts one waiter.
                deadlocks += 1
                continue
            key = None if row is None else (row[0], row[1])
        t1 = time.perf_counter()
        if key is None:
            empty += 1
            if mode == "service" or not _any_available(conn):
                break
            continue
        latencies.append(t1 - t0)
        claimed.append(f"{key[0]}#{key[1]}")
        if mode == "service":
            service.complete(settings, dsn, got, None)
        else:
            while True:
                try:
                    store.complete(conn, agent, *key, None)
                    break
                except psycopg.errors.DeadlockDetected:
                    deadlocks += 1
    end = time.time()
    cpu = time.process_time() - cpu_start
    out.write_text(
        json.dumps(
            {
                "start": start,
                "end": end,
                "claimed": claimed,
                "latencies": latencies,
                "empty": empty,
                "deadlocks": deadlocks,
                "cpu": cpu,
                "calls": calls,
            }
        )
    )


def kernel_statement(agent: str, limits, *, naive: bool = False):
    """The kernel: the product's claim statement alone, sent as the product sends it (by name,
    through store/direct.py); ``naive`` drops its SKIP LOCKED."""
    from globallm_assets.store import claims as store
    from globallm_assets.store import direct

    sql = store.claim_statement(agent, limits)
    return direct.Statement(sql.replace("SKIP LOCKED", "") if naive else sql, parameters=False)


def kernel_claim(conn, statement) -> tuple[str, int] | None:
    """Run the kernel's claim; the claimed (repository, number), None when nothing was free."""
    from globallm_assets.store import direct

    result = direct.execute(conn, statement)
    if not result.ntuples:
        return None
    return result.get_value(0, 0).decode(), int(result.get_value(0, 1))


def _counted(function, calls: dict[str, int], name: str):
    def counted(*args, **kwargs):
        calls[name] += 1
        return function(*args, **kwargs)

    return counted


def _any_available(conn) -> bool:
    row = conn.execute(
        "SELECT EXISTS (SELECT 1 FROM issues WHERE assignment_status = 'available')"
    ).fetchone()
    return bool(row and row[0])


# --- the driver -----------------------------------------------------------------------------------


def seed_template(admin_dsn: str, issues: int) -> str:
    import psycopg
    from psycopg import sql

    from globallm_assets.store.db import with_dbname
    from globallm_assets.store.migrations import migrate
    from globallm_assets_tests.fleet.seed import seed

    name = "claims_template"
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    dsn = with_dbname(admin_dsn, name)
    migrate(dsn)
    per_repo = 50
    repos = {
        f"org{n}/repo{n}": LANGUAGES[n % len(LANGUAGES)] for n in range(max(1, issues // per_repo))
    }
    names = list(repos)
    rows = [
        (names[k % len(names)], k // len(names) + 1, ((k * 7919) % 100_003) / 100_003)
        for k in range(issues)
    ]
    with psycopg.connect(dsn) as conn:
        seed(conn, repos, rows)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    return name


def fresh_copy(admin_dsn: str, template: str, name: str) -> str:
    import psycopg
    from psycopg import sql

    from globallm_assets.store.db import with_dbname

    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        conn.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(name), sql.Identifier(template)
            )
        )
    return with_dbname(admin_dsn, name)


def process_cpu(pid: int, *, reaped_children: bool = False) -> float:
    """CPU seconds (user + system) of a process, or of its exited children it reaped."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    first = 13 if reaped_children else 11
    return (int(fields[first]) + int(fields[first + 1])) / os.sysconf("SC_CLK_TCK")


def server_cpu(server) -> float:
    """CPU seconds of the server's exited backends (the postmaster reaps them)."""
    pid = int((server.pgdata / "postmaster.pid").read_text().splitlines()[0])
    return process_cpu(pid, reaped_children=True)


def storm(server, mode: str, dsn: str, agents: int, seconds: float, work: Path) -> dict:
    env = {**os.environ, **ENV_CAPS, "GLOBALLM_DATABASE_URL": dsn, "GLOBALLM_LOG_LEVEL": "ERROR"}
    procs = []
    outs = []
    for n in range(agents):
        out = work / f"{mode}-{n}.json"
        outs.append(out)
        procs.append(
            subprocess.Popen(
                [
                    sys.executable,
                    __file__,
                    "--worker",
                    mode,
                    "--dsn",
                    dsn,
                    "--out",
                    str(out),
                    "--seconds",
                    str(seconds),
                ],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                env=env,
                text=True,
            )
        )
    for proc in procs:
        if proc.stdout.readline().strip() != "ready":
            raise RuntimeError(f"{mode} agent failed to start")
    server_before = server_cpu(server)
    load_before = os.getloadavg()[0]
    for proc in procs:
        proc.stdin.write("go\n")
        proc.stdin.flush()
    for proc in procs:
        if proc.wait() != 0:
            raise RuntimeError(f"{mode} agent exited with {proc.returncode}")
    time.sleep(1.0)  # let the postmaster reap the agents' backends
    server_seconds = server_cpu(server) - server_before
    load = max(load_before, os.getloadavg()[0])
    reports = [json.loads(out.read_text()) for out in outs]
    claimed = [key for r in reports for key in r["claimed"]]
    latencies = sorted(x for r in reports for x in r["latencies"])
    span = max(r["end"] for r in reports) - min(r["start"] for r in reports)
    return {
        "claims": len(claimed),
        "distinct": len(set(claimed)),
        "span": span,
        "rate": len(claimed) / span if span else 0.0,
        "p50": statistics.median(latencies) * 1000 if latencies else float("nan"),
        "p99": latencies[int(0.99 * (len(latencies) - 1))] * 1000 if latencies else float("nan"),
        "empty": sum(r["empty"] for r in reports),
        "deadlocks": sum(r["deadlocks"] for r in reports),
        "server_ms": server_seconds * 1000 / max(1, len(claimed)),
        "agent_ms": sum(r["cpu"] for r in reports) * 1000 / max(1, len(claimed)),
        "load": load,
        "claim_statements": sum(r["calls"]["claim"] for r in reports),
        "diagnoses": sum(r["calls"]["diagnose"] for r in reports),
    }


def solo_cpu(mode: str, dsn: str, pairs: int) -> float:
    """Agent CPU seconds per claim + completion for ``pairs`` claims by this one process."""
    import psycopg

    from globallm_assets.services import claim as service
    from globallm_assets.settings import load_settings
    from globallm_assets.store import claims as store
    from globallm_assets.store.db import close_pools

    settings = load_settings()
    agent = service.AgentIdentity.current().id
    limits = service.claim_limits(settings)
    conn = None
    if mode == "kernel":
        conn = psycopg.connect(dsn, autocommit=True)
        statement = kernel_statement(agent, limits)

    def one() -> None:
        if conn is None:
            got = service.claim(settings, dsn, agent).issue
            assert got is not None, "the solo database ran out of issues"
            assert service.complete(settings, dsn, got, None)
        else:
            key = kernel_claim(conn, statement)
            assert key is not None, "the solo database ran out of issues"
            assert store.complete(conn, agent, *key, None)

    try:
        for _ in range(50):  # warm up: pool open, statement prepared and planned
            one()
        cpu = time.process_time()
        for _ in range(pairs):
            one()
        return (time.process_time() - cpu) / pairs
    finally:
        if conn is not None:
            conn.close()
        close_pools()


def solo(admin: str, pairs: int, repeats: int) -> None:
    os.environ.update({**ENV_CAPS, "GLOBALLM_LOG_LEVEL": "ERROR"})
    started = time.perf_counter()
    template = seed_template(admin, (pairs + 50) * 2)
    print(
        f"solo agent: one process claims and completes {pairs:,} issues per run, "
        f"median of {repeats} (seeded in {time.perf_counter() - started:.1f} s)"
    )
    for label, mode in (("product path (services.claim)", "service"), ("kernel", "kernel")):
        load = os.getloadavg()[0]
        runs = []
        for n in range(repeats):
            dsn = fresh_copy(admin, template, f"solo_{mode}_{n}")
            runs.append(solo_cpu(mode, dsn, pairs))
        load = max(load, os.getloadavg()[0])
        print(
            f"  {label:<32} agent CPU per claim + completion "
            f"{statistics.median(runs) * 1000:.3f} ms"
            f"  (runs {', '.join(f'{r * 1000:.3f}' for r in runs)}; load average {load:.1f})"
        )


def final_states(dsn: str) -> dict[str, int]:
    import psycopg

    with psycopg.connect(dsn) as conn:
        return dict(
            conn.execute("SELECT assignment_status, count(*) FROM issues GROUP BY 1").fetchall()
        )


def line(label: str, result: dict) -> str:
    return (
        f"  {label:<44} {result['claims']:>7,} claims in {result['span']:6.1f} s = "
        f"{result['rate']:7,.0f} claims/s   p50 {result['p50']:6.2f} ms   "
        f"p99 {result['p99']:7.2f} ms\n"
        f"    CPU per claim + completion: server {result['server_ms']:.2f} ms, agent "
        f"{result['agent_ms']:.2f} ms (machine load average {result['load']:.0f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=100)
    parser.add_argument("--issues", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=20.0, help="kernel and naive phases")
    parser.add_argument(
        "--product-only", action="store_true", help="skip the kernel and naive reference phases"
    )
    parser.add_argument("--worker", choices=("service", "kernel", "naive"))
    parser.add_argument("--dsn")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--solo", action="store_true", help="one agent's CPU, no storm")
    parser.add_argument("--pairs", type=int, default=3_000, help="claims per --solo run")
    parser.add_argument("--repeats", type=int, default=3, help="--solo runs per path")
    args = parser.parse_args()
    if args.worker:
        deadline = 10**9 if args.worker == "service" else args.seconds
        worker(args.worker, args.dsn, args.out, deadline)
        return

    from globallm_assets.store.embedded import EmbeddedServer

    base = Path(tempfile.mkdtemp(prefix="globallm-bench-claims-", dir="/tmp"))
    base.chmod(0o755)
    server = EmbeddedServer(base)
    try:
        server.ensure_running()
        admin = server.dsn("postgres")
        if args.solo:
            solo(admin, args.pairs, args.repeats)
            return
        started = time.perf_counter()
        template = seed_template(admin, args.issues)
        print(
            f"claim storm: {args.agents} agent processes, {args.issues:,} available issues "
            f"(seeded in {time.perf_counter() - started:.1f} s), {os.cpu_count()} cores"
        )
        work = base / "reports"
        work.mkdir()

        dsn = fresh_copy(admin, template, "storm_service")
        service = storm(server, "service", dsn, args.agents, args.seconds, work)
        states = final_states(dsn)
        print(line("product path (services.claim, until empty)", service))
        print(
            f"    claim statements run: {service['claim_statements']:,}, diagnoses of an empty "
            f"claim: {service['diagnoses']:,} ({args.agents} of them at the end are expected)"
        )
        twice = service["claims"] - service["distinct"]
        lost = args.issues - states.get("completed", 0)
        print(
            f"    claimed twice: {twice}   lost: {lost}   "
            f"final states: {json.dumps(states, sort_keys=True)}   "
            f"target ≥ {TARGET:,.0f}/s: {'met' if service['rate'] >= TARGET else 'MISSED'}"
        )

        if args.product_only:
            return
        dsn = fresh_copy(admin, template, "storm_kernel")
        kernel = storm(server, "kernel", dsn, args.agents, args.seconds, work)
        print(line(f"kernel: claim statement, SKIP LOCKED ({args.seconds:g} s)", kernel))

        dsn = fresh_copy(admin, template, "storm_naive")
        naive = storm(server, "naive", dsn, args.agents, args.seconds, work)
        print(line(f"naive: same statement, no SKIP LOCKED ({args.seconds:g} s)", naive))
        print(
            f"    SKIP LOCKED is {kernel['rate'] / max(naive['rate'], 1e-9):.1f}x the naive "
            f"claim; naive claimed twice: {naive['claims'] - naive['distinct']}, "
            f"deadlocks: {naive['deadlocks']} (SKIP LOCKED: {kernel['deadlocks']})"
        )
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
