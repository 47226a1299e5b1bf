"""The ranking's fast paths against the straightforward ones, on small worlds.

- inputs read through COPY into polars = inputs read one dict per row;
- the narrow ``issue_rankings`` written incrementally = the ranking computed from scratch, and
  rows whose values did not change are not rewritten;
- ``prioritize`` answered from the stored priorities = the ranking computed now; with weights
  that differ from the stored ones it computes, and agrees with the straightforward computation.
"""

from __future__ import annotations

from dataclasses import asdict

import polars as pl
import psycopg
import pytest
from polars.testing import assert_frame_equal

from globallm_assets.core.priority import rank as rank_frame
from globallm_assets.core.weights import PriorityWeights
from globallm_assets.services import issues as issue_service
from globallm_assets.settings import load_settings
from globallm_assets_tests.services.ranking_world import LANGUAGES, build_world

KEY = ["repository", "number"]
STORED = ["repository", "number", "priority", *issue_service.COMPONENT_COLUMNS]


def _settings(dsn: str, **weights: float):
    overrides = {"database.url": dsn, **{f"priority_weights.{k}": v for k, v in weights.items()}}
    return load_settings(overrides=overrides, env_file=None)


@pytest.fixture
def world(dsn: str) -> str:
    with psycopg.connect(dsn) as conn:
        build_world(conn, repositories=60, issues=1_500, seed=3)
    return dsn


def _reference(dsn: str, weights: PriorityWeights, language: str | None = None, **kw):
    """The straightforward ranking: one dict per input row, then the polars formula."""
    with psycopg.connect(dsn) as conn:
        frame = issue_service.ranking_frame_rows(conn, language)
    return rank_frame(frame, weights, **kw)


def _stored(dsn: str) -> pl.DataFrame:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            f"SELECT {', '.join(STORED)} FROM issue_rankings ORDER BY repository, number"
        ).fetchall()
    return pl.DataFrame(
        rows, schema={c: pl.Float64 for c in STORED} | {"repository": pl.Utf8, "number": pl.Int64},
        orient="row",
    )  # fmt: skip


def _versions(dsn: str) -> dict[tuple[str, int], str]:
    """Each stored row's tuple version (xmin): changes whenever the row is rewritten."""
    with psycopg.connect(dsn) as conn:
        rows = conn.execute("SELECT repository, number, xmin::text FROM issue_rankings").fetchall()
    return {(r, n): x for r, n, x in rows}


def _rank_all(settings, dsn: str) -> list[issue_service.RankingReport]:
    return [issue_service.rank_partition(settings, dsn, language=lang) for lang in LANGUAGES]


def test_inputs_read_through_copy_equal_the_dict_rows(world: str) -> None:
    with psycopg.connect(world) as conn:
        for language in (None, "python"):
            fast = issue_service.ranking_frame(conn, language).sort(KEY)
            slow = issue_service.ranking_frame_rows(conn, language).sort(KEY)
            assert fast.height > 100
            assert_frame_equal(fast, slow)


