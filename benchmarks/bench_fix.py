"""Benchmark: one `globallm fix --dry-run` per planted repository, and what it is made of.

The user path is the CLI command (a fresh process: imports, store, clone, fixer, sandboxed test
runs, report). Beside it, the kernel figures: the solution engine alone in-process, one
sandboxed test-suite run against the same run without the sandbox, and bubblewrap's own start-up
(`true` in the sandbox against `true` directly).

    uv run python benchmarks/bench_fix.py [--repeat 3]

It uses a private data directory (embedded PostgreSQL) under /tmp and the replayed model
responses of the planted repositories, so no network and no API key are needed; the store is
closed at the end.
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

from globallm_assets.fixer.engine import EngineConfig, FixTarget, solve
from globallm_assets.fixer.sandbox import SandboxLimits, run_sandboxed
from globallm_assets.fixer.toolchains import detect_test_plan
from globallm_assets.fixer.workspace import clone
from globallm_assets.llm.replay import Recording, ReplayProvider
from globallm_assets.services.fix import make_budget
from globallm_assets.settings import load_settings
from globallm_assets.sources import planted


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, list[float]]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), times


def line(name: str, median: float, times: list[float]) -> None:
    spread = ", ".join(f"{t:.2f}" for t in times)
    print(f"{name:52s} median {median:6.2f} s   runs: {spread}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    base = Path(tempfile.mkdtemp(prefix="globallm-bench-fix-", dir="/tmp"))
    base.chmod(0o755)  # the embedded server's user must traverse it
    remotes = planted.create_all(base / "remotes", bare=True)
    env = {
        **os.environ,
        "GLOBALLM_DATA_DIR": str(base / "data"),
        "XDG_CONFIG_HOME": str(base / "config"),
        "GLOBALLM_LLM__PROVIDER": "replay",
        "GLOBALLM_FIX__CLONE_SOURCES": json.dumps({r.repository: str(r.path) for r in remotes}),
    }
    os.environ.update(env)
    settings = load_settings()
    print(f"cores={os.cpu_count()} repeat={args.repeat} data={base}")

    from globallm_assets.core.models import RepoMetadata
    from globallm_assets.services import issues as issue_service
    from globallm_assets.store import repositories as repo_store
    from globallm_assets.store.db import pool, prepare
    from globallm_assets.store.issues import upsert_issues

    location = prepare(settings)
    with pool(location.dsn).connection() as conn:
        for repo in remotes:
            meta = RepoMetadata(full_name=repo.repository, language=repo.spec.language)
            repo_store.upsert_repositories(conn, [(meta, repo.spec.language)], source="github")
            upsert_issues(conn, [repo.issue])
        issue_service.score_repositories(settings, conn, [r.repository for r in remotes])

    globallm = str(Path(sys.executable).parent / "globallm")
    try:
        for repo in remotes:
            argv = [
                globallm,
                "fix",
                "--issue-url",
                f"{repo.repository}#{repo.issue.number}",
                "--dry-run",
                "--output",
                str(base / "out"),
                "--export",
                "json",
            ]

            def cli(argv: list[str] = argv) -> None:
                done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
                outcome = json.loads(done.stdout)["result"]["outcome"] if done.stdout else "?"
                if outcome != "validated":
                    raise SystemExit(f"{argv}: {outcome}: {done.stderr.strip()[-500:]}")

            line(f"CLI  fix --dry-run {repo.spec.name}", *timed(cli, args.repeat))

            config = EngineConfig.from_settings(settings, repo.repository)

            def engine(repo: planted.PlantedRepo = repo, config: EngineConfig = config) -> None:
                ws = clone(
                    repo.path,
                    repository=repo.repository,
                    issue_number=repo.issue.number,
                    title=repo.issue.title,
                    work_root=base / "work",
                )
                provider = (
                    ReplayProvider(Recording.load(repo.recording)) if repo.recording else None
                )
                kind = "bug" if repo.spec.kind == "bug" else "documentation"
                result = solve(
                    FixTarget(repo.issue, kind, 3, repo.spec.language),
                    ws,
                    provider=provider,
                    budget=make_budget(settings, location.dsn),
                    config=config,
                )
                assert result.validated, result.reason
                ws.remove()

            line(
                f"kernel: engine (clone + fix + validation) {repo.spec.name}",
                *timed(engine, args.repeat),
            )

        repo = remotes[0]
        work = planted.create(repo.spec.name, base / "suite")
        plan = detect_test_plan(work.path, [p.name for p in work.path.iterdir()]).plan
        assert plan is not None
        limits = SandboxLimits.from_settings(settings)
        suite_env = {**os.environ, **dict(plan.env)}
        line(
            "kernel: test suite in the sandbox (textstats)",
            *timed(
                lambda: run_sandboxed(
                    work.path, list(plan.command), limits=limits, env=dict(plan.env)
                ),
                args.repeat,
            ),
        )
        line(
            "kernel: test suite without the sandbox (textstats)",
            *timed(
                lambda: subprocess.run(
                    list(plan.command),
                    cwd=work.path,
                    env=suite_env,
                    capture_output=True,
                    check=False,
                ),
                args.repeat,
            ),
        )
        line(
            "kernel: `true` in the sandbox",
            *timed(lambda: run_sandboxed(work.path, ["true"], limits=limits), args.repeat * 3),
        )
        line(
            "kernel: `true` directly",
            *timed(lambda: subprocess.run(["true"], check=False), args.repeat * 3),
        )
    finally:
        subprocess.run([globallm, "database", "close"], env=env, capture_output=True, check=False)


if __name__ == "__main__":
    main()
