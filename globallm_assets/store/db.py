"""Where the store is and how to reach it: external URL or the embedded cluster, plus the pool.

Nothing here runs at import time; Dagster re-imports the code location for every step.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql
from psycopg_pool import ConnectionPool

from globallm_assets.settings import ConfigError, Settings, mask_url
from globallm_assets.store.embedded import EmbeddedServer
from globallm_assets.store.migrations import migrate

DAGSTER_DB = "dagster"


class StoreError(RuntimeError):
    """The store is unreachable or misconfigured (message is safe to print: no passwords)."""


@dataclass(frozen=True)
class StoreLocation:
    """Connection strings for GlobaLLM's database and the Dagster instance's database."""

    dsn: str
    dagster_dsn: str
    embedded: EmbeddedServer | None

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


def locate(settings: Settings, *, start: bool = True) -> StoreLocation:
    """Resolve (and with ``start``, bring up) the server; create both databases if missing."""
    if settings.database.url is not None:
        dsn = settings.database.url.get_secret_value()
        if not dsn.startswith(("postgresql://", "postgres://")):
            # Bad input, not a failure: the CLI exits 2.
            raise ConfigError("the database URL must start with postgresql://")
        location = StoreLocation(dsn, with_dbname(dsn, DAGSTER_DB), None)
    else:
        server = embedded_server(settings)
        dsn = server.ensure_running() if start else server.dsn()
        location = StoreLocation(dsn, server.dsn(DAGSTER_DB), server)
    if start:
        ensure_databases(location)
    return location


def ensure_databases(location: StoreLocation) -> None:
    """Create the GlobaLLM and Dagster databases when the server lacks them."""
    admin = with_dbname(location.dsn, "postgres")
    wanted = [dbname_of(location.dsn), dbname_of(location.dagster_dsn)]
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=10) as conn:
            existing = {
                row[0] for row in conn.execute("SELECT datname FROM pg_database").fetchall()
            }
            for name in wanted:
                if name not in existing:
                    # Another process may win the race to create it: that is fine.
                    with contextlib.suppress(psycopg.errors.DuplicateDatabase):
                        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
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
    """Bring the store up and migrate it to head: what every command that needs data calls."""
    location = locate(settings)
    migrate(location.dsn)
    return location


_prepared: dict[tuple[object, ...], StoreLocation] = {}
_prepared_lock = threading.Lock()


def prepared(settings: Settings) -> StoreLocation:
    """``prepare`` once per process and store: Dagster steps and services reuse the result."""
    url = settings.database.url.get_secret_value() if settings.database.url else None
    key = (url, str(settings.data_dir), settings.database.port)
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


def close_pools() -> None:
    with _pools_lock:
        for item in _pools.values():
            item.close()
        _pools.clear()
    with _prepared_lock:
        _prepared.clear()