def test_written_ranking_equals_the_computed_one_and_unchanged_rows_stay(world: str) -> None:
    settings = _settings(world)
    weights = PriorityWeights()
    reports = _rank_all(settings, world)
    expected = _reference(world, weights).select(STORED).sort(KEY)
    assert_frame_equal(_stored(world), expected)
    assert sum(r.changed for r in reports) == expected.height

    # Nothing changed: nothing is written again.
    before = _versions(world)
    again = _rank_all(settings, world)
    assert sum(r.changed for r in again) == 0 and sum(r.removed for r in again) == 0
    assert _versions(world) == before

    # Inputs move: one repository's health, an issue closed, one marked do-not-touch, one
    # repository rejected, one issue's repository deleted outright.
    with psycopg.connect(world) as conn:
        ranked = conn.execute(
            "SELECT repository, number FROM (SELECT DISTINCT ON (repository) * "
            "FROM issue_rankings ORDER BY repository, priority DESC) best "
            "ORDER BY priority DESC LIMIT 4"
        ).fetchall()  # four different repositories
        (healthy, _), (closing, n_closing), (locking, n_locking), (rejecting, _) = ranked
        conn.execute("UPDATE repositories SET health_score = 0.01 WHERE name = %s", (healthy,))
        conn.execute(
            "UPDATE issues SET state = 'closed' WHERE repository = %s AND number = %s",
            (closing, n_closing),
        )
        conn.execute(
            "UPDATE issues SET do_not_touch = true, do_not_touch_reason = 'claimed upstream' "
            "WHERE repository = %s AND number = %s",
            (locking, n_locking),
        )
        conn.execute(
            "UPDATE repositories SET worth_working_on = false WHERE name = %s", (rejecting,)
        )
    reports = _rank_all(settings, world)
    expected = _reference(world, weights).select(STORED).sort(KEY)
    assert_frame_equal(_stored(world), expected)
    after = _versions(world)
    rewritten = {k for k, v in after.items() if before.get(k) != v}
    # Exactly the healthy repository's issues were rewritten (their c_health changed).
    assert rewritten and {repo for repo, _ in rewritten} == {healthy}
    assert sum(r.changed for r in reports) == len(rewritten)
    gone = set(before) - set(after)
    assert (closing, n_closing) in gone and (locking, n_locking) in gone
    assert {k for k in gone if k[0] == rejecting} == {k for k in before if k[0] == rejecting}
    assert sum(r.removed for r in reports) == len(gone)


def test_prioritize_from_the_stored_ranking_equals_the_computed_one(world: str) -> None:
    settings = _settings(world)
    _rank_all(settings, world)
    weights = PriorityWeights()
    with psycopg.connect(world) as conn:
        for language in (None, "python", "go"):
            assert issue_service.stored_answers(settings, conn, language)
            for top, floor in ((20, None), (5, 0.3), (10_000, None), (7, 99.0)):
                fast = issue_service.ranked_issues(
                    settings, conn, language=language, top=top, min_priority=floor
                )
                slow = _reference(world, weights, language, top=top, min_priority=floor)
                assert_frame_equal(fast, slow)
                direct = issue_service.stored_rank(
                    conn, language=language, top=top, min_priority=floor
                )
                assert_frame_equal(direct, slow)
                # The plain rows (no polars on this path): the same Python values, in order.
                rows = issue_service.ranked_rows(
                    settings, conn, language=language, top=top, min_priority=floor
                )
                assert rows == slow.to_dicts()
    result = issue_service.prioritize(settings, world, top=20)
    assert result.rows == _reference(world, weights, top=20).to_dicts()
    assert_frame_equal(result.ranked, _reference(world, weights, top=20))


def test_ranked_columns_are_the_stored_query_and_the_formula_columns() -> None:
    from globallm_assets.core.priority import COMPONENT_COLUMNS
    from globallm_assets.store.issues import RANKING_VALUE_COLUMNS

    assert issue_service.COMPONENT_COLUMNS == COMPONENT_COLUMNS == RANKING_VALUE_COLUMNS[1:]
    frame = rank_frame(issue_service.ranked_frame([]).drop(["priority", *COMPONENT_COLUMNS]))
    assert tuple(frame.columns) == issue_service.RANKED_COLUMNS


def test_other_weights_recompute_and_agree_with_the_straightforward_ranking(world: str) -> None:
    _rank_all(_settings(world), world)
    stored = _stored(world)
    other = _settings(world, impact=0.9, cost=0.0, acceptance=0.5)
    weights = PriorityWeights(**other.priority_weights.model_dump())
    assert weights != PriorityWeights()
    with psycopg.connect(world) as conn:
        assert not issue_service.stored_answers(other, conn, None)
    result = issue_service.prioritize(other, world, top=25, language="rust")
    assert_frame_equal(result.ranked, _reference(world, weights, "rust", top=25))
    assert result.rows == _reference(world, weights, "rust", top=25).to_dicts()
    # Differs from what the default weights would show, and nothing was written.
    default = _reference(world, PriorityWeights(), "rust", top=25)
    assert result.ranked["priority"].to_list() != default["priority"].to_list()
    assert_frame_equal(_stored(world), stored)


