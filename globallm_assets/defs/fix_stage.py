"""The fix stage of `globallm run` and `globallm demo`: the fleet's own jobs, run in this process.

After the ranking, the ``count`` issues a claim would take next (every cap, the budget and, in
the simulated world, only repositories a forge hosts) each get a ``fix_job`` run — the job the
fix sensor launches: claim, sandboxed fix and validation, pull request, risk review, auto-merge
— and then one ``pr_outcomes_job`` run polls the forge and learns from the outcomes. A failed
fix fails its run (visible in `globallm dev`) but not the stage.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import dagster as dg

from globallm_assets.defs.pipeline import PipelineFailed, Stage, run_job
from globallm_assets.settings import Settings

FIX = Stage("fix_job", per_language=False)
PR_OUTCOMES = Stage("pr_outcomes_job", per_language=False)


@dataclass(frozen=True)
class FixRun:
    issue: str  # owner/name#number
    run_id: str | None
    succeeded: bool
    detail: str  # the failure's one line, empty on success


@dataclass(frozen=True)
class FixStage:
    planned: list[str]  # the issues chosen, best first
    runs: list[FixRun]
    not_planned: str | None  # why no issue was chosen, if none was
    outcome_run_id: str | None


def run_fix_stage(
    instance: dg.DagsterInstance,
    settings: Settings,
    dsn: str,
    count: int,
    *,
    tags: dict[str, str] | None = None,
    on_planned: Callable[[list[str]], None] | None = None,
    on_start: Callable[[Stage, str | None], None] | None = None,
    on_done: Callable[[Stage, str | None], None] | None = None,
) -> FixStage:
    """Fix up to ``count`` issues, one fix_job run each, then refresh the PR outcomes."""
    from globallm_assets.services.claim import fleet_snapshot

    snapshot = fleet_snapshot(settings, dsn, count)
    planned = [f"{repo}#{number}" for repo, number, _ in snapshot.candidates]
    if on_planned:
        on_planned(planned)
    runs: list[FixRun] = []
    for repository, number, _ in snapshot.candidates:
        key = f"{repository}#{number}"
        if on_start:
            on_start(FIX, key)
        config = {"ops": {"fix_issue": {"config": {"repository": repository, "number": number}}}}
        run_tags = {**(tags or {}), "globallm/stage": "fix", "globallm/issue": key}
        try:
            result = run_job(instance, FIX.job, tags=run_tags, run_config=config)
            runs.append(FixRun(key, result.run_id, True, ""))
        except PipelineFailed as exc:
            runs.append(FixRun(key, None, False, str(exc)))
        if on_done:
            on_done(FIX, key)
    outcome_run = None
    if runs:
        if on_start:
            on_start(PR_OUTCOMES, None)
        outcome_tags = {**(tags or {}), "globallm/stage": "pr_outcomes"}
        outcome_run = run_job(instance, PR_OUTCOMES.job, tags=outcome_tags).run_id
        if on_done:
            on_done(PR_OUTCOMES, None)
    not_planned = None
    if not planned:
        not_planned = snapshot.exhausted or "no available issue within the caps and the budget"
    return FixStage(planned, runs, not_planned, outcome_run)
