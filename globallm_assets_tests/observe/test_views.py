"""Analyst views (sql/0050+) over a world built through the services: every view has rows, and
the rows say what happened."""

from __future__ import annotations

import psycopg
import pytest

from globallm_assets_tests.observe.world import MERGED, REJECTED, World

VIEWS = (
    "top_repositories",
    "issue_backlog",
    "fix_outcomes",
    "pr_acceptance",
    "budget_usage",
    "llm_usage_weekly",
    "redundancy_clusters",
)


def _rows(dsn: str, query: str, *args: object) -> list[dict]:
    with psycopg.connect(dsn) as conn, conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
        return cur.execute(query, args).fetchall()


@pytest.mark.parametrize("view", VIEWS)
def test_every_view_returns_rows(world: World, view: str) -> None:
    assert _rows(world.dsn, f"SELECT * FROM {view}")


def test_top_repositories_rank_by_impact_with_health_and_verdict(world: World) -> None:
    rows = _rows(world.dsn, "SELECT * FROM top_repositories ORDER BY impact_rank, repository")
    impacts = [r["impact"] for r in rows]
    assert impacts == sorted(impacts, reverse=True)
    assert {r["verdict"] for r in rows} >= {"approved", "rejected"}
    merged = next(r for r in rows if r["repository"] == MERGED)
    assert (merged["prs_opened"], merged["prs_merged"], merged["health"]) == (1, 1, 0.8)


def test_issue_backlog_matches_the_issues_and_carries_score_components(world: World) -> None:
    backlog = _rows(world.dsn, "SELECT * FROM issue_backlog")
    total = _rows(world.dsn, "SELECT count(*) AS n FROM issues WHERE state = 'open'")[0]["n"]
    assert sum(r["open_issues"] for r in backlog) == total
    ranked = [r for r in backlog if r["ranked"]]
    assert ranked and all(r["avg_c_impact"] is not None for r in ranked)
    assert all(r["avg_c_cost"] <= 0 <= r["avg_c_solvability"] for r in ranked)


def test_fix_outcomes_and_acceptance_by_repository(world: World) -> None:
    outcomes = _rows(world.dsn, "SELECT * FROM fix_outcomes WHERE outcome = 'validated'")
    assert {r["repository"] for r in outcomes} == {MERGED, REJECTED}
    by_fixer = {r["repository"]: r["fixer"] for r in outcomes}
    assert by_fixer == {MERGED: "agent", REJECTED: "codespell"}
    acceptance = {r["repository"]: r for r in _rows(world.dsn, "SELECT * FROM pr_acceptance")}
    merged, rejected = acceptance[MERGED], acceptance[REJECTED]
    assert (merged["prs_merged"], merged["merge_rate"]) == (1, 1)
    assert (rejected["prs_closed"], rejected["merge_rate"]) == (1, 0)
    assert merged["cost_per_merged_pr"] == merged["cost_usd"] > 0
    assert rejected["cost_per_merged_pr"] is None  # nothing merged: no ratio, not a zero


def test_what_was_learned_from_the_outcomes_shows_in_the_views(world: World) -> None:
    acceptance = {r["repository"]: r for r in _rows(world.dsn, "SELECT * FROM pr_acceptance")}
    merged, rejected = acceptance[MERGED], acceptance[REJECTED]
    assert merged["acceptance_signal"] > 0.5 > rejected["acceptance_signal"]
    assert not merged["opted_out"] and rejected["opted_out"]
    assert "do not accept bot pull requests" in rejected["opt_out_reason"]
    top = {r["repository"]: r for r in _rows(world.dsn, "SELECT * FROM top_repositories")}
    assert top[REJECTED]["opted_out"] and top[MERGED]["acceptance"] == merged["acceptance"]
    backlog = _rows(world.dsn, "SELECT avg_c_acceptance FROM issue_backlog WHERE ranked > 0")
    assert backlog and all(r["avg_c_acceptance"] is not None for r in backlog)


def test_budget_usage_has_the_fleet_repository_and_language_rows(world: World) -> None:
    rows = _rows(world.dsn, "SELECT * FROM budget_usage")
    scopes = {(r["scope"], r["key"]) for r in rows}
    assert {("total", None), ("repository", MERGED), ("language", "python")} <= scopes
    total = next(r for r in rows if r["scope"] == "total")
    repositories = [r for r in rows if r["scope"] == "repository"]
    # Every reservation is charged to the fleet and to its repository: the totals agree.
    assert total["seconds_committed"] == sum(r["seconds_committed"] for r in repositories)
    assert total["claims"] == 3 and total["open_reservations"] == 0
    # The ledger's cost is what the fix attempts recorded, counted once.
    spent = _rows(world.dsn, "SELECT sum(cost_usd)::float8 AS c FROM solutions")[0]["c"]
    assert total["cost_usd"] == pytest.approx(spent, abs=1e-6) and spent > 0


def test_redundancy_clusters_keep_one_member(world: World) -> None:
    clusters = _rows(world.dsn, "SELECT * FROM redundancy_clusters")
    for cluster in clusters:
        assert cluster["members"] == len(cluster["repositories"]) >= 2
        assert cluster["repositories"][0] == cluster["keep"]
        assert cluster["recommendations"].count("keep") == 1
