"""Fleet sensors: launch fix runs while budget and agent slots remain, clean up stale claims,
and refresh PR outcomes. Each reads PostgreSQL through ``FleetResource`` and gives every run a
deterministic key, so a re-evaluated tick never launches anything twice."""

import json
import time

import dagster as dg

from globallm_assets.defs.fleet.assets import pr_outcomes_job
from globallm_assets.defs.fleet.jobs import FixIssueConfig, fix_job, stale_cleanup_job
from globallm_assets.defs.fleet.resources import FleetResource

RANKINGS = dg.AssetKey("issue_rankings")
IN_FLIGHT = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.CANCELING,
]
PR_OUTCOME_INTERVAL = 900  # seconds between PR-outcome polls (GitHub quota is shared)


def fix_run_key(repository: str, number: int, attempts: int, generation: int) -> str:
    """One run per issue, attempt and ranking generation: a failed attempt (attempts + 1) or a
    new ranking may launch the issue again; re-evaluating a tick never does."""
    return f"fix:{repository}#{number}:attempt-{attempts + 1}:rankings-{generation}"


def _latest_rankings(instance: dg.DagsterInstance) -> int:
    """Storage id of the newest issue_rankings materialization (0 before the first)."""
    event = instance.get_latest_materialization_event(RANKINGS)
    return event.storage_id if event is not None else 0


@dg.sensor(
    job=fix_job,
    minimum_interval_seconds=60,
    description="Launch fix runs for the top available issues while budget and slots remain.",
)
def fix_sensor(context: dg.SensorEvaluationContext, fleet: FleetResource) -> dg.SensorResult:
    """Cursor: ``{"rankings": <storage id>}``, the ranking generation the run keys belong to."""
    generation = _latest_rankings(context.instance)
    previous = json.loads(context.cursor) if context.cursor else {}
    cursor = json.dumps({"rankings": generation})
    if generation != previous.get("rankings"):
        context.log.info(f"new issue rankings (event {generation})")
    in_flight = context.instance.get_runs_count(
        dg.RunsFilter(job_name=fix_job.name, statuses=IN_FLIGHT)
    )
    slots = fleet.max_fix_runs() - in_flight
    if slots <= 0:
        return dg.SensorResult(
            skip_reason=f"no free agent slots ({in_flight} fix runs in flight)", cursor=cursor
        )
    snapshot = fleet.snapshot(limit=slots)
    if snapshot.exhausted:
        return dg.SensorResult(skip_reason=snapshot.exhausted, cursor=cursor)
    if not snapshot.candidates:
        return dg.SensorResult(
            skip_reason="no available issue within the caps and the budget", cursor=cursor
        )
    requests = [
        dg.RunRequest(
            run_key=fix_run_key(repository, number, attempts, generation),
            run_config=dg.RunConfig(
                ops={"fix_issue": FixIssueConfig(repository=repository, number=number)}
            ),
            tags={"globallm/issue": f"{repository}#{number}"},
        )
        for repository, number, attempts in snapshot.candidates
    ]
    return dg.SensorResult(run_requests=requests, cursor=cursor)


@dg.sensor(
    job=stale_cleanup_job,
    minimum_interval_seconds=60,
    description="Return claims of agents that stopped heartbeating to the pool.",
)
def stale_assignment_sensor(
    context: dg.SensorEvaluationContext, fleet: FleetResource
) -> dg.RunRequest | dg.SkipReason:
    stale = fleet.stale_claims()
    if not stale:
        return dg.SkipReason("no stale claims")
    # The set of stale claims names the run: the same stale set is never cleaned twice.
    keys = sorted(
        f"{row['repository']}#{row['number']}@{row['attempts']}:{row['agent_id']}" for row in stale
    )
    return dg.RunRequest(run_key="stale:" + ",".join(keys)[:400])


@dg.sensor(
    job=pr_outcomes_job,
    minimum_interval_seconds=60,
    description="Refresh pull-request outcomes every 15 minutes while any is open.",
)
def pr_outcome_sensor(
    context: dg.SensorEvaluationContext, fleet: FleetResource
) -> dg.RunRequest | dg.SkipReason:
    if fleet.open_pull_requests() == 0:
        return dg.SkipReason("no open pull requests")
    window = int(time.time() // PR_OUTCOME_INTERVAL)
    return dg.RunRequest(run_key=f"pr-outcomes:{window}")
