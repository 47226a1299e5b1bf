"""Benchmark: `globallm demo` end to end, the command a newcomer runs first (target < 60 s).

The user path is the whole command in a fresh process, at its default size: embedded store up,
a fresh simulated world (the demo's default: 100 repositories per language generated, six
languages), every asset through Dagster, the planted repositories hosted on the local forge, three
fixes (replayed model and codespell, sandboxed validation, pull requests, auto-merge), the
PR-outcome poll, the learning re-rank and the status. Each stage's share comes from the progress
lines' elapsed column of the last run.

    uv run python benchmarks/bench_demo.py [--repeat 3] [--data-dir DIR] [-- demo options]

The first run in a new data directory also initialises the embedded PostgreSQL server and the
embedding cache ("after the first install" means the later runs); it is reported apart and not
in the median unless --repeat is 1. The data directory is kept (pass the same one again to
measure warm runs only); the server is stopped at the end.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STAGE = re.compile(r"^(\S[\w ]+?)\s+━+\s+(\d+)/(\d+)\s.*?(\d+:\d\d:\d\d)\s*$")


def run_demo(data_dir: Path, extra: list[str]) -> tuple[float, str]:
    globallm = Path(sys.executable).parent / "globallm"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GLOBALLM_", "DAGSTER_"))}
    env["COLUMNS"] = "120"
    start = time.perf_counter()
    done = subprocess.run(
        [str(globallm), "--data-dir", str(data_dir), "demo", *extra],
        env=env,
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"demo failed ({done.returncode}): {done.stderr.strip().splitlines()[-1:]}")
    return elapsed, done.stderr


def stages(stderr: str) -> list[tuple[str, str]]:
    found = []
    for line in stderr.splitlines():
        match = STAGE.match(line.strip())
        if match:
            found.append((match.group(1).strip(), match.group(4)))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="warm runs (median reported)")
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("extra", nargs="*", help="options passed to `globallm demo`")
    args = parser.parse_args()
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="globallm-bench-demo-"))
    fresh = not (data_dir / "postgres").exists()
    load = os.getloadavg()[0]
    try:
        if fresh and args.repeat > 1:
            first, _ = run_demo(data_dir, args.extra)
            print(f"{'first run (server init, embedding cache cold)':52s} {first:6.1f} s")
        times = []
        last = ""
        for _ in range(args.repeat):
            elapsed, last = run_demo(data_dir, args.extra)
            times.append(elapsed)
        spread = ", ".join(f"{t:.1f}" for t in times)
        label = "globallm demo (whole command, default size)"
        print(f"{label:52s} median {statistics.median(times):6.1f} s   runs: {spread}")
        for name, took in stages(last):
            print(f"  {name:50s} {took}")
        print(f"load average at start: {load:.1f} (1 min), cores: {os.cpu_count()}")
    finally:
        globallm = str(Path(sys.executable).parent / "globallm")
        close = [globallm, "--data-dir", str(data_dir), "database", "close"]
        subprocess.run(close, capture_output=True)


if __name__ == "__main__":
    main()
