"""Where the store is and how to reach it: external URL or the embedded cluster, plus the pool.

Worlds never mix: ``settings.source.kind`` selects the database. The real world (GitHub and the
registries) uses ``globallm`` (or the database named in ``GLOBALLM_DATABASE_URL``) and the
Dagster instance ``dagster``; the simulated world uses ``<name>_demo`` and ``dagster_demo`` on
the same server. Callers never choose: everything that calls :func:`prepare` gets its world's
database, recorded and held in the ``world`` table (``store/world.py``).

Nothing here runs at import time; Dagster re-imports the code location for every step.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from time import monotonic
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql
from psycopg.pq import TransactionStatus
from psycopg_pool import ConnectionPool

from globallm_assets.settings import ConfigError, Settings, mask_url
from globallm_assets.store.embedded import EmbeddedServer
from globallm_assets.store.migrations import migrate
from globallm_assets.store.world import World, WorldError, enter, recorded, release_all

DATA_DB = "globallm"
DAGSTER_DB = "dagster"
DEMO_SUFFIX = "_demo"
# Serialises creating databases between processes (advisory locks are per database: every
# process takes it in the server's `postgres` database).
BOOTSTRAP_LOCK_KEY = 0x61_6C_6C_6D_62_6F_6F  # "allmboo"

log = logging.getLogger(__name__)


class StoreError(RuntimeError):
    """The store is unreachable or misconfigured (message is safe to print: no passwords)."""


@dataclass(frozen=True)
class StoreLocation:
    """Connection strings for one world's GlobaLLM database and Dagster instance database."""

    dsn: str
    dagster_dsn: str
    embedded: EmbeddedServer | None
    world: World

    @property
    def safe_dsn(self) -> str:
        return mask_url(self.dsn)


def with_dbname(dsn: str, dbname: str) -> str:
    """Same server and credentials, another database (URL form)."""
    parts = urlsplit(dsn)
    return urlunsplit(parts._replace(path=f"/{dbname}"))


def dbname_of(dsn: str) -> str:
    return urlsplit(dsn).path.lstrip("/") or "postgres"


def embedded_server(settings: Settings) -> EmbeddedServer:
    return EmbeddedServer(
        Path(settings.data_dir), run_as=settings.database.run_as, port=settings.database.port
    )


def settings_world(settings: Settings) -> World:
    """The world the settings ask for (a simulated one is identified by its seed and size)."""
    if settings.source.kind == "simulated":
        return World("simulated", settings.source.seed, settings.source.repos_per_language)
    return World("github")


def world_dbname(dbname: str, world: World) -> str:
    return dbname + DEMO_SUFFIX if world.kind == "simulated" else dbname


def locate(settings: Settings, *, start: bool = True) -> StoreLocation:
    """Resolve (and with ``start``, bring up) the server; create the world's databases."""
    world = settings_world(settings)
    if settings.database.url is not None:
        url = settings.database.url.get_secret_value()
        if not url.startswith(("postgresql://", "postgres://")):
            # Bad input, not a failure: the CLI exits 2.
            raise ConfigError("the database URL must start with postgresql://")
        location = StoreLocation(
            with_dbname(url, world_dbname(dbname_of(url), world)),
            with_dbname(url, world_dbname(DAGSTER_DB, world)),
            None,
            world,
        )
    else:
        server = embedded_server(settings)
        if start:
            server.ensure_running()
        location = StoreLocation(
            server.dsn(world_dbname(DATA_DB, world)),
            server.dsn(world_dbname(DAGSTER_DB, world)),
            server,
            world,
        )
    if start:
        ensure_databases(location)
    return location


def ensure_databases(location: StoreLocation) -> None:
    """Create the GlobaLLM and Dagster databases when the server lacks them.

    Two first commands at once would both see a database missing and race to create it
    (PostgreSQL reports the loser as a unique violation on its catalogue, not always as a
    duplicate database): creation is serialised on an advisory lock in the admin database.
    """
    admin = with_dbname(location.dsn, "postgres")
    wanted = [dbname_of(location.dsn), dbname_of(location.dagster_dsn)]
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=10) as conn:
            conn.execute("SELECT pg_advisory_lock(%s)", (BOOTSTRAP_LOCK_KEY,))
            try:
                existing = {
                    row[0] for row in conn.execute("SELECT datname FROM pg_database").fetchall()
                }
                for name in wanted:
                    if name not in existing:
                        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            finally:
                conn.execute("SELECT pg_advisory_unlock(%s)", (BOOTSTRAP_LOCK_KEY,))
    except psycopg.OperationalError as exc:
        # The admin database may be off-limits on a managed server: the target DBs may exist.
        try:
            with psycopg.connect(location.dsn, connect_timeout=10):
                return
        except psycopg.OperationalError:
            pass
        raise StoreError(
            f"cannot reach PostgreSQL at {location.safe_dsn}: {_first_line(exc)}"
        ) from None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def prepare(settings: Settings) -> StoreLocation:
    """Bring the store up, migrate the world's database to head and enter the world: what every
    command and asset that needs data calls.

    Entering a simulated world of another seed or size replaces the previous one completely
    (``store/world.py``); a database never switches between the real and the simulated world.
    """
    location = locate(settings)
    migrate(location.dsn)
    try:
        if enter(location.dsn, location.world):
            log.warning(
                "%s replaced the previous one in %s",
                location.world.describe(),
                dbname_of(location.dsn),
            )
    except WorldError as exc:
        raise StoreError(str(exc)) from None
    return location


