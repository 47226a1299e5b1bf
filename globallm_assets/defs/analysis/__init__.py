"""Analysis: health, the dependency graph, impact and the verdict per repository."""

import dagster as dg

from globallm_assets.defs.analysis.assets import (
    dependency_graph,
    impact_scores,
    repository_health,
    repository_verdicts,
)
from globallm_assets.defs.analysis.jobs import (
    analysis_job,
    daily_analysis,
    daily_dependency_graph,
    graph_job,
)

defs = dg.Definitions(
    assets=[repository_health, dependency_graph, impact_scores, repository_verdicts],
    jobs=[graph_job, analysis_job],
    schedules=[daily_dependency_graph, daily_analysis],
)
