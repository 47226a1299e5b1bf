"""GitHub rate-limit state in PostgreSQL, shared by every process that uses the store.

The GitHub transport asks this ledger before each request and tells it what GitHub answered
(see :class:`~globallm_assets.sources.github_transport.RateLimitLedger`). Each call is one short
transaction: none stays open across a request to GitHub or a wait.
"""

from __future__ import annotations

from collections.abc import Sequence


class PostgresRateLimits:
    """:class:`RateLimitLedger` over the ``github_rate_limits`` and ``github_pauses`` tables."""

    def __init__(self, dsn: str) -> None:
        self._dsn = dsn

    def _pool(self):
        from globallm_assets.store.db import pool

        return pool(self._dsn)

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
