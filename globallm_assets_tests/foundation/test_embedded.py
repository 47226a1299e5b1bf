"""The embedded server: start, reuse by a second process, close, restart with data intact."""

import shutil
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from globallm_assets.store import embedded
from globallm_assets.store.embedded import EmbeddedServer, EmbeddedServerError


@pytest.fixture
def data_dir():
    from globallm_assets_tests.conftest import _shared_tmpdir

    path = _shared_tmpdir("globallm-embedded-")
    yield path / "data"
    server = EmbeddedServer(path / "data")
    if server.initialized:
        server.stop()
    shutil.rmtree(path, ignore_errors=True)


def test_start_reuse_close_and_restart_keep_data(data_dir):
    server = EmbeddedServer(data_dir)
    dsn = server.ensure_running()
    first = server.status()
    assert first.running and first.pid
    with psycopg.connect(server.dsn("postgres"), autocommit=True) as conn:
        conn.execute("CREATE DATABASE globallm")
    with psycopg.connect(dsn) as conn:
        conn.execute("CREATE TABLE kept (v text)")
        conn.execute("INSERT INTO kept VALUES ('still here')")

    # A second process reuses the running server instead of starting another one.
    code = (
        "import sys; from globallm_assets.store.embedded import EmbeddedServer;"
        f"print(EmbeddedServer({str(data_dir)!r}).ensure_running())"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == dsn
    assert server.status().pid == first.pid

    assert server.stop() is True
    assert server.status().running is False
    assert server.stop() is False
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(dsn, connect_timeout=2)

    server.ensure_running()
    with psycopg.connect(dsn) as conn:
        assert conn.execute("SELECT v FROM kept").fetchall() == [("still here",)]


def test_socket_lives_in_the_data_dir_and_no_tcp_port_by_default(data_dir):
    server = EmbeddedServer(data_dir)
    server.ensure_running()
    assert (server.pgdata / ".s.PGSQL.5432").exists()
    with psycopg.connect(server.dsn("postgres")) as conn:
        assert conn.execute("SHOW listen_addresses").fetchone() == ("",)


def test_missing_binaries_say_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setattr(embedded.shutil, "which", lambda name: None)
    monkeypatch.setattr(embedded.glob, "glob", lambda pattern: [])
    with pytest.raises(EmbeddedServerError) as info:
        embedded.find_bindir()
    message = str(info.value)
    assert "apt-get install postgresql" in message
    assert "GLOBALLM_DATABASE_URL" in message


def test_finds_debian_versioned_binaries(monkeypatch, tmp_path):
    for version in ("13", "15"):
        bindir = tmp_path / version / "bin"
        bindir.mkdir(parents=True)
        for tool in ("initdb", "pg_ctl"):
            (bindir / tool).write_text("")
    monkeypatch.setattr(embedded.shutil, "which", lambda name: None)
    monkeypatch.setattr(
        embedded.glob,
        "glob",
        lambda pattern: [str(tmp_path / "13" / "bin"), str(tmp_path / "15" / "bin")],
    )
    assert embedded.find_bindir() == Path(tmp_path / "15" / "bin")


def test_optional_loopback_port_requires_the_generated_password(data_dir):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = EmbeddedServer(data_dir, port=port)
    server.ensure_running()
    password = server.password_file.read_text().strip()
    assert oct(server.password_file.stat().st_mode & 0o777) == "0o600"
    url = f"postgresql://globallm:{password}@127.0.0.1:{port}/postgres"
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(f"postgresql://globallm:wrong@127.0.0.1:{port}/postgres", connect_timeout=5)
