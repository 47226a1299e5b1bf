"""The ``issues`` and ``issue_fetch_state`` tables.

Issues are upserted, never deleted by a fetch: an issue closed upstream is marked closed here, and
its claim columns are left alone so an agent working on it can finish or release it cleanly.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from globallm_assets.core.models import IssueRecord


def upsert_issues(conn: psycopg.Connection, records: Iterable[IssueRecord]) -> int:
    """Insert or refresh issues from the source (scores are recomputed by the ranking)."""
    rows = [
        (
            r.repository,
            r.number,
            Jsonb(r.model_dump(mode="json")),
            r.title,
            "closed" if r.state == "closed" else "open",
            r.labels,
            r.created_at,
            r.updated_at,
            r.closed_at,
        )
        for r in records
    ]
    if not rows:
        return 0
    with conn.cursor() as cur:
        cur.executemany(
            """
            INSERT INTO issues (repository, number, data, title, state, labels, created_at,
                                updated_at, closed_at, fetched_at)
            VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, now())
            ON CONFLICT (repository, number) DO UPDATE SET
                data = EXCLUDED.data,
                title = EXCLUDED.title,
                state = EXCLUDED.state,
                labels = EXCLUDED.labels,
                created_at = EXCLUDED.created_at,
                updated_at = EXCLUDED.updated_at,
                closed_at = EXCLUDED.closed_at,
                fetched_at = now()
            """,
            rows,
        )
    return len(rows)


@dataclass(frozen=True)
class FetchState:
    repository: str
    last_updated_at: datetime | None
    opted_out: bool
    opt_out_reason: str | None


def fetch_state(conn: psycopg.Connection, repository: str) -> FetchState | None:
    row = conn.execute(
        "SELECT repository, last_updated_at, opted_out, opt_out_reason FROM issue_fetch_state "
        "WHERE repository = %s",
        (repository,),
    ).fetchone()
    return FetchState(*row) if row else None


def save_fetch_state(
    conn: psycopg.Connection,
    repository: str,
    last_updated_at: datetime | None,
    *,
    opted_out: bool = False,
    opt_out_reason: str | None = None,
) -> None:
    conn.execute(
        """
        INSERT INTO issue_fetch_state (repository, last_updated_at, opted_out, opt_out_reason)
        VALUES (%s, %s, %s, %s)
        ON CONFLICT (repository) DO UPDATE SET
            last_updated_at = GREATEST(issue_fetch_state.last_updated_at,
                                       EXCLUDED.last_updated_at),
            opted_out = EXCLUDED.opted_out,
            opt_out_reason = EXCLUDED.opt_out_reason,
            fetched_at = now()
        """,
        (repository, last_updated_at, opted_out, opt_out_reason),
    )


@dataclass(frozen=True)
class OpenIssue:
    issue: IssueRecord
    opted_out: bool
    opt_out_reason: str | None
    llm_category: str | None  # the LLM's answer for this very version of the issue, if any


def open_issues(conn: psycopg.Connection, repositories: Sequence[str]) -> list[OpenIssue]:
    """Open issues of the given repositories with their repository's opt-out state."""
    rows = conn.execute(
        """
        SELECT i.data, COALESCE(f.opted_out, false), f.opt_out_reason,
               CASE WHEN i.llm_category_for IS NOT DISTINCT FROM i.updated_at
                    THEN i.llm_category END
        FROM issues i
        LEFT JOIN issue_fetch_state f ON f.repository = i.repository
        WHERE i.repository = ANY(%s) AND i.state = 'open'
        ORDER BY i.repository, i.number
        """,
        (list(repositories),),
    ).fetchall()
    return [
        OpenIssue(IssueRecord.model_validate(data), opted, reason, cached)
        for data, opted, reason, cached in rows
    ]


def remember_llm_categories(
    conn: psycopg.Connection, answers: Iterable[tuple[IssueRecord, str]]
) -> None:
    """Store the LLM's category for the issue version it saw (its ``updated_at``)."""
    with conn.cursor() as cur:
        cur.executemany(
            "UPDATE issues SET llm_category = %s, llm_category_for = %s "
            "WHERE repository = %s AND number = %s",
            [(cat, i.updated_at, i.repository, i.number) for i, cat in answers],
        )


