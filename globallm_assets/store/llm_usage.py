"""The budget ledger: reservations before each model call or fix run, settled with actual use.

Every reservation is a ``budget_reservations`` row and is charged to this week's totals in
``token_budget`` — the fleet's, its repository's and its language's. Reserving is one statement
that locks those total rows in a fixed order, checks every limit against their newest values and
charges them only if all pass: concurrent agents can never both pass on the same remaining
budget, and nothing is ever checked in Python and spent afterwards. Settling replaces the reserved
amounts with the measured ones in the week the reservation was made, even if the call ran past
midnight on Sunday. Weeks start on Monday, UTC, by the database's clock (one clock for every
machine of the fleet).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID, uuid4

import psycopg
from psycopg.rows import dict_row

from globallm_assets.store.retry import retrying


@dataclass(frozen=True)
class Limits:
    """Caps a reservation is checked against (None: that scope has no cap)."""

    weekly_tokens: int
    repository_tokens: int | None = None
    repository_seconds: int | None = None


@dataclass(frozen=True)
class Reservation:
    id: int
    week: date
    tokens: int
    seconds: int
    repository: str | None = None
    language: str | None = None


@dataclass(frozen=True)
class Refusal:
    """A reservation that would have exceeded a limit; ``reason`` says which one."""

    reason: str
    scope: str  # total | repository


_ENSURE_ROWS = """
INSERT INTO token_budget (week_start, scope, key)
SELECT budget_week(now()), scope, key
FROM (VALUES ('total', ''), ('repository', %(repository)s), ('language', %(language)s))
     AS wanted (scope, key)
