"""The dependency graph and impact by array, against the straightforward record path.

Edges go into the store by name and come back as int32 ids; impact is computed on those arrays
and written back in one statement. On small inputs every result must equal what the record path
(``impact_rows``: one ``DependencyEdge`` per edge, names mapped in Python) gives, and what the
store holds afterwards must be exactly those rows.
"""

from __future__ import annotations

import json

import numpy as np
import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from globallm_assets.core.models import DependencyEdge, RepoMetadata
from globallm_assets.services import analysis
from globallm_assets.settings import load_settings
from globallm_assets.store import graph as graph_store
from globallm_assets.store import repositories as repo_store
from globallm_assets.store.migrations import migrate

DB_EXAMPLES = settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
OWNERS = ["acme", "Acme", "zed", "Zed", "q"]


@st.composite
def named_graphs(draw: st.DrawFn) -> tuple[list[tuple[str, int, int, str]], list[tuple]]:
    """(repositories as (name, stars, forks, language), edges as (dependent, dependency)):
    names drawn from a small pool so edges spell stored repositories in other cases."""
    pool = [f"{owner}/lib{i}" for owner in ("acme", "zed") for i in range(5)]
    stored = draw(st.lists(st.sampled_from(pool), unique=True, max_size=6))
    repos = [
        (
            name,
            draw(st.integers(0, 100_000)),
            draw(st.integers(0, 20_000)),
            draw(st.sampled_from(["javascript", "typescript"])),
        )
        for name in stored
    ]

    def spelled(name: str) -> str:
        return name.upper() if draw(st.booleans()) else name

    edges = draw(
        st.lists(
            st.tuples(st.sampled_from(pool), st.sampled_from(pool)).map(
                lambda p: (spelled(p[0]), spelled(p[1]))
            ),
            max_size=25,
        )
    )
    return repos, edges


def _reset(conn: psycopg.Connection) -> None:
    conn.execute("DELETE FROM repositories")
    conn.execute("DELETE FROM graph_versions")


def _store(conn: psycopg.Connection, repos, edges, ecosystem: str = "npm") -> None:
    repo_store.upsert_repositories(
        conn,
        [
            (RepoMetadata(full_name=n, language=lang, stars=s, forks=f), lang)
            for n, s, f, lang in repos
        ],
        source="test",
    )
    repo_store.replace_graph(
        conn,
        ecosystem,
        [DependencyEdge(dependent=a, dependency=b, ecosystem=ecosystem) for a, b in edges],
    )
    conn.commit()


def _reference(conn: psycopg.Connection, language: str) -> dict[str, tuple[float, dict]]:
    """The straightforward path: records in, one object per edge, names mapped in Python."""
    settings_ = load_settings()
    peers = [
        r
        for lang in analysis.ecosystem_languages(language)
        for r in repo_store.list_repositories(conn, language=lang)
    ]
    edges = repo_store.load_edges(conn, "npm")
    return {n: (s, p) for n, s, p in analysis.impact_rows(settings_, peers, edges)}


# ------------------------------------------------------------------------------ round trip


@DB_EXAMPLES
@given(graph=named_graphs())
def test_edges_round_trip_through_the_store_by_name_and_by_id(conn, graph) -> None:
    _reset(conn)
    _, edges = graph
    _store(conn, [], edges)
    expected = {(a.lower(), b.lower()) for a, b in edges if a.lower() != b.lower()}
    view = conn.execute("SELECT dependent, dependency FROM dependency_edges").fetchall()
    assert {(a.lower(), b.lower()) for a, b in view} == expected
    assert len(view) == len(expected)  # parallel spellings collapse to one edge
    stored = graph_store.load_graph(conn, "npm")
    names = dict(conn.execute("SELECT id, lower(name) FROM graph_nodes WHERE ecosystem = 'npm'"))
    pairs = set(zip(stored.src.tolist(), stored.dst.tolist(), strict=True))
    assert {(names[a], names[b]) for a, b in pairs} == expected
    assert stored.src.dtype == np.int32 and stored.src.size == len(expected)
    assert repo_store.count_edges(conn, "npm") == len(expected)


