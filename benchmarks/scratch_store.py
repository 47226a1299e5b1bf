"""A throwaway PostgreSQL database for a benchmark: the benchmarks time the store, so each gets a
private embedded server, migrated, and removed afterwards (imported by the bench_* scripts)."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg


@contextlib.contextmanager
def scratch_database(prefix: str) -> Iterator[str]:
    """Start a server under a new temporary directory, yield the DSN of a migrated ``bench``
    database, and stop and delete everything on the way out, whatever happened."""
    from globallm_assets.store.db import close_pools, with_dbname
    from globallm_assets.store.embedded import EmbeddedServer
    from globallm_assets.store.migrations import migrate

    base = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    base.chmod(0o755)  # the server runs as an unprivileged user when we are root
    server = EmbeddedServer(base)
    try:
        admin = server.ensure_running()
        with psycopg.connect(with_dbname(admin, "postgres"), autocommit=True) as conn:
            conn.execute("CREATE DATABASE bench")
        dsn = with_dbname(admin, "bench")
        migrate(dsn)
        yield dsn
    finally:
        close_pools()
        server.stop()
        shutil.rmtree(base, ignore_errors=True)
