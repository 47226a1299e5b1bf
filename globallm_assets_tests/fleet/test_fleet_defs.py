"""Fleet automation: sensors evaluated with build_sensor_context against the real store, and real
in-process Dagster runs of the fleet jobs (the fixer swapped for the git-backed test double)."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import psycopg
import pytest
from pydantic import Field

from globallm_assets.defs.fleet.jobs import fix_job, stale_cleanup_job
from globallm_assets.defs.fleet.resources import FixerResource, FleetResource
from globallm_assets.defs.fleet.sensors import (
    fix_sensor,
    pr_outcome_sensor,
    stale_assignment_sensor,
)
from globallm_assets.store import claims, llm_usage
from globallm_assets_tests.fleet.doubles import ScriptedGitFixer, make_remote, pushed_branches
from globallm_assets_tests.fleet.seed import seed

REPOS = {"acme/a": "python", "acme/b": "python", "gopher/c": "go"}


class ScriptedGitFixerResource(FixerResource):
    """Test double: fix runs use ``ScriptedGitFixer`` (real git, no model, no forge)."""

    dsn: str
    remotes: str
    fail: dict[str, str] = Field(default_factory=dict)

    def fix_function(self):
        return ScriptedGitFixer(self.dsn, Path(self.remotes), fail=self.fail)


@pytest.fixture
def world(conn: psycopg.Connection, dsn: str, use_store) -> psycopg.Connection:
    # Resources read the store's location from the environment only (defs/resources.py).
    use_store(dsn)
    seed(
        conn,
        REPOS,
        [("acme/a", 1, 0.9), ("acme/a", 2, 0.85), ("acme/b", 4, 0.8), ("gopher/c", 2, 0.7)],
    )
    return conn


@pytest.fixture
def instance(dsn: str, monkeypatch: pytest.MonkeyPatch) -> dg.DagsterInstance:
    # Resources find the store the way every run does: through the environment.
    monkeypatch.setenv("GLOBALLM_DATABASE_URL", dsn)
    return dg.DagsterInstance.ephemeral()


def _fleet() -> FleetResource:
    return FleetResource()


def _tick(sensor, instance, cursor=None):
    with dg.build_sensor_context(
        instance=instance, cursor=cursor, resources={"fleet": _fleet()}
    ) as context:
        return sensor(context)


def _keys(result) -> list[str]:
    return [r.run_key for r in result.run_requests]


def test_fix_sensor_requests_one_run_per_free_repository_slot(world, dsn, instance):
    result = _tick(fix_sensor, instance)
    assert _keys(result) == [
        "fix:acme/a#1:attempt-1:rankings-0",
        "fix:acme/b#4:attempt-1:rankings-0",
        "fix:gopher/c#2:attempt-1:rankings-0",
    ]
    ops = result.run_requests[0].run_config["ops"]["fix_issue"]["config"]
    assert ops == {"repository": "acme/a", "number": 1}
    assert result.cursor == '{"rankings": 0}'


def test_the_same_tick_twice_requests_the_same_run_keys(world, dsn, instance):
    first = _tick(fix_sensor, instance, cursor='{"rankings": 0}')
    again = _tick(fix_sensor, instance, cursor='{"rankings": 0}')
    assert _keys(first) == _keys(again) and len(_keys(first)) == 3


def test_a_failed_attempt_gets_a_new_run_key(world, dsn, instance):
    claims.claim(world, "agent-1", _limits(), target=("acme/a", 1))
    claims.fail(world, "agent-1", "acme/a", 1, "tests fail", max_attempts=3)
    world.commit()
    assert "fix:acme/a#1:attempt-2:rankings-0" in _keys(_tick(fix_sensor, instance))


def test_exhausted_budget_requests_no_runs(world, dsn, instance, monkeypatch):
    monkeypatch.setenv("GLOBALLM_BUDGET__WEEKLY_TOKEN_BUDGET", "1000")
    llm_usage.reserve(world, 1_000, llm_usage.Limits(1_000))
    world.commit()
    result = _tick(fix_sensor, instance)
    assert not result.run_requests
    assert result.skip_reason.skip_message.startswith("weekly token budget exhausted")


def test_no_free_agent_slots_requests_no_runs(world, dsn, instance, monkeypatch):
    monkeypatch.setenv("GLOBALLM_AGENTS__MAX_CONCURRENT_FIX_RUNS", "2")
    for number in (1, 2):
        instance.create_run_for_job(
            fix_job,
            run_config={"ops": {"fix_issue": {"config": {"repository": "x/y", "number": number}}}},
            status=dg.DagsterRunStatus.STARTED,
        )
    result = _tick(fix_sensor, instance)
    assert not result.run_requests
    assert result.skip_reason.skip_message == "no free agent slots (2 fix runs in flight)"
    monkeypatch.setenv("GLOBALLM_AGENTS__MAX_CONCURRENT_FIX_RUNS", "3")
    assert len(_keys(_tick(fix_sensor, instance))) == 1


def test_stale_sensor_requests_one_cleanup_per_stale_set(world, dsn, instance):
    assert isinstance(_tick(stale_assignment_sensor, instance), dg.SkipReason)
    claims.claim(world, "dead-1", _limits())
    world.execute("UPDATE issues SET last_heartbeat_at = now() - interval '2 hours'")
    world.commit()
    first = _tick(stale_assignment_sensor, instance)
    again = _tick(stale_assignment_sensor, instance)
    assert first.run_key == again.run_key == "stale:acme/a#1@0:dead-1"
    result = stale_cleanup_job.execute_in_process(instance=instance, resources={"fleet": _fleet()})
    assert result.success
    assert world.execute(
        "SELECT assignment_status, attempts FROM issues WHERE number = 1 AND repository = 'acme/a'"
    ).fetchone() == ("available", 1)


def test_pr_outcome_sensor_polls_only_while_a_pull_request_is_open(world, instance):
    assert _tick(pr_outcome_sensor, instance).skip_message == "no open pull requests"
    world.execute(
        "INSERT INTO pr_outcomes (forge, repository, number, issue_number, url, head_repository,"
        " head_branch, head_sha, base_branch, risk_level, draft) VALUES ('local', 'acme/a', 1,"
        " 1, 'x', 'acme/a', 'b', 'abc', 'main', 'LOW', false)"
    )
    world.commit()
    first, again = _tick(pr_outcome_sensor, instance), _tick(pr_outcome_sensor, instance)
    assert first.run_key.startswith("pr-outcomes:") and first.run_key == again.run_key


def _limits():
    from globallm_assets.services.claim import claim_limits
    from globallm_assets.settings import load_settings

    return claim_limits(load_settings())


def _run_fix(instance, dsn, remotes, repository, number, **fixer):
    return fix_job.execute_in_process(
        run_config={"ops": {"fix_issue": {"config": {"repository": repository, "number": number}}}},
        instance=instance,
        resources={
            "fleet": _fleet(),
            "fixer": ScriptedGitFixerResource(dsn=dsn, remotes=str(remotes), **fixer),
        },
        raise_on_error=False,
    )


def test_fix_job_run_claims_fixes_settles_and_completes(world, dsn, instance, tmp_path):
    remotes = tmp_path / "remotes"
    make_remote(remotes, "acme/b")
    result = _run_fix(instance, dsn, remotes, "acme/b", 4)
    assert result.success
    assert fix_job.tags == {"globallm/stage": "fix"}
    assert pushed_branches(remotes, "acme/b") == ["globallm/issue-4"]
    assert world.execute(
        "SELECT assignment_status, result FROM issues WHERE repository = 'acme/b'"
    ).fetchone() == ("completed", "pushed globallm/issue-4 (scripted test fixer)")
    assert world.execute("SELECT purpose, state FROM budget_reservations").fetchall() == [
        ("fix", "settled")
    ]
    # The sensor's duplicate (or a re-execution) finds the issue done and ends quietly.
    again = _run_fix(instance, dsn, remotes, "acme/b", 4)
    assert again.success
    assert pushed_branches(remotes, "acme/b") == ["globallm/issue-4"]


def test_failed_fix_run_fails_and_returns_the_issue_to_the_pool(world, dsn, instance, tmp_path):
    remotes = tmp_path / "remotes"
    make_remote(remotes, "gopher/c")
    result = _run_fix(instance, dsn, remotes, "gopher/c", 2, fail={"gopher/c#2": "tests fail"})
    assert not result.success
    assert world.execute(
        "SELECT assignment_status, attempts, last_error FROM issues WHERE repository = 'gopher/c'"
    ).fetchone() == ("available", 1, "tests fail")


def _insert_pr(conn, number, *, state="open", risk="LOW", auto_merge="off", decided_days_ago=None):
    """A pull request GlobaLLM opened on acme/a, decided ``decided_days_ago`` days ago."""
    conn.execute(
        "INSERT INTO pr_outcomes (forge, repository, number, issue_number, url, head_repository,"
        " head_branch, head_sha, base_branch, risk_level, draft, state, auto_merge, opened_at,"
        " merged_at, closed_at) VALUES ('local', 'acme/a', %(n)s, 1, 'x', 'acme/a', 'b', 'abc',"
        " 'main', %(risk)s, false, %(state)s, %(auto)s, now() - interval '120 days',"
        " CASE WHEN %(state)s = 'merged' THEN now() - make_interval(days => %(ago)s) END,"
        " CASE WHEN %(state)s <> 'open' THEN now() - make_interval(days => %(ago)s) END)",
        {"n": number, "risk": risk, "state": state, "auto": auto_merge, "ago": decided_days_ago},
    )


def _materialize_outcomes(instance):
    """pr_outcomes_job as the sensor launches it: the job resolved from the fleet's definitions."""
    from globallm_assets.defs.fleet import defs

    return defs.resolve_job_def("pr_outcomes_job").execute_in_process(instance=instance)