def test_many_blocks_come_back_in_order(conn, monkeypatch) -> None:
    monkeypatch.setattr(graph_store, "BLOCK_EDGES", 7)
    rng = np.random.default_rng(1)
    n = 50
    src, dst = rng.integers(0, n, 400), rng.integers(0, n, 400)
    names = [f"o{i}/r{i}" for i in range(n)]
    stored_edges = graph_store.replace_graph_arrays(conn, "pypi", names, src, dst)
    assert conn.execute("SELECT count(*) FROM graph_edge_blocks").fetchone()[0] > 1
    back = graph_store.load_graph(conn, "pypi")
    keep = src != dst
    expected = sorted(set(zip(dst[keep].tolist(), src[keep].tolist(), strict=True)))
    assert list(zip(back.dst.tolist(), back.src.tolist(), strict=True)) == expected
    assert stored_edges == len(expected) and back.n_ids == n


def test_stored_edges_migrate_into_the_arrays(empty_dsn) -> None:
    migrate(empty_dsn, target=19)
    with psycopg.connect(empty_dsn) as conn:
        conn.execute(
            "INSERT INTO dependency_edges (ecosystem, dependent, dependency) VALUES "
            "('pypi', 'a/app', 'b/lib'), ('pypi', 'A/App', 'c/core'), ('npm', 'x/y', 'b/lib')"
        )
    migrate(empty_dsn)
    with psycopg.connect(empty_dsn) as conn:
        rows = conn.execute(
            "SELECT ecosystem, lower(dependent), dependency FROM dependency_edges ORDER BY 1, 3"
        ).fetchall()
        assert rows == [
            ("npm", "x/y", "b/lib"),
            ("pypi", "a/app", "b/lib"),
            ("pypi", "a/app", "c/core"),
        ]
        assert repo_store.count_edges(conn) == 3


def _dependents_by_view(conn: psycopg.Connection) -> dict[str, int]:
    """The straightforward count: every edge through the view, grouped by dependency."""
    rows = conn.execute(
        "SELECT dependency, count(DISTINCT dependent) FROM dependency_edges GROUP BY dependency"
    )
    return dict(rows)


@DB_EXAMPLES
@given(npm=named_graphs(), pypi=named_graphs(), removed=st.sampled_from(["acme/lib1", "ZED/lib2"]))
def test_dependents_counts_equal_grouping_the_view_across_ecosystems_and_removals(
    conn, npm, pypi, removed
) -> None:
    """Names shared by two ecosystems (a dependent in both counts once), removal of a node."""
    _reset(conn)
    _store(conn, [], npm[1], "npm")
    _store(conn, [], pypi[1], "pypi")
    assert repo_store.dependents_counts(conn) == _dependents_by_view(conn)
    graph_store.remove_node(conn, removed)
    assert repo_store.dependents_counts(conn) == _dependents_by_view(conn)


def test_stored_edges_migrate_with_their_dependents_counts(empty_dsn) -> None:
    migrate(empty_dsn, target=79)
    with psycopg.connect(empty_dsn) as conn:
        conn.execute(
            "INSERT INTO graph_nodes (ecosystem, id, name) VALUES "
            "('pypi', 0, 'a/app'), ('pypi', 1, 'b/lib'), ('pypi', 2, 'c/core')"
        )
        conn.execute("INSERT INTO graph_edge_blocks VALUES ('pypi', 0, '{0, 0, 1}', '{1, 2, 2}')")
    migrate(empty_dsn)
    with psycopg.connect(empty_dsn) as conn:
        got = dict(conn.execute("SELECT name, dependents FROM graph_nodes"))
        assert got == {"a/app": 0, "b/lib": 1, "c/core": 2}
        assert repo_store.dependents_counts(conn) == _dependents_by_view(conn)


# ------------------------------------------------------------- fast path = straightforward


@DB_EXAMPLES
@given(graph=named_graphs())
def test_impact_by_array_equals_the_record_path_and_writes_exactly_its_rows(dsn, graph) -> None:
    repos, edges = graph
    settings_ = load_settings()
    with psycopg.connect(dsn) as conn:
        _reset(conn)
        _store(conn, repos, edges)
        expected = _reference(conn, "javascript")
        fast = {n: (s, p) for n, s, p in analysis.ecosystem_impact(settings_, conn, "javascript")}
    assert set(fast) == set(expected) == {name for name, *_ in repos}
    for name, (score, parts) in expected.items():
        assert fast[name][0] == pytest.approx(score, abs=1e-12)
        assert fast[name][1] == pytest.approx(parts, abs=1e-12)
    order = sorted(expected, key=lambda n: (-expected[n][0], n))
    assert sorted(fast, key=lambda n: (-fast[n][0], n)) == order

    for language in ("javascript", "typescript"):
        analysis.score_impact(settings_, dsn, language=language)
    with psycopg.connect(dsn) as conn:
        written = {
            name: (score, parts)
            for name, score, parts in conn.execute(
                "SELECT name, impact_score, impact FROM repositories"
            )
        }
    assert set(written) == set(expected)
    for name, (score, parts) in expected.items():
        assert written[name][0] == pytest.approx(score, abs=1e-12)
        assert written[name][1] == pytest.approx(json.loads(json.dumps(parts)), abs=1e-12)


