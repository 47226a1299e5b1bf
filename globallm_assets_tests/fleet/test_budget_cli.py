"""`globallm budget show | reset | set` through the real entry point against the real store."""

from __future__ import annotations

import json

import yaml

from globallm_assets.settings import default_config_path, load_settings
from globallm_assets.store import claims, llm_usage
from globallm_assets.store.llm_usage import Limits
from globallm_assets_tests.cli_runner import cli as run_cli
from globallm_assets_tests.fleet.seed import seed


def cli(dsn: str, *args: str) -> int:
    return run_cli("--database-url", dsn, *args)


def _show(dsn, capsys) -> dict:
    assert cli(dsn, "budget", "show", "--export", "json") == 0
    return json.loads(capsys.readouterr().out)


def test_show_defaults_from_the_seeds_and_an_empty_week(dsn, capsys):
    data = _show(dsn, capsys)
    assert data["limits"] == {
        "max_tokens_per_repo": 100_000,
        "max_time_per_repo": 3_600,
        "max_issues_per_repo": 5,
        "max_issues_per_language": 50,
        "weekly_token_budget": 5_000_000,
        "fix_run_seconds": 900,
    }
    assert data["total"]["tokens"] == 0 and data["total"]["remaining_tokens"] == 5_000_000
    assert data["exhausted"] is None


def test_show_reports_spend_per_repository_and_language(conn, dsn, capsys):
    seed(conn, {"acme/a": "python"}, [("acme/a", 1, 0.9)])
    limits = claims.ClaimLimits(1, 5, 50, 5_000_000, 100_000, 3_600, 900, 3, 2)
    claims.claim(conn, "agent-1", limits)
    done = llm_usage.reserve(conn, 5_000, Limits(10**7), repository="acme/a", language="python")
    llm_usage.settle(conn, done.id, used_tokens=3_210, cost_usd=0.042)
    llm_usage.reserve(conn, 800, Limits(10**7), seconds=900, repository="acme/a", language="python")
    conn.commit()
    data = _show(dsn, capsys)
    assert data["total"]["tokens"] == 4_010
    assert data["total"]["tokens_in_flight"] == 800
    assert data["total"]["claims"] == 1
    [repo] = data["repositories"]
    assert repo == {
        "repository": "acme/a",
        "tokens": 4_010,
        "seconds": 900,
        "cost_usd": 0.042,
        "claims": 1,
        "active": 1,
    }
    assert data["languages"][0]["language"] == "python"
    assert data["languages"][0]["claims"] == 1
    assert cli(dsn, "budget", "show") == 0
    out = capsys.readouterr().out
    assert "4,010 of 5,000,000" in out and "acme/a" in out


def test_exhausted_week_is_said_plainly(conn, dsn, capsys, monkeypatch):
    monkeypatch.setenv("GLOBALLM_BUDGET__WEEKLY_TOKEN_BUDGET", "1000")
    llm_usage.reserve(conn, 1_000, Limits(1_000))
    conn.commit()
    assert _show(dsn, capsys)["exhausted"].startswith("weekly token budget exhausted")
    assert cli(dsn, "budget", "show") == 0
    assert "agents stop claiming" in capsys.readouterr().out


def test_reset_zeroes_the_week(conn, dsn, capsys):
    got = llm_usage.reserve(conn, 1_000, Limits(10**6), repository="acme/a")
    llm_usage.settle(conn, got.id, used_tokens=900)
    conn.commit()
    assert cli(dsn, "budget", "reset") == 0
    capsys.readouterr()
    assert _show(dsn, capsys)["total"]["tokens"] == 0


def test_set_writes_the_same_settings_as_config_set(dsn, capsys):
    code = cli(
        dsn,
        "budget",
        "set",
        "--max-tokens",
        "50000",
        "--max-time",
        "1800",
        "--max-per-repo",
        "3",
        "--max-per-language",
        "20",
        "--weekly-tokens",
        "2000000",
    )
    assert code == 0
    path = default_config_path()
    assert yaml.safe_load(path.read_text())["budget"] == {
        "max_tokens_per_repo": 50_000,
        "max_time_per_repo": 1_800,
        "max_issues_per_repo": 3,
        "max_issues_per_language": 20,
        "weekly_token_budget": 2_000_000,
    }
    assert cli(dsn, "config", "set", "budget.max_issues_per_repo", "4") == 0
    budget = load_settings().budget
    assert (budget.max_issues_per_repo, budget.weekly_token_budget) == (4, 2_000_000)
    capsys.readouterr()
    assert _show(dsn, capsys)["limits"]["max_issues_per_repo"] == 4


def test_set_refuses_bad_input_and_leaves_the_file_alone(dsn, capsys):
    path = default_config_path()
    assert cli(dsn, "budget", "set", "--max-tokens", "10") == 0
    before = path.read_bytes()
    assert cli(dsn, "budget", "set") == 2
    assert cli(dsn, "budget", "set", "--weekly-tokens", "-5") == 2
    assert cli(dsn, "budget", "set", "--max-time", "soon") == 2
    assert path.read_bytes() == before
