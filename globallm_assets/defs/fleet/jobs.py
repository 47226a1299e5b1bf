"""Fleet jobs: one fix run per claimed issue and the stale-claim cleanup (the PR-outcome refresh
is the ``pr_outcomes`` asset's job, in ``assets.py``)."""

import dagster as dg

from globallm_assets.defs.fleet.resources import FixerResource, FleetResource
from globallm_assets.services import agent as agent_service
from globallm_assets.services.agent import AttemptReport

# dagster.yaml's run queue limits runs carrying this tag (tag_concurrency_limits), so parallel fix
# runs stay within agents.max_concurrent_fix_runs even when runs are launched by hand.
FIX_RUN_TAGS = {"globallm/stage": "fix"}


class FixIssueConfig(dg.Config):
    """The issue a fix run claims and works on (chosen by ``fix_sensor`` or by hand)."""

    repository: str
    number: int


@dg.op(tags=FIX_RUN_TAGS)
def fix_issue(
    context: dg.OpExecutionContext,
    config: FixIssueConfig,
    fleet: FleetResource,
    fixer: FixerResource,
) -> None:
    """Claim the issue, fix it while heartbeating (PR included), settle the run's budget and
    complete or fail the claim. An issue someone else claimed first ends the run quietly."""
    key = f"{config.repository}#{config.number}"
    outcome = agent_service.fix_one(
        fleet.settings(),
        fleet.dsn(),
        fixer.fix_function(),
        target=(config.repository, config.number),
    )
    if not isinstance(outcome, AttemptReport):
        context.log.info(f"{key}: not claimed: {outcome.reason}")
        return
    summary = f"{key}: {outcome.status} in {outcome.seconds:.1f} s: {outcome.detail}"
    if outcome.status != "completed":
        raise dg.Failure(
            description=summary,
            metadata={"issue": key, "status": outcome.status, "detail": outcome.detail},
        )
    context.log.info(summary)


@dg.job(tags=FIX_RUN_TAGS, description="One fix attempt on one issue (launched by fix_sensor).")
def fix_job() -> None:
    fix_issue()


@dg.op
def release_stale_claims(context: dg.OpExecutionContext, fleet: FleetResource) -> None:
    """Claims without a heartbeat for agents.heartbeat_timeout go back to the pool
    (attempts + 1), or are failed at the last attempt."""
    released = fleet.cleanup_stale()
    for item in released:
        context.log.info(
            f"{item.repository}#{item.number}: {item.status} (was {item.agent_id}, "
            f"attempts {item.attempts})"
        )


@dg.job(description="Return the claims of agents that stopped heartbeating to the pool.")
def stale_cleanup_job() -> None:
    release_stale_claims()
