"""The agent worker in-process: real store, real git remotes, a scripted test-double fixer."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest

from globallm_assets.services import agent as agent_service
from globallm_assets.services.agent import AttemptReport, FixOutcome, run_agent
from globallm_assets.services.claim import AgentIdentity
from globallm_assets.settings import load_settings
from globallm_assets.store import llm_usage
from globallm_assets_tests.cli_runner import cli
from globallm_assets_tests.fleet.doubles import ScriptedGitFixer, make_remote, pushed_branches
from globallm_assets_tests.fleet.seed import seed

REPOS = {"acme/a": "python", "acme/b": "python", "gopher/c": "go"}


@pytest.fixture
def remotes(conn: psycopg.Connection, tmp_path: Path) -> Path:
    seed(conn, REPOS, [("acme/a", 1, 0.9), ("acme/b", 4, 0.8), ("gopher/c", 2, 0.7)])
    path = tmp_path / "remotes"
    for name in REPOS:
        make_remote(path, name)
    return path


def _settings(dsn: str, **overrides):
    return load_settings(overrides={"database.url": dsn, **overrides})


def _statuses(conn) -> dict[str, tuple]:
    rows = conn.execute(
        "SELECT repository || '#' || number, assignment_status, attempts, result, last_error "
        "FROM issues"
    ).fetchall()
    return {key: tuple(rest) for key, *rest in rows}


def test_agent_fixes_every_issue_then_stops_when_idle(conn, dsn, remotes):
    settings = _settings(dsn)
    report = run_agent(settings, dsn, ScriptedGitFixer(dsn, remotes), exit_when_idle=True)
    assert [a.issue for a in report.attempts] == ["acme/a#1", "acme/b#4", "gopher/c#2"]
    assert report.completed == 3
    assert report.stopped_because == "no available issues"
    for name in REPOS:
        assert len(pushed_branches(remotes, name)) == 1
    states = _statuses(conn)
    assert {s[0] for s in states.values()} == {"completed"}
    assert states["acme/b#4"][2] == "pushed globallm/issue-4 (scripted test fixer)"
    # Every run reserved its time up front and was settled with what it used.
    runs = conn.execute(
        "SELECT purpose, seconds, state, used_seconds FROM budget_reservations"
    ).fetchall()
    assert len(runs) == 3
    assert {(p, s, st) for p, s, st, _ in runs} == {("fix", 900, "settled")}
    assert all(used is not None and used < 900 for *_, used in runs)
    with psycopg.connect(dsn) as fresh:
        assert llm_usage.week_totals(fresh)[0]["seconds"] < 900


def test_max_fixes_stops_after_that_many_attempts(dsn, remotes):
    report = run_agent(_settings(dsn), dsn, ScriptedGitFixer(dsn, remotes), max_fixes=2)
    assert len(report.attempts) == 2
    assert report.stopped_because == "made the 2 attempt(s) asked for"


def test_failures_go_back_to_the_pool_until_the_last_attempt(conn, dsn, remotes):
    settings = _settings(dsn, **{"agents.max_attempts": 2})
    fixer = ScriptedGitFixer(
        dsn, remotes, fail={"acme/a#1": "tests still fail after the fix"}, crash={"acme/b#4"}
    )
    report = run_agent(settings, dsn, fixer, exit_when_idle=True)
    by_issue: dict[str, list[str]] = {}
    for attempt in report.attempts:
        by_issue.setdefault(attempt.issue, []).append(attempt.status)
    assert by_issue == {
        "acme/a#1": ["available", "failed"],
        "acme/b#4": ["available", "failed"],
        "gopher/c#2": ["completed"],
    }
    states = _statuses(conn)
    assert states["acme/a#1"] == ("failed", 2, None, "tests still fail after the fix")
    assert states["acme/b#4"][3] == "fix crashed: ValueError: scripted crash on acme/b#4"
    assert pushed_branches(remotes, "acme/a") == []


def test_spent_weekly_budget_stops_the_agent_and_says_why(conn, dsn, remotes):
    llm_usage.reserve(conn, 1_000, llm_usage.Limits(1_000))
    conn.commit()
    calls: list[str] = []

    def never(settings, claimed):
        calls.append(claimed.key)
        return FixOutcome(True, "should not run")

    settings = _settings(dsn, **{"budget.weekly_token_budget": 1_000})
    report = run_agent(settings, dsn, never)
    assert calls == [] and report.attempts == []
    assert report.stopped_because.startswith("weekly token budget exhausted (1,000 of 1,000")


def test_a_stop_request_finishes_the_attempt_then_stops(dsn, remotes):
    import threading

    stop = threading.Event()

    def after(attempt: AttemptReport) -> None:
        stop.set()

    report = run_agent(
        _settings(dsn), dsn, ScriptedGitFixer(dsn, remotes), stop=stop, on_attempt=after
    )
    assert [a.status for a in report.attempts] == ["completed"]
    assert report.stopped_because == "stopped by request"


def test_fix_one_claims_exactly_the_target(conn, dsn, remotes):
    settings = _settings(dsn)
    got = agent_service.fix_one(
        settings, dsn, ScriptedGitFixer(dsn, remotes), target=("gopher/c", 2)
    )
    assert isinstance(got, AttemptReport) and got.issue == "gopher/c#2"
    again = agent_service.fix_one(
        settings, dsn, ScriptedGitFixer(dsn, remotes), target=("gopher/c", 2)
    )
    assert again.issue is None and again.reason == "gopher/c#2 is completed"


def test_cli_agent_run_without_a_fixer_says_so(dsn, capsys, monkeypatch):
    def missing():
        raise RuntimeError("no fixer in this build (globallm_assets/services/fix.py is missing)")

    monkeypatch.setattr(agent_service, "default_fix_function", missing)
    assert cli("--database-url", dsn, "agent", "run") == 1
    assert "no fixer in this build" in capsys.readouterr().err


def test_cli_agent_run_reports_each_attempt_and_why_it_stopped(dsn, remotes, capsys, monkeypatch):
    monkeypatch.setattr(
        agent_service, "default_fix_function", lambda: ScriptedGitFixer(dsn, remotes)
    )
    code = cli("--database-url", dsn, "agent", "run", "--max-fixes", "1", "--export", "json")
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert data["agent_id"] == AgentIdentity.current().id
    assert [a["status"] for a in data["attempts"]] == ["completed"]
    assert cli("--database-url", dsn, "agent", "run", "--exit-when-idle") == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "✓ completed acme/b#4" in out and "✓ completed gopher/c#2" in out
    assert "stopped: no available issues (2 completed of 2 attempts)" in out
    assert cli("--database-url", dsn, "agent", "run", "--max-fixes", "0") == 2


def test_limits_changed_while_the_agent_runs_apply_at_its_next_claim(dsn, remotes):
    from globallm_assets.config_file import set_config_value
    from globallm_assets.settings import default_config_path

    def tighten(attempt: AttemptReport) -> None:
        # After the first fix, an operator caps the fleet at one issue per language.
        set_config_value(default_config_path(), "budget.max_issues_per_language", "1")

    settings = _settings(dsn)
    report = run_agent(
        settings,
        dsn,
        ScriptedGitFixer(dsn, remotes),
        exit_when_idle=True,
        on_attempt=tighten,
        reload=lambda: _settings(dsn),
    )
    # python already had its one claim: only the go issue is taken next.
    assert [a.issue for a in report.attempts] == ["acme/a#1", "gopher/c#2"]
    assert "per-language issue cap" in report.stopped_because
