"""Benchmark: server CPU per claim + completion, this checkout against another, interleaved.

The shared machine's speed drifts ~15 % within an hour — more than most single changes to the
claim statement or the schema are worth — so storms run one after the other cannot tell such
changes apart. This runs both checkouts' claim and completion statements against one embedded
server, each on its own database (migrated and seeded by that checkout's code), alternating in
batches, and reads each backend's CPU time from /proc: a drift falls on both sides alike (an A/A
run, the same checkout twice, reads 1.00 ± 0.01). It measures the server's side only; the
agents' side is ``bench_claims.py --solo``.

    uv run python benchmarks/bench_claim_ab.py OTHER_CHECKOUT [--rounds 80 --batch 50]

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

    os.environ.update(bench_claims.ENV_CAPS)
    from globallm_assets.services import claim as service
    from globallm_assets.settings import load_settings
    from globallm_assets.store import claims as store

    template = bench_claims.seed_template(admin_dsn, issues)
    dsn = bench_claims.fresh_copy(admin_dsn, template, f"ab_{label}")
    recorder = _Recorder()
    store.complete(recorder, _AGENT, _REPOSITORY, _NUMBER, None)
    limits = service.claim_limits(load_settings())
    print(
        json.dumps(
            {
                "dsn": dsn,
                "claim": store.claim_statement(_AGENT, limits),
                "complete": recorder.query,
                "params": recorder.params,
            }
        )
    )


def _backend_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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
    parser.add_argument("--prepare", nargs=3, metavar=("ADMIN_DSN", "LABEL", "ISSUES"))
    args = parser.parse_args()
    if args.prepare:
        prepare(args.prepare[0], args.prepare[1], int(args.prepare[2]))
        return
    if args.other is None or not (args.other / "globallm_assets").is_dir():
        parser.error("OTHER_CHECKOUT must be a working tree of this repository")

    from globallm_assets.store.embedded import EmbeddedServer

    issues = (args.rounds * args.batch + 300) * 3  # never runs out: one repository in 50 waits
    base = Path(tempfile.mkdtemp(prefix="globallm-bench-claim-ab-", dir="/tmp"))
    base.chmod(0o755)
    server = EmbeddedServer(base)
    sides: list[_Side] = []
    try:
        server.ensure_running()
        admin = server.dsn("postgres")
        for label, checkout in (("a", args.other.resolve()), ("b", HERE)):
            path = f"{checkout}{os.pathsep}{checkout / 'benchmarks'}"
            done = subprocess.run(
                [sys.executable, __file__, "--prepare", admin, label, str(issues)],
                cwd=checkout,
                env={**os.environ, "PYTHONPATH": path},
                capture_output=True,
                text=True,
            )
            if done.returncode != 0:
                tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
                raise SystemExit(f"{checkout}: could not prepare its database: {tail}")
            sides.append(_Side(checkout, json.loads(done.stdout.strip().splitlines()[-1])))
        for side in sides:
            for _ in range(200):  # warm up: statements prepared, caches filled
                side.pair()
            side.cpu = side.wall = 0.0
            side.pairs = 0
        for round_ in range(args.rounds):
            for side in sides if round_ % 2 == 0 else reversed(sides):
                side.batch(args.batch)
        print(
            f"server CPU per claim + completion, {args.rounds} rounds of {args.batch} pairs "
            f"each, alternating (load average {os.getloadavg()[0]:.1f}):"
        )
        for name, side in zip(("A (other)", "B (this)"), sides, strict=True):
            print(
                f"  {name:<10} {side.cpu / side.pairs * 1000:.3f} ms   wall "
                f"{side.wall / side.pairs * 1000:.3f} ms   {side.checkout}"
            )
        a, b = sides
        print(f"  B/A: server CPU {b.cpu / a.cpu:.3f}, wall {b.wall / a.wall:.3f}")
    finally:
        for side in sides:
            side.conn.close()
        server.stop()
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