def write_issue_scores(conn: psycopg.Connection, rows: Iterable[dict[str, Any]]) -> int:
    """Store category and per-issue scores (one dict per issue, keys as in the SQL below)."""
    data = [
        (
            r["category"],
            r["category_source"],
            r["solvability"],
            r["urgency"],
            r["complexity"],
            r["cost_estimate"],
            r["do_not_touch_reason"] is not None,
            r["do_not_touch_reason"],
            Jsonb(r["scores"]),
            r["repository"],
            r["number"],
        )
        for r in rows
    ]
    with conn.cursor() as cur:
        cur.executemany(
            """
            UPDATE issues SET category = %s, category_source = %s, solvability = %s,
                urgency = %s, complexity = %s, cost_estimate = %s, do_not_touch = %s,
                do_not_touch_reason = %s, scores = %s
            WHERE repository = %s AND number = %s
            """,
            data,
        )
    return len(data)


# The ranking's own columns in issue_rankings, in COPY order after (repository, number).
RANKING_VALUE_COLUMNS = (
    "priority",
    "c_health",
    "c_impact",
    "c_solvability",
    "c_urgency",
    "c_redundancy",
    "c_cost",
    "c_acceptance",
)


@dataclass(frozen=True)
class RankingWrite:
    """What one ranking write did: rows inserted or changed, and rows removed."""

    changed: int
    removed: int


_KEY = ["repository", "number"]


def _csv_rows(
    conn: psycopg.Connection,
    query: str,
    params: Sequence[Any] | None,
    columns: Sequence[str],
    text: Sequence[str] = (),
) -> bytes:
    """The rows of ``query`` (its ``columns``) as CSV for polars, built by the server as one
    value: COPY hands the client one message per row, and reading 10^5 rows that way cost
    more client CPU than parsing them. Text columns are quoted (quotes doubled), so any
    character survives; NULL is an empty field, an empty string ``""``, as COPY writes them;
    numbers print as COPY prints them (floats shortest-exact)."""

    def field(column: str) -> str:
        if column in text:
            quoted = f"""'"' || replace(q.{column}, '"', '""') || '"'"""
            return f"CASE WHEN q.{column} IS NULL THEN '' ELSE {quoted} END"
        return f"COALESCE(q.{column}::text, '')"

    line = " || ',' || ".join(field(c) for c in columns)
    row = conn.execute(
        f"SELECT convert_to(string_agg({line}, E'\\n'), 'UTF8') FROM ({query}) q",
        params,
        binary=True,
    ).fetchone()
    return bytes(row[0]) if row and row[0] is not None else b""


def stored_scope(conn: psycopg.Connection, language: str | None) -> Any:
    """The scope's stored rows (key, language tag, values) as a polars frame (``_csv_rows``):
    a language's through ``issue_rankings_language_idx``. Floats print shortest-exact, so the
    frame holds the very doubles stored."""
    import io

    import polars as pl

    columns = [*_KEY, "language", *RANKING_VALUE_COLUMNS]
    schema = {
        "repository": pl.Utf8,
        "number": pl.Int64,
        "language": pl.Utf8,
        **dict.fromkeys(RANKING_VALUE_COLUMNS, pl.Float64),
    }
    where, params = ("WHERE language = %s", [language]) if language is not None else ("", None)
    data = _csv_rows(
        conn,
        f"SELECT {', '.join(columns)} FROM issue_rankings {where}",
        params,
        columns,
        text=("repository", "language"),
    )
    if not data:
        return pl.DataFrame(schema=schema)
    return pl.read_csv(
        io.BytesIO(data), has_header=False, new_columns=columns, schema_overrides=schema
    )


@dataclass(frozen=True)
class RankingDiff:
    """What a scope's write must do to make its stored rows equal the computed ones."""

    new: Any  # polars frames with the write's columns: rows the scope does not hold
    changed: Any  # rows the scope holds with other values (or another language tag)
    removed: Any  # keys of stored rows no longer ranked


