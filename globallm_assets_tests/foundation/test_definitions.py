"""The code location: Definitions load, import is cheap, the instance stores runs in PostgreSQL."""

import os
import subprocess
import sys

import dagster as dg

from globallm_assets.definitions import defs
from globallm_assets.services.dagster_home import prepare_dagster_home, sqlalchemy_url
from globallm_assets.settings import load_settings
from globallm_assets.store.db import locate


def test_definitions_load_with_assets_checks_jobs_and_schedules():
    repo = defs.get_repository_def()
    keys = {key.to_user_string() for key in repo.asset_graph.get_all_asset_keys()}
    assert {
        "repositories",
        "repository_health",
        "dependency_graph",
        "impact_scores",
        "repository_verdicts",
    } <= keys
    assert {job.name for job in repo.get_all_jobs()} >= {"analysis_job", "dependency_graph_job"}
    assert {s.name for s in repo.schedule_defs} >= {"daily_analysis", "daily_dependency_graph"}
    checks = {key.name for key in repo.asset_graph.asset_check_keys}
    assert {"scores_in_unit_interval", "no_duplicate_repositories", "graph_not_empty"} <= checks


def test_language_partitions_are_shared():
    repo = defs.get_repository_def()
    health = repo.assets_defs_by_key[dg.AssetKey("repository_health")]
    impact = repo.assets_defs_by_key[dg.AssetKey("impact_scores")]
    assert health.partitions_def is impact.partitions_def
    assert health.partitions_def.get_partition_keys() == [
        "python",
        "javascript",
        "typescript",
        "go",
        "rust",
        "java",
    ]


def test_import_touches_neither_network_nor_database():
    code = (
        "import socket\n"
        "def refuse(*a, **k):\n"
        "    raise RuntimeError('network used at import')\n"
        "socket.socket.connect = refuse\n"
        "socket.create_connection = refuse\n"
        "import globallm_assets.definitions\n"
        "print('ok')\n"
    )
    env = {**os.environ, "GLOBALLM_DATABASE_URL": "postgresql://x:y@10.255.255.1/none"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_dagster_instance_stores_runs_in_postgres(dsn, monkeypatch):
    settings = load_settings(overrides={"database.url": dsn})
    location = locate(settings)
    env = prepare_dagster_home(settings, location)
    assert env["GLOBALLM_DAGSTER_PG_URL"].startswith("postgresql+psycopg2://")
    for key, value in env.items():
        monkeypatch.setenv(key, value)

    @dg.asset
    def probe() -> int:
        return 1

    with dg.DagsterInstance.get() as instance:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        assert type(instance.event_log_storage).__name__ == "RedactingPostgresEventLogStorage"
        result = dg.materialize([probe], instance=instance)
        assert result.success
        run_id = result.run_id
    with dg.DagsterInstance.get() as again:
        assert again.get_run_by_id(run_id) is not None


def test_sqlalchemy_url_forces_psycopg2_dialect():
    assert (
        sqlalchemy_url("postgresql://u@/d?host=%2Ftmp") == "postgresql+psycopg2://u@/d?host=%2Ftmp"
    )
    assert sqlalchemy_url("postgres://u:p@h/d") == "postgresql+psycopg2://u:p@h/d"
