"""GitHub rate-limit state in PostgreSQL, shared by every process that uses the store.

The GitHub transport asks this ledger before each request and tells it what GitHub answered
(see :class:`~globallm_assets.sources.github_transport.RateLimitLedger`). Each call is one
statement in autocommit: no transaction stays open across a request to GitHub or a wait.

The state is advisory and rewritten by every answer, so its commits do not wait for the WAL to
reach disk (``synchronous_commit = off``): a crash can lose the last few milliseconds of counts,
which GitHub's next answer restores, and each request pays one round trip instead of a flush.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from psycopg_pool import ConnectionPool

_pools: dict[str, ConnectionPool] = {}
_pools_lock = threading.Lock()


def _pool(dsn: str) -> ConnectionPool:
    with _pools_lock:
        existing = _pools.get(dsn)
        if existing is None or existing.closed:
            # min_size 0: no connection is kept (or re-made) for a database nobody uses any more.
            existing = _pools[dsn] = ConnectionPool(
                dsn,
                min_size=0,
                max_size=4,
                max_idle=60,
                open=True,
                name="globallm-ratelimit",
                kwargs={"autocommit": True, "options": "-c synchronous_commit=off"},
            )
        return existing


class PostgresRateLimits:
    """:class:`RateLimitLedger` over the ``github_rate_limits`` and ``github_pauses`` tables."""

    def __init__(self, dsn: str) -> None:
        self._dsn = dsn

    def _pool(self) -> ConnectionPool:
        return _pool(self._dsn)

    def reserve(self, key: str, resource: str, now: float, slack: float) -> float | None:
        with self._pool().connection() as conn:
            row = conn.execute(
                "SELECT github_rate_reserve(%s, %s, %s, %s)", (key, resource, now, slack)
            ).fetchone()
        return None if row is None else row[0]

    def observe(
        self, key: str, resource: str, remaining: int, reset_at: float, *, refund: bool = False
    ) -> None:
        # A later window replaces the row; within one, the lower of GitHub's count and ours wins
        # (answers arrive out of order, and ours already counts requests still in flight).
        with self._pool().connection() as conn:
            conn.execute(
                "INSERT INTO github_rate_limits AS q (token_key, resource, remaining, reset_at) "
                "VALUES (%(key)s, %(resource)s, %(remaining)s, %(reset_at)s) "
                "ON CONFLICT (token_key, resource) DO UPDATE SET "
                "remaining = CASE WHEN EXCLUDED.reset_at > q.reset_at THEN EXCLUDED.remaining "
                "ELSE LEAST(q.remaining + %(refund)s, EXCLUDED.remaining) END, "
                "reset_at = GREATEST(q.reset_at, EXCLUDED.reset_at), updated_at = now()",
                {
                    "key": key,
                    "resource": resource,
                    "remaining": remaining,
                    "reset_at": reset_at,
                    "refund": 1 if refund else 0,
                },
            )

    def pause(self, keys: Sequence[str], until: float) -> None:
        with self._pool().connection() as conn:
            conn.execute(
                "INSERT INTO github_pauses AS p (token_key, until) "
                "SELECT unnest(%s::text[]), %s "
                "ON CONFLICT (token_key) DO UPDATE SET "
                "until = GREATEST(p.until, EXCLUDED.until), updated_at = now()",
                (list(keys), until),
            )
