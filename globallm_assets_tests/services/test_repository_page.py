"""`repos list`'s page (filters, order and limit in SQL, no JSON read) against the straightforward
listing: every stored repository parsed, filtered and sliced in Python."""

from __future__ import annotations

import psycopg

from globallm_assets.services.repositories import list_page
from globallm_assets.store import repositories as repo_store
from globallm_assets_tests.services.ranking_world import build_world

FIELDS = (
    "name", "language", "stars", "forks", "health_score", "impact_score", "worth_working_on",
    "verdict_reason", "analyzed_at", "is_library", "license",
)  # fmt: skip


def test_the_page_equals_the_full_listing_sliced(dsn: str) -> None:
    with psycopg.connect(dsn) as conn:
        build_world(conn, repositories=300, issues=10, seed=5)
        # Equal stars: the name breaks the tie in both.
        conn.execute("UPDATE repositories SET stars = 7 WHERE name LIKE 'org1/%%'")
    for language in (None, "rust"):
        for status in (None, "approved", "rejected", "unanalyzed"):
            with psycopg.connect(dsn) as conn:
                every = repo_store.list_repositories(conn, language=language, status=status)
            for limit in (1, 25, 1_000):
                page = list_page(dsn, language=language, status=status, limit=limit)
                assert page.total == len(every) > 0
                assert [tuple(getattr(r, f) for f in FIELDS) for r in page.rows] == [
                    tuple(getattr(r, f) for f in FIELDS) for r in every[:limit]
                ]
