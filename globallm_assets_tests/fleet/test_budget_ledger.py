"""The budget ledger: reservations checked against every limit in one statement, settled with
actual use, per week, repository and language."""

from __future__ import annotations

import psycopg
import pytest

from globallm_assets.store import llm_usage
from globallm_assets.store.llm_usage import Limits, Refusal, Reservation, TokenLedger
from globallm_assets_tests.fleet.seed import seed

LIMITS = Limits(weekly_tokens=10_000, repository_tokens=3_000, repository_seconds=600)


def _totals(conn: psycopg.Connection) -> dict[tuple[str, str], tuple[int, int, float]]:
    return {
        (r["scope"], r["key"]): (r["tokens"], r["seconds"], r["cost_usd"])
        for r in llm_usage.week_totals(conn)
    }


def test_reservation_charges_week_repository_and_language(conn):
    got = llm_usage.reserve(
        conn, 1_200, LIMITS, seconds=300, repository="acme/a", language="python", purpose="fix"
    )
    conn.commit()
    assert isinstance(got, Reservation) and (got.tokens, got.seconds) == (1_200, 300)
    assert _totals(conn) == {
        ("total", ""): (1_200, 300, 0.0),
        ("repository", "acme/a"): (1_200, 300, 0.0),
        ("language", "python"): (1_200, 300, 0.0),
    }
    entry = conn.execute(
        "SELECT purpose, repository, language, tokens, seconds, state FROM budget_reservations"
    ).fetchone()
    assert entry == ("fix", "acme/a", "python", 1_200, 300, "open")


def test_settling_replaces_the_reservation_by_actual_use_once(conn):
    got = llm_usage.reserve(conn, 1_000, LIMITS, seconds=300, repository="acme/a")
    assert llm_usage.settle(conn, got.id, used_tokens=250, used_seconds=42, cost_usd=0.0125)
    assert not llm_usage.settle(conn, got.id, used_tokens=250, used_seconds=42, cost_usd=1)
    conn.commit()
    assert _totals(conn)[("repository", "acme/a")] == (250, 42, 0.0125)
    assert llm_usage.reserved_this_week(conn) == 250


def test_overrun_is_charged_when_settled(conn):
    got = llm_usage.reserve(conn, 100, LIMITS, repository="acme/a")
    llm_usage.settle(conn, got.id, used_tokens=180)
    conn.commit()
    assert _totals(conn)[("total", "")][0] == 180


@pytest.mark.parametrize(
    ("tokens", "seconds", "scope", "reason"),
    [
        (3_001, 0, "repository", "token budget of acme/a exhausted: 3,001 more tokens"),
        (0, 601, "repository", "time budget of acme/a exhausted: 601 more seconds"),
    ],
)
def test_a_reservation_over_any_limit_is_refused_and_charges_nothing(
    conn, tokens, seconds, scope, reason
):
    got = llm_usage.reserve(conn, tokens, LIMITS, seconds=seconds, repository="acme/a")
    conn.commit()
    assert isinstance(got, Refusal) and got.scope == scope and got.reason.startswith(reason)
    assert all(v == (0, 0, 0.0) for v in _totals(conn).values())
    assert conn.execute("SELECT count(*) FROM budget_reservations").fetchone() == (0,)


def test_weekly_limit_is_checked_before_repository_limits(conn):
    for n in range(4):
        llm_usage.reserve(conn, 2_500, LIMITS, repository=f"acme/r{n}")
    refused = llm_usage.reserve(conn, 1, LIMITS, repository="acme/other")
    assert isinstance(refused, Refusal) and refused.scope == "total"
    assert refused.reason.startswith("weekly token budget exhausted: 1 more tokens")


def test_reset_keeps_what_open_reservations_hold(conn, dsn):
    seed(conn, {"acme/a": "python"}, [("acme/a", 1, 0.5)])
    done = llm_usage.reserve(conn, 2_000, LIMITS, repository="acme/a", language="python")
    llm_usage.settle(conn, done.id, used_tokens=1_500, cost_usd=0.5)
    open_ = llm_usage.reserve(conn, 700, LIMITS, seconds=60, repository="acme/a")
    conn.commit()
    assert llm_usage.reset_week(conn) == 3
    assert _totals(conn) == {
        ("total", ""): (700, 60, 0.0),
        ("repository", "acme/a"): (700, 60, 0.0),
        ("language", "python"): (0, 0, 0.0),
    }
    llm_usage.settle(conn, open_.id, used_tokens=100, used_seconds=10)
    conn.commit()
    assert _totals(conn)[("repository", "acme/a")] == (100, 10, 0.0)
    # History stays: both reservations are still in the ledger.
    assert conn.execute("SELECT count(*) FROM budget_reservations").fetchone() == (2,)


def test_week_totals_show_what_is_still_in_flight(conn):
    llm_usage.reserve(conn, 400, LIMITS, seconds=30, repository="acme/a", language="go")
    done = llm_usage.reserve(conn, 100, LIMITS, repository="acme/a", language="go")
    llm_usage.settle(conn, done.id, used_tokens=90)
    conn.commit()
    rows = {(r["scope"], r["key"]): r for r in llm_usage.week_totals(conn)}
    assert rows[("total", "")]["tokens"] == 490
    assert rows[("total", "")]["tokens_in_flight"] == 400
    assert rows[("language", "go")]["seconds_in_flight"] == 30


def test_scoped_token_ledger_charges_the_repository(dsn):
    ledger = TokenLedger(dsn, 10_000, repository_tokens=500).scoped(
        repository="acme/a", language="python", issue_number=3, agent_id="agent-1"
    )
    first = ledger.reserve(400, purpose="fix")
    assert first is not None
    assert ledger.reserve(200) is None
    assert ledger.last_refusal.reason.startswith("token budget of acme/a exhausted")
    ledger.settle(first, 120, cost_usd=0.01)
    assert ledger.reserve(200) is not None
    with psycopg.connect(dsn) as conn:
        assert _totals(conn)[("repository", "acme/a")][0] == 320
        assert conn.execute(
            "SELECT DISTINCT issue_number, agent_id FROM budget_reservations"
        ).fetchall() == [(3, "agent-1")]


def test_a_retried_request_finds_its_committed_reservation_and_never_charges_twice(conn):
    from uuid import uuid4

    request = uuid4()
    first = llm_usage.reserve(conn, 500, LIMITS, repository="acme/a", request_id=request)
    conn.commit()
    assert llm_usage.find_reservation(conn, request) == first
    assert llm_usage.find_reservation(conn, uuid4()) is None
    with pytest.raises(psycopg.errors.UniqueViolation):
        llm_usage.reserve(conn, 500, LIMITS, repository="acme/a", request_id=request)
    conn.rollback()
    assert _totals(conn)[("total", "")][0] == 500
