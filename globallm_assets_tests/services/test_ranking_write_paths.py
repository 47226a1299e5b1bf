"""The ranking write's fast paths against the straightforward ones, on small worlds.

- the narrow inputs the write reads (the formula's inputs only, per-repository ones once per
  repository) = the full inputs read one dict per row, do-not-touch rows left out;
- a bulk write (secondary indexes dropped and rebuilt, new rows copied straight into the table)
  stores exactly the rows the row-by-row write stores — values, language tags and claimable
  flags — from an empty table and after inputs, assignments and a repository's language moved,
  and leaves the same indexes behind;
- a bulk write that cannot lock the table in time goes row by row instead.
"""

from __future__ import annotations

import threading
from dataclasses import asdict

import polars as pl
import psycopg
import pytest
from polars.testing import assert_frame_equal

from globallm_assets.core.priority import rank as rank_frame
from globallm_assets.core.weights import PriorityWeights
from globallm_assets.services import issues as issue_service
from globallm_assets.store import issues as issue_store
from globallm_assets_tests.services.ranking_world import LANGUAGES, build_world

KEY = ["repository", "number"]
# Every column of issue_rankings but ranked_at (a timestamp of the write).
ROW = (
    "repository, number, language, priority, c_health, c_impact, c_solvability, c_urgency, "
    "c_redundancy, c_cost, c_acceptance, available"
)
WEIGHTS = PriorityWeights()


@pytest.fixture
def world(dsn: str) -> str:
    with psycopg.connect(dsn) as conn:
        build_world(conn, repositories=60, issues=1_500, seed=5)
        # Some issues finished, failed or held by an agent: their rows are not claimable.
        conn.execute("UPDATE issues SET assignment_status = 'completed' WHERE number % 11 = 2")
        conn.execute("UPDATE issues SET assignment_status = 'failed' WHERE number % 13 = 3")
        conn.execute(
            "UPDATE issues SET assignment_status = 'assigned', assigned_to = 'agent-1' "
            "WHERE state = 'open' AND number % 7 = 1 AND assignment_status = 'available'"
        )
    return dsn


def _rank(dsn: str, *, bulk: bool | None, languages=LANGUAGES) -> list[issue_store.RankingWrite]:
    writes = []
    for language in languages:
        with psycopg.connect(dsn) as conn:
            ranked = rank_frame(issue_service.ranking_write_frame(conn, language), WEIGHTS)
            writes.append(
                issue_store.write_ranking(
                    conn, ranked, language=language, weights=asdict(WEIGHTS), bulk=bulk
                )
            )
    return writes


def _rows(dsn: str) -> list[tuple]:
    with psycopg.connect(dsn) as conn:
        query = f"SELECT {ROW} FROM issue_rankings ORDER BY repository, number"
        return conn.execute(query).fetchall()


def _indexes(dsn: str) -> dict[str, tuple[int, str]]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "SELECT c.relname, c.oid::int, pg_get_indexdef(c.oid) FROM pg_index x "
            "JOIN pg_class c ON c.oid = x.indexrelid "
            "WHERE x.indrelid = 'issue_rankings'::regclass AND x.indisvalid"
        ).fetchall()
    return {name: (oid, definition) for name, oid, definition in rows}


def _restore(dsn: str, rows: list[tuple]) -> None:
    with psycopg.connect(dsn) as conn:
        conn.execute("TRUNCATE issue_rankings")
        with conn.cursor() as cur:
            cur.executemany(
                f"INSERT INTO issue_rankings ({ROW}) VALUES ({', '.join(['%s'] * 12)})", rows
            )


def test_narrow_inputs_equal_the_full_inputs(world: str) -> None:
    with psycopg.connect(world) as conn:
        for language in (None, "python"):
            narrow = issue_service.ranking_write_frame(conn, language)
            full = issue_service.ranking_frame_rows(conn, language)
            assert narrow.height > 100 and full.filter(pl.col("do_not_touch")).height > 0
            expected = full.filter(~pl.col("do_not_touch")).select(narrow.columns)
            assert_frame_equal(narrow.sort(KEY), expected.sort(KEY))


