"""Read-only counts for ``globallm status``, the dashboard and the metrics collector.

Each function is one aggregate query, run on every dashboard refresh and every Prometheus
scrape. Only ``issue_counts`` reads the whole ``issues`` table (one sequential scan, hash-joined
with the stored ranking); the others read small tables or go through indexes, so the report takes
well under a second at 10^6 issues (``benchmarks/bench_status.py``).
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.rows import dict_row

from globallm_assets.store.claims import ACTIVE_REPOSITORY

VERDICTS = ("approved", "rejected", "undecided")
ASSIGNMENT_STATES = ("available", "assigned", "completed", "failed")
PR_STATES = ("open", "merged", "closed")
SOLUTION_OUTCOMES = ("validated", "failed", "refused", "budget_exhausted", "no_change", "error")


def repository_counts(conn: psycopg.Connection) -> dict[str, int]:
    """Repositories by verdict, plus how many opted out and the total."""
    row = conn.execute(
        """
        SELECT count(*) FILTER (WHERE r.worth_working_on),
               count(*) FILTER (WHERE NOT r.worth_working_on),
               count(*) FILTER (WHERE r.worth_working_on IS NULL),
               count(*) FILTER (WHERE f.opted_out),
               count(*)
        FROM repositories r LEFT JOIN issue_fetch_state f ON f.repository = r.name
        """
    ).fetchone()
    assert row is not None
    return dict(zip((*VERDICTS, "opted_out", "total"), map(int, row), strict=True))


def issue_counts(conn: psycopg.Connection) -> dict[str, int]:
    """Issues by state; open ones available, assigned, ranked and do-not-touch; completed and
    failed whatever the state (a completed fix usually closes its issue)."""
    # Ranked: an open issue with a stored ranking row (at most one: its primary key). One scan
    # of each table, hash-joined; counting them in a subquery joined issues back once per
    # ranked row (5·10^5 index probes at 10^6 issues: 2–3× slower than this whole query).
    row = conn.execute(
        """
        SELECT count(*) FILTER (WHERE i.state = 'open'),
               count(*) FILTER (WHERE i.state = 'closed'),
               count(*) FILTER (WHERE i.state = 'open' AND i.assignment_status = 'available'),
               count(*) FILTER (WHERE i.state = 'open' AND i.assignment_status = 'assigned'),
               count(*) FILTER (WHERE i.assignment_status = 'completed'),
               count(*) FILTER (WHERE i.assignment_status = 'failed'),
               count(k.number) FILTER (WHERE i.state = 'open'),
               count(*) FILTER (WHERE i.state = 'open' AND i.do_not_touch)
        FROM issues i
        LEFT JOIN issue_rankings k ON k.repository = i.repository AND k.number = i.number
        """
    ).fetchone()
    assert row is not None
    keys = ("open", "closed", *ASSIGNMENT_STATES, "ranked", "do_not_touch")
    return dict(zip(keys, map(int, row), strict=True))


def agent_counts(conn: psycopg.Connection, stale_after_seconds: float) -> dict[str, int]:
    """Agents holding a claim with a fresh heartbeat (active) or only stale ones (stale), the
    live and stale claims, and the agents that reserved budget this week (seen)."""
    row = conn.execute(
        f"""
        WITH live AS (
            SELECT assigned_to AS agent,
                   COALESCE(last_heartbeat_at, assigned_at)
                       < now() - make_interval(secs => %(stale)s) AS stale
            FROM issues i WHERE assignment_status = 'assigned' AND {ACTIVE_REPOSITORY}
        ),
        agents AS (SELECT agent, bool_and(stale) AS stale FROM live GROUP BY agent)
        SELECT (SELECT count(*) FROM agents WHERE NOT stale),
               (SELECT count(*) FROM agents WHERE stale),
               (SELECT count(*) FROM live),
               (SELECT count(*) FROM live WHERE stale),
               (SELECT count(DISTINCT agent_id) FROM budget_reservations
                 WHERE week_start = budget_week(now()) AND agent_id IS NOT NULL)
        """,
        {"stale": stale_after_seconds},
    ).fetchone()
    assert row is not None
    keys = ("active", "stale", "claims", "stale_claims", "seen_this_week")
    return dict(zip(keys, map(int, row), strict=True))


def pull_request_counts(conn: psycopg.Connection) -> dict[str, int]:
    """Pull requests GlobaLLM opened, by state; drafts among the open; auto-merges armed."""
    row = conn.execute(
        """
        SELECT count(*),
               count(*) FILTER (WHERE state = 'open'),
               count(*) FILTER (WHERE state = 'merged'),
               count(*) FILTER (WHERE state = 'closed'),
               count(*) FILTER (WHERE state = 'open' AND draft),
               count(*) FILTER (WHERE state = 'open' AND auto_merge = 'enabled')
        FROM pr_outcomes
        """
    ).fetchone()
    assert row is not None
    keys = ("opened", *PR_STATES, "draft", "auto_merge_armed")
    return dict(zip(keys, map(int, row), strict=True))


def fix_counts(conn: psycopg.Connection) -> dict[str, int]:
    """Fix attempts (``solutions``) by outcome, every outcome present."""
    counts = dict.fromkeys(SOLUTION_OUTCOMES, 0)
    for outcome, n in conn.execute("SELECT outcome, count(*) FROM solutions GROUP BY 1"):
        counts[outcome] = int(n)
    return counts


def fix_spend(conn: psycopg.Connection) -> dict[str, float | int]:
    """Tokens and cost of every fix attempt (failed ones included: they are the price too)."""
    row = conn.execute(
        "SELECT COALESCE(sum(input_tokens + output_tokens), 0), "
        "COALESCE(sum(cost_usd), 0)::float8 FROM solutions"
    ).fetchone()
    assert row is not None
    return {"tokens": int(row[0]), "cost_usd": float(row[1])}


def recent_failures(conn: psycopg.Connection, limit: int) -> list[dict[str, Any]]:
    """The newest failures of any kind: issues whose fix failed for good, and contributions
    that failed or were refused, newest first."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            """
            (SELECT 'fix' AS kind, repository, number, title, last_error AS reason,
                    finished_at AS at
             FROM issues WHERE assignment_status = 'failed'
             ORDER BY finished_at DESC NULLS LAST LIMIT %(limit)s)
            UNION ALL
            (SELECT 'contribution', c.repository, c.issue_number, i.title,
                    c.status || ': ' || COALESCE(c.reason, ''), c.updated_at
             FROM contributions c
             LEFT JOIN issues i ON i.repository = c.repository AND i.number = c.issue_number
             WHERE c.status IN ('failed', 'refused')
             ORDER BY c.updated_at DESC LIMIT %(limit)s)
            ORDER BY at DESC NULLS LAST
            LIMIT %(limit)s
            """,
            {"limit": limit},
        ).fetchall()


def repository_activity(conn: psycopg.Connection, limit: int) -> list[dict[str, Any]]:
    """Per repository: open issues, pull requests opened and merged, impact. Repositories
    GlobaLLM opened pull requests in come first, then approved ones, by impact.

    The repositories are chosen first and only their issues counted (by index), so the cost
    does not grow with the whole backlog (the ``top_repositories`` view counts every issue)."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            """
            WITH prs AS (
                SELECT lower(repository) AS key, count(*) AS opened,
                       count(*) FILTER (WHERE state = 'merged') AS merged
                FROM pr_outcomes GROUP BY 1
            ),
            chosen AS (
                SELECT r.name, r.language, r.worth_working_on, r.impact_score, r.health_score,
                       COALESCE(p.opened, 0) AS prs_opened, COALESCE(p.merged, 0) AS prs_merged
                FROM repositories r LEFT JOIN prs p ON p.key = lower(r.name)
                WHERE p.key IS NOT NULL OR (r.worth_working_on AND r.impact_score IS NOT NULL)
                ORDER BY p.key IS NOT NULL DESC, r.impact_score DESC NULLS LAST, r.name
                LIMIT %s
            )
            SELECT c.name AS repository, c.language,
                   CASE WHEN c.worth_working_on THEN 'approved'
                        WHEN NOT c.worth_working_on THEN 'rejected'
                        ELSE 'undecided' END AS verdict,
                   round(c.impact_score::numeric, 4)::float8 AS impact,
                   round(c.health_score::numeric, 4)::float8 AS health,
                   n.open_issues, n.ranked_issues, c.prs_opened, c.prs_merged
            FROM chosen c
            CROSS JOIN LATERAL (
                SELECT count(*) AS open_issues,
                       count(k.priority) AS ranked_issues
                FROM issues i
                LEFT JOIN issue_rankings k
                       ON k.repository = i.repository AND k.number = i.number
                WHERE i.repository = c.name AND i.state = 'open'
            ) n
            ORDER BY c.prs_opened > 0 DESC, c.impact_score DESC NULLS LAST, c.name
            """,
            (limit,),
        ).fetchall()


def llm_totals(conn: psycopg.Connection) -> dict[str, float | int]:
    """Every model call ever recorded: calls, input and output tokens, cost."""
    row = conn.execute(
        "SELECT count(*), COALESCE(sum(input_tokens), 0), COALESCE(sum(output_tokens), 0), "
        "COALESCE(sum(cost_usd), 0)::float8 FROM llm_usage"
    ).fetchone()
    assert row is not None
    return {
        "calls": int(row[0]),
        "input_tokens": int(row[1]),
        "output_tokens": int(row[2]),
        "cost_usd": float(row[3]),
    }


def pull_requests_by_week(conn: psycopg.Connection, weeks: int) -> list[dict[str, Any]]:
    """Per week (Monday, UTC) of the last ``weeks``, oldest first, every week present: pull
    requests opened, and merged or closed (counted in the week the maintainers decided)."""
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(
            """
            WITH span AS (
                SELECT generate_series(
                           date_trunc('week', now() AT TIME ZONE 'UTC')
                               - make_interval(weeks => %(weeks)s - 1),
                           date_trunc('week', now() AT TIME ZONE 'UTC'),
                           interval '1 week') AS week
            ),
            events AS (
                SELECT date_trunc('week', opened_at AT TIME ZONE 'UTC') AS week,
                       1 AS opened, 0 AS merged, 0 AS closed
                FROM pr_outcomes
                UNION ALL
                SELECT date_trunc('week', merged_at AT TIME ZONE 'UTC'), 0, 1, 0
                FROM pr_outcomes WHERE state = 'merged' AND merged_at IS NOT NULL
                UNION ALL
                SELECT date_trunc('week', closed_at AT TIME ZONE 'UTC'), 0, 0, 1
                FROM pr_outcomes WHERE state = 'closed' AND closed_at IS NOT NULL
            )
            SELECT s.week::date AS week,
                   COALESCE(sum(e.opened), 0)::int AS opened,
                   COALESCE(sum(e.merged), 0)::int AS merged,
                   COALESCE(sum(e.closed), 0)::int AS closed
            FROM span s LEFT JOIN events e ON e.week = s.week
            GROUP BY s.week ORDER BY s.week
            """,
            {"weeks": weeks},
        )
        return cur.fetchall()


def auto_merged_above_low(conn: psycopg.Connection) -> list[str]:
    """Pull requests GlobaLLM merged by itself although their risk was not LOW — there must be
    none: auto-merge is reserved for what the risk review proved low-risk."""
    rows = conn.execute(
        "SELECT repository || '#' || number || ' (' || risk_level || ')' FROM pr_outcomes "
        "WHERE auto_merge = 'merged' AND risk_level <> 'LOW' ORDER BY repository, number"
    ).fetchall()
    return [row[0] for row in rows]
