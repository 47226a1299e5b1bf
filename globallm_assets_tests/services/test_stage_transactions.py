"""The asset stages never hold a database transaction open while they wait on the source.

A wrapped simulated source looks at PostgreSQL's own view of the sessions each time it is
called: no session of the test database may be idle inside a transaction at that moment.
"""

from __future__ import annotations

from typing import Any

import psycopg

from globallm_assets.services import analysis
from globallm_assets.services import issues as issue_service
from globallm_assets.services.sources import simulated_world
from globallm_assets.settings import load_settings
from globallm_assets.store import repositories as repo_store

OPEN_TRANSACTIONS = """
SELECT count(*) FROM pg_stat_activity
WHERE datname = current_database() AND pid <> pg_backend_pid()
  AND (state LIKE 'idle in transaction%%' OR xact_start IS NOT NULL AND state <> 'idle')
"""


class WatchingSource:
    """The simulated world, recording how many transactions were open at each source call."""

    def __init__(self, world: Any, dsn: str) -> None:
        self._world = world
        self._dsn = dsn
        self.observed: dict[str, list[int]] = {}

    def _look(self, call: str) -> None:
        with psycopg.connect(self._dsn, autocommit=True) as conn:
            count = conn.execute(OPEN_TRANSACTIONS).fetchone()[0]
        self.observed.setdefault(call, []).append(count)

    def __getattr__(self, name: str) -> Any:
        target = getattr(self._world, name)
        if not callable(target) or name not in {
            "search_repositories",
            "repository_metadata",
            "activity",
            "activity_batch",
            "issues",
            "repository_file",
        }:
            return target

        def watched(*args: Any, **kwargs: Any) -> Any:
            self._look(name)
            result = target(*args, **kwargs)
            # Generators are consumed while the caller iterates: look again afterwards.
            if hasattr(result, "__next__"):
                result = list(result)
                self._look(name)
            return result

        return watched


def test_discovery_health_and_issue_fetching_hold_no_transaction_during_source_calls(dsn):
    settings = load_settings(
        overrides={"source.kind": "simulated", "filters.min_stars": 200, "thresholds.impact": 0}
    )
    source = WatchingSource(simulated_world(7, 200), dsn)
    found = analysis.discover_partition(settings, source, dsn, language="python", max_results=8)
    assert found.report.kept
    analysis.score_health(settings, source, dsn, language="python")
    with psycopg.connect(dsn) as conn:
        names = [r.name for r in repo_store.list_repositories(conn, language="python")]
        repo_store.write_verdicts(conn, [(n, True, "test") for n in names])
    fetched = issue_service.fetch_partition(source, dsn, language="python")
    assert fetched.fetched > 0

    assert {"search_repositories", "repository_metadata", "issues"} <= set(source.observed)
    for call, counts in source.observed.items():
        assert set(counts) == {0}, (call, counts)
