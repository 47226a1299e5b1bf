"""Resources take the store's location and secrets from the environment only.

A UI user cannot relocate the store with run config, and a password in the store URL never
reaches the Dagster instance's run, job and event records.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import dagster as dg
import psycopg
import pytest
from dagster._serdes import serialize_value

from globallm_assets.defs.pipeline import run_job
from globallm_assets.services.dagster_home import prepare_dagster_home
from globallm_assets.settings import load_settings
from globallm_assets.store.db import locate

PASSWORD = "Sup3r-Secret-Passw0rd-4-test"


def _with_password(dsn: str) -> str:
    parts = urlsplit(dsn)
    user, _, host = parts.netloc.rpartition("@")
    return urlunsplit(parts._replace(netloc=f"{user}:{PASSWORD}@{host}"))


def test_run_config_cannot_point_the_store_elsewhere(dsn, use_store):
    use_store(dsn, kind="simulated", repos_per_language=20)
    with (
        dg.DagsterInstance.ephemeral() as instance,
        pytest.raises(dg.DagsterInvalidConfigError),
    ):
        from globallm_assets.definitions import defs

        defs.resolve_job_def("dependency_graph_job").execute_in_process(
            instance=instance,
            run_config={"resources": {"store": {"config": {"url": "postgresql://evil/x"}}}},
        )


@pytest.mark.slow
def test_a_store_password_never_reaches_dagster_storage(dsn, monkeypatch):
    url = _with_password(dsn)  # local trust authentication ignores it; Dagster must not keep it
    settings = load_settings(
        overrides={
            "database.url": url,
            "source.kind": "simulated",
            "source.repos_per_language": 20,
        }
    )
    env = prepare_dagster_home(settings, locate(settings))
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert PASSWORD in env["GLOBALLM_DATABASE_URL"]  # the process environment has it …

    with dg.DagsterInstance.get() as instance:
        result = run_job(instance, "discovery_job", partition="python")
        run = instance.get_run_by_id(result.run_id)
        stored = [
            serialize_value(run),
            serialize_value(instance.get_job_snapshot(run.job_snapshot_id)),
            serialize_value(instance.get_execution_plan_snapshot(run.execution_plan_snapshot_id)),
            *(serialize_value(record) for record in instance.all_logs(run.run_id)),
        ]
    # … and none of what the instance stored does, through the API or in any raw row.
    assert all(PASSWORD not in text for text in stored)
    dagster_dsn = env["GLOBALLM_DAGSTER_PG_URL"].replace("postgresql+psycopg2://", "postgresql://")
    with psycopg.connect(dagster_dsn) as conn:
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
            ).fetchall()
        ]
        for table in tables:
            found = conn.execute(
                f'SELECT count(*) FROM "{table}" t WHERE t::text LIKE %s', (f"%{PASSWORD}%",)
            ).fetchone()[0]
            assert found == 0, table
