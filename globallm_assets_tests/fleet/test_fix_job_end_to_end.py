"""One real fix_job run on the simulated world and the local forge: the fleet's Dagster job
claims a planted issue, the project's fixer (replayed model, sandboxed validation) fixes it, the
local forge merges the pull request, the run's time is settled and the claim completed."""

from __future__ import annotations

import subprocess

import dagster as dg
import psycopg

from globallm_assets.defs.fleet.jobs import fix_job
from globallm_assets.defs.fleet.resources import FixerResource, FleetResource
from globallm_assets_tests.fixer.conftest import needs_sandbox
from globallm_assets_tests.fixer.test_fix_contribute import hosted  # noqa: F401 - a fixture

pytestmark = needs_sandbox


def test_fix_job_fixes_a_planted_issue_through_to_a_merged_pull_request(hosted: dict) -> None:  # noqa: F811
    dsn = hosted["dsn"]
    with psycopg.connect(dsn) as conn:
        conn.execute("UPDATE repositories SET worth_working_on = true")
        conn.execute(
            "INSERT INTO issue_rankings (repository, number, priority) "
            "SELECT repository, number, 0.9 FROM issues"
        )
    result = fix_job.execute_in_process(
        run_config={
            "ops": {"fix_issue": {"config": {"repository": "planted/textstats", "number": 12}}}
        },
        instance=dg.DagsterInstance.ephemeral(),
        resources={"fleet": FleetResource(), "fixer": FixerResource()},
    )
    assert result.success
    with psycopg.connect(dsn) as conn:
        status, result_text = conn.execute(
            "SELECT assignment_status, result FROM issues WHERE number = 12"
        ).fetchone()
        runs = conn.execute(
            "SELECT purpose, state, used_seconds FROM budget_reservations WHERE purpose = 'fix'"
        ).fetchall()
    assert status == "completed" and "planted/textstats" in result_text
    assert [(p, s) for p, s, _ in runs] == [("fix", "settled")] and runs[0][2] < 900
    fixed = subprocess.run(
        ["git", "show", "main:textstats/core.py"],
        cwd=hosted["bare"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "if not items:" in fixed  # the merged fix is on the base branch
