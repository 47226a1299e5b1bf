"""Benchmark: `globallm status` and a Prometheus scrape against a store of 10^6 issues.

Targets (medians): the status report under 1 s, so a dashboard refresh and a scrape (Prometheus
waits 10 s by default) stay cheap however large the store grows.

    uv run python benchmarks/bench_status.py [--issues 1000000 --repositories 50000 --repeat 5]

A private embedded PostgreSQL server is started in a temporary directory and seeded with COPY:
repositories with scores and verdicts, issues with priorities and every assignment state, pull
requests in every state, fix attempts and a week of budget ledger. Printed, each a median:

- kernel: the report's SQL alone (``store/status.py`` queries in one transaction);
- service: ``services.status.collect`` (the kernel plus the budget summary);
- scrape: ``GET /metrics`` on ``metrics.serve_store`` over HTTP;
- CLI: ``globallm status --export json`` as a user runs it (a new process each time: imports,
  settings, migrations check, the report, JSON).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import numpy as np
import psycopg
from psycopg.types.json import Jsonb
from scratch_store import scratch_database

from globallm_assets.metrics import serve_store
from globallm_assets.services.status import collect
from globallm_assets.settings import load_settings
from globallm_assets.store import status as store

TARGET_SECONDS = 1.0
LANGUAGES = ("python", "javascript", "typescript", "go", "rust", "java")


def seed(dsn: str, repositories: int, issues: int, seed_value: int = 7) -> None:
    rng = np.random.default_rng(seed_value)
    names = [f"owner{i}/repo{i}" for i in range(repositories)]
    # Heavy-tailed issues per repository, like the real world.
    spread = (rng.pareto(1.2, issues) * repositories / 50).astype(int)
    repo_of = np.minimum(spread, repositories - 1)
    statuses = np.array(["available", "assigned", "completed", "failed"])
    status_of = statuses[rng.choice(4, issues, p=[0.9, 0.001, 0.08, 0.019])]
    with psycopg.connect(dsn) as conn:
        with conn.cursor().copy(
            "COPY repositories (name, language, health_score, impact_score, worth_working_on) "
            "FROM STDIN"
        ) as copy:
            for i, name in enumerate(names):
                copy.write_row(
                    (name, LANGUAGES[i % 6], rng.random(), rng.random(), bool(rng.random() < 0.3))
                )
        with conn.cursor().copy(
            "COPY issues (repository, number, title, data, state, assignment_status, "
            "assigned_to, last_heartbeat_at, do_not_touch) FROM STDIN"
        ) as copy:
            empty = Jsonb({})
            for n in range(issues):
                status = str(status_of[n])
                agent = f"agent-{n % 40}" if status == "assigned" else None
                copy.write_row(
                    (names[repo_of[n]], n + 1, f"issue {n + 1}", empty,
                     "closed" if n % 10 == 0 else "open", status, agent,
                     "2026-01-01T00:00:00Z" if agent else None, bool(n % 7 == 0))
                )  # fmt: skip
        with conn.cursor().copy(
            "COPY issue_rankings (repository, number, priority, available) FROM STDIN"
        ) as copy:
            for n in range(issues):
                available = status_of[n] == "available"
                copy.write_row((names[repo_of[n]], n + 1, float(rng.random()), bool(available)))
        prs = max(10, issues // 500)
        with conn.cursor().copy(
            "COPY pr_outcomes (forge, repository, number, issue_number, url, head_repository, "
            "head_branch, head_sha, base_branch, risk_level, draft, state) FROM STDIN"
        ) as copy:
            for k in range(prs):
                repo = names[k % repositories]
                state = ("merged", "closed", "open")[k % 3]
                copy.write_row(
                    ("local", repo, 100_000 + k, k + 1, f"local-forge://{repo}/pull/{k}", repo,
                     f"globallm/issue-{k}", "0" * 40, "main", "LOW", False, state)
                )  # fmt: skip
        with conn.cursor().copy(
            "COPY solutions (repository, issue_number, issue_title, attempt, fixer, provider, "
            "outcome, branch, base_branch, base_sha, input_tokens, output_tokens, cost_usd) "
            "FROM STDIN"
        ) as copy:
            for k in range(prs * 2):
                copy.write_row(
                    (names[k % repositories], k + 1, "t", 1, "agent", "bench",
                     ("validated", "failed")[k % 2], "b", "main", "0" * 40, 9000, 1000, 0.05)
                )  # fmt: skip
        conn.execute(
            "INSERT INTO token_budget (week_start, scope, key, reserved, seconds, cost_usd) "
            "VALUES (budget_week(now()), 'total', '', 1234567, 3600, 12.5)"
        )
        conn.execute("ANALYZE")


def median(fn: Callable[[], object], repeat: int) -> float:
    fn()  # warm-up: pools, caches, lazy imports
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def kernel(dsn: str, stale_after: float) -> None:
    with psycopg.connect(dsn) as conn, conn.transaction():
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        store.repository_counts(conn)
        store.issue_counts(conn)
        store.agent_counts(conn, stale_after)
        store.pull_request_counts(conn)
        store.fix_counts(conn)
        store.fix_spend(conn)
        store.repository_activity(conn, 10)
        store.recent_failures(conn, 5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=1_000_000)
    parser.add_argument("--repositories", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    with scratch_database("globallm-bench-status-") as dsn:
        start = time.perf_counter()
        seed(dsn, args.repositories, args.issues)
        print(
            f"seeded {args.issues:,} issues in {args.repositories:,} repositories "
            f"({time.perf_counter() - start:.1f} s, not timed below)"
        )
        settings = load_settings(overrides={"database.url": dsn}, env_file=None)
        stale = settings.agents.heartbeat_timeout
        figures = {
            "kernel (report SQL)": median(lambda: kernel(dsn, stale), args.repeat),
            "service (collect)": median(lambda: collect(settings, dsn), args.repeat),
        }
        metrics = serve_store(settings, dsn, host="127.0.0.1", port=0)
        try:
            figures["scrape (GET /metrics)"] = median(
                lambda: httpx.get(metrics.url, timeout=60).raise_for_status(), args.repeat
            )
        finally:
            metrics.close()
        env = {**os.environ, "GLOBALLM_DATABASE_URL": dsn, "GLOBALLM_LOG_LEVEL": "WARNING"}
        cli = [str(Path(sys.executable).parent / "globallm"), "status", "--export", "json"]
        figures["CLI (status --export json, new process)"] = median(
            lambda: subprocess.run(cli, env=env, check=True, capture_output=True),
            max(1, args.repeat // 2),
        )
        for name, seconds in figures.items():
            print(f"{name:42s} median {seconds:7.3f} s")
        verdict = "meets" if figures["service (collect)"] < TARGET_SECONDS else "MISSES"
        print(f"status report {verdict} the {TARGET_SECONDS:g} s target")


if __name__ == "__main__":
    main()
