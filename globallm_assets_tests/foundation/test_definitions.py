"""The code location: Definitions load, import is cheap, the instance stores runs in PostgreSQL."""

import os
import subprocess
import sys

import dagster as dg
from dagster_postgres import PostgresRunStorage

from globallm_assets.definitions import defs
from globallm_assets.services.dagster_home import prepare_dagster_home, sqlalchemy_url
from globallm_assets.settings import load_settings
from globallm_assets.store.db import locate


def test_loading_the_code_location_prints_no_beta_warning():
    # Every Dagster BetaWarning made an error: Dagster's own re-creation of the sensors must not
    # reach a user of `globallm run` or the UI as a warning on every load.
    load = (
        "import warnings, dagster; warnings.simplefilter('error', dagster.BetaWarning); "
        "import globallm_assets.definitions as d; d.defs.get_repository_def()"
    )
    done = subprocess.run(
        [sys.executable, "-c", load],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr.strip().splitlines()[-1:]


def test_definitions_load_with_assets_checks_jobs_and_automation():
    repo = defs.get_repository_def()
    keys = {key.to_user_string() for key in repo.asset_graph.get_all_asset_keys()}
    assert {
        "repositories",
        "repository_health",
        "dependency_graph",
        "impact_scores",
        "repository_verdicts",
    } <= keys
    assert {job.name for job in repo.get_all_jobs()} >= {
        "discovery_job",
        "dependency_graph_job",
        "analysis_job",
        "ranking_job",
    }
    assert {s.name for s in repo.sensor_defs} >= {"globallm_automation"}
    checked = {key.asset_key.to_user_string() for key in repo.asset_graph.asset_check_keys}
    # Every asset has a check of its own.
    assert checked == keys


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
        assert isinstance(instance.run_storage, PostgresRunStorage)
        assert type(instance.event_log_storage).__name__ == "RedactingPostgresEventLogStorage"
        result = dg.materialize([probe], instance=instance)
        assert result.success
        run_id = result.run_id
        # Each storage keeps its connection: the run's dozens of events reused one.
        for storage in (instance.run_storage, instance.event_log_storage):
            pool = storage._engine.pool
            assert pool.checkedin() == 1 and pool.checkedout() == 0
    with dg.DagsterInstance.get() as again:
        assert again.get_run_by_id(run_id) is not None


def test_sqlalchemy_url_forces_psycopg2_dialect():
    assert (
        sqlalchemy_url("postgresql://u@/d?host=%2Ftmp") == "postgresql+psycopg2://u@/d?host=%2Ftmp"
    )
    assert sqlalchemy_url("postgres://u:p@h/d") == "postgresql+psycopg2://u:p@h/d"


def test_github_calling_assets_share_the_github_api_pool_limited_by_the_instance(dsn, monkeypatch):
    graph = defs.resolve_asset_graph()
    pools = {key.to_user_string(): graph.get(key).pools for key in graph.get_all_asset_keys()}
    github = {"repositories", "repository_health", "issues"}
    for name, asset_pools in pools.items():
        assert asset_pools == ({"github_api"} if name in github else set()), name

    settings = load_settings(overrides={"database.url": dsn})
    for key, value in prepare_dagster_home(settings, locate(settings)).items():
        monkeypatch.setenv(key, value)
    with dg.DagsterInstance.get() as instance:
        assert instance.get_concurrency_config().pool_config.default_pool_limit == 2
        # Two cores: three runs at once, at most two of them per-language pipeline runs (the
        # daemon's runs carry dagster/partition; a redundancy run covers all languages).
        queue = instance.get_concurrency_config().run_queue_config
        assert queue.max_concurrent_runs == 3
        limits = {(t["key"], t.get("value")): t["limit"] for t in queue.tag_concurrency_limits}
        assert limits[("dagster/partition", None)] == 2
        assert instance.run_monitoring_enabled
        assert instance.run_launcher.supports_check_run_worker_health


def test_every_asset_says_who_owns_it_where_it_lives_and_what_it_means():
    graph = defs.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        name = key.to_user_string()
        assert node.owners and node.code_version, name
        domains = {"discovery", "analysis", "ranking", "contribute"}
        assert node.tags.get("globallm/domain") in domains, name
        table = node.metadata["dagster/table_name"]
        assert table.startswith("public."), name
        columns = node.metadata["dagster/column_schema"].columns
        assert columns and all(column.description for column in columns), name
        # Markdown, not reST: the UI shows double backticks literally.
        assert node.description and "``" not in node.description, name