def ranking_diff(computed: Any, stored: Any) -> RankingDiff:
    """Compare on the key; values compare as SQL's ``IS DISTINCT FROM`` does (null equals null,
    NaN equals NaN, -0.0 equals 0.0), so a row is rewritten exactly when the database would
    see a difference."""
    import polars as pl

    values = ["language", *RANKING_VALUE_COLUMNS]
    joined = computed.join(
        stored.select(*_KEY, *values, pl.lit(True).alias("_stored")),
        on=_KEY,
        how="left",
        suffix="_stored",
    )
    differs = pl.any_horizontal([pl.col(c).ne_missing(pl.col(f"{c}_stored")) for c in values])
    held = pl.col("_stored").is_not_null()
    return RankingDiff(
        new=joined.filter(~held).select(computed.columns),
        changed=joined.filter(held & differs).select(computed.columns),
        removed=stored.join(computed, on=_KEY, how="anti").select(_KEY),
    )


def _copy_temp(conn: psycopg.Connection, name: str, frame: Any, columns: Sequence[str]) -> None:
    """``frame`` into a new temp table ``name`` (dropped at commit) through one CSV COPY."""
    types = {"repository": "text", "number": "integer", "language": "text"}
    conn.execute(f"DROP TABLE IF EXISTS {name}")
    conn.execute(
        f"CREATE TEMP TABLE {name} ("
        + ", ".join(f"{c} {types.get(c, 'double precision')}" for c in columns)
        + ") ON COMMIT DROP"
    )
    statement = f"COPY {name} ({', '.join(columns)}) FROM STDIN (FORMAT csv)"
    with conn.cursor() as cur, cur.copy(statement) as copy:
        # Floats print shortest-exact, so the stored doubles equal the computed ones.
        copy.write(frame.select(columns).write_csv(include_header=False))


# A write rebuilds the secondary indexes of issue_rankings instead of adding to them when it
# adds at least this many index entries (rows inserted or changed) and at least this share of
# the table's rows: one entry added to a b-tree costs ~10x one entry of a sorted build, so a
# first ranking (10^5..10^6 new rows) or new weights (every row changed) are cheaper rebuilt.
BULK_MIN_ROWS = 10_000
BULK_SHARE = 1 / 8
BULK_LOCK_WAIT = "2s"


def _drop_secondary_indexes(conn: psycopg.Connection) -> list[str] | None:
    """Drop issue_rankings' secondary indexes for a bulk write and return the statements that
    rebuild them, or None when the table could not be locked (then the write adds entries
    row by row).

    The exclusive lock is waited for at most ``BULK_LOCK_WAIT`` (inside a savepoint): readers
    queue behind a waiting exclusive lock, so the claims stall no longer than that; an
    autovacuum in the way is cancelled by the wait, and two partitions upgrading their locks
    at once end in a deadlock error for one of them, which then goes row by row. The
    definitions are read from the catalog, so the rebuilt indexes are the ones the migrations
    made, whoever changed them last. Constraint indexes (the primary key: the upsert's
    arbiter) and unique ones are kept."""
    previous = conn.execute("SELECT current_setting('lock_timeout')").fetchone()
    try:
        with conn.transaction():
            conn.execute("SELECT set_config('lock_timeout', %s, true)", (BULK_LOCK_WAIT,))
            conn.execute("LOCK TABLE issue_rankings IN ACCESS EXCLUSIVE MODE")
    except (psycopg.errors.LockNotAvailable, psycopg.errors.DeadlockDetected):
        return None
    finally:
        conn.execute("SELECT set_config('lock_timeout', %s, true)", (previous[0],))
    rows = conn.execute(
        """
        SELECT c.relname, pg_get_indexdef(x.indexrelid) FROM pg_index x
        JOIN pg_class c ON c.oid = x.indexrelid
        WHERE x.indrelid = 'issue_rankings'::regclass AND NOT x.indisunique
          AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid)
        ORDER BY c.relname
        """
    ).fetchall()
    for name, _ in rows:
        conn.execute(f'DROP INDEX "{name}"')
    return [definition for _, definition in rows]


