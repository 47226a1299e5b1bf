"""The one Dagster ``Definitions`` object of the GlobaLLM code location.

Import stays cheap: building these objects touches neither the network nor the database.
"""

import dagster as dg

from globallm_assets.defs.analysis import (
    analysis_assets,
    analysis_job,
    daily_analysis,
    daily_dependency_graph,
    graph_job,
)
from globallm_assets.defs.fleet import fleet_jobs, fleet_resources, fleet_sensors
from globallm_assets.defs.ranking import daily_ranking, ranking_assets, ranking_job
from globallm_assets.defs.resources import PostgresResource, SourceResource

defs = dg.Definitions(
    assets=[*analysis_assets, *ranking_assets],
    jobs=[analysis_job, graph_job, ranking_job, *fleet_jobs],
    schedules=[daily_dependency_graph, daily_analysis, daily_ranking],
    sensors=fleet_sensors,
    resources={"store": PostgresResource(), "source": SourceResource(), **fleet_resources},
)
