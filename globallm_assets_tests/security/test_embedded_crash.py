"""A first start killed with SIGKILL while initdb runs never leaves a store that cannot start."""

import os
import signal
import subprocess
import sys
import time

import psycopg

from globallm_assets.store.embedded import EmbeddedServer


def _initdb_running(pgid: int) -> bool:
    out = subprocess.run(["ps", "-o", "pgid=,args=", "-e"], capture_output=True, text=True)
    return any(
        line.split(None, 1)[0] == str(pgid) and "initdb" in line
        for line in out.stdout.splitlines()
        if line.strip()
    )


def test_sigkill_during_the_first_initdb_then_a_normal_start(base):
    data_dir = base / "data"
    code = (
        "from globallm_assets.store.embedded import EmbeddedServer;"
        f"EmbeddedServer({str(data_dir)!r}).ensure_running()"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], start_new_session=True)
    deadline = time.monotonic() + 60
    while not _initdb_running(proc.pid):
        assert proc.poll() is None, "the first start ended before initdb was seen"
        assert time.monotonic() < deadline
        time.sleep(0.02)
    time.sleep(0.2)  # well inside initdb (it takes seconds): files exist, the cluster is not done
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()

    server = EmbeddedServer(data_dir)
    dsn = server.ensure_running()
    with psycopg.connect(server.dsn("postgres"), autocommit=True) as conn:
        conn.execute("CREATE DATABASE globallm")
    with psycopg.connect(dsn) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
    # Nothing half-made is left beside the cluster.
    assert sorted(p.name for p in data_dir.iterdir() if p.name.startswith(".init")) == []


def test_a_cluster_left_unfinished_in_place_is_moved_aside_and_recreated(base):
    # Versions before the staging directory ran initdb in place: a kill left PG_VERSION and
    # some files, but no global/pg_control.
    data_dir = base / "data"
    (data_dir / "postgres" / "base").mkdir(parents=True)
    (data_dir / "postgres" / "PG_VERSION").write_text("15\n")
    server = EmbeddedServer(data_dir)
    server.ensure_running()
    with psycopg.connect(server.dsn("postgres")) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
    aside = [p for p in data_dir.iterdir() if p.name.startswith("postgres.incomplete-")]
    assert len(aside) == 1 and (aside[0] / "PG_VERSION").exists()