def _rebuild_indexes(conn: psycopg.Connection, definitions: Sequence[str]) -> None:
    # Sorted in memory (the rows of 10^6 issues fit in far less than this).
    conn.execute("SELECT set_config('maintenance_work_mem', '256MB', true)")
    for definition in definitions:
        conn.execute(definition)


def _bulk(conn: psycopg.Connection, diff: RankingDiff, stored_rows: int) -> bool:
    """Whether this write adds enough index entries to rebuild rather than add to them."""
    writes = diff.new.height + diff.changed.height
    if writes < BULK_MIN_ROWS:
        return False
    # The planner's row count (exact after an index build, close after autovacuum), at least
    # the scope's own rows.
    row = conn.execute(
        "SELECT reltuples FROM pg_class WHERE oid = 'issue_rankings'::regclass"
    ).fetchone()
    table = max(row[0] if row else 0, stored_rows, 0) + diff.new.height - diff.removed.height
    return writes >= BULK_SHARE * table


# Issues not available (assigned, completed, failed): a scan of issues (sql/0092 dropped their
# partial index so claims and completions rewrite issue rows in place; a ranking write is rare).
_HELD_ISSUES = """
    SELECT repository, number FROM issues WHERE assignment_status <> 'available'
"""


def _upsert(columns: Sequence[str], source: str) -> str:
    """Insert ``source``'s rows, claimable unless the issue is held; a row stored under another
    language (a repository that changed language) is moved by the upsert."""
    values = ("language", *RANKING_VALUE_COLUMNS)
    return f"""
        INSERT INTO issue_rankings ({", ".join(columns)}, available)
        SELECT {", ".join(f"t.{c}" for c in columns)}, held.number IS NULL
        FROM {source} t
        LEFT JOIN ({_HELD_ISSUES}) held
               ON held.repository = t.repository AND held.number = t.number
        ON CONFLICT (repository, number) DO UPDATE SET
            {", ".join(f"{c} = EXCLUDED.{c}" for c in values)}, ranked_at = now()
    """


def _insert_rows(conn: psycopg.Connection, new: Any, columns: Sequence[str]) -> int:
    """New rows, every index kept up row by row: in priority order, so consecutive inserts land
    on neighbouring pages of the priority indexes. The held issues are hashed, not looked up
    once per new row."""
    new = new.sort("priority", *_KEY, descending=[True, False, False])
    _copy_temp(conn, "ranking_new", new, columns)
    return conn.execute(_upsert(columns, "ranking_new")).rowcount


def _insert_bulk(
    conn: psycopg.Connection, new: Any, columns: Sequence[str], scope: str, params: list[Any]
) -> int:
    """New rows of a bulk write (table locked, secondary indexes dropped): one COPY straight
    into issue_rankings in key order, claimable by default, then the few held issues' rows
    marked. Under the exclusive lock no claim can change a row before the commit, and a claim
    made meanwhile updates the committed row after it (its trigger waits for the lock). A row
    stored under another language makes the COPY fail (primary key): then the rows go through
    a temp table and the upsert instead."""
    new = new.sort(_KEY)
    statement = f"COPY issue_rankings ({', '.join(columns)}) FROM STDIN (FORMAT csv)"
    try:
        with conn.transaction(), conn.cursor() as cur, cur.copy(statement) as copy:
            copy.write(new.select(columns).write_csv(include_header=False))
            inserted = new.height
    except psycopg.errors.UniqueViolation:
        _copy_temp(conn, "ranking_new", new, columns)
        return conn.execute(_upsert(columns, "ranking_new")).rowcount
    conn.execute(
        f"""
        UPDATE issue_rankings k SET available = false FROM ({_HELD_ISSUES}) held
        WHERE {scope} AND k.available
          AND k.repository = held.repository AND k.number = held.number
        """,
        params,
    )
    return inserted


