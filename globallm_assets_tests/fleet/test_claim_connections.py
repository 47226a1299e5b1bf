"""The claim service's connections: pooled, autocommit, never handed out broken or mid-transaction,
and a claim and its completion that survive a connection killed under them."""

from __future__ import annotations

import threading

import psycopg
import pytest

from globallm_assets.services import claim as service
from globallm_assets.settings import load_settings
from globallm_assets.store.db import AutocommitPool, autocommit_pool
from globallm_assets_tests.fleet.seed import seed


def _backend(conn: psycopg.Connection) -> int:
    return conn.execute("SELECT pg_backend_pid()").fetchone()[0]


def _terminate(dsn: str, pid: int) -> None:
    with psycopg.connect(dsn, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))


def test_connections_are_autocommit_and_reused(dsn):
    with service.connection(dsn) as conn:
        assert conn.autocommit
        first = _backend(conn)
        conn.execute("CREATE TABLE t (x int PRIMARY KEY)")
    with service.connection(dsn) as conn:
        assert _backend(conn) == first
        # A statement commits by itself; a transaction block is still all or nothing.
        conn.execute("INSERT INTO t VALUES (1)")
        with pytest.raises(psycopg.errors.UniqueViolation), conn.transaction():
            conn.execute("INSERT INTO t VALUES (2)")
            conn.execute("INSERT INTO t VALUES (1)")
    with psycopg.connect(dsn) as other:
        assert other.execute("SELECT array_agg(x) FROM t").fetchone()[0] == [1]


def test_a_connection_left_in_a_transaction_or_broken_is_not_handed_out_again(dsn):
    pool = AutocommitPool(dsn)
    conn = pool.getconn()
    left_open = _backend(conn)
    conn.execute("BEGIN")
    conn.execute("CREATE TABLE half (x int)")
    pool.putconn(conn)
    assert conn.closed
    conn = pool.getconn()
    assert _backend(conn) != left_open
    # The open transaction died with its connection.
    assert conn.execute("SELECT to_regclass('half')").fetchone()[0] is None

    killed = _backend(conn)
    _terminate(dsn, killed)
    with pytest.raises(psycopg.OperationalError):
        conn.execute("SELECT 1")
    pool.putconn(conn)
    conn = pool.getconn()
    assert _backend(conn) not in (killed, left_open)
    pool.putconn(conn)
    pool.close()
    assert conn.closed


def test_a_long_idle_connection_is_replaced_not_handed_out(dsn):
    pool = AutocommitPool(dsn, idle_seconds=0.0)
    conn = pool.getconn()
    first = _backend(conn)
    pool.putconn(conn)
    again = pool.getconn()
    assert conn.closed and _backend(again) != first
    pool.close()


def test_work_and_heartbeat_threads_hold_a_connection_each(dsn):
    both_inside = threading.Barrier(2, timeout=10)
    backends: list[int] = []

    def use() -> None:
        with service.connection(dsn) as conn:
            backends.append(_backend(conn))
            both_inside.wait()

    threads = [threading.Thread(target=use) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(backends)) == 2
    # Both went back to the pool for the next calls.
    pool = autocommit_pool(dsn)
    held = [pool.getconn(), pool.getconn()]
    assert {_backend(conn) for conn in held} == set(backends)


def test_claim_and_complete_survive_their_pooled_connection_being_killed(conn, dsn, monkeypatch):
    seed(conn, {"acme/a": "python"}, [("acme/a", 1, 0.9), ("acme/a", 2, 0.5)])
    settings = load_settings()
    agent = service.AgentIdentity.current().id
    with service.connection(dsn) as pooled:
        _terminate(dsn, _backend(pooled))
    got = service.claim(settings, dsn, agent).issue
    assert got is not None and (got.repository, got.number) == ("acme/a", 1)

    with service.connection(dsn) as pooled:
        _terminate(dsn, _backend(pooled))
    assert service.complete(settings, dsn, got, "done")
    row = conn.execute(
        "SELECT assignment_status, result FROM issues WHERE repository = 'acme/a' AND number = 1"
    ).fetchone()
    assert row == ("completed", "done")


def test_claim_limits_follow_the_settings(monkeypatch):
    monkeypatch.setenv("GLOBALLM_AGENTS__MAX_AGENTS_PER_REPO", "3")
    three = service.claim_limits(load_settings())
    monkeypatch.setenv("GLOBALLM_AGENTS__MAX_AGENTS_PER_REPO", "5")
    five = service.claim_limits(load_settings())
    assert (three.max_active_per_repo, five.max_active_per_repo) == (3, 5)
    assert service.claim_limits(load_settings()) is five  # built once per distinct value
