"""Benchmark: server CPU per claim + completion, this checkout against another, interleaved.

The shared machine's speed drifts ~15 % within an hour — more than most single changes to the
claim statement or the schema are worth — so storms run one after the other cannot tell such
changes apart. This runs both checkouts' claim and completion statements against one embedded
server, each on its own database (migrated and seeded by that checkout's code), alternating in
batches, and reads each backend's CPU time from /proc: a drift falls on both sides alike. Two
passes prepare the databases in opposite orders (the one prepared last starts warmer); their
geometric mean is the figure. It measures the server's side only; the agents' side is
``bench_claims.py --solo``.

    uv run python benchmarks/bench_claim_ab.py OTHER_CHECKOUT [--rounds 80 --batch 50]
        [--issues 100000]

OTHER_CHECKOUT is another working tree of this repository (``git worktree add ../base HEAD~1``)
run with this checkout's interpreter, so both must need the same dependencies.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
# Stand-ins the completion is called with, to find where its real values go.
_AGENT, _REPOSITORY, _NUMBER = "agent-ab", "stand-in/repository", 987_654_321


class _Recorder:
    """Takes the completion's statement and parameters instead of a connection."""

    rowcount = 1

    def execute(self, query, params=None, **_kwargs):
        self.query, self.params = query, list(params or [])
        return self

    def fetchone(self):
        return (1,)


def prepare(admin_dsn: str, label: str, issues: int) -> None:
    """In the checkout being measured (first on PYTHONPATH): seed its database, print its
    statements as JSON."""
    del sys.path[0]  # this script's directory: its modules come from PYTHONPATH instead
    import bench_claims
    import psycopg

    os.environ.update(bench_claims.ENV_CAPS)
    from globallm_assets.services import claim as service
    from globallm_assets.settings import load_settings
    from globallm_assets.store import claims as store

    template = bench_claims.seed_template(admin_dsn, issues)
    dsn = bench_claims.fresh_copy(admin_dsn, template, f"ab_{label}")
    limits = service.claim_limits(load_settings())
    # One claim and completion through the checkout's own functions, so whatever it creates on
    # first use (this week's counters) exists before its bare statements are timed.
    with psycopg.connect(dsn, autocommit=True) as conn:
        first = store.claim(conn, _AGENT, limits)
        store.complete(conn, _AGENT, first.repository, first.number, None)
    complete = getattr(store, "COMPLETE", None)  # a direct.Statement since it is sent by name
    if complete is not None:
        query, params = complete.text, [None, _REPOSITORY, _NUMBER, _AGENT]
    else:  # older checkouts: what their completion passes to conn.execute
        recorder = _Recorder()
        store.complete(recorder, _AGENT, _REPOSITORY, _NUMBER, None)
        query, params = recorder.query, recorder.params
    print(
        json.dumps(
            {
                "dsn": dsn,
                "claim": store.claim_statement(_AGENT, limits),
                "complete": query,
                "params": params,
            }
        )
    )


def _backend_cpu(pid: int) -> float:
    # This checkout's module, imported here: the --prepare child imports the other checkout's.
    from bench_claims import process_cpu

    return process_cpu(pid)


