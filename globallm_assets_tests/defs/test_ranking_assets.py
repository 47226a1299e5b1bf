"""issues → issue_categories → redundancy → issue_rankings, materialized on the simulated source."""

import dagster as dg
import psycopg
import pytest

from globallm_assets.defs.pipeline import STAGES, run_pipeline
from globallm_assets.defs.resources import PostgresResource, SourceResource
from globallm_assets.services.sources import simulated_world


@pytest.mark.slow
def test_rankings_cover_touchable_open_issues_of_approved_repositories(dsn):
    resources = {
        "store": PostgresResource(url=dsn),
        "source": SourceResource(kind="simulated", seed=7, repos_per_language=1000),
    }
    with dg.DagsterInstance.ephemeral() as instance:
        results = run_pipeline(instance, resources, ["python"], stages=STAGES)
    assert all(r.success for r in results)
    evaluations = [e for r in results for e in r.get_asset_check_evaluations()]
    assert evaluations and all(e.passed for e in evaluations)

    world = simulated_world(7, 1000)
    with psycopg.connect(dsn) as conn:
        approved = [
            row[0]
            for row in conn.execute(
                "SELECT name FROM repositories WHERE worth_working_on AND language = 'python'"
            )
        ]
        assert approved, "the simulated world has approved python repositories"
        issue_rows = conn.execute(
            "SELECT repository, number, state, priority, do_not_touch, category "
            "FROM issues ORDER BY repository, number"
        ).fetchall()
        redundancy_rows = conn.execute("SELECT count(*) FROM redundancy").fetchone()[0]
        python_repos = conn.execute(
            "SELECT count(*) FROM repositories WHERE language = 'python'"
        ).fetchone()[0]

    # Every open upstream issue of every approved repository is stored; nothing else is.
    expected = {
        (name, issue.number) for name in approved for issue in world.issues(name, state="open")
    }
    assert {(r[0], r[1]) for r in issue_rows} == expected
    for repository, _number, state, priority, do_not_touch, category in issue_rows:
        assert repository in approved and state == "open" and category
        assert (priority is None) == do_not_touch
    assert any(r[4] for r in issue_rows), "some issues are locked/assigned/wontfix"
    assert redundancy_rows == python_repos