def test_bulk_and_row_writes_store_the_same_rows(world: str) -> None:
    definitions = {name: d for name, (_, d) in _indexes(world).items()}
    # From an empty table.
    _rank(world, bulk=False)
    by_rows = _rows(world)
    assert sum(not row[-1] for row in by_rows) > 10  # held issues are not claimable
    _restore(world, [])
    writes = _rank(world, bulk=True)
    assert _rows(world) == by_rows
    assert sum(w.changed for w in writes) == len(by_rows)
    after = _indexes(world)
    assert {name: d for name, (_, d) in after.items()} == definitions

    # From the same stored ranking, after inputs moved: one repository's health, an issue
    # closed, one do-not-touch, one released and one claimed, and a repository whose language
    # changed (the go partition first: it takes over rows still tagged python).
    with psycopg.connect(world) as conn:
        held = conn.execute(
            "SELECT repository, number FROM issues WHERE assignment_status = 'assigned' "
            "AND state = 'open' AND NOT do_not_touch AND solvability IS NOT NULL LIMIT 1"
        ).fetchone()
        free = conn.execute(
            "SELECT k.repository, k.number FROM issue_rankings k WHERE k.available LIMIT 1"
        ).fetchone()
        repos = [
            r
            for (r,) in conn.execute(
                "SELECT DISTINCT repository FROM issue_rankings WHERE language = 'python' "
                "ORDER BY 1 LIMIT 3"
            ).fetchall()
        ]
    start = _rows(world)

    def move() -> None:
        with psycopg.connect(world) as conn:
            conn.execute("UPDATE repositories SET health_score = 0.01 WHERE name = %s", (repos[0],))
            conn.execute("UPDATE repositories SET language = 'go' WHERE name = %s", (repos[1],))
            conn.execute(
                "UPDATE issues SET state = 'closed' WHERE repository = %s AND number = "
                "(SELECT min(number) FROM issues WHERE repository = %s AND state = 'open')",
                (repos[2], repos[2]),
            )
            conn.execute(
                "UPDATE issues SET assignment_status = 'available', assigned_to = NULL "
                "WHERE repository = %s AND number = %s",
                held,
            )
            conn.execute(
                "UPDATE issues SET assignment_status = 'assigned', assigned_to = 'agent-2' "
                "WHERE repository = %s AND number = %s",
                free,
            )

    def unmove() -> None:
        with psycopg.connect(world) as conn:
            conn.execute("UPDATE repositories SET language = 'python' WHERE name = %s", (repos[1],))
            conn.execute(
                "UPDATE issues SET state = 'open' WHERE repository = %s AND state = 'closed' "
                "AND number = (SELECT min(number) FROM issues WHERE repository = %s)",
                (repos[2], repos[2]),
            )
            conn.execute(
                "UPDATE issues SET assignment_status = 'assigned', assigned_to = 'agent-1' "
                "WHERE repository = %s AND number = %s",
                held,
            )
            conn.execute(
                "UPDATE issues SET assignment_status = 'available', assigned_to = NULL "
                "WHERE repository = %s AND number = %s",
                free,
            )

    order = ["go", *(lang for lang in LANGUAGES if lang != "go")]
    move()
    _rank(world, bulk=False, languages=order)
    by_rows = _rows(world)
    unmove()
    _restore(world, start)
    move()
    _rank(world, bulk=True, languages=order)
    assert _rows(world) == by_rows
    tags = {(r, n): lang for r, n, lang, *_ in by_rows}
    assert {lang for (r, _), lang in tags.items() if r == repos[1]} == {"go"}
    assert {name: d for name, (_, d) in _indexes(world).items()} == definitions


def test_the_write_rebuilds_indexes_only_for_many_new_rows(
    world: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The choice: a first ranking (every row new) rebuilds; a few changed rows are added."""
    monkeypatch.setattr(issue_store, "BULK_MIN_ROWS", 50)
    before = _indexes(world)
    _rank(world, bulk=None, languages=["python"])
    rebuilt = _indexes(world)
    assert all(rebuilt[name][0] != oid for name, (oid, _) in before.items() if "pkey" not in name)
    with psycopg.connect(world) as conn:
        repository = conn.execute(
            "SELECT repository FROM issue_rankings WHERE language = 'python' LIMIT 1"
        ).fetchone()[0]
        conn.execute("UPDATE repositories SET health_score = 0.02 WHERE name = %s", (repository,))
    (write,) = _rank(world, bulk=None, languages=["python"])
    assert 0 < write.changed < 50
    assert _indexes(world) == rebuilt


def test_a_bulk_write_goes_row_by_row_when_the_table_is_in_use(
    world: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(issue_store, "BULK_LOCK_WAIT", "200ms")
    _rank(world, bulk=False)
    expected = _rows(world)
    _restore(world, [])
    before = _indexes(world)
    reading, done = threading.Event(), threading.Event()

    def reader() -> None:  # a claim's read, holding its lock until told
        with psycopg.connect(world) as conn:
            conn.execute("SELECT count(*) FROM issue_rankings")
            reading.set()
            done.wait(30)

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        assert reading.wait(10)
        _rank(world, bulk=True, languages=["python"])
    finally:
        done.set()
        thread.join()
    assert _indexes(world) == before  # nothing dropped
    _rank(world, bulk=True)
    assert _rows(world) == expected
