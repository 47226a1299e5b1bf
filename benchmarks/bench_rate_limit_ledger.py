"""What sharing GitHub rate-limit state through PostgreSQL costs per request.

Path measured: GitHubSource REST requests (exact contributor counts, one request per repository)
against the local fake GitHub, with the in-process ledger and with the PostgreSQL ledger of an
embedded server (unix socket). Kernel beside it: one reserve + one observe round trip alone.
GitHub itself answers in ~100-500 ms; the target is that the ledger adds < 5 ms per request.

Run:  uv run python benchmarks/bench_rate_limit_ledger.py [--requests 300] [--repeat 5]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import psycopg

from globallm_assets.sources.github import GitHubSource
from globallm_assets.sources.github_transport import MemoryRateLimits, token_key
from globallm_assets.store.db import close_pools, with_dbname
from globallm_assets.store.embedded import EmbeddedServer
from globallm_assets.store.migrations import migrate
from globallm_assets.store.ratelimit import PostgresRateLimits
from globallm_assets_tests.fakes.github_server import FakeGitHub, random_repos

TOKENS = ["ghp_" + c * 36 for c in "XY"]
TARGET_MS = 5.0


def per_request_ms(fake: FakeGitHub, names: list[str], ledger: object) -> float:
    with GitHubSource(TOKENS, api_url=fake.url, rate_limits=ledger, max_concurrency=1) as source:
        start = time.perf_counter()
        for name in names:
            source.contributors_count(name)
        return (time.perf_counter() - start) * 1000 / len(names)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    base = Path(tempfile.mkdtemp(prefix="globallm-bench-", dir="/tmp"))
    base.chmod(0o755)
    server = EmbeddedServer(base / "data")
    try:
        admin = with_dbname(server.ensure_running(), "postgres")
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute("CREATE DATABASE bench")
        dsn = with_dbname(admin, "bench")
        migrate(dsn)
        shared = PostgresRateLimits(dsn)
        world = random_repos(args.requests, seed=9)
        names = [r.full_name for r in world]
        with FakeGitHub(world, tokens=TOKENS) as fake:
            memory_ms, shared_ms = [], []
            for _ in range(args.repeat):
                memory_ms.append(per_request_ms(fake, names, MemoryRateLimits()))
                shared_ms.append(per_request_ms(fake, names, shared))
        key = token_key(TOKENS[0])
        kernel = []
        for _ in range(args.requests):
            start = time.perf_counter()
            shared.reserve(key, "core", time.time(), 1.0)
            shared.observe(key, "core", 4000, time.time() + 3600)
            kernel.append((time.perf_counter() - start) * 1000)
    finally:
        close_pools()
        server.stop()
        shutil.rmtree(base, ignore_errors=True)

    memory, with_pg = statistics.median(memory_ms), statistics.median(shared_ms)
    added = with_pg - memory
    print(f"GitHub REST requests through GitHubSource, {args.requests} per run, medians")
    print(f"{'ledger':<34} {'ms/request':>11}")
    print(f"{'in-process (not shared)':<34} {memory:>11.2f}")
    print(f"{'PostgreSQL (shared)':<34} {with_pg:>11.2f}")
    print(f"{'kernel: reserve + observe alone':<34} {statistics.median(kernel):>11.2f}")
    verdict = "OK" if added < TARGET_MS else "MISSED"
    print(f"\nadded per request by sharing: {added:.2f} ms (target < {TARGET_MS} ms) -> {verdict}")


if __name__ == "__main__":
    main()
