"""Benchmark: the product path at scale — each stage's service through the store, and the CLI
commands users type, with the kernel figure beside each.

Targets (issue 9; medians on the 2-core machine):
- ranking write, 10^6 issues: < 15 s;
- ``globallm prioritize --top 20``, 10^6 issues, whole command: < 1.5 s (its query < 100 ms);
- ``globallm repos list``, 10^5 repositories, whole command: < 1.5 s;
- dependency graph + impact, 3·10^6 nodes / 3·10^7 edges, from the store and back: < 90 s, < 8 GB.

    uv run python benchmarks/bench_pipeline.py [--repos 10000 --issues 100000
        --nodes 100000 --edges 1000000 --repeat 3]
    # the issue's scale: --repos 100000 --issues 1000000 --nodes 3000000 --edges 30000000

A private embedded PostgreSQL server (fsync on, as in production) is started in a temporary
directory; the world is written with COPY (not timed): repositories with metadata, scores,
verdicts, redundancy and learned acceptance, and scored issues (some closed, unscored or
do-not-touch). Each stage then runs in a fresh process (``--stage``), so its peak RSS is its
own (imports included); times are medians of ``--repeat`` runs:

- ranking: ``services.issues.rank_partition`` for the six languages — read inputs, compute,
  write ``issue_rankings`` — first into an empty table, then unchanged (nothing to write), then
  after 10 % of repositories' health moved. Kernel: ``core.priority.rank`` on the frame in memory;
  beside it the inputs read alone (every column, as ``prioritize`` computes; and the narrow read
  the write uses).
- prioritize: ``services.issues.prioritize(top=20)`` from the stored ranking, and with other
  weights (computed now); kernel: its SQL (``store.issues.stored_top``) alone.
- CLI: ``globallm prioritize --top 20``, ``globallm repos list`` and ``globallm status`` in a
  new process each run (after one warm-up run; bytecode cached, as an installed package has
  it), wall and CPU time (user + sys of the process); beside them ``globallm --help``
  (interpreter and CLI start-up, no store). ``--baseline TREE`` runs each command from another
  source tree too, interleaved, for a before/after on the same world at the same load.
- graph: ``benchmarks/pipeline_graph.py`` (helper scale-graph) when present.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import psycopg
from scratch_store import scratch_database

LANGUAGES = ("python", "javascript", "typescript", "go", "rust", "java")
TARGETS = {
    "ranking write, first": 15.0,
    "prioritize --top 20 (CLI)": 1.5,
    "prioritize query": 0.1,
    "repos list (CLI)": 1.5,
}


def median(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def peak_rss_gb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


# --- stages, each run in its own process -------------------------------------------------------


def stage_ranking(dsn: str, repeat: int) -> dict[str, float]:
    from globallm_assets.core.priority import rank as rank_frame
    from globallm_assets.services import issues as issue_service
    from globallm_assets.settings import load_settings

    settings = load_settings(overrides={"database.url": dsn}, env_file=None)

    def rank_all() -> int:
        return sum(
            issue_service.rank_partition(settings, dsn, language=lang).changed for lang in LANGUAGES
        )

    figures: dict[str, float] = {}
    firsts = []
    for _ in range(repeat):
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("TRUNCATE issue_rankings, ranking_runs")
            conn.execute("VACUUM ANALYZE issue_rankings")
        start = time.perf_counter()
        changed = rank_all()
        firsts.append(time.perf_counter() - start)
    figures["ranking write, first"] = statistics.median(firsts)
    figures["rows written, first"] = changed
    figures["ranking write, unchanged"] = median(rank_all, repeat)
    moved = []
    for run in range(repeat):
        with psycopg.connect(dsn) as conn:
            conn.execute(
                "UPDATE repositories SET health_score = random() "
                "WHERE abs(hashtext(name)) %% 10 = %s",
                (run,),
            )
        start = time.perf_counter()
        changed = rank_all()
        moved.append(time.perf_counter() - start)
    figures["ranking write, 10% repos moved"] = statistics.median(moved)
    figures["rows written, moved"] = changed
    with psycopg.connect(dsn) as conn:
        start = time.perf_counter()
        frame = issue_service.ranking_frame(conn)
        figures["inputs read (COPY → polars)"] = time.perf_counter() - start
        start = time.perf_counter()
        for lang in LANGUAGES:
            issue_service.ranking_write_frame(conn, lang)
        figures["write's narrow inputs read, 6 languages"] = time.perf_counter() - start
    weights = issue_service.priority_weights(settings)
    figures["kernel: polars rank, all rows"] = median(lambda: rank_frame(frame, weights), repeat)
    figures["rows read (open, scored, approved)"] = frame.height
    return figures


def stage_prioritize(dsn: str, repeat: int) -> dict[str, float]:
    from globallm_assets.services import issues as issue_service
    from globallm_assets.settings import load_settings
    from globallm_assets.store import issues as issue_store

    settings = load_settings(overrides={"database.url": dsn}, env_file=None)
    other = load_settings(
        overrides={"database.url": dsn, "priority_weights.impact": 0.5}, env_file=None
    )
    issue_service.prioritize(settings, dsn, top=20)  # warm: pool, imports
    figures = {
        "prioritize service (stored)": median(
            lambda: issue_service.prioritize(settings, dsn, top=20), repeat
        ),
        "prioritize service, --language go": median(
            lambda: issue_service.prioritize(settings, dsn, top=20, language="go"), repeat
        ),
    }
    with psycopg.connect(dsn) as conn:
        figures["prioritize query"] = median(
            lambda: issue_store.stored_top(conn, language=None, top=20, min_priority=None),
            max(repeat, 5),
        )
    figures["prioritize service, other weights (computed)"] = median(
        lambda: issue_service.prioritize(other, dsn, top=20), repeat
    )
    return figures


def stage_repos(dsn: str, repeat: int) -> dict[str, float]:
    from globallm_assets.services.repositories import list_page
    from globallm_assets.store import repositories as repo_store

    list_page(dsn, limit=50)
    figures = {"repos list service": median(lambda: list_page(dsn, limit=50), repeat)}
    with psycopg.connect(dsn) as conn:
        figures["repos list query"] = median(
            lambda: repo_store.repository_page(conn, limit=50), max(repeat, 5)
        )
        start = time.perf_counter()
        repo_store.list_repositories(conn)[:50]
        figures["before: every repository parsed, sliced"] = time.perf_counter() - start
    return figures


def run_stage(name: str, dsn: str, repeat: int) -> tuple[dict[str, float], float]:
    """One stage in a fresh process: its figures and its peak RSS in GB."""
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        proc = subprocess.Popen(
            [sys.executable, __file__, "--stage", name, "--dsn", dsn, "--repeat", str(repeat)],
            stdout=open(out.name, "w"),  # noqa: SIM115 - closed when the child exits
        )
        _, status, usage = os.wait4(proc.pid, 0)
        if status != 0:
            raise SystemExit(f"stage {name} failed ({status})")
        return json.loads(Path(out.name).read_text()), usage.ru_maxrss / 2**20


def run_cli(
    args: list[str], env: dict[str, str], repeat: int, baseline: str | None = None
) -> dict[str, tuple[float, float, float]]:
    """A whole ``globallm`` command in a new process, ``repeat`` times after one warm-up run:
    median wall time, median CPU time of the process (user + sys: what survives the load of a
    shared machine) and peak RSS. With ``baseline`` (a source tree), the same command also runs
    from that tree, interleaved with this one, on the same world."""
    exe = str(Path(sys.executable).parent / "globallm")
    trees = {"": env}
    if baseline is not None:
        trees["baseline: "] = {**env, "PYTHONPATH": baseline}
    runs: dict[str, list[tuple[float, float, float]]] = {name: [] for name in trees}
    for attempt in range(repeat + 1):
        for name, tree_env in trees.items():
            start = time.perf_counter()
            proc = subprocess.Popen(
                [exe, *args], env=tree_env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
            )
            _, status, usage = os.wait4(proc.pid, 0)
            wall = time.perf_counter() - start
            if status != 0:
                raise SystemExit(f"globallm {' '.join(args)} failed: {proc.stderr.read().decode()}")
            if attempt:  # the first run warms the page cache (and writes bytecode)
                runs[name].append((wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 2**20))
    return {
        name: (
            statistics.median(r[0] for r in found),
            statistics.median(r[1] for r in found),
            max(r[2] for r in found),
        )
        for name, found in runs.items()
    }


# --- the driver --------------------------------------------------------------------------------


def build(dsn: str, repos: int, issues: int) -> float:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from globallm_assets_tests.services.ranking_world import build_world

    start = time.perf_counter()
    with psycopg.connect(dsn) as conn:
        build_world(conn, repos, issues, seed=0)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    return time.perf_counter() - start


def settle(dsn: str) -> None:
    """Vacuum and analyze the ranking just written, as autovacuum soon would: the readers are
    timed in the steady state (right after a 5·10^5-row write, the top-20 read visits heap
    pages for visibility, 0.5 s instead of tens of milliseconds at load ~100)."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE issue_rankings")


