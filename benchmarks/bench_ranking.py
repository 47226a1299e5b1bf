"""Benchmark: rank 10^6 issues (score + top-k) with polars, against the same formula in pandas.

Target: polars ``rank`` on 1,000,000 rows with ``top=20`` under 2 s (median of the repeats).

    uv run python benchmarks/bench_ranking.py [--rows 1000000 --top 20 --repeat 5]

The synthetic frame looks like the real input: ~50k repositories (health, impact and redundancy
are per repository, so they repeat across a repository's issues), per-issue solvability,
urgency and cost penalty, and ~20% do-not-touch rows. Both libraries receive the same numpy
columns, loaded before timing starts; only ``rank`` / ``rank_pandas`` are timed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable

import numpy as np
import pandas as pd
import polars as pl

from globallm_assets.core.priority import rank, rank_pandas
from globallm_assets.core.weights import PriorityWeights

TARGET_SECONDS = 2.0
DO_NOT_TOUCH_SHARE = 0.2


def synthetic_columns(rows: int, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    repos = max(1, rows // 20)
    names = np.array([f"owner{i}/repo{i}" for i in range(repos)])
    # Issues per repository are heavy-tailed, like stars: a few repositories hold many issues.
    repo_of_row = np.minimum((rng.pareto(1.2, rows) * repos / 50).astype(np.int64), repos - 1)
    health, impact = rng.beta(2, 2, repos), rng.beta(1, 4, repos)
    redundancy = np.where(rng.random(repos) < 0.1, rng.random(repos), 0.0)
    return {
        "repository": names[repo_of_row],
        "number": np.arange(1, rows + 1),
        "health": health[repo_of_row],
        "impact": impact[repo_of_row],
        "solvability": rng.beta(2, 3, rows),
        "urgency": rng.beta(1.5, 4, rows),
        "redundancy_penalty": redundancy[repo_of_row],
        "cost_penalty": rng.choice(
            np.array([5, 8, 12, 18, 26, 36, 50, 68, 92, 120]) / 100, size=rows
        ),
        "do_not_touch": rng.random(rows) < DO_NOT_TOUCH_SHARE,
    }


def median_seconds(fn: Callable[[], object], repeat: int) -> tuple[float, list[float], object]:
    result = fn()  # warm-up: thread pools, caches, lazy imports
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), times, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--top", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    print(
        f"rows={args.rows:,} top={args.top} repeat={args.repeat} cores={os.cpu_count()} "
        f"polars={pl.__version__} pandas={pd.__version__}"
    )
    start = time.perf_counter()
    columns = synthetic_columns(args.rows, args.seed)
    frame_pl = pl.DataFrame(columns)
    frame_pd = pd.DataFrame(columns)
    print(f"built frames in {time.perf_counter() - start:.2f} s")
    weights = PriorityWeights()

    runs = {
        "polars rank (score + top-k)": lambda: rank(frame_pl, weights, top=args.top),
        "pandas rank_pandas (score + top-k)": lambda: rank_pandas(frame_pd, weights, top=args.top),
        "polars rank (score + full sort)": lambda: rank(frame_pl, weights),
        "pandas rank_pandas (score + full sort)": lambda: rank_pandas(frame_pd, weights),
    }
    medians: dict[str, float] = {}
    results: dict[str, object] = {}
    for name, fn in runs.items():
        median, times, result = median_seconds(fn, args.repeat)
        medians[name], results[name] = median, result
        spread = ", ".join(f"{t:.3f}" for t in times)
        print(f"{name:40s} median {median:7.3f} s   runs: {spread}")

    top_pl = results["polars rank (score + top-k)"]
    top_pd = results["pandas rank_pandas (score + top-k)"]
    assert isinstance(top_pl, pl.DataFrame) and isinstance(top_pd, pd.DataFrame)
    same = top_pl["repository"].to_list() == top_pd["repository"].tolist() and (
        top_pl["number"].to_list() == top_pd["number"].tolist()
    )
    print(f"top-{args.top} identical in both: {same}")

    polars_topk = medians["polars rank (score + top-k)"]
    ratio_topk = medians["pandas rank_pandas (score + top-k)"] / polars_topk
    ratio_full = (
        medians["pandas rank_pandas (score + full sort)"]
        / medians["polars rank (score + full sort)"]
    )
    verdict = "MET" if polars_topk < TARGET_SECONDS else "MISSED"
    print(f"speed-up pandas/polars: top-k {ratio_topk:.1f}x, full sort {ratio_full:.1f}x")
    print(f"target: polars score + top-{args.top} < {TARGET_SECONDS:.0f} s -> {verdict}")


if __name__ == "__main__":
    main()
