"""The fleet under failure, with real processes: an agent SIGKILLed mid-fix, an agent stopped by
SIGTERM, many processes racing for a small budget, and PostgreSQL restarted under running agents.

Agents are real ``run_agent`` processes; their fixer is the ``ScriptedGitFixer`` test double,
which commits on a branch and pushes it to a real bare repository (its stand-in for a PR) only
after checking that its claim is still held.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import psycopg
import pytest

from globallm_assets.store.db import close_pools, with_dbname
from globallm_assets.store.embedded import EmbeddedServer
from globallm_assets.store.migrations import migrate
from globallm_assets_tests.conftest import _shared_tmpdir
from globallm_assets_tests.fleet.doubles import git, make_remote, pushed_branches, remote_path
from globallm_assets_tests.fleet.seed import seed

ROOT = Path(__file__).resolve().parents[2]


class Proc:
    """A process from ``agent_process``: started, released on ``go()``, output collected."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        self.popen = subprocess.Popen(
            [sys.executable, "-m", "globallm_assets_tests.fleet.agent_process", *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log.open("w"),
            text=True,
            env={**os.environ, **env, "PYTHONPATH": str(ROOT)},
        )
        first = self._line()
        self.agent_id = first if args[0] == "agent" else None
        if args[0] == "agent":
            first = self._line()
        assert first == "ready", self.failure()

    def _line(self) -> str:
        return self.popen.stdout.readline().strip()

    def go(self) -> None:
        self.popen.stdin.write("go\n")
        self.popen.stdin.flush()

    def result(self, timeout: float = 120) -> dict:
        out, _ = self.popen.communicate(timeout=timeout)
        assert self.popen.returncode == 0, self.failure()
        return json.loads(out.strip().splitlines()[-1])

    def failure(self) -> str:
        return self.log.read_text()[-3000:] if self.log.exists() else ""


def agent_env(dsn: str, **extra: str) -> dict[str, str]:
    return {
        "GLOBALLM_DATABASE_URL": dsn,
        "GLOBALLM_AGENTS__HEARTBEAT_INTERVAL": "1",
        "GLOBALLM_AGENTS__POLL_INTERVAL": "1",
        **extra,
    }


def _wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


@pytest.fixture
def one_issue(conn: psycopg.Connection, tmp_path: Path) -> Path:
    seed(conn, {"acme/a": "python"}, [("acme/a", 1, 0.9)])
    remotes = tmp_path / "remotes"
    make_remote(remotes, "acme/a")
    return remotes


def _issue(conn) -> tuple:
    conn.commit()
    return conn.execute(
        "SELECT assignment_status, assigned_to, attempts, last_agent FROM issues "
        "WHERE repository = 'acme/a' AND number = 1"
    ).fetchone()


def test_agent_killed_mid_fix_its_issue_returns_and_another_completes_it(
    conn, dsn, one_issue, tmp_path
):
    started = tmp_path / "started"
    crashed = Proc(
        ["agent", "--remotes", str(one_issue), "--pause", "120", "--started", str(started)],
        agent_env(dsn),
        tmp_path / "crashed.log",
    )
    crashed.go()
    _wait_for(lambda: started.exists() and any(started.iterdir()), 60, "the fix to start")
    # Mid-fix: committed locally, nothing pushed yet.
    crashed.popen.send_signal(signal.SIGKILL)
    crashed.popen.wait(30)
    assert _issue(conn)[:2] == ("assigned", crashed.agent_id)
    assert pushed_branches(one_issue, "acme/a") == []

    survivor = Proc(
        ["agent", "--remotes", str(one_issue), "--max-fixes", "1"],
        agent_env(dsn, GLOBALLM_HEARTBEAT_TIMEOUT="3"),
        tmp_path / "survivor.log",
    )
    survivor.go()
    report = survivor.result(timeout=120)
    assert report["completed"] == 1, survivor.failure()
    status, agent, attempts, last_agent = _issue(conn)
    assert (status, agent, attempts, last_agent) == ("completed", None, 1, survivor.agent_id)
    # Exactly one branch, and it holds the survivor's fix: nothing of the crashed attempt.
    assert pushed_branches(one_issue, "acme/a") == ["globallm/issue-1"]
    content = git(
        "show", "globallm/issue-1:fixes/issue-1.txt", cwd=remote_path(one_issue, "acme/a")
    )
    assert content == f"fixed by {survivor.agent_id}\n"
    # The dead agent's time reservation was closed at its full amount when its claim was freed.
    rows = conn.execute(
        "SELECT agent_id, state, seconds, used_seconds FROM budget_reservations ORDER BY id"
    ).fetchall()
    assert rows[0] == (crashed.agent_id, "settled", 900, 900)
    assert rows[1][:2] == (survivor.agent_id, "settled") and rows[1][3] < 900