def _pipeline_graph():
    """helper scale-graph's ``benchmarks/pipeline_graph.py``, or None when absent."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    try:
        import pipeline_graph
    except ImportError:
        return None
    return pipeline_graph


def stage_graph(dsn: str, repeat: int) -> dict[str, float]:
    module = _pipeline_graph()
    assert module is not None
    return module.time_graph_stage(dsn)


def graph_stage(dsn: str, nodes: int, edges: int, repeat: int) -> None:
    module = _pipeline_graph()
    if module is None:
        print("graph stage: not available")
        return
    start = time.perf_counter()
    module.build_graph_world(dsn, nodes, edges, seed=0)
    print(f"graph world: {nodes:,} nodes / {edges:,} edges ({time.perf_counter() - start:.1f} s)")
    figures, rss = run_stage("graph", dsn, repeat)
    report("graph + impact stage (pipeline_graph.time_graph_stage)", figures, rss)


STAGES = {
    "ranking": stage_ranking,
    "prioritize": stage_prioritize,
    "repos": stage_repos,
    "graph": stage_graph,
}


def report(title: str, figures: dict[str, float], rss: float | None = None) -> None:
    print(title + (f"  (peak RSS {rss:.2f} GB)" if rss is not None else ""))
    for name, value in figures.items():
        unit = "" if name.startswith("rows") else " s"
        shown = f"{value:,.0f}" if not unit else f"{value:.3f}"
        target = TARGETS.get(name)
        goal = ""
        if target is not None:
            goal = f"  target < {target:g} s " + ("meets" if value < target else "MISSES")
        print(f"  {name:52s} {shown:>9s}{unit}{goal}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repos", type=int, default=10_000)
    parser.add_argument("--issues", type=int, default=100_000)
    parser.add_argument("--nodes", type=int, default=100_000)
    parser.add_argument("--edges", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--only", help="comma-separated subset of: ranking, prioritize, repos, cli, graph"
    )
    parser.add_argument(
        "--baseline",
        help="another source tree (e.g. an earlier commit's `git archive`): its CLI commands run "
        "interleaved with this tree's on the same world, for a before/after in one condition",
    )
    parser.add_argument("--stage", choices=sorted(STAGES), help=argparse.SUPPRESS)
    parser.add_argument("--dsn", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stage:
        figures = STAGES[args.stage](args.dsn, args.repeat)
        from globallm_assets.store.db import close_pools

        close_pools()
        print(json.dumps(figures))
        return

    with (
        scratch_database("globallm-bench-pipeline-") as dsn,
        tempfile.TemporaryDirectory(prefix="globallm-bench-cli-") as data_dir,
    ):
        seconds = build(dsn, args.repos, args.issues)
        print(
            f"world: {args.repos:,} repositories, {args.issues:,} issues "
            f"({seconds:.1f} s, not timed below); load average {os.getloadavg()[0]:.1f}"
        )
        only = set(args.only.split(",")) if args.only else None
        if only is not None and "ranking" not in only and only & {"prioritize", "cli"}:
            run_stage("ranking", dsn, 1)  # prioritize reads a stored ranking
        for name, title in (
            ("ranking", "ranking stage (rank_partition × 6 languages, store IO included)"),
            ("prioritize", "prioritize (service path)"),
            ("repos", "repos list (service path)"),
        ):
            if only is not None and name not in only:
                continue
            figures, rss = run_stage(name, dsn, args.repeat)
            report(title, figures, rss)
            if name == "ranking":
                settle(dsn)
        if only is not None and "ranking" not in only and only & {"prioritize", "cli"}:
            settle(dsn)
        env = {
            **os.environ,
            "GLOBALLM_DATABASE_URL": dsn,
            "GLOBALLM_LOG_LEVEL": "WARNING",
            "GLOBALLM_DATA_DIR": data_dir,
        }
        # As installed: bytecode cached (the warm-up run writes it if this shell forbids it).
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        commands = {
            "prioritize --top 20 (CLI)": ["prioritize", "--top", "20"],
            "repos list (CLI)": ["repos", "list"],
            "status (CLI)": ["status"],
            "start-up: globallm --help": ["--help"],
        }
        if only is None or "cli" in only:
            print(
                "CLI commands, whole command in a new process (wall; CPU = user + sys)"
                + (f"; baseline tree {args.baseline}, runs interleaved" if args.baseline else "")
            )
            for name, command in commands.items():
                figures = run_cli(command, env, args.repeat, args.baseline)
                for tree, (seconds, cpu, rss) in figures.items():
                    report(f"  {tree}{name}", {name: seconds, "  CPU": cpu}, rss)
            print(f"load average {os.getloadavg()[0]:.1f}")
        if only is None or "graph" in only:
            graph_stage(dsn, args.nodes, args.edges, args.repeat)


if __name__ == "__main__":
    main()
