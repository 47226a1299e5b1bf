"""Checks on the analysis assets: score ranges and a non-empty graph."""

import dagster as dg

from globallm_assets.defs.metadata import range_check, range_spec
from globallm_assets.services.analysis import GraphReport, HealthReport, ImpactReport

GRAPH_NOT_EMPTY = "graph_not_empty"

health_range_spec = range_spec("repository_health")
impact_range_spec = range_spec("impact_scores")
graph_not_empty_spec = dg.AssetCheckSpec(
    GRAPH_NOT_EMPTY, asset="dependency_graph", description="At least one edge."
)


def health_in_range(report: HealthReport) -> dg.AssetCheckResult:
    return range_check("repository_health", report.scores)


def impact_in_range(report: ImpactReport) -> dg.AssetCheckResult:
    return range_check("impact_scores", report.scores)


def graph_not_empty(report: GraphReport) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        check_name=GRAPH_NOT_EMPTY, passed=report.edges > 0, metadata={"edges": report.edges}
    )