def write_ranking(
    conn: psycopg.Connection,
    ranked: Any,
    *,
    language: str | None,
    weights: dict[str, float],
    bulk: bool | None = None,
) -> RankingWrite:
    """Make ``issue_rankings`` of the scope (``language``, or every issue) equal ``ranked``.

    ``ranked`` is a polars frame with repository, number, priority and the ``c_*`` columns.
    The scope's stored rows are read once (narrow, through COPY) and compared with it in
    polars; only the difference goes back: rows whose values differ are updated, rows the
    scope lacks inserted, rows no longer ranked (do-not-touch, closed, rejected, gone)
    deleted, each set through a COPY into a temp table and one statement. Unchanged rows are
    not touched (no new tuple, no index entry, ``ranked_at`` stays), and a ranking in which
    nothing changed writes nothing but its ``ranking_runs`` row. The weights are remembered
    for ``prioritize``'s fast path.

    A write that adds many index entries (``_bulk``; ``bulk`` forces the choice) drops the
    secondary indexes, writes, and builds them again, in this transaction: readers wait for
    the commit and never see the table without them.
    """
    import polars as pl

    _without_jit(conn)
    columns = [*_KEY, "language", *RANKING_VALUE_COLUMNS]
    tag = (
        pl.col("language")
        if language is None and "language" in ranked.columns
        else pl.lit(language, dtype=pl.Utf8)
    )
    frame = ranked.select(
        pl.col("repository"),
        pl.col("number").cast(pl.Int64),
        tag.alias("language"),
        *[
            (pl.col(c) if c in ranked.columns else pl.lit(None, dtype=pl.Float64)).alias(c)
            for c in RANKING_VALUE_COLUMNS
        ],
    )
    stored_rows = stored_scope(conn, language)
    diff = ranking_diff(frame, stored_rows)
    if bulk is None:
        bulk = _bulk(conn, diff, stored_rows.height)
    rebuild = _drop_secondary_indexes(conn) if bulk else None
    if language is not None:
        scope, params = "k.language = %s", [language]
    else:
        scope, params = "true", []
    removed = changed = 0
    if diff.removed.height:
        _copy_temp(conn, "ranking_gone", diff.removed, _KEY)
        removed = conn.execute(
            f"""
            DELETE FROM issue_rankings k USING ranking_gone t
            WHERE {scope} AND k.repository = t.repository AND k.number = t.number
            """,
            params,
        ).rowcount
    if diff.changed.height:
        _copy_temp(conn, "ranking_changed", diff.changed, columns)
        # The comparison again: a row another transaction changed since it was read is
        # written only if it still differs.
        stored = ", ".join(f"k.{c}" for c in ("language", *RANKING_VALUE_COLUMNS))
        computed = ", ".join(f"t.{c}" for c in ("language", *RANKING_VALUE_COLUMNS))
        assign = ", ".join(f"{c} = t.{c}" for c in ("language", *RANKING_VALUE_COLUMNS))
        changed += conn.execute(
            f"""
            UPDATE issue_rankings k SET {assign}, ranked_at = now()
            FROM ranking_changed t
            WHERE {scope} AND k.repository = t.repository AND k.number = t.number
              AND ({stored}) IS DISTINCT FROM ({computed})
            """,
            params,
        ).rowcount
    if diff.new.height:
        if rebuild is not None:
            changed += _insert_bulk(conn, diff.new, columns, scope, params)
        else:
            changed += _insert_rows(conn, diff.new, columns)
    if rebuild is not None:
        _rebuild_indexes(conn, rebuild)
    conn.execute(
        """
        INSERT INTO ranking_runs (scope, weights, rows, ranked_at) VALUES (%s, %s, %s, now())
        ON CONFLICT (scope) DO UPDATE SET weights = EXCLUDED.weights, rows = EXCLUDED.rows,
            ranked_at = EXCLUDED.ranked_at
        """,
        ("*" if language is None else language, Jsonb(weights), frame.height),
    )
    return RankingWrite(changed=max(changed, 0), removed=max(removed, 0))


def stored_ranking_weights(
    conn: psycopg.Connection, language: str | None
) -> list[dict[str, float] | None]:
    """The weights the stored priorities of each language in scope were computed with (one
    entry per language that has approved repositories; ``None``: never ranked)."""
    runs = {
        scope: (weights, at)
        for scope, weights, at in conn.execute(
            "SELECT scope, weights, ranked_at FROM ranking_runs"
        ).fetchall()
    }
    if language is not None:
        languages = [language]
    else:
        # Index-only scan of repositories_worth_idx.
        languages = [
            row[0]
            for row in conn.execute(
                "SELECT DISTINCT language FROM repositories WHERE worth_working_on IS TRUE"
            ).fetchall()
        ]
    found: list[dict[str, float] | None] = []
    for lang in languages:
        # The newest run covering the language wrote its rows.
        covering = [runs[s] for s in (lang, "*") if s in runs]
        found.append(max(covering, key=lambda run: run[1])[0] if covering else None)
    return found


