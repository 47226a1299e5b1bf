"""The simulated world must look like the real sources and keep the promises other tests rely on."""

from __future__ import annotations

import itertools
import random
import re
from collections import Counter
from datetime import UTC, datetime, timedelta

import networkx as nx
import numpy as np
import pytest

from globallm_assets.core.models import (
    ECOSYSTEM_BY_LANGUAGE,
    LANGUAGES,
    IssueRecord,
    RepoMetadata,
    parse_repo_name,
)
from globallm_assets.sources.base import NotFoundError, PackageIndex, RepoSource, SearchQuery
from globallm_assets.sources.simulated import (
    DEFAULT_NOW,
    SimulatedWorld,
    dependency_arrays,
    repo_arrays,
)

PERMISSIVE = {"MIT", "Apache-2.0", "BSD-3-Clause", "BSD-2-Clause", "ISC", "Unlicense", "MPL-2.0"}


@pytest.fixture(scope="module")
def world() -> SimulatedWorld:
    return SimulatedWorld()


@pytest.fixture(scope="module")
def repos(world: SimulatedWorld) -> list[RepoMetadata]:
    return world.repositories()


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z]+", text.lower()))


def _jaccard(a: str, b: str) -> float:
    wa, wb = _words(a), _words(b)
    return len(wa & wb) / len(wa | wb)


def _ranks(values: list[float]) -> np.ndarray:
    return np.argsort(np.argsort(values, kind="stable"), kind="stable").astype(float)


def _spearman(x: list[float], y: list[float]) -> float:
    return float(np.corrcoef(_ranks(x), _ranks(y))[0, 1])


def _snapshot(w: SimulatedWorld, language: str) -> dict[str, object]:
    metas = w.repositories(language)
    sample = [m.full_name for m in metas[:5]]
    eco = ECOSYSTEM_BY_LANGUAGE[language]
    return {
        "repos": [m.model_dump() for m in metas],
        "activity": [w.activity(name).model_dump() for name in sample],
        "issues": [[i.model_dump() for i in w.issues(n, state="all")] for n in sample],
        "packages": [p.model_dump() for p in w.packages(eco)],
        "edges": [e.model_dump() for e in w.dependency_edges(language)],
        "clusters": w.duplicate_clusters,
    }


# ---------------------------------------------------------------- determinism and shape


def test_same_seed_and_params_give_identical_records() -> None:
    first = SimulatedWorld(seed=11, repos_per_language=60, languages=("python", "go"))
    second = SimulatedWorld(seed=11, repos_per_language=60, languages=("python", "go"))
    assert _snapshot(first, "python") == _snapshot(second, "python")
    assert _snapshot(first, "go") == _snapshot(second, "go")


def test_different_seeds_give_different_worlds() -> None:
    a = SimulatedWorld(seed=1, repos_per_language=60, languages=("python",))
    b = SimulatedWorld(seed=2, repos_per_language=60, languages=("python",))
    names_a = {m.full_name for m in a.repositories()}
    names_b = {m.full_name for m in b.repositories()}
    assert len(names_a & names_b) < len(names_a) // 2
    assert [m.stars for m in a.repositories()] != [m.stars for m in b.repositories()]


def test_a_language_does_not_depend_on_which_other_languages_are_configured() -> None:
    alone = SimulatedWorld(seed=3, repos_per_language=50, languages=("rust",))
    together = SimulatedWorld(seed=3, repos_per_language=50)
    assert [m.model_dump() for m in alone.repositories("rust")] == [
        m.model_dump() for m in together.repositories("rust")
    ]


def test_dates_are_relative_to_a_fixed_now(repos: list[RepoMetadata]) -> None:
    assert all(m.created_at is not None and m.created_at <= DEFAULT_NOW for m in repos)
    assert all(
        m.pushed_at is not None and m.created_at <= m.pushed_at <= DEFAULT_NOW for m in repos
    )
    later = DEFAULT_NOW + timedelta(days=365)
    shifted = SimulatedWorld(repos_per_language=20, languages=("go",), now=later)
    base = SimulatedWorld(repos_per_language=20, languages=("go",))
    for moved, original in zip(shifted.repositories(), base.repositories(), strict=True):
        assert moved.full_name == original.full_name
        assert moved.created_at - original.created_at == timedelta(days=365)