def test_a_language_never_ranked_is_computed_not_read(world: str) -> None:
    settings = _settings(world)
    issue_service.rank_partition(settings, world, language="python")
    with psycopg.connect(world) as conn:
        assert issue_service.stored_answers(settings, conn, "python")
        assert not issue_service.stored_answers(settings, conn, "go")
        assert not issue_service.stored_answers(settings, conn, None)
    result = issue_service.prioritize(settings, world, top=30)
    assert_frame_equal(result.ranked, _reference(world, PriorityWeights(), top=30))
    assert set(result.ranked["language"]) - {"python"}


def test_a_ranking_of_every_language_at_once_answers_each_language(world: str) -> None:
    settings = _settings(world)
    with psycopg.connect(world) as conn:
        ranked = issue_service.rank(settings, conn)
        issue_service.store_ranking(conn, ranked, weights=asdict(PriorityWeights()))
        assert issue_service.stored_answers(settings, conn, "java")
        fast = issue_service.ranked_issues(settings, conn, language="java", top=15)
    assert_frame_equal(fast, _reference(world, PriorityWeights(), "java", top=15))
    assert_frame_equal(_stored(world), ranked.select(STORED).sort(KEY))


def test_the_migration_moves_stored_priorities_and_components(empty_dsn: str) -> None:
    from globallm_assets.store.migrations import migrate

    migrate(empty_dsn, target=51)
    components = {c: 0.01 * i for i, c in enumerate(issue_service.COMPONENT_COLUMNS)}
    with psycopg.connect(empty_dsn) as conn:
        conn.execute("INSERT INTO repositories (name, language) VALUES ('acme/a', 'go')")
        conn.execute(
            "INSERT INTO issues (repository, number, priority, scores) VALUES "
            "('acme/a', 1, 0.75, %s), ('acme/a', 2, NULL, NULL)",
            (psycopg.types.json.Jsonb({"priority_components": components, "x": 1}),),
        )
    migrate(empty_dsn)
    with psycopg.connect(empty_dsn) as conn:
        rows = conn.execute(f"SELECT {', '.join(STORED)} FROM issue_rankings").fetchall()
        view = conn.execute(
            "SELECT number, priority, scores FROM issue_priorities ORDER BY number"
        ).fetchall()
    assert rows == [("acme/a", 1, 0.75, *components.values())]
    assert view[0][:2] == (1, 0.75) and view[0][2]["priority_components"] == components
    assert view[0][2]["x"] == 1 and view[1][1:] == (None, None)


def test_the_claimable_flag_follows_the_assignment_status(world: str) -> None:
    """Claims walk only available ranked rows: the flag is set from the issue when the row is
    written, and follows every later change of the issue's assignment status."""
    with psycopg.connect(world) as conn:
        held = conn.execute(
            "UPDATE issues SET assignment_status = 'assigned', assigned_to = 'agent-1' "
            "WHERE (repository, number) IN (SELECT repository, number FROM issues "
            "WHERE state = 'open' AND NOT do_not_touch AND solvability IS NOT NULL "
            "ORDER BY repository, number LIMIT 30) RETURNING repository, number"
        ).fetchall()
    _rank_all(_settings(world), world)

    def mismatched() -> int:
        with psycopg.connect(world) as conn:
            return conn.execute(
                "SELECT count(*) FROM issue_rankings k JOIN issues i USING (repository, number) "
                "WHERE k.available <> (i.assignment_status = 'available')"
            ).fetchone()[0]

    with psycopg.connect(world) as conn:
        flags = conn.execute(
            "SELECT count(*) FILTER (WHERE NOT available) FROM issue_rankings"
        ).fetchone()[0]
    assert flags > 0 and mismatched() == 0
    with psycopg.connect(world) as conn:
        conn.execute(
            "UPDATE issues SET assignment_status = 'completed', assigned_to = NULL "
            "WHERE assigned_to = 'agent-1' AND number % 2 = 0"
        )
        conn.execute(
            "UPDATE issues SET assignment_status = 'available', assigned_to = NULL "
            "WHERE assigned_to = 'agent-1'"
        )
        conn.execute(
            "UPDATE issues SET assignment_status = 'failed' WHERE (repository, number) IN "
            "(SELECT repository, number FROM issue_rankings ORDER BY priority DESC LIMIT 5)"
        )
    assert mismatched() == 0 and len(held) == 30