def test_pr_outcomes_job_polls_the_forge(world, instance, monkeypatch, tmp_path):
    monkeypatch.setenv("GLOBALLM_FORGE__KIND", "local")
    monkeypatch.setenv("GLOBALLM_FORGE__LOCAL_ROOT", str(tmp_path / "forge"))
    _insert_pr(world, 1)
    world.commit()
    result = _materialize_outcomes(instance)
    assert result.success
    logged = [entry.user_message for entry in instance.all_logs(result.run_id)]
    # The open pull request was asked for; acme/a is not hosted on this forge, so it failed.
    assert "0 refreshed, 0 merged, 0 closed, 0 auto-merge armed, 1 error(s)" in logged
    event = instance.get_latest_materialization_event(dg.AssetKey("pr_outcomes"))
    assert event is not None and event.asset_materialization.metadata["open"].value == 1


def test_pr_outcomes_shows_the_merge_rate_week_by_week(world, instance, monkeypatch, tmp_path):
    monkeypatch.setenv("GLOBALLM_FORGE__KIND", "local")
    monkeypatch.setenv("GLOBALLM_FORGE__LOCAL_ROOT", str(tmp_path / "forge"))
    # Three weeks ago: 1 merged, 1 closed (50 %); this week: 2 merged (100 %); one auto-merged
    # MEDIUM-risk pull request, which the check must flag.
    _insert_pr(world, 1, state="merged", decided_days_ago=21)
    _insert_pr(world, 2, state="closed", decided_days_ago=21)
    _insert_pr(world, 3, state="merged", decided_days_ago=0)
    _insert_pr(world, 4, state="merged", risk="MEDIUM", auto_merge="merged", decided_days_ago=0)
    world.commit()
    result = _materialize_outcomes(instance)
    assert result.success
    metadata = result.asset_materializations_for_node("pr_outcomes")[0].metadata
    assert metadata["dagster/row_count"].value == 4
    assert metadata["merge_rate"].value == 0.75
    chart = metadata["merge_rate_over_time"].value.strip("`\n").splitlines()
    assert len(chart) == 12
    assert chart[-1].endswith("100% (2 of 2)")
    assert sum(line.endswith(" 50% (1 of 2)") for line in chart) == 1
    assert sum("none decided" in line for line in chart) == 10
    weeks = metadata["by_week"].value.records
    assert sum(w.data["merged"] for w in weeks) == 3 and sum(w.data["opened"] for w in weeks) == 0
    (check,) = result.get_asset_check_evaluations()
    assert not check.passed
    assert check.metadata["examples"].value == "acme/a#4 (MEDIUM)"
