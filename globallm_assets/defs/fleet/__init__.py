"""Fleet automation: fix runs launched by a sensor under budget and slot limits, cleanup of
stale claims, and the refresh of pull-request outcomes."""

import dagster as dg

from globallm_assets.defs.fleet.jobs import fix_job, pr_outcomes_job, stale_cleanup_job
from globallm_assets.defs.fleet.resources import FixerResource, FleetResource
from globallm_assets.defs.fleet.sensors import (
    fix_sensor,
    pr_outcome_sensor,
    stale_assignment_sensor,
)
from globallm_assets.defs.resources import StoreResource

defs = dg.Definitions(
    jobs=[fix_job, stale_cleanup_job, pr_outcomes_job],
    sensors=[fix_sensor, stale_assignment_sensor, pr_outcome_sensor],
    resources={"fleet": FleetResource(store=StoreResource()), "fixer": FixerResource()},
)