class _Side:
    def __init__(self, checkout: Path, statements: dict) -> None:
        import psycopg

        self.checkout = checkout
        self.claim = statements["claim"]
        self.complete = statements["complete"]
        self.params = statements["params"]
        self.conn = psycopg.connect(statements["dsn"], autocommit=True)
        self.pid = self.conn.execute("SELECT pg_backend_pid()").fetchone()[0]
        self.cpu = self.wall = 0.0
        self.pairs = 0

    def pair(self) -> None:
        row = self.conn.execute(self.claim, prepare=True).fetchone()
        if row is None:
            raise SystemExit(f"{self.checkout}: ran out of issues; seed more with --issues")
        values = {_AGENT: _AGENT, _REPOSITORY: row[0], _NUMBER: row[1]}
        params = [values.get(p, p) if isinstance(p, str | int) else p for p in self.params]
        self.conn.execute(self.complete, params, prepare=True)

    def batch(self, size: int) -> None:
        cpu, wall = _backend_cpu(self.pid), time.perf_counter()
        for _ in range(size):
            self.pair()
        self.cpu += _backend_cpu(self.pid) - cpu
        self.wall += time.perf_counter() - wall
        self.pairs += size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("other", nargs="?", type=Path, help="the checkout to compare against")
    parser.add_argument("--rounds", type=int, default=80)
    parser.add_argument("--batch", type=int, default=50, help="pairs per side per round")
    parser.add_argument("--issues", type=int, default=100_000, help="issues seeded per side")
    parser.add_argument("--prepare", nargs=3, metavar=("ADMIN_DSN", "LABEL", "ISSUES"))
    args = parser.parse_args()
    if args.prepare:
        prepare(args.prepare[0], args.prepare[1], int(args.prepare[2]))
        return
    if args.other is None or not (args.other / "globallm_assets").is_dir():
        parser.error("OTHER_CHECKOUT must be a working tree of this repository")

    # The storm's world size by default, so PostgreSQL picks the storm's plans (in a world of a
    # few hundred repositories it scans repository_claims instead of probing its key).
    issues = max(args.issues, (args.rounds * args.batch + 300) * 3)
    checkouts = {"A (other)": args.other.resolve(), "B (this)": HERE}
    print(
        f"server CPU per claim + completion, {args.rounds} rounds of {args.batch} pairs per side, "
        f"alternating; {issues:,} issues per side"
    )
    # The database prepared last starts with its pages in shared buffers (an A/A run in one
    # order read 0.94): each pass prepares the two in the other order, and the ratios' geometric
    # mean cancels that.
    ratios = []
    for order in (("A (other)", "B (this)"), ("B (this)", "A (other)")):
        sides = _pass(order, checkouts, issues, args.rounds, args.batch)
        for name in checkouts:
            side = sides[name]
            print(
                f"  {name:<10} {side.cpu / side.pairs * 1000:.3f} ms   wall "
                f"{side.wall / side.pairs * 1000:.3f} ms   (prepared "
                f"{'first' if name == order[0] else 'second'}) {side.checkout}"
            )
        ratios.append(sides["B (this)"].cpu / sides["A (other)"].cpu)
        print(f"  B/A this pass: {ratios[-1]:.3f} (load average {os.getloadavg()[0]:.1f})")
    print(f"  B/A server CPU, both orders: {(ratios[0] * ratios[1]) ** 0.5:.3f}")


def _pass(
    order: tuple[str, str], checkouts: dict[str, Path], issues: int, rounds: int, batch: int
) -> dict[str, _Side]:
    """One embedded server; the two databases prepared in ``order``; rounds alternating."""
    from globallm_assets.store.embedded import EmbeddedServer

    base = Path(tempfile.mkdtemp(prefix="globallm-bench-claim-ab-", dir="/tmp"))
    base.chmod(0o755)
    server = EmbeddedServer(base)
    sides: dict[str, _Side] = {}
    try:
        server.ensure_running()
        admin = server.dsn("postgres")
        for n, name in enumerate(order):
            checkout = checkouts[name]
            path = f"{checkout}{os.pathsep}{checkout / 'benchmarks'}"
            done = subprocess.run(
                [sys.executable, __file__, "--prepare", admin, f"side{n}", str(issues)],
                cwd=checkout,
                env={**os.environ, "PYTHONPATH": path},
                capture_output=True,
                text=True,
            )
            if done.returncode != 0:
                tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
                raise SystemExit(f"{checkout}: could not prepare its database: {tail}")
            sides[name] = _Side(checkout, json.loads(done.stdout.strip().splitlines()[-1]))
        for side in sides.values():
            for _ in range(200):  # warm up: statements prepared, caches filled
                side.pair()
            side.cpu = side.wall = 0.0
            side.pairs = 0
        both = list(sides.values())
        for round_ in range(rounds):
            for side in both if round_ % 2 == 0 else reversed(both):
                side.batch(batch)
        return sides
    finally:
        for side in sides.values():
            side.conn.close()
        server.stop()
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
