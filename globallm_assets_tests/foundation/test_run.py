"""`globallm run` / `globallm demo`: the project's own jobs, recorded in the world's instance.

One small demo (two languages, 60 simulated repositories each) serves the assertions: runs
belong to the project's jobs, with the code location's origin (re-executable from the UI), one
per stage and language; every check result carries its partition; the real world's instance
and database stay empty.
"""

from __future__ import annotations

from datetime import UTC, datetime

import dagster as dg
import psycopg
import pytest

from globallm_assets.services.dagster_home import prepare_dagster_home
from globallm_assets.settings import load_settings
from globallm_assets.store.db import locate
from globallm_assets_tests.cli_runner import cli, simulated_db
from globallm_assets_tests.conftest import _shared_tmpdir

JOBS = {"discovery_job", "dependency_graph_job", "analysis_job", "redundancy_job", "ranking_job"}


def _instance_env(dsn: str, data_dir: str, **overrides: object) -> dict[str, str]:
    settings = load_settings(overrides={"database.url": dsn, "data_dir": data_dir, **overrides})
    return prepare_dagster_home(settings, locate(settings))


@pytest.mark.slow
def test_demo_runs_the_projects_jobs_per_partition_with_partitioned_check_results(
    dsn, capsys, monkeypatch
):
    data_dir = str(_shared_tmpdir("globallm-run-"))
    # Instances are per world and server, not per test database: look at this test's runs only.
    since = dg.RunsFilter(created_after=datetime.now(UTC))
    # A small world has few repositories above the default 1000 stars and 0.5 impact.
    monkeypatch.setenv("GLOBALLM_FILTERS__MIN_STARS", "100")
    monkeypatch.setenv("GLOBALLM_THRESHOLDS__IMPACT", "0.2")
    args = ["--database-url", dsn, "--data-dir", data_dir, "demo", "--languages", "python,rust"]
    # The fix stage has its own test (cli/test_demo_end_to_end.py).
    assert cli(*args, "--repos-per-language", "60", "--fix", "0") == 0
    out = capsys.readouterr().out
    assert "GlobaLLM demo: repositories worth working on" in out
    assert "globallm dev --source simulated" in out

    simulated = {"source.kind": "simulated", "source.repos_per_language": 60}
    for key, value in _instance_env(dsn, data_dir, **simulated).items():
        monkeypatch.setenv(key, value)
    with dg.DagsterInstance.get() as instance:
        runs = instance.get_runs(filters=since)
        assert {run.job_name for run in runs} == JOBS
        by_job: dict[str, list[str | None]] = {}
        for run in runs:
            assert run.status == dg.DagsterRunStatus.SUCCESS
            # The UI re-executes a run through this origin: location and repository must match
            # the code location `globallm dev` loads.
            assert run.remote_job_origin is not None
            assert run.remote_job_origin.location_name == "globallm"
            assert run.remote_job_origin.repository_origin.repository_name == "__repository__"
            assert run.tags["globallm/source"] == "simulated"
            by_job.setdefault(run.job_name, []).append(run.tags.get("dagster/partition"))
        assert by_job["dependency_graph_job"] == [None]
        for job in ("discovery_job", "analysis_job", "ranking_job"):
            assert sorted(by_job[job]) == ["python", "rust"]
        # Redundancy: python and rust are not adjacent partitions, so one range run each (in one
        # process, which loads the model once).
        assert by_job["redundancy_job"] == [None, None]

        evaluations = []
        for run in runs:
            for record in instance.all_logs(
                run.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION
            ):
                data = record.dagster_event.asset_check_evaluation_data
                partition = run.tags.get("dagster/partition") or run.tags.get(
                    "dagster/asset_partition_range_start"
                )
                evaluations.append((partition, data))
        # Every materialization reports its row count; numbers shown are rounded.
        for run in runs:
            for record in instance.all_logs(
                run.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION
            ):
                metadata = record.asset_materialization.metadata
                assert "dagster/row_count" in metadata, record.asset_materialization.asset_key
                for value in metadata.values():
                    if isinstance(value, dg.FloatMetadataValue):
                        assert value.value == round(value.value, 3)
                    if isinstance(value, dg.TableMetadataValue):
                        for row in value.records:
                            for cell in row.data.values():
                                assert not isinstance(cell, float) or cell == round(cell, 3)
        checked = {(d.asset_key.to_user_string(), d.check_name) for _, d in evaluations}
        assert len(checked) == 9  # every check of every asset reported
        for partition, data in evaluations:
            assert data.partition == partition, data.check_name
            assert data.passed, (data.asset_key, data.check_name, partition)

    # Nothing reached the real world: no rows, no runs in its instance.
    with psycopg.connect(dsn) as conn:
        assert conn.execute("SELECT count(*) FROM repositories").fetchone()[0] == 0
    with psycopg.connect(simulated_db(dsn)) as conn:
        assert conn.execute("SELECT count(*) FROM repositories").fetchone()[0] > 0
        ranked = conn.execute("SELECT count(*) FROM issue_rankings")
        assert ranked.fetchone()[0] > 0
    for key, value in _instance_env(dsn, data_dir, **{"source.kind": "github"}).items():
        monkeypatch.setenv(key, value)
    with dg.DagsterInstance.get() as instance:
        assert instance.get_runs(filters=since) == []


@pytest.mark.slow
def test_a_failing_run_ends_with_one_line_naming_the_cause_and_no_secret(dsn, capsys, monkeypatch):
    from globallm_assets_tests.fakes.github_server import FakeGitHub

    token = "ghp_" + "R" * 36
    data_dir = str(_shared_tmpdir("globallm-run-fail-"))
    with FakeGitHub([], tokens=["ghp_" + "S" * 36]) as github:  # our token is refused: 401
        monkeypatch.setenv("GITHUB_API_URL", github.url)
        monkeypatch.setenv("GITHUB_TOKEN", token)
        args = ["--database-url", dsn, "--data-dir", data_dir, "run", "--languages", "python"]
        assert cli(*args, "--source", "github") == 1
    captured = capsys.readouterr()
    lines = [line for line in captured.err.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("error: discovery_job (python): repositories failed: ")
    assert "401" in lines[0] and "SourceError" not in lines[0]
    assert "Traceback" not in captured.err and "Traceback" not in captured.out
    assert token not in captured.err + captured.out