def test_sigterm_mid_fix_releases_the_claim_untouched_and_pushes_nothing(
    conn, dsn, one_issue, tmp_path
):
    started = tmp_path / "started"
    proc = Proc(
        ["agent", "--remotes", str(one_issue), "--pause", "120", "--started", str(started)],
        agent_env(dsn),
        tmp_path / "agent.log",
    )
    proc.go()
    _wait_for(lambda: started.exists() and any(started.iterdir()), 60, "the fix to start")
    began = time.monotonic()
    proc.popen.send_signal(signal.SIGTERM)
    report = proc.result(timeout=60)
    assert time.monotonic() - began < 30
    assert report == {"stopped": "stopped by SIGTERM; claim released", "completed": 0}
    assert _issue(conn) == ("available", None, 0, proc.agent_id)
    assert pushed_branches(one_issue, "acme/a") == []
    state, used = conn.execute("SELECT state, used_seconds FROM budget_reservations").fetchone()
    assert state == "settled" and used < 900


def test_many_processes_racing_for_a_small_budget_never_exceed_it(dsn, tmp_path):
    # 16 processes × 30 reservations of 7 tokens, alternating two repositories; the week allows
    # 84 tokens (12 reservations), each repository 50 (7 reservations).
    args = [
        "reserve", "--dsn", dsn, "--size", "7", "--weekly", "84", "--repository-limit", "50",
        "--attempts", "30", "--repositories", "acme/a", "acme/b",
    ]  # fmt: skip
    procs = [Proc(args, {}, tmp_path / f"reserve-{n}.log") for n in range(16)]
    for proc in procs:
        proc.go()
    granted = sum(proc.result()["granted"] for proc in procs)
    assert granted == 12
    with psycopg.connect(dsn) as conn:
        totals = dict(
            conn.execute(
                "SELECT scope || ':' || key, reserved FROM token_budget WHERE scope <> 'language'"
            ).fetchall()
        )
        entries = dict(
            conn.execute(
                "SELECT repository, sum(tokens) FROM budget_reservations GROUP BY repository"
            ).fetchall()
        )
    assert totals["total:"] == 84
    assert totals["repository:acme/a"] <= 50 and totals["repository:acme/b"] <= 50
    assert entries == {"acme/a": totals["repository:acme/a"], "acme/b": totals["repository:acme/b"]}


@pytest.fixture
def private_server():
    """A server of this test's own: it gets restarted under running agents."""
    base = _shared_tmpdir("globallm-restart-")
    server = EmbeddedServer(base)
    server.ensure_running()
    try:
        yield server
    finally:
        close_pools()
        server.stop()
        shutil.rmtree(base, ignore_errors=True)


def test_agents_survive_a_database_restart_without_losing_or_duplicating_work(
    private_server, tmp_path
):
    admin = private_server.dsn("postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute("CREATE DATABASE fleet")
    dsn = with_dbname(admin, "fleet")
    migrate(dsn)
    repos = {f"org/r{n}": "python" for n in range(24)}
    remotes = tmp_path / "remotes"
    for name in repos:
        make_remote(remotes, name)
    with psycopg.connect(dsn) as conn:
        seed(conn, repos, [(name, 1, n / 100) for n, name in enumerate(repos)])
    log = tmp_path / "pushed.log"
    env = agent_env(dsn, GLOBALLM_HEARTBEAT_TIMEOUT="600")
    agents = [
        Proc(
            ["agent", "--remotes", str(remotes), "--pause", "0.3", "--log", str(log),
             "--exit-when-idle"],
            env,
            tmp_path / f"agent-{n}.log",
        )
        for n in range(4)
    ]  # fmt: skip
    for proc in agents:
        proc.go()

    def pushed() -> int:
        return len(log.read_text().splitlines()) if log.exists() else 0

    _wait_for(lambda: pushed() >= 4, 120, "the first fixes")
    private_server.stop()
    time.sleep(1.0)  # agents meet a dead server: refused connections, broken pooled ones
    private_server.ensure_running()
    reports = [proc.result(timeout=240) for proc in agents]

    lines = log.read_text().splitlines()
    fixed = Counter(line.split()[0] for line in lines)
    assert sorted(fixed) == sorted(f"{name}#1" for name in repos)  # none lost
    assert set(fixed.values()) == {1}  # none fixed twice
    assert sum(r["completed"] for r in reports) == len(repos)
    with psycopg.connect(dsn) as conn:
        states = dict(
            conn.execute("SELECT assignment_status, count(*) FROM issues GROUP BY 1").fetchall()
        )
        attempts = conn.execute("SELECT max(attempts) FROM issues").fetchone()[0]
    assert states == {"completed": len(repos)} and attempts == 0
    for name in repos:
        assert pushed_branches(remotes, name) == ["globallm/issue-1"]
    # The restart did reach the agents: they retried, and carried on.
    assert any("retrying in" in proc.log.read_text() for proc in agents)
