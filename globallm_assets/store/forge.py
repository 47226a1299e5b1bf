"""The forge tables: the local forge's pull requests, reviews and check runs; every contribution
attempt; and ``pr_outcomes``, one row per pull request GlobaLLM opened on any forge.

Two rules are enforced here, in SQL, because several agents may contribute at once:

- the per-repository caps (open pull requests, new ones per hour) are checked and a slot taken in
  one transaction serialised on a per-repository advisory lock (:func:`reserve_contribution`);
- at most one armed auto-merge per base branch: a partial unique index on ``pr_outcomes``
  (:func:`arm_auto_merge` turns its violation into ``False``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

# A reservation older than this is an agent that died mid-push: it stops counting against caps.
STALE_RESERVATION = "1 hour"

# --------------------------------------------------------------------------- local forge


@dataclass(frozen=True)
class LocalRepository:
    name: str
    bare_path: str
    default_branch: str
    check_command: tuple[str, ...] | None
    allow_auto_merge: bool


def register_repository(
    conn: psycopg.Connection,
    name: str,
    bare_path: str,
    *,
    default_branch: str,
    check_command: Sequence[str] | None,
    allow_auto_merge: bool,
) -> None:
    conn.execute(
        """
        INSERT INTO local_forge_repositories
            (name, bare_path, default_branch, check_command, allow_auto_merge)
        VALUES (%s, %s, %s, %s, %s)
        ON CONFLICT (name) DO UPDATE SET
            bare_path = EXCLUDED.bare_path,
            default_branch = EXCLUDED.default_branch,
            check_command = EXCLUDED.check_command,
            allow_auto_merge = EXCLUDED.allow_auto_merge
        """,
        (name, bare_path, default_branch, list(check_command) if check_command else None,
         allow_auto_merge),
    )  # fmt: skip


def get_repository(conn: psycopg.Connection, name: str) -> LocalRepository | None:
    row = conn.execute(
        "SELECT name, bare_path, default_branch, check_command, allow_auto_merge "
        "FROM local_forge_repositories WHERE lower(name) = lower(%s)",
        (name,),
    ).fetchone()
    if row is None:
        return None
    return LocalRepository(row[0], row[1], row[2], tuple(row[3]) if row[3] else None, row[4])


def insert_pull_request(
    conn: psycopg.Connection,
    *,
    repository: str,
    title: str,
    body: str,
    author: str,
    issue_number: int | None,
    head_branch: str,
    head_sha: str,
    base_branch: str,
    draft: bool,
    labels: Sequence[str],
) -> dict[str, Any]:
    """Insert an open pull request numbered after every issue and pull request of the
    repository (they share one sequence, as on GitHub). Raises on a second open PR per head."""
    conn.execute("SELECT 1 FROM local_forge_repositories WHERE name = %s FOR UPDATE", (repository,))
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(
            """
            INSERT INTO local_pull_requests
                (repository, number, title, body, author, issue_number, head_branch, head_sha,
                 base_branch, draft, labels)
            SELECT %(repo)s,
                   GREATEST(
                       (SELECT COALESCE(max(number), 0) FROM local_pull_requests
                         WHERE repository = %(repo)s),
                       (SELECT COALESCE(max(number), 0) FROM issues WHERE repository = %(repo)s)
                   ) + 1,
                   %(title)s, %(body)s, %(author)s, %(issue)s, %(head)s, %(sha)s, %(base)s,
                   %(draft)s, %(labels)s
            RETURNING *
            """,
            {
                "repo": repository,
                "title": title,
                "body": body,
                "author": author,
                "issue": issue_number,
                "head": head_branch,
                "sha": head_sha,
                "base": base_branch,
                "draft": draft,
                "labels": list(labels),
            },
        )
        row = cur.fetchone()
    assert row is not None
    return row


def get_pull_request(
    conn: psycopg.Connection, repository: str, number: int, *, for_update: bool = False
) -> dict[str, Any] | None:
    query = "SELECT * FROM local_pull_requests WHERE lower(repository) = lower(%s) AND number = %s"
    if for_update:
        query += " FOR UPDATE"
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(query, (repository, number)).fetchone()


_PR_COLUMNS = frozenset(
    {"draft", "state", "auto_merge", "merge_method", "merge_sha", "merged_at", "closed_at",
     "head_sha", "labels"}
)  # fmt: skip


def update_pull_request(conn: psycopg.Connection, pr_id: int, **fields: Any) -> None:
    unknown = set(fields) - _PR_COLUMNS
    if unknown:
        raise ValueError(f"not updatable: {sorted(unknown)}")
    assignments = sql.SQL(", ").join(
        sql.SQL("{} = {}").format(sql.Identifier(k), sql.Placeholder(k)) for k in fields
    )
    conn.execute(
        sql.SQL("UPDATE local_pull_requests SET {}, updated_at = now() WHERE id = %(id)s").format(
            assignments
        ),
        {**fields, "id": pr_id},
    )


def start_check_run(
    conn: psycopg.Connection, pr_id: int, name: str, *, head_sha: str, base_sha: str
) -> int:
    row = conn.execute(
        "INSERT INTO local_check_runs (pr_id, name, head_sha, base_sha, status) "
        "VALUES (%s, %s, %s, %s, 'in_progress') RETURNING id",
        (pr_id, name, head_sha, base_sha),
    ).fetchone()
    assert row is not None
    return int(row[0])


def finish_check_run(
    conn: psycopg.Connection, run_id: int, *, conclusion: str, summary: str, merge_sha: str | None
) -> None:
    conn.execute(
        "UPDATE local_check_runs SET status = 'completed', conclusion = %s, summary = %s, "
        "merge_sha = %s, completed_at = now() WHERE id = %s",
        (conclusion, summary, merge_sha, run_id),
    )


def latest_check_runs(conn: psycopg.Connection, pr_id: int) -> list[dict[str, Any]]:
    """The newest run of each check name, newest first."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            "SELECT DISTINCT ON (name) * FROM local_check_runs WHERE pr_id = %s "
            "ORDER BY name, id DESC",
            (pr_id,),
        ).fetchall()


