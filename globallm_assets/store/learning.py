"""``repository_acceptance`` (sql/0051): what GlobaLLM learned from its pull requests' outcomes,
and the opt-outs maintainers asked for on them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.rows import dict_row


def pull_requests_by_repository(conn: psycopg.Connection) -> dict[str, list[dict[str, Any]]]:
    """Every pull request GlobaLLM opened, grouped by repository (case-insensitively, spelled
    as its first pull request spells it)."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    spelling: dict[str, str] = {}
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(
            "SELECT repository, number, state, opened_at, head_repository, reviews, "
            "review_comments FROM pr_outcomes ORDER BY opened_at, repository, number"
        ).fetchall()
    for row in rows:
        name = spelling.setdefault(row["repository"].lower(), row["repository"])
        grouped.setdefault(name, []).append(row)
    return grouped


@dataclass(frozen=True)
class AcceptanceRow:
    repository: str
    merged: int
    closed: int
    ignored: int
    pending: int
    acceptance: float
    signal: float


def write_acceptance(conn: psycopg.Connection, rows: Iterable[AcceptanceRow]) -> int:
    """Upsert the learned figures (an opt-out, once recorded, is left as it is)."""
    data = [
        (r.repository, r.merged, r.closed, r.ignored, r.pending, r.acceptance, r.signal)
        for r in rows
    ]
    with conn.cursor() as cur:
        cur.executemany(
            """
            INSERT INTO repository_acceptance
                (repository, merged, closed, ignored, pending, acceptance, signal, learned_at)
            VALUES (%s, %s, %s, %s, %s, %s, %s, now())
            ON CONFLICT ((lower(repository))) DO UPDATE SET
                merged = EXCLUDED.merged, closed = EXCLUDED.closed,
                ignored = EXCLUDED.ignored, pending = EXCLUDED.pending,
                acceptance = EXCLUDED.acceptance, signal = EXCLUDED.signal,
                learned_at = now()
            """,
            data,
        )
    return len(data)


def record_opt_out(conn: psycopg.Connection, repository: str, reason: str) -> int | None:
    """Opt the repository out (first request wins). Returns None when it already was;
    otherwise how many of its open issues became do-not-touch. The stored repository's fetch
    state is marked too, so claims, scoring and the forge's etiquette all see it at once."""
    row = conn.execute(
        """
        UPDATE repository_acceptance
        SET opted_out = true, opt_out_reason = %s, opted_out_at = now()
        WHERE lower(repository) = lower(%s) AND NOT opted_out
        RETURNING repository
        """,
        (reason, repository),
    ).fetchone()
    if row is None:
        return None
    why = f"repository opted out (maintainer asked on a pull request: {reason})"
    # The trigger of sql/0051 sets opted_out and the reason from repository_acceptance on
    # this write (a repository that opted out by its own file keeps that reason).
    conn.execute(
        """
        INSERT INTO issue_fetch_state (repository)
        SELECT name FROM repositories WHERE lower(name) = lower(%s)
        ON CONFLICT (repository) DO UPDATE SET opted_out = issue_fetch_state.opted_out
        """,
        (repository,),
    )
    marked = conn.execute(
        """
        UPDATE issues SET do_not_touch = true, do_not_touch_reason = %s
        WHERE lower(repository) = lower(%s) AND state = 'open' AND NOT do_not_touch
        """,
        (why, repository),
    )
    conn.execute(
        "DELETE FROM issue_rankings k USING repositories r "
        "WHERE r.name = k.repository AND lower(r.name) = lower(%s)",
        (repository,),
    )
    return marked.rowcount


def acceptance_of(conn: psycopg.Connection, repository: str) -> dict[str, Any] | None:
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            "SELECT * FROM repository_acceptance WHERE lower(repository) = lower(%s)",
            (repository,),
        ).fetchone()
