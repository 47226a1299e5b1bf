"""Benchmark: PageRank and ImpactScore on synthetic power-law dependency graphs.

    uv run python benchmarks/bench_impact.py                 # both standard cases
    uv run python benchmarks/bench_impact.py --quick         # only the 10^5-node case
    uv run python benchmarks/bench_impact.py --nodes N --edges M [--repeats R]

Both standard cases run by default, since the 3*10^6-node one is the point of the exercise:
(a) 10^5 nodes / 10^6 edges, target < 2 s; (b) 3*10^6 nodes / 3*10^7 edges, target < 60 s;
both with peak RSS < 8 GB. Edges come from ``globallm_assets.sources.simulated.dependency_arrays``
(preferential-attachment-like DAG, int32), stars and forks from a Pareto law.

Each case runs in a fresh subprocess so ``ru_maxrss`` (the kernel's peak RSS) belongs to that
case alone; the peak is also reported right after generation, to show what scoring adds.
Generation time is reported apart from scoring. Scoring is repeated (``--repeats``, default 3)
and the median is quoted, because the machine is noisy. "impact" is the whole
``impact_scores_arrays`` call (edge dedupe, PageRank, reach, betweenness, combination) and
is what the target applies to; "pagerank" is the public ``pagerank`` function on its own.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time

import numpy as np

STANDARD_CASES = [
    # (nodes, edges, time target in seconds)
    (100_000, 1_000_000, 2.0),
    (3_000_000, 30_000_000, 60.0),
]
RSS_TARGET_GB = 8.0


def _peak_rss_gb() -> float:
    # Linux reports ru_maxrss in KiB.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def _generate(nodes: int, edges: int, seed: int) -> tuple[np.ndarray, ...]:
    from globallm_assets.sources.simulated import dependency_arrays

    src, dst = dependency_arrays(nodes, edges, seed)
    rng = np.random.default_rng(seed)
    stars = np.floor(rng.pareto(1.1, nodes) * 5).astype(np.int32)
    forks = np.floor(stars * rng.random(nodes) * 0.2).astype(np.int32)
    return src, dst, stars, forks


def _run_case(nodes: int, edges: int, repeats: int, seed: int) -> dict[str, object]:
    from globallm_assets.core.impact import impact_scores_arrays, pagerank

    started = time.perf_counter()
    src, dst, stars, forks = _generate(nodes, edges, seed)
    generation_s = time.perf_counter() - started
    rss_after_generation = _peak_rss_gb()

    pagerank_s, impact_s = [], []
    exact = None
    for _ in range(repeats):
        started = time.perf_counter()
        pagerank(src, dst, nodes)
        pagerank_s.append(time.perf_counter() - started)
        started = time.perf_counter()
        out = impact_scores_arrays(nodes, src, dst, stars, forks, seed=seed)
        impact_s.append(time.perf_counter() - started)
        exact = bool(out["exact_reach"])
        del out
    return {
        "nodes": nodes,
        "edges": int(src.size),
        "path": "exact" if exact else "approximate",
        "generation_s": generation_s,
        "pagerank_s": statistics.median(pagerank_s),
        "impact_s": statistics.median(impact_s),
        "impact_runs_s": impact_s,
        "rss_after_generation_gb": rss_after_generation,
        "peak_rss_gb": _peak_rss_gb(),
    }


def _report(result: dict[str, object], target_s: float | None) -> None:
    def verdict(ok: bool) -> str:
        return "ok" if ok else "MISSED"

    impact_s = float(result["impact_s"])
    peak = float(result["peak_rss_gb"])
    print(f"{result['nodes']:,} nodes / {result['edges']:,} edges ({result['path']} path)")
    print(f"  generation       {result['generation_s']:8.2f} s   (not scored)")
    print(f"  pagerank         {result['pagerank_s']:8.2f} s   (median)")
    runs = ", ".join(f"{t:.2f}" for t in result["impact_runs_s"])
    if target_s is None:
        print(f"  impact           {impact_s:8.2f} s   (median of {runs})")
    else:
        print(
            f"  impact           {impact_s:8.2f} s   target < {target_s:g} s  "
            f"{verdict(impact_s < target_s)}   (runs: {runs})"
        )
    print(f"  RSS after gen.   {result['rss_after_generation_gb']:8.2f} GB")
    print(
        f"  peak RSS         {peak:8.2f} GB  target < {RSS_TARGET_GB:g} GB  "
        f"{verdict(peak < RSS_TARGET_GB)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, help="run one case with this many nodes")
    parser.add_argument("--edges", type=int, help="edges for --nodes (default 10 per node)")
    parser.add_argument("--repeats", type=int, default=3, help="scoring runs per case (median)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="skip the 3*10^6-node case")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        print(json.dumps(_run_case(args.nodes, args.edges, args.repeats, args.seed)))
        return

    if args.nodes is not None:
        cases = [(args.nodes, args.edges or 10 * args.nodes, None)]
        for nodes, edges, target in STANDARD_CASES:
            if (nodes, edges) == cases[0][:2]:
                cases = [(nodes, edges, target)]
    else:
        cases = STANDARD_CASES[:1] if args.quick else STANDARD_CASES
    for nodes, edges, target in cases:
        command = [
            sys.executable,
            __file__,
            "--child",
            f"--nodes={nodes}",
            f"--edges={edges}",
            f"--repeats={args.repeats}",
            f"--seed={args.seed}",
        ]
        child = subprocess.run(command, capture_output=True, text=True, check=False)
        if child.returncode != 0:
            sys.stderr.write(child.stderr)
            raise SystemExit(f"case {nodes:,}/{edges:,} failed")
        _report(json.loads(child.stdout.strip().splitlines()[-1]), target)


if __name__ == "__main__":
    main()
