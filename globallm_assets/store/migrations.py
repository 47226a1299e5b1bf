"""Schema migrations: ``sql/NNNN_description.sql`` applied in order, each in its own transaction.

Applied files are recorded in ``schema_migrations`` with a SHA-256 checksum; editing an applied
file is an error (write a new migration instead). Concurrent runners serialise on an advisory lock,
so two processes starting at once never apply the same file twice.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import psycopg

# Any fixed 64-bit key works; it only has to be the same for every GlobaLLM process.
ADVISORY_LOCK_KEY = 0x61_6C_6C_6D_6D_69_67  # "allmmig"
_FILE_RE = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


class MigrationError(RuntimeError):
    """Migration files or the recorded history are inconsistent."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    path: Path
    checksum: str

    @property
    def sql(self) -> str:
        return self.path.read_text(encoding="utf-8")


@dataclass(frozen=True)
class AppliedMigration:
    version: int
    name: str
    checksum: str
    applied_at: datetime


def default_migrations_dir() -> Path:
    """``sql/`` beside the package in a checkout, or the copy bundled into the wheel."""
    package_dir = Path(__file__).resolve().parents[1]
    for candidate in (package_dir.parent / "sql", package_dir / "_sql"):
        if candidate.is_dir():
            return candidate
    raise MigrationError(f"no migrations directory found near {package_dir}")


def discover(directory: Path | None = None) -> list[Migration]:
    directory = directory or default_migrations_dir()
    found: dict[int, Migration] = {}
    for path in sorted(directory.glob("*.sql")):
        match = _FILE_RE.match(path.name)
        if not match:
            raise MigrationError(f"{path.name}: migration files must be named NNNN_description.sql")
        version = int(match.group(1))
        if version in found:
            raise MigrationError(
                f"{path.name}: version {version} is used by {found[version].path.name}"
            )
        checksum = hashlib.sha256(path.read_bytes()).hexdigest()
        found[version] = Migration(version, match.group(2), path, checksum)
    return [found[v] for v in sorted(found)]


_CREATE_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    integer PRIMARY KEY,
    name       text NOT NULL,
    checksum   text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)
"""


def applied(conn: psycopg.Connection) -> list[AppliedMigration]:
    exists = conn.execute("SELECT to_regclass('schema_migrations') IS NOT NULL").fetchone()
    if not exists or not exists[0]:
        return []
    rows = conn.execute(
        "SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version"
    ).fetchall()
    return [AppliedMigration(*row) for row in rows]


def verify(done: list[AppliedMigration], available: list[Migration]) -> None:
    by_version = {m.version: m for m in available}
    for row in done:
        migration = by_version.get(row.version)
        if migration is None:
            raise MigrationError(
                f"database has migration {row.version:04d}_{row.name} which is not in the "
                "migrations directory (is this checkout older than the database?)"
            )
        if migration.checksum != row.checksum:
            raise MigrationError(
                f"{migration.path.name} changed after it was applied (checksum mismatch); "
                "add a new migration instead of editing an applied one"
            )


def pending(conn: psycopg.Connection, directory: Path | None = None) -> list[Migration]:
    available = discover(directory)
    done = applied(conn)
    verify(done, available)
    versions = {row.version for row in done}
    return [m for m in available if m.version not in versions]


def migrate(
    dsn: str, directory: Path | None = None, *, target: int | None = None
) -> list[Migration]:
    """Apply pending migrations up to ``target`` (default: all); returns what was applied."""
    available = discover(directory)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (ADVISORY_LOCK_KEY,))
        try:
            conn.execute(_CREATE_TABLE)
            done = applied(conn)
            verify(done, available)
            versions = {row.version for row in done}
            todo = [
                m
                for m in available
                if m.version not in versions and (target is None or m.version <= target)
            ]
            for migration in todo:
                try:
                    with conn.transaction():
                        conn.execute(migration.sql.encode())
                        conn.execute(
                            "INSERT INTO schema_migrations (version, name, checksum)"
                            " VALUES (%s, %s, %s)",
                            (migration.version, migration.name, migration.checksum),
                        )
                except psycopg.Error as exc:
                    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc)
                    raise MigrationError(f"{migration.path.name} failed: {first}") from None
            return todo
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (ADVISORY_LOCK_KEY,))
