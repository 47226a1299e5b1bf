"""GitHub request budget, measured at a local fake GitHub.

Two parts:

1. Metadata + health signals at the source (the kernel: ``repository_snapshots``), 1,000
   repositories. Targets: first run <= 0.05 requests per repository; re-run with the cache warm
   <= 10% of the first run's primary quota.
2. The whole per-repository quota through the services and the store, as the assets run it for
   every language: ``score_health`` (metadata + health), then ``fetch_partition`` (the opt-out
   file, the issue listing, the open issues' linked pull requests), with the ETag cache and the
   rate-limit ledger in PostgreSQL (a private embedded server), every repository approved. Runs:
   the first, a re-run (the issue listing switches from ``state=open`` to ``since=``), and a
   steady re-run with nothing changed.

Quota cost is what GitHub charges, as counted by the fake server: GraphQL points (GitHub's
published formula) plus one per REST request that was not answered 304. Requests include 304s.

Run:  uv run python benchmarks/bench_github_requests.py [--repos 1000] [--changed 0.02]
      [--whole-repos 1000 | --whole-repos 0 to skip part 2]
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import dataclass
from functools import partial

from globallm_assets.sources.github import GitHubSource, MemoryEtagCache
from globallm_assets_tests.fakes.github_server import FakeGitHub, random_repos

TOKENS = ["ghp_" + c * 36 for c in "XY"]
TARGET_REQUESTS_PER_REPO = 0.05
TARGET_RERUN_COST = 0.10


@dataclass
class Run:
    label: str
    requests: int
    cost: int
    not_modified: int
    seconds: float


def measure(fake: FakeGitHub, label: str, action: object) -> Run:
    fake.reset_stats()
    start = time.perf_counter()
    action()  # type: ignore[operator]
    seconds = time.perf_counter() - start
    s = fake.stats
    return Run(label, s.requests, s.quota_cost, s.not_modified, seconds)


def _collect(source: GitHubSource, names: list[str], into: dict[str, object]) -> None:
    into.update(source.repository_snapshots(names))


def _verdict(ok: bool) -> str:
    return "OK" if ok else "MISSED"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repos", type=int, default=1000)
    parser.add_argument("--changed", type=float, default=0.02, help="share pushed between runs")
    parser.add_argument("--repeat", type=int, default=3, help="first runs timed (median)")
    parser.add_argument(
        "--whole-repos", type=int, default=1000, help="repositories of part 2 (0: skip it)"
    )
    args = parser.parse_args()

    world = random_repos(args.repos, seed=42)
    names = [r.full_name for r in world]
    with FakeGitHub(world, tokens=TOKENS) as fake:
        first_runs: list[Run] = []
        for _ in range(args.repeat):
            # A fresh cache each time: every timed first run starts cold.
            source = GitHubSource(TOKENS, api_url=fake.url, etag_cache=MemoryEtagCache())
            result: dict[str, object] = {}
            first_runs.append(measure(fake, "first run", partial(_collect, source, names, result)))
            assert len(result) == args.repos, f"got {len(result)} of {args.repos} repositories"
        first = first_runs[-1]
        first.seconds = statistics.median(r.seconds for r in first_runs)

        unchanged = measure(
            fake, "re-run, nothing changed", lambda: source.repository_snapshots(names)
        )
        n_changed = round(args.changed * args.repos)
        for repo in world[:n_changed]:
            fake.push(repo.full_name)
        changed = measure(
            fake,
            f"re-run, {n_changed} pushed ({args.changed:.0%})",
            lambda: source.repository_snapshots(names),
        )
        # The REST path GraphQL cannot cover (exact all-time contributors): ETags make re-runs free.
        rest_first = measure(
            fake,
            "exact contributors (REST), first",
            lambda: source.activity_batch(names, exact_contributors=True),
        )
        rest_again = measure(
            fake,
            "exact contributors (REST), again",
            lambda: source.activity_batch(names, exact_contributors=True),
        )

    print(f"GitHub request budget, {args.repos} repositories, fake server on 127.0.0.1")
    print(f"{'run':<40} {'requests':>9} {'req/repo':>9} {'quota':>6} {'304s':>6} {'seconds':>8}")
    for run in (first, unchanged, changed, rest_first, rest_again):
        print(
            f"{run.label:<40} {run.requests:>9} {run.requests / args.repos:>9.3f} "
            f"{run.cost:>6} {run.not_modified:>6} {run.seconds:>8.2f}"
        )
    per_repo = first.requests / args.repos
    verdict = _verdict(per_repo <= TARGET_REQUESTS_PER_REPO)
    print()
    print(
        f"metadata+health requests per repository: {per_repo:.3f} "
        f"(target <= {TARGET_REQUESTS_PER_REPO}) -> {verdict}"
    )
    for run in (unchanged, changed):
        ratio = run.cost / first.cost
        print(
            f"re-run quota cost, {run.label.split(', ', 1)[1]}: {run.cost}/{first.cost} points = "
            f"{ratio:.1%} (target <= {TARGET_RERUN_COST:.0%}) -> "
            f"{_verdict(ratio <= TARGET_RERUN_COST)}; "
            f"requests {run.requests}/{first.requests} = {run.requests / first.requests:.1%}"
        )
    print(
        f"(first-run wall time is the median of {args.repeat} runs; the fake server dominates it)"
    )
    if args.whole_repos > 0:
        print()
        whole_quota(args.whole_repos)


@dataclass
class Stage:
    requests: int = 0
    cost: int = 0
    not_modified: int = 0
    graphql: int = 0
    seconds: float = 0.0

    def add(self, fake: FakeGitHub, seconds: float) -> None:
        s = fake.stats
        self.requests += s.requests
        self.cost += s.quota_cost
        self.not_modified += s.not_modified
        self.graphql += s.by_kind["graphql"]
        self.seconds += seconds


def whole_quota(n_repos: int) -> None:
    """Part 2: metadata, health and issues per repository, through the services and the store."""
    import shutil
    import tempfile
    from pathlib import Path

    import psycopg

    from globallm_assets.core.models import LANGUAGES
    from globallm_assets.services.analysis import score_health
    from globallm_assets.services.issues import fetch_partition
    from globallm_assets.settings import load_settings
    from globallm_assets.store import repositories as repo_store
    from globallm_assets.store.db import close_pools, with_dbname
    from globallm_assets.store.embedded import EmbeddedServer
    from globallm_assets.store.migrations import migrate
    from globallm_assets.store.ratelimit import PostgresRateLimits
    from globallm_assets.store.repositories import PostgresEtagCache

    world = random_repos(n_repos, seed=43)
    base = Path(tempfile.mkdtemp(prefix="globallm-bench-github-", dir="/tmp"))
    base.chmod(0o755)
    server = EmbeddedServer(base)
    try:
        admin = server.ensure_running()
        with psycopg.connect(with_dbname(admin, "postgres"), autocommit=True) as conn:
            conn.execute("CREATE DATABASE bench")
        dsn = with_dbname(admin, "bench")
        migrate(dsn)
        with psycopg.connect(dsn) as conn:
            repo_store.upsert_repositories(
                conn, [(r.metadata, r.metadata.language) for r in world], source="github"
            )
            # Every repository approved: the issue fetch is measured for each of them.
            repo_store.write_verdicts(conn, [(r.full_name, True, "bench") for r in world])
        settings = load_settings(
            overrides={"database.url": dsn, "source.kind": "github"}, env_file=None
        )
        issues_total = sum(len(r.issues) for r in world)
        with FakeGitHub(world, tokens=TOKENS) as fake:
            # What repo_source() builds for the assets, pointed at the fake server.
            source = GitHubSource(
                TOKENS,
                api_url=fake.url,
                etag_cache=PostgresEtagCache(dsn),
                rate_limits=PostgresRateLimits(dsn),
            )
            runs: dict[str, dict[str, Stage]] = {}
            for label in ("first run", "re-run", "re-run, steady"):
                health, issues = Stage(), Stage()
                for language in LANGUAGES:
                    fake.reset_stats()
                    start = time.perf_counter()
                    score_health(settings, source, dsn, language=language)
                    health.add(fake, time.perf_counter() - start)
                    with psycopg.connect(dsn) as conn:
                        # Health may have changed a verdict's inputs; keep every one approved.
                        repo_store.write_verdicts(
                            conn,
                            [
                                (r.full_name, True, "bench")
                                for r in world
                                if r.metadata.language == language
                            ],
                        )
                    fake.reset_stats()
                    start = time.perf_counter()
                    report = fetch_partition(source, dsn, language=language)
                    issues.add(fake, time.perf_counter() - start)
                    assert not report.failed, report.failed
                runs[label] = {"metadata + health": health, "issues + linked PRs": issues}
    finally:
        close_pools()
        server.stop()
        shutil.rmtree(base, ignore_errors=True)

    print(
        f"Whole per-repository quota, {n_repos} repositories ({issues_total} issues), six "
        "languages, through score_health + fetch_partition and the PostgreSQL ETag cache"
    )
    header = f"{'run':<16} {'stage':<20} {'requests':>9} {'req/repo':>9} {'quota':>6}"
    print(f"{header} {'quota/repo':>10} {'304s':>6} {'GraphQL':>8} {'seconds':>8}")
    for label, stages in runs.items():
        total = Stage()
        for stage in stages.values():
            total.requests += stage.requests
            total.cost += stage.cost
            total.not_modified += stage.not_modified
            total.graphql += stage.graphql
            total.seconds += stage.seconds
        for name, stage in [*stages.items(), ("total", total)]:
            print(
                f"{label:<16} {name:<20} {stage.requests:>9} {stage.requests / n_repos:>9.3f} "
                f"{stage.cost:>6} {stage.cost / n_repos:>10.3f} {stage.not_modified:>6} "
                f"{stage.graphql:>8} {stage.seconds:>8.2f}"
            )


if __name__ == "__main__":
    main()