def test_transient_repositories_join_the_graph_by_name(conn) -> None:
    settings_ = load_settings()
    _store(conn, [("acme/core", 10, 1, "javascript")], [("Zed/App", "acme/CORE")])
    newcomer = analysis.transient_repository(
        RepoMetadata(full_name="zed/app", language="javascript", stars=5)
    )
    rows = {
        n: p
        for n, _, p in analysis.ecosystem_impact(settings_, conn, "javascript", extra=[newcomer])
    }
    assert rows["zed/app"]["stars"] == 5 and rows["zed/app"]["direct_dependents"] == 0
    assert rows["acme/core"]["direct_dependents"] == 1


# --------------------------------------------------------------------- npm scored once


def test_npm_is_scored_once_for_both_languages_and_rescored_only_when_inputs_change(dsn) -> None:
    settings_ = load_settings()
    repos = [
        ("acme/core", 500, 50, "javascript"),
        ("acme/types", 200, 10, "typescript"),
        ("zed/app", 5, 0, "typescript"),
    ]
    edges = [("zed/app", "acme/core"), ("zed/app", "acme/types"), ("acme/types", "acme/core")]
    with psycopg.connect(dsn) as conn:
        _store(conn, repos, edges)
    first = analysis.score_impact(settings_, dsn, language="javascript")
    assert first.scored_now and first.rows_changed == 3  # TypeScript's rows too
    second = analysis.score_impact(settings_, dsn, language="typescript")
    assert not second.scored_now and second.rows_changed == 0
    with psycopg.connect(dsn) as conn:
        fresh = {n: s for n, s, _ in analysis.ecosystem_impact(settings_, conn, "typescript")}
    assert sorted(second.scores) == pytest.approx(sorted([fresh["acme/types"], fresh["zed/app"]]))
    with psycopg.connect(dsn) as conn:
        before = dict(conn.execute("SELECT name, impact_at FROM repositories"))
        conn.execute("UPDATE repositories SET stars = 900 WHERE name = 'zed/app'")
        conn.commit()
    again = analysis.score_impact(settings_, dsn, language="typescript")
    # Stars move only that repository's stars component: one row rewritten, not three.
    assert again.scored_now and again.rows_changed == 1
    with psycopg.connect(dsn) as conn:
        after = dict(conn.execute("SELECT name, impact_at FROM repositories"))
        assert after["acme/core"] == before["acme/core"]
        assert after["zed/app"] > before["zed/app"]
        with conn.transaction():
            repo_store.replace_graph(
                conn,
                "npm",
                [DependencyEdge(dependent="zed/app", dependency="acme/core", ecosystem="npm")],
            )
    assert analysis.score_impact(settings_, dsn, language="javascript").scored_now


def test_rewriting_moved_impact_stays_on_the_page_and_off_the_indexes(conn) -> None:
    """Once every row holds impact, rewriting scores that moved is a HOT update (no entry in
    any of repositories' eight indexes): the half page fillfactor keeps free is what allows
    it, and an index over an impact column would forbid it."""
    _reset(conn)
    n = 3000
    names = [f"owner{i}/repository-with-a-longer-name-{i}" for i in range(n)]
    repo_store.upsert_repositories(
        conn,
        [
            (RepoMetadata(full_name=name, language="javascript", stars=i), "javascript")
            for i, name in enumerate(names)
        ],
        source="test",
    )
    rng = np.random.default_rng(0)

    def columns() -> dict:
        numeric = {
            name: rng.random(n) for name, kind in graph_store.IMPACT_COLUMNS if kind == "float8"
        }
        ints = {
            name: rng.integers(0, 1000, n)
            for name, kind in graph_store.IMPACT_COLUMNS
            if kind == "int8"
        }
        return {**numeric, **ints, "full_name": names, "exact_reach": [False] * n}

    assert graph_store.write_impact_columns(conn, columns()) == n
    conn.commit()
    assert graph_store.write_impact_columns(conn, columns()) == n
    hot = conn.execute(
        "SELECT pg_stat_get_xact_tuples_hot_updated('repositories'::regclass)"
    ).fetchone()[0]
    conn.rollback()
    assert hot >= 0.95 * n
