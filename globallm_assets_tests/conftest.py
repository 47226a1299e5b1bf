"""Shared fixtures: one real PostgreSQL server per test session, a fresh database per test.

The server is GlobaLLM's own embedded cluster (so these fixtures exercise that code too), in a
temporary directory. Each test that asks for ``dsn`` gets a new database cloned from a migrated
template, which takes milliseconds and isolates tests completely.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from globallm_assets.store.db import DEMO_SUFFIX, close_pools, dbname_of, with_dbname
from globallm_assets.store.embedded import EmbeddedServer
from globallm_assets.store.migrations import migrate

_ISOLATED_VARS = (
    "GITHUB_TOKEN",
    "GITHUB_API_URL",
    "ANTHROPIC_API_KEY",
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "ANTHROPIC_BASE_URL",
    "DAGSTER_HOME",
)


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No test sees the developer's config, .env, tokens or data dir."""
    for name in list(os.environ):
        if name.startswith("GLOBALLM_") or name in _ISOLATED_VARS:
            monkeypatch.delenv(name, raising=False)
    home = tmp_path / "home"
    (home / "config").mkdir(parents=True)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    # The tests' simulated world is smaller than the default (faster; names match
    # simulated_world(7, 200) used to pick repositories in tests).
    monkeypatch.setenv("GLOBALLM_SOURCE__REPOS_PER_LANGUAGE", "200")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _shared_tmpdir(prefix: str) -> Path:
    # The server may run as an unprivileged user (when tests run as root): it must be able to
    # traverse the directory, and pytest's own tmp root is private to the current user.
    path = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    path.chmod(0o755)
    return path


@pytest.fixture(scope="session")
def pg_server() -> Iterator[EmbeddedServer]:
    base = _shared_tmpdir("globallm-test-pg-")
    server = EmbeddedServer(base)
    server.ensure_running()
    try:
        yield server
    finally:
        close_pools()
        server.stop()
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def admin_dsn(pg_server: EmbeddedServer) -> str:
    return pg_server.dsn("postgres")


@pytest.fixture(scope="session")
def template_db(admin_dsn: str) -> str:
    name = "globallm_template"
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    migrate(with_dbname(admin_dsn, name))
    return name


def _create_database(admin_dsn: str, template: str | None) -> str:
    name = f"t_{uuid.uuid4().hex[:16]}"
    query = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
    if template:
        query = sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
            sql.Identifier(name), sql.Identifier(template)
        )
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(query)
    return name


def _drop_database(admin_dsn: str, name: str) -> None:
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


@pytest.fixture
def dsn(admin_dsn: str, template_db: str) -> Iterator[str]:
    """A fresh, fully migrated database for this test (the real world's, when a command or
    asset is pointed at it with ``--database-url``)."""
    name = _create_database(admin_dsn, template_db)
    try:
        yield with_dbname(admin_dsn, name)
    finally:
        close_pools()
        _drop_database(admin_dsn, name)
        _drop_database(admin_dsn, name + DEMO_SUFFIX)


@pytest.fixture
def demo_dsn(dsn: str, admin_dsn: str, template_db: str) -> str:
    """The simulated world's database beside ``dsn``: where a command run with
    ``--database-url dsn`` and the simulated source reads and writes (dropped with ``dsn``)."""
    name = dbname_of(dsn) + DEMO_SUFFIX
    query = sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
        sql.Identifier(name), sql.Identifier(template_db)
    )
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(query)
    return with_dbname(dsn, name)


@pytest.fixture
def empty_dsn(admin_dsn: str) -> Iterator[str]:
    """A fresh database with no schema at all (for migration tests)."""
    name = _create_database(admin_dsn, None)
    try:
        yield with_dbname(admin_dsn, name)
    finally:
        close_pools()
        _drop_database(admin_dsn, name)


@pytest.fixture
def conn(dsn: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(dsn) as connection:
        yield connection


@pytest.fixture
def use_store(monkeypatch: pytest.MonkeyPatch):
    """Point Dagster resources (which read only the environment) at a store and a source.

    ``use_store(dsn, kind="simulated", seed=11, repos_per_language=400)``.
    """

    def configure(url: str, **source: object) -> None:
        monkeypatch.setenv("GLOBALLM_DATABASE_URL", url)
        for key, value in source.items():
            monkeypatch.setenv(f"GLOBALLM_SOURCE__{key.upper()}", str(value))

    return configure