def add_review(conn: psycopg.Connection, pr_id: int, author: str, state: str, body: str) -> None:
    conn.execute(
        "INSERT INTO local_pr_reviews (pr_id, author, state, body) VALUES (%s, %s, %s, %s)",
        (pr_id, author, state, body),
    )


def add_comment(
    conn: psycopg.Connection,
    pr_id: int,
    author: str,
    body: str,
    *,
    path: str | None = None,
    line: int | None = None,
) -> None:
    conn.execute(
        "INSERT INTO local_pr_comments (pr_id, author, body, path, line) "
        "VALUES (%s, %s, %s, %s, %s)",
        (pr_id, author, body, path, line),
    )


def reviews_and_comments(
    conn: psycopg.Connection, pr_id: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    with conn.cursor(row_factory=dict_row) as cur:
        reviews = cur.execute(
            "SELECT author, state, body, submitted_at FROM local_pr_reviews WHERE pr_id = %s "
            "ORDER BY id",
            (pr_id,),
        ).fetchall()
        comments = cur.execute(
            "SELECT author, body, path, line, created_at FROM local_pr_comments WHERE pr_id = %s "
            "ORDER BY id",
            (pr_id,),
        ).fetchall()
    return reviews, comments


def open_pull_requests_for_issue(
    conn: psycopg.Connection, repository: str, issue_number: int
) -> list[int]:
    """Open local pull requests that fix the issue (by link or by a closing keyword)."""
    rows = conn.execute(
        r"""
        SELECT number FROM local_pull_requests
        WHERE lower(repository) = lower(%(repo)s) AND state = 'open'
          AND (issue_number = %(n)s
               OR body ~* ('\m(close[sd]?|fix(e[sd])?|resolve[sd]?):?\s+#' || %(n)s || '\M'))
        ORDER BY number
        """,
        {"repo": repository, "n": issue_number},
    ).fetchall()
    return [int(r[0]) for r in rows]


@dataclass(frozen=True)
class StoredIssue:
    state: str
    locked: bool
    assignees: tuple[str, ...]
    opted_out: bool
    opt_out_reason: str | None
    topics: tuple[str, ...]


def stored_issue(conn: psycopg.Connection, repository: str, number: int) -> StoredIssue | None:
    """The store's copy of an issue (the local forge's issue tracker is the world's issues)."""
    row = conn.execute(
        """
        SELECT i.state, COALESCE((i.data->>'locked')::boolean, false),
               COALESCE(ARRAY(SELECT jsonb_array_elements_text(i.data->'assignees')), '{}'),
               COALESCE(f.opted_out, false), f.opt_out_reason,
               COALESCE(ARRAY(SELECT jsonb_array_elements_text(r.data->'topics')), '{}')
        FROM issues i
        JOIN repositories r ON r.name = i.repository
        LEFT JOIN issue_fetch_state f ON f.repository = i.repository
        WHERE lower(i.repository) = lower(%s) AND i.number = %s
        """,
        (repository, number),
    ).fetchone()
    if row is None:
        return None
    return StoredIssue(row[0], row[1], tuple(row[2]), row[3], row[4], tuple(row[5]))


def close_issue(conn: psycopg.Connection, repository: str, number: int) -> None:
    """A merged pull request that says "Fixes #n" closes issue n, as on GitHub."""
    conn.execute(
        "UPDATE issues SET state = 'closed', closed_at = now(), "
        "data = jsonb_set(data, '{state}', '\"closed\"') "
        "WHERE lower(repository) = lower(%s) AND number = %s AND state = 'open'",
        (repository, number),
    )


# --------------------------------------------------------------------------- contributions


def reserve_contribution(
    conn: psycopg.Connection,
    *,
    forge: str,
    repository: str,
    issue_number: int,
    solution_id: int | None,
    branch: str,
    base_branch: str,
    head_sha: str,
    risk_level: str,
    max_open: int,
    max_per_hour: int,
) -> tuple[int | None, str | None]:
    """Take a slot under the repository's caps: ``(contribution id, None)`` or ``(None, why)``.

    Open pull requests count with in-flight reservations; new ones per hour count every
    contribution that reached the forge (reserved, pushed, opened) in the last hour. The check
    and the insert run under one per-repository advisory lock, so concurrent agents can never
    both take the last slot. Call in a transaction of its own and commit at once.
    """
    key = f"globallm:forge:{forge}:{repository.lower()}"
    conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (key,))
    row = conn.execute(
        f"""
        SELECT
          (SELECT count(*) FROM pr_outcomes
            WHERE forge = %(forge)s AND lower(repository) = lower(%(repo)s) AND state = 'open')
          + (SELECT count(*) FROM contributions
              WHERE forge = %(forge)s AND lower(repository) = lower(%(repo)s)
                AND status IN ('reserved', 'pushed')
                AND updated_at > now() - interval '{STALE_RESERVATION}'),
          (SELECT count(*) FROM contributions
            WHERE forge = %(forge)s AND lower(repository) = lower(%(repo)s)
              AND status IN ('reserved', 'pushed', 'opened')
              AND created_at > now() - interval '1 hour')
        """,
        {"forge": forge, "repo": repository},
    ).fetchone()
    assert row is not None
    open_now, last_hour = int(row[0]), int(row[1])
    if open_now >= max_open:
        return None, f"{repository} already has {open_now} open pull request(s) (cap {max_open})"
    if last_hour >= max_per_hour:
        return None, (
            f"{repository} got {last_hour} pull request(s) in the last hour (cap {max_per_hour})"
        )
    inserted = conn.execute(
        """
        INSERT INTO contributions (forge, repository, issue_number, solution_id, branch,
                                   base_branch, head_sha, risk_level, status)
        VALUES (%s, %s, %s, %s, %s, %s, %s, %s, 'reserved') RETURNING id
        """,
        (forge, repository, issue_number, solution_id, branch, base_branch, head_sha, risk_level),
    ).fetchone()
    assert inserted is not None
    return int(inserted[0]), None


