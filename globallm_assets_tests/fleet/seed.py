"""Seed repositories and ranked issues straight into the store for fleet tests and benchmarks."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import psycopg
from psycopg.types.json import Jsonb


def seed(
    conn: psycopg.Connection,
    repositories: dict[str, str],
    issues: Iterable[tuple[str, int, float]],
    *,
    cost_estimate: int = 1_000,
    approved: Sequence[str] | None = None,
) -> None:
    """``repositories`` name → language; ``issues`` (repository, number, priority)."""
    with conn.transaction():
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO repositories (name, language, worth_working_on) VALUES (%s, %s, %s)",
                [
                    (name, language, approved is None or name in approved)
                    for name, language in repositories.items()
                ],
            )
        ranked: list[tuple[str, int, float]] = []
        with conn.cursor().copy(
            "COPY issues (repository, number, title, data, cost_estimate) FROM STDIN"
        ) as copy:
            for repository, number, priority in issues:
                title = f"issue {number} of {repository}"
                data = {"repository": repository, "number": number, "title": title}
                copy.write_row((repository, number, title, Jsonb(data), cost_estimate))
                if priority is not None:
                    ranked.append((repository, number, priority))
        with conn.cursor().copy(
            "COPY issue_rankings (repository, number, priority) FROM STDIN"
        ) as copy:
            for row in ranked:
                copy.write_row(row)
