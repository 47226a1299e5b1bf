"""The ``world`` table: which world a database holds, and the rule that it holds only one.

The real world (GitHub and the registries) and the simulated one live in separate databases;
``store.db.locate`` picks the database from ``source.kind``. Inside the simulated world's
database, a world of another seed or size replaces the old one completely, in one transaction:
every table is emptied and the new world recorded, so two demos of different sizes never leave a
mixture behind.

Every process that uses a world's database holds a shared advisory lock on it for as long as it
runs; replacing the world needs that lock exclusively. A demo of another size therefore cannot
pull the rows from under a running pipeline or agent: it stops with a clear error instead.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import psycopg
from psycopg import sql

# Any fixed 64-bit key; the same in every GlobaLLM process. Advisory locks are per database.
WORLD_LOCK_KEY = 0x61_6C_6C_6D_77_72_6C  # "allmwrl"
_KEEP = frozenset({"schema_migrations", "world"})
# Content-addressed caches (README embeddings, HTTP responses): true of any world, and costly
# to rebuild; a reset of the same world keeps them.
CACHES = frozenset({"readme_embeddings", "http_cache"})


class WorldError(RuntimeError):
    """The database holds another world, or the world is in use and cannot be replaced."""


@dataclass(frozen=True)
class World:
    kind: str
    seed: int | None = None
    repos_per_language: int | None = None

    def describe(self) -> str:
        if self.kind == "simulated":
            return f"the simulated world (seed {self.seed}, {self.repos_per_language} per language)"
        return "the real world (GitHub)"


_holders: dict[str, psycopg.Connection] = {}
_holders_lock = threading.Lock()


def _holder(dsn: str) -> psycopg.Connection:
    """This process's session on the database, holding the world's shared lock until exit."""
    with _holders_lock:
        conn = _holders.get(dsn)
        if conn is None or conn.closed:
            conn = psycopg.connect(dsn, autocommit=True, connect_timeout=10)
            conn.execute("SELECT pg_advisory_lock_shared(%s)", (WORLD_LOCK_KEY,))
            _holders[dsn] = conn
        return conn


def release_all() -> None:
    """Close the lock-holding sessions (tests dropping databases, a process shutting down)."""
    with _holders_lock:
        for conn in _holders.values():
            conn.close()
        _holders.clear()


def recorded(conn: psycopg.Connection) -> World | None:
    row = conn.execute("SELECT kind, seed, repos_per_language FROM world").fetchone()
    return World(*row) if row else None


def enter(dsn: str, wanted: World) -> bool:
    """Make the database hold ``wanted`` and keep it held; True when the world was replaced.

    A database never changes kind (real ↔ simulated). A simulated world of another seed or size
    is replaced, unless another process is using the current one.
    """
    conn = _holder(dsn)
    conn.execute(
        "INSERT INTO world (kind, seed, repos_per_language) VALUES (%s, %s, %s) "
        "ON CONFLICT DO NOTHING",
        (wanted.kind, wanted.seed, wanted.repos_per_language),
    )
    current = recorded(conn)
    if current == wanted:
        return False
    if current is not None and current.kind != wanted.kind:
        raise WorldError(
            f"database {conn.info.dbname} holds {current.describe()}, not {wanted.describe()}"
        )
    # This session's own shared lock never conflicts with its exclusive request; other
    # processes' shared locks do.
    if not conn.execute("SELECT pg_try_advisory_lock(%s)", (WORLD_LOCK_KEY,)).fetchone()[0]:
        raise WorldError(
            f"{current.describe() if current else 'the world'} is in use by another process; "
            f"wait for it to finish before switching to {wanted.describe()}"
        )
    try:
        with conn.transaction():
            _replace(conn, wanted)
    finally:
        conn.execute("SELECT pg_advisory_unlock(%s)", (WORLD_LOCK_KEY,))
    return True


def _replace(conn: psycopg.Connection, wanted: World, keep: frozenset[str] = _KEEP) -> None:
    tables = [
        row[0]
        for row in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1"
        ).fetchall()
        if row[0] not in keep
    ]
    if tables:
        conn.execute(
            sql.SQL("TRUNCATE {} RESTART IDENTITY CASCADE").format(
                sql.SQL(", ").join(sql.Identifier(t) for t in tables)
            )
        )
    conn.execute(
        "UPDATE world SET kind = %s, seed = %s, repos_per_language = %s, created_at = now()",
        (wanted.kind, wanted.seed, wanted.repos_per_language),
    )


def reset(dsn: str) -> None:
    """Empty every table of the world's database, keeping its world record: the demo starts
    each time from a fresh world, whatever an earlier demo left (a half-seeded world of a
    killed demo included). Refused while another process uses the world."""
    conn = _holder(dsn)
    current = recorded(conn)
    if current is None:
        return
    if not conn.execute("SELECT pg_try_advisory_lock(%s)", (WORLD_LOCK_KEY,)).fetchone()[0]:
        raise WorldError(
            f"{current.describe()} is in use by another process (`globallm dev`, an agent); "
            "stop it, then start again"
        )
    try:
        with conn.transaction():
            _replace(conn, current, _KEEP | CACHES)
    finally:
        conn.execute("SELECT pg_advisory_unlock(%s)", (WORLD_LOCK_KEY,))