# Every input of the priority formula, per open issue of an approved repository; the ranking
# frame's columns in this order (services/issues.py RANKING_SCHEMA). ``source`` binds ``i``
# (issues) and ``r`` (their repositories).
_RANKING_INPUTS = """
    SELECT i.repository, i.number, i.title, r.language, i.category,
           r.health_score AS health, r.impact_score AS impact,
           i.solvability, i.urgency, i.complexity, i.cost_estimate,
           COALESCE(d.penalty, 0) AS redundancy_penalty,
           COALESCE((i.scores ->> 'cost_penalty')::double precision, 0) AS cost_penalty,
           {do_not_touch} AS do_not_touch, i.do_not_touch_reason,
           a.signal AS acceptance{extra}
    FROM {source}
    LEFT JOIN redundancy d ON d.repository = i.repository
    LEFT JOIN repository_acceptance a ON lower(a.repository) = lower(i.repository)
    WHERE i.state = 'open' AND r.worth_working_on IS TRUE AND i.solvability IS NOT NULL {where}
"""

# One language's issues, reached from its approved repositories through the index on
# issues.repository: the language lives on ``repositories``, and joining every issue with them
# was a sequential scan of all 10^6 issues for each of the six partitions. ``OFFSET 0`` keeps
# the planner from flattening the lateral subquery back into that hash join.
_LANGUAGE_ISSUES = """
    repositories r
    CROSS JOIN LATERAL (
        SELECT i.repository, i.number, i.title, i.category, i.solvability, i.urgency,
               i.complexity, i.cost_estimate, i.scores, i.do_not_touch, i.do_not_touch_reason,
               i.state
        FROM issues i
        WHERE i.repository = r.name AND i.state = 'open' AND i.solvability IS NOT NULL
        OFFSET 0
    ) i
"""


# The columns of _RANKING_INPUTS (without ``extra``), and which of them are text.
RANKING_INPUT_COLUMNS = (
    "repository",
    "number",
    "title",
    "language",
    "category",
    "health",
    "impact",
    "solvability",
    "urgency",
    "complexity",
    "cost_estimate",
    "redundancy_penalty",
    "cost_penalty",
    "do_not_touch",
    "do_not_touch_reason",
    "acceptance",
)
RANKING_INPUT_TEXT = ("repository", "title", "language", "category", "do_not_touch_reason")


def _without_jit(conn: psycopg.Connection) -> None:
    """No JIT for the rest of this transaction: the input reads and the ranking write are
    planned as costly enough to compile (seconds at 10^6 rows) and run in about one."""
    conn.execute("SELECT set_config('jit', 'off', true)")


def ranking_csv(conn: psycopg.Connection, language: str | None = None) -> bytes:
    """``ranking_rows`` as CSV (``_csv_rows``: no per-row Python objects; polars parses it)."""
    source, where, params = "issues i JOIN repositories r ON r.name = i.repository", "", []
    if language is not None:
        source, where = _LANGUAGE_ISSUES, "AND r.language = %s"
        params.append(language)
    query = _RANKING_INPUTS.format(
        do_not_touch="i.do_not_touch::int", extra="", source=source, where=where
    )
    _without_jit(conn)
    return _csv_rows(conn, query, params or None, RANKING_INPUT_COLUMNS, RANKING_INPUT_TEXT)