def test_repository_names_are_unique_and_valid(world: SimulatedWorld, repos: list[RepoMetadata]):
    names = [m.full_name for m in repos]
    assert len(names) == len(set(names)) == world.repos_per_language * len(LANGUAGES)
    assert all(parse_repo_name(name) == name for name in names)
    for lang in LANGUAGES:
        assert len(world.repositories(lang)) == world.repos_per_language
        assert {m.language for m in world.repositories(lang)} == {lang}


@pytest.mark.parametrize("seed", [7, 1, 2])
def test_stars_follow_a_heavy_tailed_law(seed: int) -> None:
    stars = np.array([m.stars for m in SimulatedWorld(seed=seed).repositories()])
    ranked = np.sort(stars)[::-1]
    top_share = ranked[: len(ranked) // 100].sum() / ranked.sum()
    assert top_share > 0.3
    assert np.median(stars) < stars.mean() / 5
    assert (stars > 1000).sum() >= 10
    assert (stars < 1000).mean() > 0.85


def test_flags_and_licenses_have_realistic_mix(world: SimulatedWorld, repos: list[RepoMetadata]):
    n = len(repos)
    assert 0 < sum(m.archived for m in repos) < 0.08 * n
    assert 0 < sum(m.is_fork for m in repos) < 0.08 * n
    licenses = Counter(m.license for m in repos)
    assert sum(licenses[k] for k in PERMISSIVE) > 0.7 * n
    assert licenses[None] > 0
    assert any(k and k.startswith("GPL") for k in licenses)
    assert sum(bool(m.topics) for m in repos) > 0.7 * n
    assert sum(m.readme is None for m in repos) > 0
    assert all(m.description for m in repos)
    for fork in (m for m in repos if m.is_fork):
        parent = world.repository_metadata([world.truth(fork.full_name).fork_of or ""])
        (parent_meta,) = parent.values()
        assert fork.readme == parent_meta.readme
        assert fork.full_name.split("/")[1] == parent_meta.full_name.split("/")[1]


def test_forks_correlate_with_stars(repos: list[RepoMetadata]) -> None:
    assert _spearman([m.stars for m in repos], [m.forks for m in repos]) > 0.6


# ---------------------------------------------------------------- activity


def test_activity_correlates_with_popularity(world: SimulatedWorld, repos: list[RepoMetadata]):
    known = [(m, world.activity(m.full_name)) for m in repos if not m.is_fork]
    known = [(m, a) for m, a in known if a.contributors is not None]
    stars = [m.stars for m, _ in known]
    assert _spearman(stars, [a.contributors for _, a in known]) > 0.5
    assert _spearman(stars, [a.commits_90d for _, a in known]) > 0.3
    assert _spearman(stars, [m.open_issues + m.closed_issues for m, _ in known]) > 0.5


def test_dead_repositories_have_no_commits_and_failing_ci(world: SimulatedWorld) -> None:
    dead = [t for t in world.truths() if t.dead and not t.archived]
    assert len(dead) >= len(LANGUAGES)
    window = DEFAULT_NOW - timedelta(days=90)
    for truth in dead:
        meta = world.repository_metadata([truth.full_name])[truth.full_name]
        assert meta.pushed_at is not None and meta.pushed_at < window
        stats = world.activity(truth.full_name)
        if truth.unknown_activity == "full":
            continue
        assert stats.commits_90d == 0
        if stats.ci_runs_total is not None:
            assert stats.ci_runs_total > 0
            assert stats.ci_runs_passed is not None
            assert stats.ci_runs_passed / stats.ci_runs_total < 0.5
    living = [t for t in world.truths() if not t.dead and t.unknown_activity != "full"]
    assert all((world.activity(t.full_name).commits_90d or 0) > 0 for t in living)


def test_some_signals_are_unknown(world: SimulatedWorld) -> None:
    full = [t for t in world.truths() if t.unknown_activity == "full"]
    partial = [t for t in world.truths() if t.unknown_activity == "partial"]
    assert full and partial
    for truth in full:
        assert all(v is None for v in world.activity(truth.full_name).model_dump().values())
    for truth in partial:
        stats = world.activity(truth.full_name)
        assert stats.ci_runs_total is None and stats.top_contributor_share is None
        assert stats.commits_90d is not None
    known = [t for t in world.truths() if t.unknown_activity is None]
    assert all(None not in world.activity(t.full_name).model_dump().values() for t in known)


def test_issue_activity_matches_the_issue_list(world: SimulatedWorld, repos: list[RepoMetadata]):
    window = DEFAULT_NOW - timedelta(days=90)
    checked = 0
    for meta in repos[:60]:
        stats = world.activity(meta.full_name)
        if stats.issues_opened_90d is None:
            continue
        issues = list(world.issues(meta.full_name, state="all"))
        assert stats.issues_opened_90d == sum(i.created_at >= window for i in issues)
        closed_recently = sum(i.closed_at is not None and i.closed_at >= window for i in issues)
        assert stats.issues_closed_90d == closed_recently
        checked += 1
    assert checked > 40


def test_activity_of_unknown_repository_raises_not_found(world: SimulatedWorld) -> None:
    with pytest.raises(NotFoundError):
        world.activity("nobody/nothing")
    with pytest.raises(NotFoundError):
        world.issues("nobody/nothing")


def test_repositories_of_unconfigured_languages_are_unknown() -> None:
    full = SimulatedWorld(repos_per_language=10)
    go_name = full.repositories("go")[0].full_name
    python_only = SimulatedWorld(repos_per_language=10, languages=("python",))
    assert python_only.repository_metadata([go_name]) == {}
    with pytest.raises(NotFoundError):
        python_only.activity(go_name)


# ---------------------------------------------------------------- issues


def test_issue_counts_and_numbers_match_metadata(world: SimulatedWorld, repos: list[RepoMetadata]):
    for meta in repos[:80]:
        opened = list(world.issues(meta.full_name, state="open"))
        closed = list(world.issues(meta.full_name, state="closed"))
        assert len(opened) == meta.open_issues
        assert len(closed) == meta.closed_issues
        assert all(i.state == "open" and i.closed_at is None for i in opened)
        assert all(i.state == "closed" and i.closed_at is not None for i in closed)
        numbers = [i.number for i in world.issues(meta.full_name, state="all")]
        assert len(numbers) == len(set(numbers))
        assert numbers == sorted(numbers, reverse=True)


def test_issue_numbers_and_content_are_stable_across_instances(repos: list[RepoMetadata]) -> None:
    name = repos[0].full_name
    first = [i.model_dump() for i in SimulatedWorld().issues(name, state="all")]
    second = [i.model_dump() for i in SimulatedWorld().issues(name, state="all")]
    assert first and first == second


def test_issue_timestamps_are_ordered(world: SimulatedWorld, repos: list[RepoMetadata]) -> None:
    for meta in repos[:80]:
        for issue in world.issues(meta.full_name, state="all"):
            assert meta.created_at <= issue.created_at <= issue.updated_at <= DEFAULT_NOW
            if issue.closed_at is not None:
                assert issue.created_at <= issue.closed_at <= issue.updated_at


def test_since_keeps_only_recently_updated_issues(world: SimulatedWorld, repos: list[RepoMetadata]):
    busiest = max(repos, key=lambda m: m.open_issues + m.closed_issues)
    everything = list(world.issues(busiest.full_name, state="all"))
    since = DEFAULT_NOW - timedelta(days=30)
    recent = list(world.issues(busiest.full_name, state="all", since=since))
    assert 0 < len(recent) < len(everything)
    assert {i.number for i in recent} == {i.number for i in everything if i.updated_at >= since}
    naive = list(world.issues(busiest.full_name, state="all", since=since.replace(tzinfo=None)))
    assert [i.number for i in naive] == [i.number for i in recent]


def test_invalid_issue_state_is_refused(world: SimulatedWorld, repos: list[RepoMetadata]) -> None:
    with pytest.raises(ValueError, match="state"):
        world.issues(repos[0].full_name, state="merged")


def test_issues_have_a_realistic_mix(world: SimulatedWorld, repos: list[RepoMetadata]) -> None:
    issues: list[IssueRecord] = []
    for meta in repos[:150]:
        issues.extend(world.issues(meta.full_name, state="all"))
    assert len(issues) > 2000
    labels = Counter(label for i in issues for label in i.labels)
    for expected in ("bug", "good first issue", "wontfix", "help wanted", "needs triage"):
        assert labels[expected] > 0, expected
    assert any(label.startswith(("type:", "kind/")) for label in labels)
    titles = " ".join(i.title.lower() for i in issues)
    # One textual cue per kind, so a categoriser has something to find even without labels.
    for cue in ("crash", "support", "docs", "slow", "traversal", "how do i", "bump"):
        assert cue in titles, cue
    bodies = [i.body or "" for i in issues]
    assert any("Steps to reproduce" in b for b in bodies)
    assert any("```" in b for b in bodies)
    assert any("Traceback (most recent call last)" in b for b in bodies)
    assert any("goroutine 1 [running]" in b for b in bodies)
    assert 0 < sum(not i.labels for i in issues) < len(issues) / 2
    assert 0 < sum(i.locked for i in issues) < len(issues) / 10
    assert 0 < sum(bool(i.assignees) for i in issues) < len(issues) / 2
    assert sum(i.linked_pull_requests > 0 for i in issues) > 0
    assert sum(i.body is None for i in issues) > 0
    assert {i.author_association for i in issues} >= {"NONE", "CONTRIBUTOR", "OWNER"}


# ---------------------------------------------------------------- search and metadata


def test_world_conforms_to_the_source_protocols(world: SimulatedWorld) -> None:
    assert isinstance(world, RepoSource)
    for eco in set(ECOSYSTEM_BY_LANGUAGE.values()):
        index = world.package_index(eco)
        assert isinstance(index, PackageIndex)
        assert index.ecosystem == eco


def test_repository_metadata_omits_unknown_names(world: SimulatedWorld, repos: list[RepoMetadata]):
    wanted = [repos[0].full_name, "ghost/missing", repos[-1].full_name.upper()]
    found = world.repository_metadata(wanted)
    assert set(found) == {repos[0].full_name, repos[-1].full_name}
    found[repos[0].full_name].topics.append("mutated")
    assert (
        "mutated" not in world.repository_metadata([repos[0].full_name])[repos[0].full_name].topics
    )


def test_search_is_sorted_by_stars_and_honours_max_results(world: SimulatedWorld) -> None:
    hits = list(world.search_repositories(SearchQuery(), max_results=50))
    assert len(hits) == 50
    assert [h.stars for h in hits] == sorted((h.stars for h in hits), reverse=True)
    assert list(world.search_repositories(SearchQuery(), max_results=0)) == []


def test_search_excludes_forks_and_archived_unless_asked(world: SimulatedWorld) -> None:
    default = list(world.search_repositories(SearchQuery(language="python"), 10_000))
    assert default and not any(h.is_fork or h.archived for h in default)
    query = SearchQuery(language="python", include_forks=True, include_archived=True)
    everything = list(world.search_repositories(query, 10_000))
    assert len(everything) == world.repos_per_language
    assert any(h.is_fork for h in everything) and any(h.archived for h in everything)


def test_search_filters_language_stars_owner_and_dates(
    world: SimulatedWorld, repos: list[RepoMetadata]
) -> None:
    query = SearchQuery(language="Rust", min_stars=50, max_stars=2000)
    hits = list(world.search_repositories(query, 10_000))
    assert hits and all(h.language == "rust" and 50 <= h.stars <= 2000 for h in hits)
    expected = {
        m.full_name
        for m in repos
        if m.language == "rust" and 50 <= m.stars <= 2000 and not m.is_fork and not m.archived
    }
    assert {h.full_name for h in hits} == expected

    owner = Counter(m.full_name.split("/")[0] for m in repos).most_common(1)[0][0]
    by_owner = list(world.search_repositories(SearchQuery(owner=owner, include_forks=True), 1000))
    assert by_owner and all(h.full_name.startswith(owner + "/") for h in by_owner)

    cut = DEFAULT_NOW - timedelta(days=1500)
    older = list(world.search_repositories(SearchQuery(created_before=cut), 10_000))
    newer = list(world.search_repositories(SearchQuery(created_after=cut), 10_000))
    assert older and newer
    assert all(h.created_at < cut for h in older) and all(h.created_at >= cut for h in newer)
    assert len(older) + len(newer) == len(list(world.search_repositories(SearchQuery(), 10_000)))
    assert list(world.search_repositories(SearchQuery(language="cobol"), 10)) == []


def test_search_text_matches_name_description_or_topics(world: SimulatedWorld) -> None:
    hits = list(world.search_repositories(SearchQuery(text="HTTP client"), 10_000))
    assert hits
    for h in hits:
        haystack = " ".join([h.full_name.split("/")[1], h.description or "", *h.topics]).lower()
        assert "http" in haystack and "client" in haystack
    topic_hits = list(world.search_repositories(SearchQuery(text="golang"), 10_000))
    assert topic_hits and all("golang" in h.topics for h in topic_hits)


# ---------------------------------------------------------------- packages and the graph


def test_one_package_per_published_repository(world: SimulatedWorld) -> None:
    for lang in LANGUAGES:
        eco = ECOSYSTEM_BY_LANGUAGE[lang]
        by_repo = {p.repository: p for p in world.packages(eco)}
        for truth in world.truths(lang):
            publishes = truth.kind == "library" and truth.fork_of is None
            assert (truth.full_name in by_repo) == publishes
            if publishes:
                assert by_repo[truth.full_name].name == truth.package
                assert by_repo[truth.full_name].ecosystem == eco
    assert any(t.kind == "application" for t in world.truths())


def test_package_index_lookups(world: SimulatedWorld) -> None:
    index = world.package_index("pypi")
    first = world.packages("pypi")[0]
    assert index.package(first.name) == first
    assert index.package(first.name.upper().replace("-", "_")).name == first.name
    with pytest.raises(NotFoundError):
        index.package("definitely-not-a-package")
    names = [p.name for p in world.packages("npm")[:3]]
    found = list(world.package_index("npm").packages([*names, "missing-pkg"]))
    assert [p.name for p in found] == names
    with pytest.raises(ValueError):
        world.packages("cpan")


def test_package_dependencies_match_the_edges(world: SimulatedWorld) -> None:
    for eco in ("pypi", "npm"):
        by_name = {p.name: p for p in world.packages(eco)}
        package_edges = {
            (p.repository, by_name[d].repository) for p in by_name.values() for d in p.dependencies
        }
        repo_edges = {
            (e.dependent, e.dependency) for e in world.dependency_edges() if e.ecosystem == eco
        }
        lib_repos = {p.repository for p in by_name.values()}
        assert package_edges == {(a, b) for a, b in repo_edges if a in lib_repos}
        assert all(b in lib_repos for _, b in repo_edges)


def test_dependency_graph_is_a_skewed_dag(world: SimulatedWorld) -> None:
    edges = world.dependency_edges()
    assert len(edges) > 1000
    assert all(e.dependent != e.dependency for e in edges)
    graph = nx.DiGraph((e.dependent, e.dependency) for e in edges)
    assert nx.is_directed_acyclic_graph(graph)
    language = {t.full_name: t.language for t in world.truths()}
    for e in edges:
        assert ECOSYSTEM_BY_LANGUAGE[language[e.dependent]] == e.ecosystem
        assert ECOSYSTEM_BY_LANGUAGE[language[e.dependency]] == e.ecosystem
    in_degree = Counter(e.dependency for e in edges)
    degrees = np.array(sorted(in_degree.values(), reverse=True))
    assert degrees[0] > 10 * degrees.mean()
    top_tenth = degrees[: max(1, len(degrees) // 10)].sum()
    assert top_tenth > 0.4 * degrees.sum()
    created = {m.full_name: m.created_at for m in world.repositories()}
    assert all(created[e.dependency] <= created[e.dependent] for e in edges)


def test_popular_packages_attract_more_dependents(world: SimulatedWorld) -> None:
    in_degree = Counter(e.dependency for e in world.dependency_edges())
    libs = [t.full_name for t in world.truths() if t.package is not None]
    stars = {m.full_name: m.stars for m in world.repositories()}
    assert _spearman([stars[n] for n in libs], [in_degree[n] for n in libs]) > 0.3


def test_dependency_edges_by_language_touch_that_language(world: SimulatedWorld) -> None:
    language = {t.full_name: t.language for t in world.truths()}
    ts_edges = world.dependency_edges("typescript")
    assert ts_edges
    assert all("typescript" in (language[e.dependent], language[e.dependency]) for e in ts_edges)
    assert any(language[e.dependency] == "javascript" for e in ts_edges)
    with pytest.raises(ValueError):
        world.dependency_edges("cobol")


# ---------------------------------------------------------------- near duplicates


def test_near_duplicate_clusters_share_most_words(world: SimulatedWorld) -> None:
    clusters = world.duplicate_clusters
    assert len(clusters) >= len(LANGUAGES)
    readme = {m.full_name: m.readme for m in world.repositories()}
    in_cluster = set()
    for cluster in clusters:
        assert 2 <= len(cluster) <= 4
        original = cluster[0]
        in_cluster.update(cluster)
        for member in cluster[1:]:
            assert world.truth(member).duplicate_of == original
        for a, b in itertools.combinations(cluster, 2):
            assert _jaccard(readme[a] or "", readme[b] or "") > 0.65
    others = [
        m
        for m in world.repositories()
        if m.readme and not m.is_fork and m.full_name not in in_cluster
    ]
    rnd = random.Random(0)
    unrelated = []
    for _ in range(2000):
        a, b = rnd.sample(others, 2)
        if a.language == b.language:
            unrelated.append(_jaccard(a.readme or "", b.readme or ""))
    assert np.median(unrelated) < 0.35


def test_duplicate_readmes_are_not_verbatim_copies(world: SimulatedWorld) -> None:
    readme = {m.full_name: m.readme for m in world.repositories()}
    for cluster in world.duplicate_clusters:
        assert len({readme[name] for name in cluster}) == len(cluster)


# ---------------------------------------------------------------- construction


def test_invalid_configuration_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown languages"):
        SimulatedWorld(languages=("python", "cobol"))
    with pytest.raises(ValueError):
        SimulatedWorld(repos_per_language=0)
    with pytest.raises(ValueError):
        SimulatedWorld(seed=-1)


def test_tiny_worlds_still_work() -> None:
    w = SimulatedWorld(seed=5, repos_per_language=1, languages=("java",))
    (meta,) = w.repositories()
    assert w.activity(meta.full_name) is not None
    assert len(w.dependency_edges()) == 0
    assert w.duplicate_clusters == []


# ---------------------------------------------------------------- scale generators


def test_dependency_arrays_form_a_skewed_dag_without_self_loops() -> None:
    n_nodes, n_edges = 100_000, 1_000_000
    src, dst = dependency_arrays(n_nodes, n_edges, seed=3)
    assert src.dtype == np.int32 and dst.dtype == np.int32
    assert src.shape == dst.shape
    assert 0.95 * n_edges <= src.size <= n_edges
    assert src.min() >= 1 and src.max() < n_nodes and dst.min() >= 0
    # Every edge points from a newer to an older node: no self loops and no cycles.
    assert np.all(src > dst)
    keys = src.astype(np.int64) * n_nodes + dst
    assert np.all(np.diff(keys) > 0)  # sorted and duplicate-free
    in_degree = np.bincount(dst, minlength=n_nodes)
    assert in_degree.max() > 100 * in_degree.mean()
    assert np.median(in_degree) < in_degree.mean()
    top = np.sort(in_degree)[::-1][: n_nodes // 100].sum()
    assert top > 0.15 * in_degree.sum()


def test_dependency_arrays_are_deterministic_per_seed() -> None:
    a = dependency_arrays(5_000, 40_000, seed=1)
    b = dependency_arrays(5_000, 40_000, seed=1)
    c = dependency_arrays(5_000, 40_000, seed=2)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert not (a[0].size == c[0].size and np.array_equal(a[1], c[1]))
    empty_src, empty_dst = dependency_arrays(10, 0)
    assert empty_src.size == empty_dst.size == 0
    with pytest.raises(ValueError):
        dependency_arrays(1, 5)


def test_repo_arrays_shape_and_star_law() -> None:
    arrays = repo_arrays(100_000, seed=4)
    assert {"stars", "forks", "language"} <= set(arrays)
    assert all(v.shape == (100_000,) for v in arrays.values())
    assert arrays["language"].dtype == np.int8
    assert set(np.unique(arrays["language"])) == set(range(len(LANGUAGES)))
    stars = arrays["stars"]
    assert stars.min() >= 0
    assert np.median(stars) < stars.mean() / 5
    assert _spearman(stars.tolist()[:5000], arrays["forks"].tolist()[:5000]) > 0.5


def test_default_now_is_fixed() -> None:
    assert SimulatedWorld().now == DEFAULT_NOW == datetime(2026, 1, 1, tzinfo=UTC)
