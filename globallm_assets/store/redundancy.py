"""The ``redundancy`` table: one row per repository of a language, rewritten per language."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import psycopg


@dataclass(frozen=True)
class RedundancyRow:
    repository: str
    language: str
    cluster_id: str | None
    max_similarity: float
    most_similar: str | None
    penalty: float
    recommendation: str | None
    reason: str | None


def replace_language(conn: psycopg.Connection, language: str, rows: Iterable[RedundancyRow]) -> int:
    """Delete the language's rows and insert the new ones (call inside a transaction).

    Rows of these repositories under another language go too: a repository whose language
    changed upstream belongs to this language's clusters now.
    """
    rows = list(rows)
    conn.execute(
        "DELETE FROM redundancy WHERE language = %s OR repository = ANY(%s)",
        (language, [r.repository for r in rows]),
    )
    data = [
        (
            r.repository,
            r.language,
            r.cluster_id,
            r.max_similarity,
            r.most_similar,
            r.penalty,
            r.recommendation,
            r.reason,
        )
        for r in rows
    ]
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO redundancy (repository, language, cluster_id, max_similarity, "
            "most_similar, penalty, recommendation, reason) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            data,
        )
    return len(data)