# The ranking write's inputs, narrow: the priority formula's per-issue inputs of open, scored,
# touchable issues, and its per-repository inputs once per repository (joined in polars). A
# language's issues are reached from its approved repositories as in _LANGUAGE_ISSUES.
_WRITE_ISSUE_INPUTS = """
    SELECT i.repository, i.number, i.solvability, i.urgency,
           COALESCE((i.scores ->> 'cost_penalty')::double precision, 0) AS cost_penalty
    FROM repositories r
    CROSS JOIN LATERAL (
        SELECT i.repository, i.number, i.solvability, i.urgency, i.scores FROM issues i
        WHERE i.repository = r.name AND i.state = 'open' AND i.solvability IS NOT NULL
          AND NOT i.do_not_touch
        OFFSET 0
    ) i
    WHERE r.worth_working_on IS TRUE {where}
"""
_WRITE_REPOSITORY_INPUTS = """
    SELECT r.name AS repository, r.health_score AS health, r.impact_score AS impact,
           COALESCE(d.penalty, 0) AS redundancy_penalty, a.signal AS acceptance
    FROM repositories r
    LEFT JOIN redundancy d ON d.repository = r.name
    LEFT JOIN repository_acceptance a ON lower(a.repository) = lower(r.name)
    WHERE r.worth_working_on IS TRUE {where}
"""
WRITE_ISSUE_COLUMNS = ("repository", "number", "solvability", "urgency", "cost_penalty")
WRITE_REPOSITORY_COLUMNS = ("repository", "health", "impact", "redundancy_penalty", "acceptance")


def ranking_write_csv(conn: psycopg.Connection, language: str | None) -> tuple[bytes, bytes]:
    """What the ranking write needs of ``ranking_csv`` and no more, as two CSVs: the issues'
    inputs (key, solvability, urgency, cost penalty; do-not-touch issues left out) and their
    repositories' (health, impact, redundancy penalty, acceptance). A third of the values
    ``ranking_csv`` prints, and printing them is most of its cost; titles, categories and the
    like are for display, not for the priority."""
    where, params = ("AND r.language = %s", [language]) if language is not None else ("", None)
    _without_jit(conn)
    issues = _csv_rows(
        conn,
        _WRITE_ISSUE_INPUTS.format(where=where),
        params,
        WRITE_ISSUE_COLUMNS,
        text=("repository",),
    )
    repositories = _csv_rows(
        conn,
        _WRITE_REPOSITORY_INPUTS.format(where=where),
        params,
        WRITE_REPOSITORY_COLUMNS,
        text=("repository",),
    )
    return issues, repositories


def issue_titles(
    conn: psycopg.Connection, keys: Sequence[tuple[str, int]]
) -> dict[tuple[str, int], str | None]:
    """Titles of the given issues (a ranking's best few, for display)."""
    if not keys:
        return {}
    rows = conn.execute(
        "SELECT i.repository, i.number, i.title FROM issues i "
        "JOIN unnest(%s::text[], %s::int[]) k (repository, number) "
        "ON i.repository = k.repository AND i.number = k.number",
        ([r for r, _ in keys], [n for _, n in keys]),
    ).fetchall()
    return {(r, n): t for r, n, t in rows}


def stored_top(
    conn: psycopg.Connection,
    *,
    language: str | None,
    top: int,
    min_priority: float | None,
) -> list[tuple[Any, ...]]:
    """The ``top`` stored priorities (index order: priority, then repository and number) with
    the ranking inputs and components, of issues still open, touchable and approved."""
    where, params = "AND NOT i.do_not_touch", []
    if language is not None:
        where += " AND r.language = %s"
        params.append(language)
    if min_priority is not None:
        where += " AND k.priority >= %s"
        params.append(min_priority)
    query = _RANKING_INPUTS.format(
        do_not_touch="i.do_not_touch",
        extra=", " + ", ".join(f"k.{c}" for c in RANKING_VALUE_COLUMNS[1:]) + ", k.priority",
        source="issue_rankings k JOIN issues i "
        "ON i.repository = k.repository AND i.number = k.number "
        "JOIN repositories r ON r.name = i.repository",
        where=where,
    )
    params.append(top)
    return conn.execute(
        query + " ORDER BY k.priority DESC, k.repository, k.number LIMIT %s", params
    ).fetchall()


