"""Processes for the fleet's reliability tests, run with ``python -m``:

- ``agent``: a real agent worker (``services.agent.run_agent``) whose fixer is the
  ``ScriptedGitFixer`` test double; settings and the store come from the environment.
- ``reserve``: reserves budget in a loop, one statement per reservation, and prints how many
  were granted (a many-process budget race).

Both print ``ready`` and wait for a line on stdin, so a test can start many at the same instant.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def _wait_for_start() -> None:
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    sys.stdin.readline()


def agent(args: argparse.Namespace) -> None:
    from globallm_assets.observability import configure_logging
    from globallm_assets.services.agent import run_agent
    from globallm_assets.services.claim import AgentIdentity
    from globallm_assets.settings import load_settings
    from globallm_assets.store.db import prepare
    from globallm_assets_tests.fleet.doubles import ScriptedGitFixer

    settings = load_settings()
    configure_logging(settings.log_level)
    dsn = prepare(settings).dsn
    fixer = ScriptedGitFixer(
        dsn,
        Path(args.remotes),
        pause=args.pause,
        started=Path(args.started) if args.started else None,
        log=Path(args.log) if args.log else None,
    )
    print(AgentIdentity.current().id, flush=True)
    _wait_for_start()
    report = run_agent(
        settings, dsn, fixer, max_fixes=args.max_fixes, exit_when_idle=args.exit_when_idle
    )
    print(json.dumps({"stopped": report.stopped_because, "completed": report.completed}))


def reserve(args: argparse.Namespace) -> None:
    import psycopg

    from globallm_assets.store import llm_usage

    limits = llm_usage.Limits(args.weekly, args.repository_limit)
    granted = 0
    with psycopg.connect(args.dsn, autocommit=True) as conn:
        _wait_for_start()
        for attempt in range(args.attempts):
            repository = args.repositories[attempt % len(args.repositories)]
            got = llm_usage.reserve(conn, args.size, limits, repository=repository)
            granted += isinstance(got, llm_usage.Reservation)
    print(json.dumps({"granted": granted}))


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="mode", required=True)
    a = sub.add_parser("agent")
    a.add_argument("--remotes", required=True)
    a.add_argument("--pause", type=float, default=0.0)
    a.add_argument("--started")
    a.add_argument("--log")
    a.add_argument("--max-fixes", type=int)
    a.add_argument("--exit-when-idle", action="store_true")
    r = sub.add_parser("reserve")
    r.add_argument("--dsn", required=True)
    r.add_argument("--size", type=int, required=True)
    r.add_argument("--weekly", type=int, required=True)
    r.add_argument("--repository-limit", type=int, required=True)
    r.add_argument("--attempts", type=int, required=True)
    r.add_argument("--repositories", nargs="+", required=True)
    args = parser.parse_args()
    {"agent": agent, "reserve": reserve}[args.mode](args)


if __name__ == "__main__":
    main()
