"""``--library-only`` against the simulated world's own ground truth (``RepoTruth.kind``)."""

from __future__ import annotations

import json

import psycopg
import pytest

from globallm_assets.core.models import ECOSYSTEM_BY_LANGUAGE, PackageRecord, RepoMetadata
from globallm_assets.core.selection import library_evidence
from globallm_assets.services import analysis
from globallm_assets.services.sources import simulated_world
from globallm_assets.settings import FilterSettings, load_settings
from globallm_assets.store import repositories as repo_store
from globallm_assets_tests.cli_runner import cli


def world():
    return simulated_world(7, 200)


def test_readme_and_topic_evidence_matches_the_truth_and_the_registry_fixes_the_rest() -> None:
    """Without a registry, README install lines, service cues and topics classify every
    repository whose README is its own; planted near-duplicates carry another project's README
    and fool them, which is why a published package is the stronger evidence."""
    fooled, agreed = [], 0
    for truth in world().truths():
        if truth.fork_of:
            continue
        meta = world().repository_metadata([truth.full_name])[truth.full_name]
        ecosystem = ECOSYSTEM_BY_LANGUAGE[truth.language]
        weak = library_evidence(meta, ecosystem=ecosystem)
        if weak.is_library == (truth.kind == "library"):
            agreed += 1
        else:
            assert truth.duplicate_of, (truth.full_name, weak.reason)
            fooled.append(truth)
        strong = library_evidence(
            meta,
            ecosystem=ecosystem,
            publishes=truth.package is not None,
            package=truth.package,
        )
        assert strong.is_library == (truth.kind == "library")
    assert agreed > 1000 and fooled, "the world plants READMEs copied across kinds"


@pytest.mark.parametrize("language", ["python", "javascript", "rust"])
def test_discover_library_only_keeps_exactly_the_libraries(dsn, demo_dsn, capsys, language) -> None:
    args = ["--database-url", dsn, "discover", "--language", language, "--source", "simulated"]
    args += ["--min-stars", "0", "--min-dependents", "1000000", "--max-results", "1000"]
    assert cli(*args, "--library-only", "--export", "json") == 0
    report = json.loads(capsys.readouterr().out)["languages"][0]
    kept = {k["name"] for k in report["kept"]}
    allowed = {x.lower() for x in FilterSettings().license_allowlist}
    passing = {
        t.full_name
        for t, m in zip(world().truths(language), _metas(language), strict=True)
        if not m.archived and not m.is_fork and (m.license or "").lower() in allowed
    }
    libraries = {t.full_name for t in world().truths(language) if t.kind == "library"}
    assert kept == passing & libraries
    assert passing - libraries, "some applications passed the other filters and were dropped"
    reasons = {r["name"]: r["reason"] for r in report["rejected"]}
    assert all(
        reasons[name].startswith("not a library: publishes no package")
        for name in passing - libraries
    )
    with psycopg.connect(demo_dsn) as conn:
        stored = dict(conn.execute("SELECT name, is_library FROM repositories").fetchall())
    assert set(stored) == kept and all(stored.values())


def _metas(language: str) -> list[RepoMetadata]:
    by_name = {m.full_name: m for m in world().repositories(language)}
    return [by_name[t.full_name] for t in world().truths(language)]


def test_a_package_in_the_stored_graph_outweighs_a_readme_that_says_service(dsn) -> None:
    """The packages table (written when the graph was built) is registry evidence too."""
    settings = load_settings(overrides={"source.kind": "simulated"})
    allowed = {x.lower() for x in FilterSettings().license_allowlist}
    metas = dict(
        zip([t.full_name for t in world().truths("python")], _metas("python"), strict=True)
    )
    app = next(
        t
        for t in world().truths("python")
        if t.kind == "application"
        and not t.fork_of
        and not t.archived
        and (metas[t.full_name].license or "").lower() in allowed
        and not library_evidence(metas[t.full_name], ecosystem="pypi").is_library
    )
    with psycopg.connect(dsn, autocommit=True) as conn:
        repo_store.replace_graph(
            conn,
            "pypi",
            [],
            [PackageRecord(ecosystem="pypi", name="its-sdk", repository=app.full_name)],
        )
        report = analysis.discover(
            settings,
            world(),
            dsn,
            language="python",
            min_stars=0,
            min_dependents=10**6,
            max_results=1000,
            library_only=True,
        )
    kept = {m.full_name for m in report.kept}
    assert app.full_name in kept
    assert report.library[app.full_name].reason == "publishes its-sdk on pypi"