def _languages(dsn: str) -> dict[tuple[str, int], str | None]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute("SELECT repository, number, language FROM issue_rankings").fetchall()
    return {(r, n): lang for r, n, lang in rows}


def test_each_row_carries_its_language_and_follows_a_repository_that_changes_it(
    world: str,
) -> None:
    """A partition reads only rows tagged with its language; a repository whose language
    changes ends up ranked under the new one, whichever partition runs first."""
    settings = _settings(world)
    _rank_all(settings, world)
    with psycopg.connect(world) as conn:
        truth = dict(
            conn.execute(
                "SELECT k.repository, r.language FROM issue_rankings k "
                "JOIN repositories r ON r.name = k.repository"
            ).fetchall()
        )
        first, second = conn.execute(
            "SELECT DISTINCT k.repository FROM issue_rankings k JOIN repositories r "
            "ON r.name = k.repository WHERE r.language = 'python' ORDER BY 1 LIMIT 2"
        ).fetchall()
        conn.execute(
            "UPDATE repositories SET language = 'go' WHERE name = ANY(%s)",
            ([first[0], second[0]],),
        )
    assert all(truth[repo] == lang for (repo, _), lang in _languages(world).items())
    before = _versions(world)

    # The go partition first: it takes over the rows still tagged python.
    go = issue_service.rank_partition(settings, world, language="go")
    python = issue_service.rank_partition(settings, world, language="python")
    moved = {k for k in before if k[0] in (first[0], second[0])}
    assert moved and go.changed == len(moved) and python.removed == 0 and python.changed == 0
    expected = _reference(world, PriorityWeights()).select(STORED).sort(KEY)
    assert_frame_equal(_stored(world), expected)
    tags = _languages(world)
    assert {tags[k] for k in moved} == {"go"}
    unmoved = {k: v for k, v in _versions(world).items() if k not in moved}
    assert unmoved == {k: v for k, v in before.items() if k not in moved}

    # Back to python, the python partition first: it ranks them again; go removes nothing new.
    with psycopg.connect(world) as conn:
        conn.execute(
            "UPDATE repositories SET language = 'python' WHERE name = ANY(%s)",
            ([first[0], second[0]],),
        )
    python = issue_service.rank_partition(settings, world, language="python")
    go = issue_service.rank_partition(settings, world, language="go")
    assert python.changed == len(moved) and go.removed == 0 and go.changed == 0
    expected = _reference(world, PriorityWeights()).select(STORED).sort(KEY)
    assert_frame_equal(_stored(world), expected)
    assert {_languages(world)[k] for k in moved} == {"python"}

    # Rejected while tagged: its old language's partition removes the rows.
    with psycopg.connect(world) as conn:
        conn.execute("UPDATE repositories SET worth_working_on = false WHERE name = %s", first)
    python = issue_service.rank_partition(settings, world, language="python")
    assert python.removed == sum(1 for k in moved if k[0] == first[0])
    assert not {k for k in _languages(world) if k[0] == first[0]}


def test_the_migration_tags_stored_rankings_with_their_language(empty_dsn: str) -> None:
    from globallm_assets.store.migrations import migrate

    migrate(empty_dsn, target=59)
    with psycopg.connect(empty_dsn) as conn:
        conn.execute(
            "INSERT INTO repositories (name, language) VALUES ('acme/a', 'go'), ('acme/b', 'rust')"
        )
        conn.execute(
            "INSERT INTO issue_rankings (repository, number, priority) VALUES "
            "('acme/a', 1, 0.5), ('acme/b', 1, 0.25), ('acme/gone', 3, 0.1)"
        )
    migrate(empty_dsn)
    assert _languages(empty_dsn) == {
        ("acme/a", 1): "go",
        ("acme/b", 1): "rust",
        ("acme/gone", 3): None,  # no repository: only a ranking of every language removes it
    }
    # A row written without a language takes its repository's.
    with psycopg.connect(empty_dsn) as conn:
        conn.execute(
            "INSERT INTO issue_rankings (repository, number, priority) VALUES ('acme/a', 2, 0.5)"
        )
    assert _languages(empty_dsn)[("acme/a", 2)] == "go"