WHERE key IS NOT NULL
ON CONFLICT DO NOTHING
"""

# Lock the week's rows in (scope, key) order — settle and reset use the same order, so two
# ledger statements can never wait on each other in a cycle.
_RESERVE = """
WITH wanted (scope, key, max_tokens, max_seconds) AS (
    VALUES ('total', '', %(weekly_tokens)s::bigint, NULL::bigint),
           ('repository', %(repository)s, %(repo_tokens)s::bigint, %(repo_seconds)s::bigint),
           ('language', %(language)s, NULL::bigint, NULL::bigint)
),
locked AS MATERIALIZED (
    SELECT b.week_start, b.scope, b.key, b.reserved, b.seconds, w.max_tokens, w.max_seconds
    FROM token_budget b JOIN wanted w ON w.scope = b.scope AND w.key = b.key
    WHERE b.week_start = budget_week(now())
    ORDER BY b.scope, b.key
    FOR NO KEY UPDATE OF b
),
refused AS MATERIALIZED (
    SELECT scope, reserved, seconds, max_tokens, max_seconds FROM locked
    WHERE reserved + %(tokens)s > max_tokens OR seconds + %(seconds)s > max_seconds
    ORDER BY scope = 'total' DESC
    LIMIT 1
),
charged AS (
    UPDATE token_budget b
    SET reserved = b.reserved + %(tokens)s, seconds = b.seconds + %(seconds)s
    FROM locked l
    WHERE NOT EXISTS (SELECT FROM refused)
      AND b.week_start = l.week_start AND b.scope = l.scope AND b.key = l.key
),
entry AS (
    INSERT INTO budget_reservations (week_start, purpose, repository, language, issue_number,
                                     agent_id, tokens, seconds, request_id)
    SELECT budget_week(now()), %(purpose)s, %(repository)s, %(language)s, %(issue_number)s,
           %(agent_id)s, %(tokens)s, %(seconds)s, %(request_id)s
    WHERE NOT EXISTS (SELECT FROM refused)
    RETURNING id, week_start
)
SELECT e.id, e.week_start, r.scope, r.reserved, r.seconds, r.max_tokens, r.max_seconds
FROM (SELECT) AS one
LEFT JOIN entry e ON true
LEFT JOIN refused r ON true
"""


def reserve(
    conn: psycopg.Connection,
    tokens: int,
    limits: Limits,
    *,
    seconds: int = 0,
    repository: str | None = None,
    language: str | None = None,
    purpose: str = "llm",
    issue_number: int | None = None,
    agent_id: str | None = None,
    request_id: UUID | None = None,
) -> Reservation | Refusal:
    """Reserve ``tokens`` and ``seconds`` of this week's budget, or refuse if any limit would be
    exceeded (then nothing is charged). ``request_id`` names the request so a retry after a
    lost connection can find it (``find_reservation``) instead of reserving twice."""
    if tokens < 0 or seconds < 0:
        raise ValueError("a reservation cannot be negative")
    params: dict[str, Any] = {
        "tokens": tokens,
        "seconds": seconds,
        "repository": repository,
        "language": language,
        "purpose": purpose,
        "issue_number": issue_number,
        "agent_id": agent_id,
        "request_id": request_id,
        "weekly_tokens": limits.weekly_tokens,
        "repo_tokens": limits.repository_tokens,
        "repo_seconds": limits.repository_seconds,
    }
    with conn.transaction():
        conn.execute(_ENSURE_ROWS, params)
        row = conn.execute(_RESERVE, params).fetchone()
    assert row is not None
    entry_id, week, scope, reserved, used_seconds, max_tokens, max_seconds = row
    if entry_id is not None:
        return Reservation(entry_id, week, tokens, seconds, repository, language)
    if max_tokens is not None and reserved + tokens > max_tokens:
        what = "weekly token budget" if scope == "total" else f"token budget of {repository}"
        reason = (
            f"{what} exhausted: {tokens:,} more tokens would exceed {max_tokens:,} "
            f"({reserved:,} committed this week)"
        )
    else:
        reason = (
            f"time budget of {repository} exhausted: {seconds:,} more seconds would exceed "
            f"{max_seconds:,} ({used_seconds:,} committed this week)"
        )
    return Refusal(reason, scope)


def find_reservation(conn: psycopg.Connection, request_id: UUID) -> Reservation | None:
    """The reservation a request made, if it committed."""
    row = conn.execute(
        "SELECT id, week_start, tokens, seconds, repository, language FROM budget_reservations "
        "WHERE request_id = %s",
        (request_id,),
    ).fetchone()
    return Reservation(*row) if row else None


# Lock the charged rows in the same (scope, key) order as a reservation, then apply the delta.
_APPLY = """
WITH target AS MATERIALIZED (
    SELECT b.week_start, b.scope, b.key FROM token_budget b
    WHERE b.week_start = %(week)s
      AND ((b.scope = 'total' AND b.key = '')
           OR (b.scope = 'repository' AND b.key = %(repository)s)
           OR (b.scope = 'language' AND b.key = %(language)s))
    ORDER BY b.scope, b.key
    FOR NO KEY UPDATE OF b
)
UPDATE token_budget b
SET reserved = GREATEST(0, b.reserved + %(tokens)s),
    seconds = GREATEST(0, b.seconds + %(seconds)s),
    cost_usd = b.cost_usd + %(cost)s
