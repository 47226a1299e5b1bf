"""Discover → analyze use-cases: the CLI paths and the asset paths must agree."""

from datetime import UTC, datetime

import psycopg
import pytest

from globallm_assets.core.models import ActivityStats, DependencyEdge, RepoMetadata
from globallm_assets.services import analysis
from globallm_assets.services.sources import simulated_world
from globallm_assets.settings import load_settings
from globallm_assets.sources.github import GitHubSource
from globallm_assets.store import repositories as repo_store
from globallm_assets_tests.fakes.github_server import FakeGitHub, synthesize_repo

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def _stored(name: str, stars: int = 100) -> repo_store.StoredRepository:
    return analysis.transient_repository(
        RepoMetadata(full_name=name, language="python", stars=stars)
    )


def test_registry_spelling_of_a_name_maps_onto_the_stored_one():
    settings = load_settings()
    repos = [_stored("PyCQA/flake8", 3000), _stored("acme/app")]
    edges = [DependencyEdge(dependent="acme/app", dependency="pycqa/FLAKE8", ecosystem="pypi")]
    rows = {name: parts for name, _, parts in analysis.impact_rows(settings, repos, edges)}
    assert rows["PyCQA/flake8"]["direct_dependents"] == 1
    assert set(rows) == {"PyCQA/flake8", "acme/app"}


def _graph(conn: psycopg.Connection, world) -> None:
    edges, packages = analysis.ecosystem_graph(world.package_index("pypi"), [])
    repo_store.replace_graph(conn, "pypi", edges, packages)


def test_discovery_adds_depended_upon_repositories_below_the_star_bar(dsn):
    settings = load_settings(overrides={"source.kind": "simulated"})
    world = simulated_world(7, 200)
    with psycopg.connect(dsn, autocommit=True) as conn:
        _graph(conn, world)
        counts = repo_store.dependents_counts(conn)
        report = analysis.discover(
            settings, world, dsn, language="python", min_stars=10**9, min_dependents=3
        )
    assert report.kept, "no repository has a billion stars: all keepers came from the graph"
    for meta in report.kept:
        assert counts[meta.full_name] >= 3
        assert meta.stars < 10**9


def test_analyze_and_analyze_user_agree_with_the_asset_path(dsn):
    settings = load_settings(overrides={"source.kind": "simulated"})
    world = simulated_world(7, 200)
    with psycopg.connect(dsn, autocommit=True) as conn:
        _graph(conn, world)
        analysis.discover(settings, world, dsn, language="python", max_results=50)
        stored = repo_store.list_repositories(conn, language="python")
        target = stored[0]
        mine = [r.name for r in stored]
        asset_impact = {
            n: s for n, s, _ in analysis.ecosystem_impact(settings, conn, "python", only=mine)
        }
        fresh, _ = analysis.refreshed_metadata(world, [r.metadata for r in stored])
        asset_health = {n: s for n, s, _ in analysis.health_rows(settings, world, fresh, now=NOW)}
        single = analysis.analyze_repository(settings, world, dsn, target.name)
        owner = target.name.split("/")[0]
        by_owner = {r.name: r for r in analysis.analyze_owner(settings, world, dsn, owner, now=NOW)}
    assert single.impact == pytest.approx(asset_impact[target.name])
    assert by_owner[target.name].impact == pytest.approx(asset_impact[target.name])
    assert by_owner[target.name].health == pytest.approx(asset_health[target.name])


def test_health_uses_batch_metadata_not_thin_search_results(dsn):
    """REST search has no closed-issue count: scoring it would call every repository stale."""
    settings = load_settings()
    meta = RepoMetadata(
        full_name="acme/busy",
        language="python",
        stars=5000,
        license="MIT",
        open_issues=60,
        closed_issues=900,
        pushed_at=NOW,
        created_at=NOW.replace(year=2020),
    )
    repo = synthesize_repo(
        meta,
        ActivityStats(commits_90d=40, contributors=12, ci_runs_total=10, ci_runs_passed=9),
        now=NOW,
    )
    with (
        FakeGitHub([repo], tokens=["tok_test_aaaaaaaa"]) as fake,
        GitHubSource(["tok_test_aaaaaaaa"], api_url=fake.url) as source,
        psycopg.connect(dsn, autocommit=True) as conn,
    ):
        analysis.discover(settings, source, dsn, language="python", max_results=5)
        stored = repo_store.get_repository(conn, "acme/busy")
        assert stored is not None
        fresh, missing = analysis.refreshed_metadata(source, [stored.metadata])
        asset = analysis.health_rows(settings, source, fresh)
        single = analysis.analyze_repository(settings, source, dsn, "acme/busy")
        gone, missing_gone = analysis.refreshed_metadata(
            source, [stored.metadata.model_copy(update={"full_name": "acme/deleted"})]
        )
    assert missing == [] and missing_gone == ["acme/deleted"] and gone == []
    assert fresh[0].closed_issues == 900
    assert asset[0][1] == pytest.approx(single.health, abs=1e-9)
