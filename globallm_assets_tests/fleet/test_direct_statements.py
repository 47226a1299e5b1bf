"""store/direct.py: the claim's and the completion's statements sent through libpq by name —
with psycopg's values, errors and transaction behaviour, and without holding the GIL."""

from __future__ import annotations

import threading
import time
from datetime import datetime
from decimal import Decimal

import psycopg
import pytest

from globallm_assets.store import direct

_ROW = direct.Statement(
    "SELECT %s::int + 1, %s::text, now(), '{\"a\": [1, 2]}'::jsonb, 2.5::numeric, NULL::text"
)


def _prepared_here(conn: psycopg.Connection) -> int:
    return conn.execute(
        "SELECT count(*) FROM pg_prepared_statements WHERE name LIKE 'globallm_%'"
    ).fetchone()[0]


def test_parameters_are_numbered_and_literals_are_left_alone():
    assert direct.Statement("SELECT %s, %s").wire == b"SELECT $1, $2"
    literal = direct.Statement("SELECT '%s'", parameters=False)
    assert literal.wire == b"SELECT '%s'"
    assert literal.name != direct.Statement("SELECT '%s' ").name  # the text decides the name


def test_rows_come_back_as_psycopgs_values(conn):
    conn.autocommit = True
    for _ in range(3):  # the second and third run the prepared statement
        row = direct.first_row(conn, direct.execute(conn, _ROW, (41, "x")))
        number, text, now, data, amount, nothing = row
        assert (number, text, data, amount, nothing) == (
            42,
            "x",
            {"a": [1, 2]},
            Decimal("2.5"),
            None,
        )
        assert isinstance(now, datetime) and now.tzinfo is not None
    assert _prepared_here(conn) == 1
    empty = direct.Statement("SELECT 1 WHERE false")
    assert direct.first_row(conn, direct.execute(conn, empty)) is None


def test_an_sql_error_is_psycopgs_class_and_the_connection_stays_usable(conn):
    conn.autocommit = True
    conn.execute("CREATE TABLE t (x int PRIMARY KEY CHECK (x > 0))")
    insert = direct.Statement("INSERT INTO t VALUES (%s)")
    assert direct.execute(conn, insert, (1,)).command_tuples == 1
    with pytest.raises(psycopg.errors.UniqueViolation):
        direct.execute(conn, insert, (1,))
    with pytest.raises(psycopg.errors.CheckViolation):
        direct.execute(conn, insert, (-1,))
    assert direct.execute(conn, insert, (2,)).command_tuples == 1
    assert conn.execute("SELECT array_agg(x ORDER BY x) FROM t").fetchone()[0] == [1, 2]


def test_outside_autocommit_it_opens_a_transaction_as_psycopg_would(conn):
    conn.execute("CREATE TABLE t (x int)")
    conn.commit()
    insert = direct.Statement("INSERT INTO t VALUES (%s)")
    direct.execute(conn, insert, (1,))
    conn.rollback()
    direct.execute(conn, insert, (2,))
    conn.commit()
    assert conn.execute("SELECT array_agg(x) FROM t").fetchone()[0] == [2]


def test_a_statement_deallocated_behind_its_back_is_prepared_again(conn):
    conn.autocommit = True
    assert direct.first_row(conn, direct.execute(conn, _ROW, (1, "a")))[0] == 2
    conn.execute("DEALLOCATE ALL")
    assert direct.first_row(conn, direct.execute(conn, _ROW, (2, "b")))[0] == 3
    assert _prepared_here(conn) == 1


def test_at_most_max_prepared_statements_stay_prepared_per_connection(conn):
    conn.autocommit = True
    for n in range(direct.MAX_PREPARED + 5):
        statement = direct.Statement(f"SELECT {n} + %s::int")
        assert direct.first_row(conn, direct.execute(conn, statement, (1,)))[0] == n + 1
    assert _prepared_here(conn) == direct.MAX_PREPARED
    # The most recent ones are kept: running one again prepares nothing new.
    latest = direct.Statement(f"SELECT {direct.MAX_PREPARED + 4} + %s::int")
    direct.execute(conn, latest, (0,))
    assert _prepared_here(conn) == direct.MAX_PREPARED


def test_a_killed_connection_is_an_operational_error(conn, dsn):
    conn.autocommit = True
    pid = conn.info.backend_pid
    with psycopg.connect(dsn, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
    with pytest.raises(psycopg.OperationalError):
        direct.execute(conn, _ROW, (1, "a"))
    assert conn.closed or conn.broken


def test_other_threads_run_while_a_statement_waits(conn):
    """The wait releases the GIL: a heartbeat thread keeps beating during a slow statement."""
    conn.autocommit = True
    slow = direct.Statement("SELECT pg_sleep(%s::float8)")
    counts = {"n": 0}
    stop = threading.Event()

    def spin() -> None:
        while not stop.is_set():
            counts["n"] += 1

    thread = threading.Thread(target=spin)
    thread.start()
    try:
        before = counts["n"]
        time.sleep(0.4)
        idle = counts["n"] - before
        before = counts["n"]
        direct.execute(conn, slow, (0.4,))
        during = counts["n"] - before
    finally:
        stop.set()
        thread.join()
    # Holding the GIL in a blocking libpq call lets the thread run ~1 % as much.
    assert during > idle * 0.3
