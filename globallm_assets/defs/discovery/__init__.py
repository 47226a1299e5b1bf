"""Discovery: which repositories of each language are worth analysing at all."""

import dagster as dg

from globallm_assets.defs.discovery.assets import repositories
from globallm_assets.defs.discovery.jobs import daily_discovery, discovery_job

defs = dg.Definitions(assets=[repositories], jobs=[discovery_job], schedules=[daily_discovery])