def recorded_world(settings: Settings) -> World | None:
    """The world the settings' database holds now, without entering it (None: nothing yet)."""
    location = locate(settings)
    with psycopg.connect(location.dsn, connect_timeout=10) as conn:
        exists = conn.execute("SELECT to_regclass('world') IS NOT NULL").fetchone()
        return recorded(conn) if exists and exists[0] else None


def with_recorded_world(settings: Settings) -> Settings:
    """For the simulated world: the settings with the seed and size the store holds now, so
    opening it (the UI after a demo) inspects that world instead of replacing it."""
    if settings.source.kind != "simulated":
        return settings
    held = recorded_world(settings)
    if held is None or held.kind != "simulated":
        return settings
    source = settings.source.model_copy(
        update={"seed": held.seed, "repos_per_language": held.repos_per_language}
    )
    return settings.model_copy(update={"source": source})


_prepared: dict[tuple[object, ...], StoreLocation] = {}
_prepared_lock = threading.Lock()


def prepared(settings: Settings) -> StoreLocation:
    """``prepare`` once per process and store: Dagster steps and services reuse the result."""
    url = settings.database.url.get_secret_value() if settings.database.url else None
    key = (url, str(settings.data_dir), settings.database.port, settings_world(settings))
    with _prepared_lock:
        if key not in _prepared:
            location = prepare(settings)
            pool(
                location.dsn,
                min_size=settings.database.pool_min,
                max_size=settings.database.pool_max,
            )
            _prepared[key] = location
        return _prepared[key]


@contextlib.contextmanager
def transaction(dsn: str) -> Iterator[psycopg.Connection]:
    """A pooled connection holding one transaction, committed when the block succeeds."""
    with pool(dsn).connection() as conn, conn.transaction():
        yield conn


_pools: dict[str, ConnectionPool] = {}
_pools_lock = threading.Lock()


def pool(dsn: str, *, min_size: int = 2, max_size: int = 10) -> ConnectionPool:
    """One pool per DSN per process (2–10 connections by default, as the seeds size it)."""
    with _pools_lock:
        existing = _pools.get(dsn)
        if existing is not None and not existing.closed:
            return existing
        created = ConnectionPool(
            dsn, min_size=min_size, max_size=max_size, open=True, name="globallm", timeout=30
        )
        _pools[dsn] = created
        return created


class AutocommitPool:
    """Idle autocommit connections to one database, for services whose calls are single
    statements (claims: thousands a second across a fleet).

    A checkout is a deque pop and a return an append — no lock, statistics, logging or worker
    threads, and no autocommit toggled — which at a claim storm's rate is a measurable share of
    an agent's CPU next to ``psycopg_pool``. With nothing idle, a checkout connects (a
    connection error is the caller's to retry, as the pool's timeout was); a connection that
    comes back broken or inside a transaction is closed, not kept, and one idle for over
    ``idle_seconds`` is closed instead of handed out (the server may have restarted
    meanwhile). There is no cap: a process holds one connection per thread using it at once
    (an agent two: work and heartbeat), and keeps at most ``max_idle``.
    """

    def __init__(self, dsn: str, *, max_idle: int = 4, idle_seconds: float = 60.0) -> None:
        self.dsn = dsn
        self.closed = False
        self._idle: deque[tuple[psycopg.Connection, float]] = deque()
        self._max_idle = max_idle
        self._idle_seconds = idle_seconds

    def getconn(self) -> psycopg.Connection:
        idle = self._idle
        while idle:
            try:
                conn, since = idle.pop()  # the most recently used: its statements are prepared
            except IndexError:  # another thread took the last one
                break
            if monotonic() - since < self._idle_seconds:
                return conn
            conn.close()
        return psycopg.connect(self.dsn, autocommit=True, connect_timeout=10)

    def putconn(self, conn: psycopg.Connection) -> None:
        if (
            self.closed
            or conn.closed
            or conn.pgconn.transaction_status != TransactionStatus.IDLE
            or len(self._idle) >= self._max_idle
        ):
            conn.close()
        else:
            self._idle.append((conn, monotonic()))

    def close(self) -> None:
        self.closed = True
        while self._idle:
            self._idle.pop()[0].close()


_autocommit_pools: dict[str, AutocommitPool] = {}


def autocommit_pool(dsn: str) -> AutocommitPool:
    """The process's :class:`AutocommitPool` for ``dsn`` (``conn.transaction()`` on one of its
    connections still opens a real transaction)."""
    existing = _autocommit_pools.get(dsn)  # the hot path: no lock once the pool exists
    if existing is not None and not existing.closed:
        return existing
    with _pools_lock:
        existing = _autocommit_pools.get(dsn)
        if existing is None or existing.closed:
            existing = _autocommit_pools[dsn] = AutocommitPool(dsn)
        return existing


def server_now(conn: psycopg.Connection) -> datetime:
    """The server's clock: every agent on every machine ages and compares by one time."""
    return conn.execute("SELECT now()").fetchone()[0]  # type: ignore[index]


def read_only_snapshot(conn: psycopg.Connection) -> None:
    """Make the open transaction one consistent read-only view (a report's numbers add up)."""
    conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")


def close_pools() -> None:
    with _pools_lock:
        for item in [*_pools.values(), *_autocommit_pools.values()]:
            item.close()
        _pools.clear()
        _autocommit_pools.clear()
    with _prepared_lock:
        _prepared.clear()
    release_all()
