"""Token accounting: the weekly budget is reserved atomically before a call, settled after it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import psycopg


def week_start(moment: datetime | None = None) -> date:
    day = (moment or datetime.now(UTC)).astimezone(UTC).date()
    return day - timedelta(days=day.weekday())


def reserve(
    conn: psycopg.Connection, tokens: int, weekly_limit: int, *, moment: datetime | None = None
) -> bool:
    """Reserve ``tokens`` of this week's budget in one statement; False when it would overflow.

    Concurrent agents serialise on the week's row lock, so two reservations can never both
    pass on the same remaining budget.
    """
    if tokens < 0:
        raise ValueError("tokens must be >= 0")
    if tokens > weekly_limit:
        return False
    week = week_start(moment)
    conn.execute(
        "INSERT INTO token_budget (week_start, reserved) VALUES (%s, 0) ON CONFLICT DO NOTHING",
        (week,),
    )
    row = conn.execute(
        "UPDATE token_budget SET reserved = reserved + %s "
        "WHERE week_start = %s AND reserved + %s <= %s RETURNING reserved",
        (tokens, week, tokens, weekly_limit),
    ).fetchone()
    return row is not None


def settle(conn: psycopg.Connection, reserved: int, used: int, *, week: date) -> None:
    """Give back what a call reserved but did not use (or charge the overrun), in the week
    the reservation was made even if the call ran past midnight on Sunday."""
    conn.execute(
        "UPDATE token_budget SET reserved = GREATEST(0, reserved - %s + %s) WHERE week_start = %s",
        (reserved, used, week),
    )


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
) -> None:
    conn.execute(
        "INSERT INTO llm_usage (purpose, provider, model, input_tokens, output_tokens, "
        "repository, operation_id) VALUES (%s, %s, %s, %s, %s, %s, %s)",
        (purpose, provider, model, input_tokens, output_tokens, repository, operation_id),
    )


def reserved_this_week(conn: psycopg.Connection, *, moment: datetime | None = None) -> int:
    row = conn.execute(
        "SELECT reserved FROM token_budget WHERE week_start = %s", (week_start(moment),)
    ).fetchone()
    return int(row[0]) if row else 0


class TokenLedger:
    """Budget operations in their own short transactions, so a long asset transaction never
    holds the week's budget row locked while other agents wait."""

    def __init__(self, dsn: str, weekly_limit: int) -> None:
        self._dsn = dsn
        self.weekly_limit = weekly_limit

    def _connection(self):
        from globallm_assets.store.db import pool

        return pool(self._dsn).connection()

    def reserve(self, tokens: int) -> date | None:
        """The budget week charged, or None when the reservation would exceed the limit."""
        moment = datetime.now(UTC)
        with self._connection() as conn:
            return (
                week_start(moment)
                if reserve(conn, tokens, self.weekly_limit, moment=moment)
                else None
            )

    def settle(self, reserved: int, used: int, week: date) -> None:
        with self._connection() as conn:
            settle(conn, reserved, used, week=week)

    def record(self, **usage) -> None:
        with self._connection() as conn:
            record(conn, **usage)
