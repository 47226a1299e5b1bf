"""Analysis jobs (run by `globallm run` and from the UI; automation needs none)."""

import dagster as dg

graph_job = dg.define_asset_job(
    "dependency_graph_job",
    selection=dg.AssetSelection.assets("dependency_graph"),
    description="Rebuild the cross-language dependency graph from the registries.",
)
analysis_job = dg.define_asset_job(
    "analysis_job",
    selection=dg.AssetSelection.assets("repository_health", "impact_scores", "repository_verdicts"),
    description="Analyze one language: health → impact → verdicts.",
)
