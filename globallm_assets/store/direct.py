"""Statements a fleet runs thousands of times a second, sent through libpq directly.

An agent claims and completes each issue with one statement each. Through
``Connection.execute`` psycopg runs ~0.15 ms of Python per statement around ~0.05 ms of libpq
work (cursor, query conversion, prepared-statement bookkeeping, generator-driven waits, row
making); between two statements the agent sleeps while PostgreSQL works, so all of it runs
with cold caches. In a claim storm that was a third of the machine's CPU per claim
(benchmarks/bench_claims.py). Here a statement is prepared once per connection under a name
derived from its text and then executed by that name through psycopg's own libpq wrapper
(``psycopg.pq``): one send, one wait for the socket, its rows loaded by psycopg's loaders, its
errors raised as psycopg's exception classes (a dropped connection is an
``OperationalError``, as callers' retries expect).

Only the transaction behaviour of ``Connection.execute`` is kept, not its machinery: on a
connection outside autocommit and not yet in a transaction, ``BEGIN`` is sent first, as
psycopg would. Waiting releases the GIL and is interrupted by signals like any other wait
(``select.poll``), so a heartbeat thread and SIGTERM keep working during a statement.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import select
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import errors
from psycopg.adapt import Transformer
from psycopg.pq import ExecStatus, PGresult, TransactionStatus

# Named statements kept prepared per connection: a long-running agent whose limits change
# prepares a new claim text each time (the limits are constants in it); the oldest are
# deallocated past this many.
MAX_PREPARED = 16

_PLACEHOLDER = re.compile(r"%s")


@dataclass(frozen=True)
class Statement:
    """A statement prepared by name. Its parameters are written in psycopg's positional style
    (``%s``); ``parameters=False`` sends the text as it is (a ``%s`` inside one of its
    literals stays text)."""

    text: str
    parameters: bool = True
    name: bytes = field(init=False)
    wire: bytes = field(init=False)

    def __post_init__(self) -> None:
        numbers = iter(range(1, 1 + self.text.count("%s")))
        wire = self.text
        if self.parameters:
            wire = _PLACEHOLDER.sub(lambda _: f"${next(numbers)}", wire)
        wire = wire.encode()
        digest = hashlib.sha256(wire).hexdigest()[:24]
        object.__setattr__(self, "wire", wire)
        object.__setattr__(self, "name", f"globallm_{digest}".encode())


class _ConnectionState:
    """What this module keeps per connection: the names prepared on it (oldest first), a row
    loader bound to its adapters, and its socket's poll object."""

    def __init__(self, conn: psycopg.Connection) -> None:
        self.prepared: OrderedDict[bytes, None] = OrderedDict()
        self.transformer = Transformer.from_context(conn)
        self.socket = conn.pgconn.socket
        self.poll = select.poll()
        self.poll.register(self.socket, select.POLLIN)


_states: weakref.WeakKeyDictionary[psycopg.Connection, _ConnectionState] = (
    weakref.WeakKeyDictionary()
)
_states_lock = threading.Lock()


def _state(conn: psycopg.Connection) -> _ConnectionState:
    state = _states.get(conn)
    if state is None:
        with _states_lock:
            state = _states[conn] = _ConnectionState(conn)
    return state


def execute(conn: psycopg.Connection, statement: Statement, params: Sequence[Any] = ()) -> PGresult:
    """Run ``statement`` with ``params`` (str, int or None) and return its result; raises
    psycopg's exception for an SQL error or a lost connection."""
    encoded = [None if value is None else str(value).encode() for value in params]
    with conn.lock:
        pgconn = conn.pgconn
        state = _state(conn)
        if not conn.autocommit and pgconn.transaction_status == TransactionStatus.IDLE:
            _single(conn, state, pgconn.send_query_params, b"BEGIN", None)
        if statement.name not in state.prepared:
            _prepare(conn, state, statement)
        else:
            state.prepared.move_to_end(statement.name)

        def run() -> PGresult:
            return _single(conn, state, pgconn.send_query_prepared, statement.name, encoded)

        try:
            return run()
        except errors.InvalidSqlStatementName:
            # Deallocated behind this module's back (DISCARD ALL, a pooler's new server
            # session): prepare it again, once.
            if pgconn.transaction_status != TransactionStatus.IDLE:
                raise
            state.prepared.pop(statement.name, None)
            _prepare(conn, state, statement)
            return run()


def first_row(conn: psycopg.Connection, result: PGresult) -> tuple[Any, ...] | None:
    """The result's first row as Python values (psycopg's loaders), None when it has none."""
    if not result.ntuples:
        return None
    transformer = _state(conn).transformer
    transformer.set_pgresult(result)
    return transformer.load_row(0, tuple)


def _prepare(conn: psycopg.Connection, state: _ConnectionState, statement: Statement) -> None:
    pgconn = conn.pgconn
    # Prepared on this session before this module saw it: the text decides the name.
    with contextlib.suppress(errors.DuplicatePreparedStatement):
        _single(conn, state, pgconn.send_prepare, statement.name, statement.wire)
    state.prepared[statement.name] = None
    while len(state.prepared) > MAX_PREPARED:
        oldest, _ = state.prepared.popitem(last=False)
        _single(conn, state, pgconn.send_query_params, b"DEALLOCATE " + oldest, None)


def _single(
    conn: psycopg.Connection, state: _ConnectionState, send: Callable[..., None], *args: Any
) -> PGresult:
    """Send one command, wait for all of its results, return the first; raise its error."""
    pgconn = conn.pgconn
    send(*args)
    while pgconn.flush():  # the rest of a large message, as the socket drains
        select.select([], [state.socket], [])
    results: list[PGresult] = []
    while True:
        while pgconn.is_busy():
            state.poll.poll()
            pgconn.consume_input()
        result = pgconn.get_result()
        if result is None:
            break
        results.append(result)
    first = results[0]
    for result in results:
        if result.status == ExecStatus.FATAL_ERROR:
            raise errors.error_from_result(result, encoding=conn.info.encoding)
    return first
