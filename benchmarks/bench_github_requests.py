"""GitHub request budget for metadata + health signals, measured at a local fake GitHub.

Targets (1,000 repositories):
  - first run: <= 0.05 requests per repository analysed (<= 50 requests);
  - re-run with the cache warm: primary-quota cost <= 10% of the first run's.

Quota cost is what GitHub charges, as counted by the fake server: GraphQL points (GitHub's
published formula) plus one per REST request that was not answered 304.

Run:  uv run python benchmarks/bench_github_requests.py [--repos 1000] [--changed 0.02]
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


if __name__ == "__main__":
    main()