def record_contribution(
    conn: psycopg.Connection,
    *,
    forge: str,
    repository: str,
    issue_number: int,
    status: str,
    reason: str,
    solution_id: int | None = None,
    branch: str | None = None,
    base_branch: str | None = None,
    head_sha: str | None = None,
    risk_level: str | None = None,
) -> int:
    """A contribution that never reached the forge (skipped or refused)."""
    row = conn.execute(
        """
        INSERT INTO contributions (forge, repository, issue_number, solution_id, branch,
                                   base_branch, head_sha, risk_level, status, reason)
        VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id
        """,
        (forge, repository, issue_number, solution_id, branch, base_branch, head_sha,
         risk_level, status, reason),
    ).fetchone()  # fmt: skip
    assert row is not None
    return int(row[0])


def set_contribution(
    conn: psycopg.Connection,
    contribution_id: int,
    status: str,
    *,
    reason: str | None = None,
    pr_number: int | None = None,
) -> None:
    conn.execute(
        "UPDATE contributions SET status = %s, reason = COALESCE(%s, reason), pr_number = %s, "
        "updated_at = now() WHERE id = %s",
        (status, reason, pr_number, contribution_id),
    )


def set_push_target(
    conn: psycopg.Connection,
    contribution_id: int,
    repository: str | None,
    url: str | None,
    is_fork: bool | None,
) -> None:
    """Where the branch is about to be pushed; recorded first, so a branch left by an agent
    that dies mid-push can still be found and deleted (None: the push failed, nothing to
    delete)."""
    conn.execute(
        "UPDATE contributions SET push_repository = %s, push_url = %s, push_is_fork = %s, "
        "updated_at = now() WHERE id = %s",
        (repository, url, is_fork, contribution_id),
    )