FROM target t
WHERE b.week_start = t.week_start AND b.scope = t.scope AND b.key = t.key
"""


def settle(
    conn: psycopg.Connection,
    reservation_id: int,
    *,
    used_tokens: int,
    used_seconds: int = 0,
    cost_usd: float = 0.0,
) -> bool:
    """Replace a reservation by what was used (an overrun is charged too); False if it was
    already settled, so settling twice never counts twice."""
    with conn.transaction():
        row = conn.execute(
            """
            UPDATE budget_reservations
            SET state = 'settled', used_tokens = %s, used_seconds = %s, cost_usd = %s,
                settled_at = now()
            WHERE id = %s AND state = 'open'
            RETURNING week_start, repository, language, tokens, seconds
            """,
            (used_tokens, used_seconds, cost_usd, reservation_id),
        ).fetchone()
        if row is None:
            return False
        week, repository, language, tokens, seconds = row
        conn.execute(
            _APPLY,
            {
                "week": week,
                "repository": repository,
                "language": language,
                "tokens": used_tokens - tokens,
                "seconds": used_seconds - seconds,
                "cost": cost_usd,
            },
        )
    return True


def close_reservations_of(conn: psycopg.Connection, agent_ids: list[str]) -> int:
    """Settle the open reservations of agents known to be gone (stale or released by an
    operator) at their full reserved amount: what a dead agent spent cannot be measured, and
    charging all of it never understates spend. Totals already hold the reserved amounts."""
    if not agent_ids:
        return 0
    cur = conn.execute(
        "UPDATE budget_reservations SET state = 'settled', used_tokens = tokens, "
        "used_seconds = seconds, settled_at = now() "
        "WHERE state = 'open' AND agent_id = ANY(%s)",
        (agent_ids,),
    )
    return cur.rowcount


def record(
    conn: psycopg.Connection,
    *,
    purpose: str,
    provider: str,
    model: str,
    input_tokens: int,
    output_tokens: int,
    repository: str | None = None,
    operation_id: str | None = None,
    cost_usd: float | None = None,
    reservation_id: int | None = None,
) -> None:
    """One model call's usage as the vendor reported it (the ledger's per-call detail)."""
    conn.execute(
        "INSERT INTO llm_usage (purpose, provider, model, input_tokens, output_tokens, "
        "repository, operation_id, cost_usd, reservation_id) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
        (
            purpose,
            provider,
            model,
            input_tokens,
            output_tokens,
            repository,
            operation_id,
            cost_usd,
            reservation_id,
        ),
    )


def reserved_this_week(conn: psycopg.Connection) -> int:
    """Tokens committed this week by the whole fleet (open reservations + settled usage)."""
    row = conn.execute(
        "SELECT COALESCE(sum(reserved), 0) FROM token_budget "
        "WHERE week_start = budget_week(now()) AND scope = 'total'"
    ).fetchone()
    return int(row[0]) if row else 0


def week_totals(conn: psycopg.Connection) -> list[dict[str, Any]]:
    """This week's totals per scope: tokens and seconds committed, tokens and seconds still
    only reserved (open reservations), cost, and claims (languages; repositories come from
    ``repository_claims``)."""
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(
            """
            WITH open_res AS (
                SELECT repository, language, tokens, seconds FROM budget_reservations
                WHERE state = 'open' AND week_start = budget_week(now())
            )
            SELECT b.week_start, b.scope, b.key, b.reserved AS tokens, b.seconds,
                   b.cost_usd::double precision AS cost_usd, b.claims,
                   COALESCE(CASE b.scope
                       WHEN 'total' THEN (SELECT sum(tokens) FROM open_res)
                       WHEN 'repository' THEN (SELECT sum(tokens) FROM open_res o
                                               WHERE o.repository = b.key)
                       ELSE (SELECT sum(tokens) FROM open_res o WHERE o.language = b.key)
                   END, 0)::bigint AS tokens_in_flight,
                   COALESCE(CASE b.scope
                       WHEN 'total' THEN (SELECT sum(seconds) FROM open_res)
                       WHEN 'repository' THEN (SELECT sum(seconds) FROM open_res o
                                               WHERE o.repository = b.key)
                       ELSE (SELECT sum(seconds) FROM open_res o WHERE o.language = b.key)
                   END, 0)::bigint AS seconds_in_flight
            FROM token_budget b
            WHERE b.week_start = budget_week(now())
            ORDER BY b.scope DESC, b.reserved DESC, b.key
            """
        )
        return cur.fetchall()


def repository_claims_this_week(conn: psycopg.Connection) -> dict[str, tuple[int, int]]:
    """repository → (claimed this week, working now), for repositories with either."""
    rows = conn.execute(
        "SELECT repository, CASE WHEN week_start = budget_week(now()) THEN week_claims ELSE 0 "
        "END, active FROM repository_claims "
        "WHERE active > 0 OR week_start = budget_week(now())"
    ).fetchall()
    return {repo: (claims, active) for repo, claims, active in rows}


def reset_week(conn: psycopg.Connection) -> int:
    """Start this week's budget afresh: committed spend and claim counts go back to what open
    reservations and live claims still hold (their settlements stay consistent). The
    reservation history is kept. Returns how many total rows were reset."""
    with conn.transaction():
        rows = conn.execute(
            """
            WITH target AS MATERIALIZED (
                SELECT week_start, scope, key FROM token_budget
                WHERE week_start = budget_week(now())
                ORDER BY scope, key
                FOR NO KEY UPDATE
            ),
            open_res AS (
                SELECT repository, language, tokens, seconds FROM budget_reservations
                WHERE state = 'open' AND week_start = budget_week(now())
            )
            UPDATE token_budget b SET
                reserved = COALESCE(CASE b.scope
                    WHEN 'total' THEN (SELECT sum(tokens) FROM open_res)
                    WHEN 'repository' THEN (SELECT sum(tokens) FROM open_res o
                                            WHERE o.repository = b.key)
                    ELSE (SELECT sum(tokens) FROM open_res o WHERE o.language = b.key)
                END, 0),
                seconds = COALESCE(CASE b.scope
                    WHEN 'total' THEN (SELECT sum(seconds) FROM open_res)
                    WHEN 'repository' THEN (SELECT sum(seconds) FROM open_res o
                                            WHERE o.repository = b.key)
                    ELSE (SELECT sum(seconds) FROM open_res o WHERE o.language = b.key)
                END, 0),
                cost_usd = 0,
                claims = 0
            FROM target t
            WHERE b.week_start = t.week_start AND b.scope = t.scope AND b.key = t.key
            """
        )
        reset = rows.rowcount
        conn.execute(
            "UPDATE repository_claims SET week_claims = 0 WHERE week_start = budget_week(now())"
        )
    return reset


class TokenLedger:
    """Ledger operations in their own short transactions, so a long asset transaction never
    holds the week's budget rows locked while other agents wait.

    A ledger may be bound to one repository, language, issue and agent (``scoped``): every
    reservation it makes then also counts against that repository's limits.
    """

    def __init__(
        self,
        dsn: str,
        weekly_limit: int,
        *,
        repository_tokens: int | None = None,
        repository_seconds: int | None = None,
        scope: dict[str, Any] | None = None,
        retry_seconds: float = 120,
    ) -> None:
        self._dsn = dsn
        self.retry_seconds = retry_seconds
        self.weekly_limit = weekly_limit
        self.limits = Limits(weekly_limit, repository_tokens, repository_seconds)
        self._scope = dict(scope or {})
        self.last_refusal: Refusal | None = None

    def scoped(
        self,
        *,
        repository: str,
        language: str | None = None,
        issue_number: int | None = None,
        agent_id: str | None = None,
    ) -> TokenLedger:
        """The same ledger, charging one repository (and language) as well as the week."""
        return TokenLedger(
            self._dsn,
            self.weekly_limit,
            repository_tokens=self.limits.repository_tokens,
            repository_seconds=self.limits.repository_seconds,
            retry_seconds=self.retry_seconds,
            scope={
                "repository": repository,
                "language": language,
                "issue_number": issue_number,
                "agent_id": agent_id,
            },
        )

    def _connection(self):
        from globallm_assets.store.db import pool

        return pool(self._dsn).connection()

    def reserve(self, tokens: int, *, seconds: int = 0, purpose: str = "llm") -> Reservation | None:
        """The reservation, or None when it would exceed a limit (``last_refusal`` says which).
        Survives a database restart without ever reserving twice."""
        request = uuid4()

        def action() -> Reservation | Refusal:
            with self._connection() as conn:
                return reserve(
                    conn,
                    tokens,
                    self.limits,
                    seconds=seconds,
                    purpose=purpose,
                    request_id=request,
                    **self._scope,
                )

        def committed_already() -> Reservation | None:
            with self._connection() as conn:
                return find_reservation(conn, request)

        outcome = retrying(
            action,
            deadline_seconds=self.retry_seconds,
            after_error=committed_already,
            what="budget reservation",
        )
        if isinstance(outcome, Refusal):
            self.last_refusal = outcome
            return None
        return outcome

    def settle(
        self,
        reservation: Reservation,
        used_tokens: int,
        *,
        used_seconds: int = 0,
        cost_usd: float = 0.0,
    ) -> None:
        """Settle a reservation (idempotent, so safe to retry through a restart)."""

        def action() -> bool:
            with self._connection() as conn:
                return settle(
                    conn,
                    reservation.id,
                    used_tokens=used_tokens,
                    used_seconds=used_seconds,
                    cost_usd=cost_usd,
                )

        retrying(action, deadline_seconds=self.retry_seconds, what="budget settlement")

    def record(self, **usage: Any) -> None:
        with self._connection() as conn:
            record(conn, **usage)


def current_week(conn: psycopg.Connection) -> date:
    """The budget week the server is in now (weeks start where ``budget_week`` says)."""
    return conn.execute("SELECT budget_week(now())").fetchone()[0]  # type: ignore[index]
