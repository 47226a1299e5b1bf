"""Pull-request outcomes as the ``pr_outcomes`` asset sees them: refresh every open pull request
from the forge (``services.contribute``), then read back what maintainers decided, week by week,
so the UI can show whether the fleet's work is being accepted over time, not only in total."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from globallm_assets.services.contribute import RefreshReport
from globallm_assets.services.status import merge_rate
from globallm_assets.settings import Settings

WEEKS = 12  # the merge-rate history the asset shows


@dataclass(frozen=True)
class OutcomesReport:
    refresh: RefreshReport  # what this poll changed
    counts: dict[str, int]  # opened (all time), open, merged, closed, draft, auto_merge_armed
    weeks: list[dict[str, Any]]  # week, opened, merged, closed, merge_rate — oldest first
    auto_merged_above_low: list[str]  # must stay empty

    @property
    def merge_rate(self) -> float | None:
        """As ``globallm status`` defines it."""
        return merge_rate(self.counts["merged"], self.counts["closed"])


def refresh_and_summarize(settings: Settings, dsn: str, weeks: int = WEEKS) -> OutcomesReport:
    """Poll the forge, then summarize ``pr_outcomes`` in one consistent snapshot."""
    from globallm_assets.services.agent import refresh_pr_outcomes
    from globallm_assets.store import status as store
    from globallm_assets.store.db import pool, read_only_snapshot

    refresh = refresh_pr_outcomes(settings, dsn)
    with pool(dsn).connection() as conn, conn.transaction():
        read_only_snapshot(conn)
        counts = store.pull_request_counts(conn)
        history = store.pull_requests_by_week(conn, weeks)
        above_low = store.auto_merged_above_low(conn)
    for week in history:
        week["merge_rate"] = merge_rate(week["merged"], week["closed"])
    return OutcomesReport(refresh, counts, history, above_low)
