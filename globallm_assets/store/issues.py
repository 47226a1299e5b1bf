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


def write_priorities(
    conn: psycopg.Connection, rows: Iterable[tuple[str, int, float | None, dict[str, Any]]]
) -> int:
    """Store each issue's priority and its weighted components (merged into ``scores``)."""
    data = [(priority, Jsonb(parts), repo, number) for repo, number, priority, parts in rows]
    with conn.cursor() as cur:
        cur.executemany(
            "UPDATE issues SET priority = %s, scores = COALESCE(scores, '{}') || %s, "
            "ranked_at = now() WHERE repository = %s AND number = %s",
            data,
        )
    return len(data)


def ranking_rows(conn: psycopg.Connection, language: str | None = None) -> list[dict[str, Any]]:
    """Open issues of approved repositories with every input the priority formula needs."""
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
                   i.do_not_touch, i.do_not_touch_reason
            FROM issues i
            JOIN repositories r ON r.name = i.repository
            LEFT JOIN redundancy d ON d.repository = i.repository
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
        "priority": "priority DESC NULLS LAST, number",
        "created": "created_at DESC NULLS LAST, number DESC",
        "updated": "updated_at DESC NULLS LAST, number DESC",
    }[sort]
    clauses = ["repository = %s"]
    params: list[Any] = [repository]
    if state != "all":
        clauses.append("state = %s")
        params.append(state)
    if category is not None:
        clauses.append("category = %s")
        params.append(category)
    params.append(limit)
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(
            f"""
            SELECT repository, number, title, state, category, priority, solvability, urgency,
                   complexity, cost_estimate, do_not_touch_reason, labels, created_at,
                   updated_at, assignment_status
            FROM issues WHERE {" AND ".join(clauses)} ORDER BY {order} LIMIT %s
            """,
            params,
        )
        return cur.fetchall()


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
