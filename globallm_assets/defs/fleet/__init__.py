"""Fleet automation: fix runs launched by a sensor under budget and slot limits, cleanup of
stale claims, and the ``pr_outcomes`` asset refreshing pull-request outcomes."""

import dagster as dg

from globallm_assets.defs.fleet.assets import pr_outcomes, pr_outcomes_job
from globallm_assets.defs.fleet.jobs import fix_job, stale_cleanup_job
from globallm_assets.defs.fleet.resources import FixerResource, FleetResource
from globallm_assets.defs.fleet.sensors import (
    fix_sensor,
    pr_outcome_sensor,
    stale_assignment_sensor,
)

fleet_jobs = [fix_job, stale_cleanup_job, pr_outcomes_job]
fleet_sensors = [fix_sensor, stale_assignment_sensor, pr_outcome_sensor]
fleet_resources = {"fleet": FleetResource(), "fixer": FixerResource()}

defs = dg.Definitions(
    assets=[pr_outcomes], jobs=fleet_jobs, sensors=fleet_sensors, resources=fleet_resources
)

__all__ = ["defs", "fleet_jobs", "fleet_resources", "fleet_sensors", "pr_outcomes"]