def mark_branch_deleted(conn: psycopg.Connection, contribution_id: int) -> None:
    conn.execute(
        "UPDATE contributions SET branch_deleted_at = now() WHERE id = %s", (contribution_id,)
    )


def branches_to_delete(
    conn: psycopg.Connection, forge: str, limit: int = 100
) -> list[dict[str, Any]]:
    """Contributions whose pushed branch may still be on the forge although nothing needs it
    any more: failed (or abandoned) ones, and those whose pull request was merged or closed."""
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(
            """
            SELECT c.id, c.repository, c.branch, c.push_repository, c.push_url, c.push_is_fork
            FROM contributions c
            WHERE c.forge = %s AND c.push_repository IS NOT NULL
              AND c.branch_deleted_at IS NULL AND c.branch IS NOT NULL
              AND (c.status = 'failed'
                   OR (c.status = 'opened' AND EXISTS (
                           SELECT 1 FROM pr_outcomes p
                           WHERE p.contribution_id = c.id AND p.state <> 'open')))
            ORDER BY c.id LIMIT %s
            """,
            (forge, limit),
        )
        return cur.fetchall()


def expire_reservations(conn: psycopg.Connection, forge: str) -> int:
    """Reservations older than ``STALE_RESERVATION`` belong to an agent that died mid-push:
    mark them failed so no row keeps looking like work in progress."""
    cur = conn.execute(
        f"""
        UPDATE contributions
        SET status = 'failed', updated_at = now(),
            reason = 'abandoned: the agent stopped between reserving and opening ('
                     || status || ')'
        WHERE forge = %s AND status IN ('reserved', 'pushed')
          AND updated_at < now() - interval '{STALE_RESERVATION}'
        """,
        (forge,),
    )
    return cur.rowcount


# --------------------------------------------------------------------------- pr_outcomes


def insert_outcome(conn: psycopg.Connection, **row: Any) -> None:
    for key in ("checks", "reviews", "review_comments"):
        if key in row:
            row[key] = Jsonb(row[key])
    columns = sql.SQL(", ").join(sql.Identifier(k) for k in row)
    values = sql.SQL(", ").join(sql.Placeholder(k) for k in row)
    conn.execute(sql.SQL("INSERT INTO pr_outcomes ({}) VALUES ({})").format(columns, values), row)


