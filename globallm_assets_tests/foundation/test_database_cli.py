"""`globallm database init | status | migrate | close` on a real embedded server."""

import json
import shutil

import psycopg
import pytest

from globallm_assets.store.migrations import discover
from globallm_assets_tests.cli_runner import cli
from globallm_assets_tests.conftest import _shared_tmpdir


@pytest.fixture
def data_dir():
    path = _shared_tmpdir("globallm-cli-")
    yield path / "data"
    cli("--data-dir", str(path / "data"), "database", "close")
    shutil.rmtree(path, ignore_errors=True)


def test_init_status_close_lifecycle(data_dir, capsys):
    assert cli("--data-dir", str(data_dir), "database", "init") == 0
    assert "applied" in capsys.readouterr().out

    assert cli("--data-dir", str(data_dir), "database", "status", "--export", "json") == 0
    report = json.loads(capsys.readouterr().out)
    assert report["mode"] == "embedded"
    assert report["running"] is True
    assert report["pending"] == []
    assert len(report["applied"]) == len(discover())

    assert cli("--data-dir", str(data_dir), "database", "migrate") == 0
    assert "up to date" in capsys.readouterr().out

    assert cli("--data-dir", str(data_dir), "database", "close") == 0
    assert "stopped" in capsys.readouterr().out
    # Not running: status says so and exits 1, so scripts can test it.
    assert cli("--data-dir", str(data_dir), "database", "status", "--export", "json") == 1
    assert json.loads(capsys.readouterr().out)["running"] is False


def test_external_url_is_used_and_migrated(dsn, admin_dsn, capsys):
    assert cli("--database-url", dsn, "database", "status", "--export", "json") == 0
    report = json.loads(capsys.readouterr().out)
    assert report["mode"] == "external"
    assert report["pending"] == []
    assert cli("--database-url", dsn, "database", "close") == 0
    assert "nothing to stop" in capsys.readouterr().out
    with psycopg.connect(dsn) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)


def test_migrate_to_a_version_then_head(empty_dsn, capsys):
    assert cli("--database-url", empty_dsn, "database", "migrate", "--to", "1") == 0
    assert "0001_initial" in capsys.readouterr().out
    assert cli("--database-url", empty_dsn, "database", "status", "--export", "json") == 0
    report = json.loads(capsys.readouterr().out)
    assert report["applied"] == ["0001_initial"]
    assert len(report["pending"]) == len(discover()) - 1


def test_unreachable_external_server_is_one_line_exit_1(capsys):
    url = "postgresql://nobody:secretpw@127.0.0.1:1/none"
    assert cli("--database-url", url, "database", "init") == 1
    err = capsys.readouterr().err
    assert "cannot reach PostgreSQL" in err
    assert "secretpw" not in err
    assert "Traceback" not in err


def test_a_url_that_is_not_postgres_is_a_usage_error(capsys):
    assert cli("--database-url", "mysql://u:p@h/db", "database", "init") == 2
    assert "postgresql://" in capsys.readouterr().err
