"""Checks on the analysis assets: score ranges and a non-empty graph."""

import dagster as dg

from globallm_assets.defs.metadata import check_spec, range_check, range_spec
from globallm_assets.services.analysis import (
    GraphReport,
    HealthReport,
    ImpactReport,
    VerdictReport,
)

GRAPH_NOT_EMPTY = "graph_not_empty"
VERDICTS_MATCH = "verdicts_match_thresholds"

health_range_spec = range_spec("repository_health")
impact_range_spec = range_spec("impact_scores")
graph_not_empty_spec = check_spec(
    GRAPH_NOT_EMPTY, "dependency_graph", "At least one edge.", per_language=False
)


def health_in_range(report: HealthReport) -> dg.AssetCheckResult:
    return range_check("repository_health", report.scores)


def impact_in_range(report: ImpactReport) -> dg.AssetCheckResult:
    return range_check("impact_scores", report.scores)


def graph_not_empty(report: GraphReport) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        check_name=GRAPH_NOT_EMPTY, passed=report.edges > 0, metadata={"edges": report.edges}
    )


verdicts_match_spec = check_spec(
    VERDICTS_MATCH,
    "repository_verdicts",
    "Approved exactly when health and impact are both above their thresholds.",
    per_language=True,
    blocking=True,
)


def verdicts_match(report: VerdictReport) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        check_name=VERDICTS_MATCH,
        passed=not report.inconsistent,
        metadata={"inconsistent": len(report.inconsistent), "checked": len(report.rows)},
    )
