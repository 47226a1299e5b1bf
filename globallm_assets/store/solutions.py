"""The ``solutions`` table: one row per fix attempt (see ``sql/0030_solutions.sql``).

Rows go in and come out as plain mappings keyed by column name (``FixResult.as_record`` /
``FixResult.from_record`` convert), so the store knows nothing of the fixer's types.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

COLUMNS = (
    "repository", "issue_number", "issue_title", "category", "language", "attempt", "fixer",
    "provider", "outcome", "reason", "branch", "base_branch", "base_sha", "head_sha", "diff",
    "files_changed", "tests_added", "before_run", "after_run", "suite_run",
    "existing_tests_passed", "risk_level", "risk_action", "risk", "summary", "turns",
    "input_tokens", "output_tokens", "cost_usd", "duration_s", "workspace", "operation_id",
)  # fmt: skip
JSON_COLUMNS = frozenset({"before_run", "after_run", "suite_run", "risk"})


def insert_solution(conn: psycopg.Connection, record: Mapping[str, Any]) -> int:
    """Insert one attempt; its id. Unknown keys are an error, missing ones take defaults."""
    unknown = set(record) - set(COLUMNS)
    if unknown:
        raise ValueError(f"unknown solutions columns: {sorted(unknown)}")
    columns = [c for c in COLUMNS if c in record]
    values = [
        Jsonb(record[c]) if c in JSON_COLUMNS and record[c] is not None else record[c]
        for c in columns
    ]
    row = conn.execute(
        f"INSERT INTO solutions ({', '.join(columns)}) "
        f"VALUES ({', '.join(['%s'] * len(columns))}) RETURNING id",
        values,
    ).fetchone()
    assert row is not None
    return int(row[0])


def get_solution(conn: psycopg.Connection, solution_id: int) -> dict[str, Any] | None:
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute("SELECT * FROM solutions WHERE id = %s", (solution_id,)).fetchone()


def solutions_for(
    conn: psycopg.Connection, repository: str, issue_number: int
) -> list[dict[str, Any]]:
    """Every attempt at one issue, oldest first."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            "SELECT * FROM solutions WHERE lower(repository) = lower(%s) AND issue_number = %s "
            "ORDER BY id",
            (repository, issue_number),
        ).fetchall()


# --------------------------------------------------------------------------- the fix queue

_ISSUE_COLUMNS = """
    i.repository, i.number, i.data, i.state, i.category, i.complexity,
    (SELECT k.priority FROM issue_rankings k
     WHERE k.repository = i.repository AND k.number = i.number) AS priority,
    i.do_not_touch, i.do_not_touch_reason, i.assignment_status, r.language
"""


def issue_for_fix(conn: psycopg.Connection, repository: str, number: int) -> dict[str, Any] | None:
    """A stored issue with its triage and its repository's language."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            f"SELECT {_ISSUE_COLUMNS} FROM issues i "
            "LEFT JOIN repositories r ON r.name = i.repository "
            "WHERE lower(i.repository) = lower(%s) AND i.number = %s",
            (repository, number),
        ).fetchone()


def ranked_candidates(conn: psycopg.Connection, limit: int = 20) -> list[dict[str, Any]]:
    """Open, touchable, unclaimed issues of approved repositories, highest priority first,
    skipping those that already have a validated solution."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            f"""
            SELECT {_ISSUE_COLUMNS} FROM issue_rankings k
            JOIN issues i ON i.repository = k.repository AND i.number = k.number
            JOIN repositories r ON r.name = i.repository
            WHERE i.state = 'open' AND NOT i.do_not_touch AND r.worth_working_on IS TRUE
              AND k.available AND i.assignment_status = 'available'
              AND NOT EXISTS (
                  SELECT 1 FROM solutions s
                  WHERE lower(s.repository) = lower(i.repository)
                    AND s.issue_number = i.number AND s.outcome = 'validated')
            ORDER BY k.priority DESC, k.repository, k.number
            LIMIT %s
            """,
            (limit,),
        ).fetchall()


def fix_summaries(conn: psycopg.Connection, issues: list[tuple[str, int]]) -> list[dict[str, Any]]:
    """The newest attempt on each issue with its pull request, if any (the fix stage's report):
    fixer, provider, outcome, the before/after exit codes, risk, PR number and state."""
    if not issues:
        return []
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(
            """
            SELECT w.repository, w.number, s.fixer, s.provider, s.outcome, s.reason,
                   (s.before_run ->> 'exit_code')::int AS before_exit,
                   (s.after_run ->> 'exit_code')::int AS after_exit,
                   s.risk_level, s.input_tokens + s.output_tokens AS tokens,
                   p.number AS pr_number, p.state AS pr_state,
                   p.url AS pr_url
            FROM unnest(%s::text[], %s::int[]) AS w (repository, number)
            LEFT JOIN LATERAL (
                SELECT * FROM solutions s
                WHERE s.repository = w.repository AND s.issue_number = w.number
                ORDER BY s.id DESC LIMIT 1
            ) s ON true
            LEFT JOIN LATERAL (
                SELECT * FROM pr_outcomes p
                WHERE p.repository = w.repository AND p.issue_number = w.number
                ORDER BY p.number DESC LIMIT 1
            ) p ON true
            """,
            ([r for r, _ in issues], [n for _, n in issues]),
        )
        return cur.fetchall()