def ranking_rows(conn: psycopg.Connection, language: str | None = None) -> list[dict[str, Any]]:
    """Open issues of approved repositories with every input the priority formula needs, one
    dict each: the straightforward reading ``ranking_csv`` is checked against."""
    clauses = ["i.state = 'open'", "r.worth_working_on IS TRUE", "i.solvability IS NOT NULL"]
    params: list[Any] = []
    if language is not None:
        clauses.append("r.language = %s")
        params.append(language)
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(
            f"""
            SELECT i.repository, i.number, i.title, r.language, i.category,
                   r.health_score AS health, r.impact_score AS impact,
                   i.solvability, i.urgency, i.complexity, i.cost_estimate,
                   COALESCE(d.penalty, 0) AS redundancy_penalty,
                   COALESCE((i.scores ->> 'cost_penalty')::double precision, 0) AS cost_penalty,
                   i.do_not_touch, i.do_not_touch_reason,
                   a.signal AS acceptance
            FROM issues i
            JOIN repositories r ON r.name = i.repository
            LEFT JOIN redundancy d ON d.repository = i.repository
            LEFT JOIN repository_acceptance a ON lower(a.repository) = lower(i.repository)
            WHERE {" AND ".join(clauses)}
            """,
            params,
        )
        return cur.fetchall()


def list_issues(
    conn: psycopg.Connection,
    repository: str,
    *,
    state: str = "open",
    category: str | None = None,
    sort: str = "priority",
    limit: int = 30,
) -> list[dict[str, Any]]:
    """Stored issues of one repository for display."""
    order = {
        "priority": "k.priority DESC NULLS LAST, i.number",
        "created": "i.created_at DESC NULLS LAST, i.number DESC",
        "updated": "i.updated_at DESC NULLS LAST, i.number DESC",
    }[sort]
    clauses = ["i.repository = %s"]
    params: list[Any] = [repository]
    if state != "all":
        clauses.append("i.state = %s")
        params.append(state)
    if category is not None:
        clauses.append("i.category = %s")
        params.append(category)
    params.append(limit)
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(
            f"""
            SELECT i.repository, i.number, i.title, i.state, i.category, k.priority,
                   i.solvability, i.urgency, i.complexity, i.cost_estimate,
                   i.do_not_touch_reason, i.labels, i.created_at, i.updated_at,
                   i.assignment_status
            FROM issues i
            LEFT JOIN issue_rankings k ON k.repository = i.repository AND k.number = i.number
            WHERE {" AND ".join(clauses)} ORDER BY {order} LIMIT %s
            """,
            params,
        )
        return cur.fetchall()


def count_issues(conn: psycopg.Connection, language: str, *, state: str = "open") -> int:
    """Issues of one language's repositories in a state (an asset partition's row count)."""
    row = conn.execute(
        "SELECT count(*) FROM issues i JOIN repositories r ON r.name = i.repository "
        "WHERE r.language = %s AND i.state = %s",
        (language, state),
    ).fetchone()
    return row[0] if row else 0


@dataclass(frozen=True)
class PipelineCounts:
    """How far the store has come for a language (or all): what each stage has produced."""

    repositories: int
    analyzed: int  # with a verdict
    approved: int
    open_issues: int  # of approved repositories
    scored: int  # of those, scored (categorized)
    touchable: int  # of those, not do-not-touch


def pipeline_counts(conn: psycopg.Connection, language: str | None = None) -> PipelineCounts:
    row = conn.execute(
        """
        WITH r AS (
            SELECT name, worth_working_on FROM repositories
            WHERE %(language)s::text IS NULL OR language = %(language)s
        ), i AS (
            SELECT i.solvability, i.do_not_touch FROM issues i
            JOIN r ON r.name = i.repository
            WHERE r.worth_working_on IS TRUE AND i.state = 'open'
        )
        SELECT (SELECT count(*) FROM r),
               (SELECT count(*) FROM r WHERE worth_working_on IS NOT NULL),
               (SELECT count(*) FROM r WHERE worth_working_on IS TRUE),
               (SELECT count(*) FROM i),
               (SELECT count(*) FROM i WHERE solvability IS NOT NULL),
               (SELECT count(*) FROM i WHERE solvability IS NOT NULL AND NOT do_not_touch)
        """,
        {"language": language},
    ).fetchone()
    assert row is not None
    return PipelineCounts(*row)