def update_outcome(
    conn: psycopg.Connection, forge: str, repository: str, number: int, **fields: Any
) -> None:
    for key in ("checks", "reviews", "review_comments"):
        if key in fields:
            fields[key] = Jsonb(fields[key])
    assignments = sql.SQL(", ").join(
        sql.SQL("{} = {}").format(sql.Identifier(k), sql.Placeholder(k)) for k in fields
    )
    conn.execute(
        sql.SQL(
            "UPDATE pr_outcomes SET {} WHERE forge = %(_forge)s AND repository = %(_repo)s "
            "AND number = %(_number)s"
        ).format(assignments),
        {**fields, "_forge": forge, "_repo": repository, "_number": number},
    )


def mark_refreshed(conn: psycopg.Connection, forge: str, repository: str, number: int) -> None:
    """Stamp the poll's time by the server's clock, so every poller ages rows alike."""
    conn.execute(
        "UPDATE pr_outcomes SET refreshed_at = now() "
        "WHERE forge = %s AND repository = %s AND number = %s",
        (forge, repository, number),
    )


def arm_auto_merge(
    conn: psycopg.Connection, forge: str, repository: str, number: int, via: str
) -> bool:
    """Take the base branch's auto-merge slot for this pull request; False when another open
    pull request on the same base branch holds it (the unique index decides, not Python)."""
    try:
        with conn.transaction():
            cur = conn.execute(
                "UPDATE pr_outcomes SET auto_merge = 'enabled', auto_merge_via = %s "
                "WHERE forge = %s AND repository = %s AND number = %s AND state = 'open'",
                (via, forge, repository, number),
            )
            return cur.rowcount == 1
    except psycopg.errors.UniqueViolation:
        return False


def get_outcome(
    conn: psycopg.Connection, forge: str, repository: str, number: int
) -> dict[str, Any] | None:
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            "SELECT * FROM pr_outcomes WHERE forge = %s AND repository = %s AND number = %s",
            (forge, repository, number),
        ).fetchone()


def outcomes_to_refresh(
    conn: psycopg.Connection, forge: str, *, limit: int, older_than: datetime | None = None
) -> list[dict[str, Any]]:
    """Open pull requests, least recently refreshed first."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            """
            SELECT * FROM pr_outcomes
            WHERE forge = %s AND state = 'open'
              AND (%s::timestamptz IS NULL OR refreshed_at IS NULL OR refreshed_at < %s)
            ORDER BY refreshed_at NULLS FIRST, opened_at
            LIMIT %s
            """,
            (forge, older_than, older_than, limit),
        ).fetchall()


def open_outcomes_for_issue(
    conn: psycopg.Connection, forge: str, repository: str, issue_number: int
) -> list[int]:
    rows = conn.execute(
        "SELECT number FROM pr_outcomes WHERE forge = %s AND lower(repository) = lower(%s) "
        "AND issue_number = %s AND state = 'open' ORDER BY number",
        (forge, repository, issue_number),
    ).fetchall()
    return [int(r[0]) for r in rows]


def list_outcomes(
    conn: psycopg.Connection,
    *,
    state: str | None = None,
    repository: str | None = None,
    limit: int = 50,
) -> list[dict[str, Any]]:
    """Pull requests GlobaLLM opened, newest first (every forge)."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            """
            SELECT forge, repository, number, issue_number, url, state, draft, risk_level,
                   auto_merge, auto_merge_reason, labels, checks, reviews, review_comments,
                   tokens, cost_usd, opened_at, merged_at, closed_at, refreshed_at
            FROM pr_outcomes
            WHERE (%(state)s::text IS NULL OR state = %(state)s)
              AND (%(repo)s::text IS NULL OR lower(repository) = lower(%(repo)s))
            ORDER BY opened_at DESC, number DESC
            LIMIT %(limit)s
            """,
            {"state": state, "repo": repository, "limit": limit},
        ).fetchall()
