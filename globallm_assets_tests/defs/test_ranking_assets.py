"""issues → issue_categories → redundancy → issue_rankings, materialized on the simulated source."""

import dagster as dg
import psycopg
import pytest

from globallm_assets.defs.pipeline import STAGES, run_pipeline
from globallm_assets.services.sources import simulated_world


@pytest.mark.slow
def test_rankings_cover_touchable_open_issues_of_approved_repositories(dsn, demo_dsn, use_store):
    use_store(dsn, kind="simulated", seed=7, repos_per_language=1000)
    with dg.DagsterInstance.ephemeral() as instance:
        results = run_pipeline(instance, ["python"], stages=STAGES)
    assert all(r.success for r in results)
    evaluations = [e for r in results for e in r.get_asset_check_evaluations()]
    assert evaluations and all(e.passed for e in evaluations)

    world = simulated_world(7, 1000)
    with psycopg.connect(demo_dsn) as conn:
        approved = [
            row[0]
            for row in conn.execute(
                "SELECT name FROM repositories WHERE worth_working_on AND language = 'python'"
            )
        ]
        assert approved, "the simulated world has approved python repositories"
        issue_rows = conn.execute(
            "SELECT i.repository, i.number, i.state, k.priority, i.do_not_touch, i.category "
            "FROM issues i LEFT JOIN issue_rankings k "
            "ON k.repository = i.repository AND k.number = i.number "
            "ORDER BY i.repository, i.number"
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


@pytest.mark.slow
def test_one_failing_repository_does_not_fail_the_issues_asset(dsn, monkeypatch, use_store):
    from datetime import UTC, datetime

    from globallm_assets.core.models import IssueRecord, RepoMetadata
    from globallm_assets.definitions import defs
    from globallm_assets.defs.fleet import fleet_resources
    from globallm_assets.defs.resources import resources
    from globallm_assets.store import repositories as repo_store
    from globallm_assets_tests.fakes.github_server import FakeGitHub, synthesize_repo

    now = datetime(2026, 6, 1, tzinfo=UTC)
    live = RepoMetadata(full_name="acme/live", language="python", stars=9000, license="MIT")
    gone = RepoMetadata(full_name="acme/gone", language="python", stars=9000, license="MIT")
    issue = IssueRecord(
        repository="acme/live", number=1, title="Crash", created_at=now, updated_at=now
    )
    with FakeGitHub(
        [synthesize_repo(live, issues=[issue], now=now)], tokens=["tok_x_12345678"]
    ) as fake:
        monkeypatch.setenv("GITHUB_API_URL", fake.url)
        monkeypatch.setenv("GITHUB_TOKEN", "tok_x_12345678")
        with psycopg.connect(dsn) as conn:
            repo_store.upsert_repositories(
                conn, [(live, "python"), (gone, "python")], source="github"
            )
            repo_store.write_verdicts(conn, [("acme/live", True, "t"), ("acme/gone", True, "t")])
        use_store(dsn, kind="github")
        result = dg.materialize(
            list(defs.assets or []),
            selection=["issues"],
            partition_key="python",
            # Every asset of the project is passed, pr_outcomes (the fleet's) included.
            resources={**resources(), **fleet_resources},
        )
    assert result.success
    metadata = result.asset_materializations_for_node("issues")[0].metadata
    assert [r.data["repository"] for r in metadata["failed_repositories"].records] == ["acme/gone"]
    assert metadata["dagster/row_count"].value == 1  # the open issue of acme/live
    assert metadata["fetched"].value == 1
