"""What GlobaLLM is doing, in one report: ``globallm status``, its dashboard and its JSON export.

The report is read in one repeatable-read, read-only transaction, so its counts agree with each
other (a pull request merging mid-report cannot be counted as both open and merged). Rates have
a documented denominator and are ``None`` when it is zero — never a misleading 0:

- ``merge_rate`` = merged / (merged + closed): pull requests maintainers decided on; open ones
  are still undecided and do not count against it;
- ``tokens_per_merged_pr`` / ``cost_per_merged_pr`` = every fix attempt's tokens / cost (failed
  and unmerged ones included: they are what the merged ones cost) / merged pull requests.

The JSON form (``as_dict``) is versioned by ``SCHEMA_VERSION`` and described by
``schemas/status.schema.json``; fields are only ever added within a version.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from globallm_assets.settings import Settings

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class StatusReport:
    generated_at: datetime
    world: str  # github | simulated: the database this report describes
    budget: dict[str, Any]
    repositories: dict[str, int]
    issues: dict[str, int]
    agents: dict[str, int]
    pull_requests: dict[str, Any]
    fixes: dict[str, Any]
    repository_activity: list[dict[str, Any]]
    recent_failures: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        """The JSON export (``schemas/status.schema.json``)."""
        return {
            "schema_version": SCHEMA_VERSION,
            "generated_at": self.generated_at.isoformat(),
            "world": self.world,
            "budget": self.budget,
            "repositories": self.repositories,
            "issues": self.issues,
            "agents": self.agents,
            "pull_requests": self.pull_requests,
            "fixes": self.fixes,
            "repository_activity": self.repository_activity,
            "recent_failures": [
                {**row, "at": row["at"].isoformat() if row["at"] else None}
                for row in self.recent_failures
            ],
        }


def ratio(numerator: float, denominator: float, digits: int = 4) -> float | None:
    """``numerator / denominator`` rounded, or None when nothing was counted."""
    return round(numerator / denominator, digits) if denominator else None


def merge_rate(merged: int, closed: int) -> float | None:
    """merged / (merged + closed): the one definition of the merge rate (see the module doc)."""
    return ratio(merged, merged + closed)


def budget_summary(settings: Settings, dsn: str) -> dict[str, Any]:
    """This week's fleet budget: used, limit, in flight, left (``globallm budget show``'s total)."""
    from globallm_assets.services import budget

    report = budget.show(settings, dsn, top=1)
    total, limits = report.total, report.limits
    return {
        "week_start": report.week_start.isoformat() if report.week_start else None,
        "tokens_used": int(total["tokens"]),
        "tokens_limit": int(limits["weekly_token_budget"]),
        "tokens_in_flight": int(total["tokens_in_flight"]),
        "tokens_remaining": int(total["remaining_tokens"]),
        "share_used": ratio(total["tokens"], limits["weekly_token_budget"]),
        "seconds_used": int(total["seconds"]),
        "cost_usd": float(total["cost_usd"]),
        "claims": int(total["claims"]),
        "limits": limits,
        "exhausted": report.exhausted,
    }


def collect(
    settings: Settings, dsn: str, *, repositories: int = 10, failures: int = 5
) -> StatusReport:
    """The whole report: ``repositories`` rows of activity, the ``failures`` newest failures."""
    from globallm_assets.store import status as store
    from globallm_assets.store.db import pool, read_only_snapshot, server_now

    budget = budget_summary(settings, dsn)
    with pool(dsn).connection() as conn, conn.transaction():
        read_only_snapshot(conn)
        now = server_now(conn)
        repos = store.repository_counts(conn)
        issues = store.issue_counts(conn)
        agents = store.agent_counts(conn, settings.agents.heartbeat_timeout)
        prs = store.pull_request_counts(conn)
        outcomes = store.fix_counts(conn)
        spend = store.fix_spend(conn)
        activity = store.repository_activity(conn, repositories)
        failed = store.recent_failures(conn, failures)
    merged = prs["merged"]
    prs["merge_rate"] = merge_rate(merged, prs["closed"])
    fixes = {
        "attempts": sum(outcomes.values()),
        "by_outcome": outcomes,
        "tokens": spend["tokens"],
        "cost_usd": round(spend["cost_usd"], 6),
        "tokens_per_merged_pr": ratio(spend["tokens"], merged, 1),
        "cost_per_merged_pr": ratio(spend["cost_usd"], merged, 6),
    }
    return StatusReport(
        generated_at=now,
        world=settings.source.kind,
        budget=budget,
        repositories=repos,
        issues=issues,
        agents=agents,
        pull_requests=prs,
        fixes=fixes,
        repository_activity=activity,
        recent_failures=failed,
    )
