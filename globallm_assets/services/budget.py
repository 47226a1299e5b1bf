"""Budgets: the limits (settings), the ledger (reserve → settle), and what `globallm budget` shows.

Tokens are reserved before each model call and a fix run's seconds before it starts, each in one
SQL statement that refuses anything that would exceed the week's, the repository's or its time
limit (``store/llm_usage.py``); settling replaces a reservation by what was used. Limits are
settings, so ``globallm budget set`` and ``globallm config set budget.…`` write the same file.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from globallm_assets.config_file import set_config_values
from globallm_assets.services.claim import connection
from globallm_assets.settings import ConfigError, Settings
from globallm_assets.store import llm_usage
from globallm_assets.store.claims import ClaimedIssue
from globallm_assets.store.llm_usage import Limits, Refusal, Reservation, TokenLedger

# `budget set` flag → setting (the README's names for the same keys).
LIMIT_KEYS: dict[str, str] = {
    "max_tokens": "budget.max_tokens_per_repo",
    "max_time": "budget.max_time_per_repo",
    "max_per_repo": "budget.max_issues_per_repo",
    "max_per_language": "budget.max_issues_per_language",
    "weekly_tokens": "budget.weekly_token_budget",
}


def limits(settings: Settings) -> Limits:
    budget = settings.budget
    return Limits(
        weekly_tokens=budget.weekly_token_budget,
        repository_tokens=budget.max_tokens_per_repo,
        repository_seconds=budget.max_time_per_repo,
    )


def ledger(settings: Settings, dsn: str) -> TokenLedger:
    """The fleet's ledger (weekly limit only: calls that belong to no repository)."""
    budget = settings.budget
    return TokenLedger(
        dsn,
        budget.weekly_token_budget,
        repository_tokens=budget.max_tokens_per_repo,
        repository_seconds=budget.max_time_per_repo,
        retry_seconds=settings.agents.db_retry_seconds,
    )


def ledger_for(settings: Settings, dsn: str, claimed: ClaimedIssue) -> TokenLedger:
    """The ledger a fix's model calls reserve through: each call also counts against the
    claimed issue's repository and language."""
    return ledger(settings, dsn).scoped(
        repository=claimed.repository,
        language=claimed.language,
        issue_number=claimed.number,
        agent_id=claimed.agent_id,
    )


def reserve_fix_run(settings: Settings, dsn: str, claimed: ClaimedIssue) -> Reservation | Refusal:
    """Reserve a fix run's time (``budget.fix_run_seconds``) against its repository's limit.

    Tokens are not reserved here: the run's model calls reserve their own, each before it is
    made, through ``ledger_for``, so the fleet never runs on an estimate it cannot afford.
    """
    run_ledger = ledger_for(settings, dsn, claimed)
    reservation = run_ledger.reserve(0, seconds=settings.budget.fix_run_seconds, purpose="fix")
    if reservation is None:
        assert run_ledger.last_refusal is not None
        return run_ledger.last_refusal
    return reservation


def settle(
    settings: Settings,
    dsn: str,
    reservation: Reservation,
    *,
    used_tokens: int = 0,
    used_seconds: int = 0,
    cost_usd: float = 0.0,
) -> None:
    ledger(settings, dsn).settle(
        reservation, used_tokens, used_seconds=used_seconds, cost_usd=cost_usd
    )


@dataclass(frozen=True)
class BudgetReport:
    week_start: date | None
    limits: dict[str, int]
    total: dict[str, Any]
    repositories: list[dict[str, Any]]
    languages: list[dict[str, Any]]
    exhausted: str | None  # why the fleet cannot claim, when the weekly budget is spent

    def as_dict(self) -> dict[str, Any]:
        return {
            "week_start": self.week_start.isoformat() if self.week_start else None,
            "limits": self.limits,
            "total": self.total,
            "repositories": self.repositories,
            "languages": self.languages,
            "exhausted": self.exhausted,
        }


def show(settings: Settings, dsn: str, *, top: int = 20) -> BudgetReport:
    """This week's limits, commitments and spend: the fleet, each repository, each language."""
    with connection(dsn) as conn:
        week = llm_usage.current_week(conn)
        rows = llm_usage.week_totals(conn)
        claimed = llm_usage.repository_claims_this_week(conn)
    budget = settings.budget
    empty = {"tokens": 0, "tokens_in_flight": 0, "seconds": 0, "seconds_in_flight": 0}
    total_row = next((r for r in rows if r["scope"] == "total"), None)
    total = {k: (total_row or empty).get(k, 0) for k in ("tokens", "tokens_in_flight")}
    total.update(
        seconds=(total_row or empty).get("seconds", 0),
        cost_usd=round(float((total_row or {}).get("cost_usd", 0)), 6),
        remaining_tokens=max(0, budget.weekly_token_budget - total["tokens"]),
        claims=sum(r["claims"] for r in rows if r["scope"] == "language"),
    )
    by_repo = {r["key"]: r for r in rows if r["scope"] == "repository"}
    repositories = []
    for name in sorted(
        set(by_repo) | set(claimed),
        key=lambda n: (-by_repo.get(n, {}).get("tokens", 0), -claimed.get(n, (0, 0))[0], n),
    )[:top]:
        row = by_repo.get(name, {})
        week_claims, active = claimed.get(name, (0, 0))
        repositories.append(
            {
                "repository": name,
                "tokens": row.get("tokens", 0),
                "seconds": row.get("seconds", 0),
                "cost_usd": round(float(row.get("cost_usd", 0)), 6),
                "claims": week_claims,
                "active": active,
            }
        )
    languages = [
        {
            "language": r["key"],
            "tokens": r["tokens"],
            "seconds": r["seconds"],
            "cost_usd": round(float(r["cost_usd"]), 6),
            "claims": r["claims"],
        }
        for r in rows
        if r["scope"] == "language"
    ]
    exhausted = None
    if total["tokens"] >= budget.weekly_token_budget:
        exhausted = (
            f"weekly token budget exhausted ({total['tokens']:,} of "
            f"{budget.weekly_token_budget:,} tokens committed this week)"
        )
    return BudgetReport(
        week_start=week,
        limits={
            "max_tokens_per_repo": budget.max_tokens_per_repo,
            "max_time_per_repo": budget.max_time_per_repo,
            "max_issues_per_repo": budget.max_issues_per_repo,
            "max_issues_per_language": budget.max_issues_per_language,
            "weekly_token_budget": budget.weekly_token_budget,
            "fix_run_seconds": budget.fix_run_seconds,
        },
        total=total,
        repositories=repositories,
        languages=sorted(languages, key=lambda r: (-r["tokens"], -r["claims"], r["language"])),
        exhausted=exhausted,
    )


def reset(dsn: str) -> int:
    """Start this week's budget afresh (open reservations and live claims keep their share)."""
    with connection(dsn) as conn:
        return llm_usage.reset_week(conn)


def set_limits(config_path: Path, values: dict[str, int | None]) -> dict[str, Any]:
    """Write the given limits (``LIMIT_KEYS`` names) to the config file in one atomic write, by
    the writer ``config set`` uses: all of them, or on a bad value none."""
    chosen = {LIMIT_KEYS[name]: str(value) for name, value in values.items() if value is not None}
    if not chosen:
        raise ConfigError("nothing to set: give at least one limit")
    return set_config_values(config_path, chosen)
