"""The discover → analyze asset chain, materialized for real on the simulated source."""

import math

import dagster as dg
import psycopg
import pytest

from globallm_assets.defs.pipeline import ANALYSIS_STAGES, GRAPH, run_pipeline
from globallm_assets.services.sources import simulated_world


def _snapshot(dsn: str) -> list[tuple]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(
            "SELECT name, language, health_score, impact_score, worth_working_on, verdict_reason "
            "FROM repositories ORDER BY name"
        ).fetchall()


@pytest.mark.slow
def test_asset_chain_scores_every_discovered_repository_idempotently(dsn, demo_dsn, use_store):
    use_store(dsn, kind="simulated", seed=11, repos_per_language=400)
    with dg.DagsterInstance.ephemeral() as instance:
        results = run_pipeline(instance, ["python", "rust"], stages=ANALYSIS_STAGES)
        assert all(r.success for r in results)
        checks = [
            evaluation for result in results for evaluation in result.get_asset_check_evaluations()
        ]
        assert checks and all(c.passed for c in checks), [c.check_name for c in checks]
        first = _snapshot(demo_dsn)

        # Rows: exactly the simulated repositories that pass the default filters.
        world = simulated_world(11, 400)
        expected = {
            m.full_name
            for lang in ("python", "rust")
            for m in world.repositories(lang)
            if m.stars >= 1000 and not m.archived and not m.is_fork and m.license is not None
        }
        stored = {row[0] for row in first}
        assert stored <= expected
        assert len(stored) >= 0.8 * len(expected)
        for _, _, health, impact, worth, reason in first:
            assert 0.0 <= health <= 1.0 and not math.isnan(health)
            assert 0.0 <= impact <= 1.0 and not math.isnan(impact)
            assert worth == (health > 0.5 and impact > 0.5)
            assert reason

        with psycopg.connect(demo_dsn) as conn:
            edges = conn.execute("SELECT count(*) FROM dependency_edges").fetchone()[0]
        assert edges > 0

        # Materializing again rewrites the same partitions to the same values.
        run_pipeline(instance, ["python", "rust"], stages=ANALYSIS_STAGES)
        assert _snapshot(demo_dsn) == first


@pytest.mark.slow
def test_empty_graph_fails_its_check(dsn, use_store):
    use_store(dsn, kind="simulated", seed=11, repos_per_language=50)
    with dg.DagsterInstance.ephemeral() as instance:
        [result] = run_pipeline(instance, [], stages=[GRAPH])
    evaluations = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    # Nothing was discovered, so the graph has no repositories to connect.
    assert evaluations == {"graph_not_empty": False}
