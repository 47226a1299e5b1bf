"""Analysis assets: repository_health → dependency_graph → impact_scores → repository_verdicts."""

from typing import Any

import dagster as dg

from globallm_assets.defs.analysis import checks
from globallm_assets.defs.metadata import markdown_table, score_summary
from globallm_assets.defs.partitions import language_partitions
from globallm_assets.defs.resources import SourceResource, StoreResource
from globallm_assets.services import analysis
from globallm_assets.services.analysis import (
    GraphReport,
    HealthReport,
    ImpactReport,
    VerdictReport,
)


def health_metadata(report: HealthReport) -> dict[str, Any]:
    top = sorted(report.rows, key=lambda r: r[1], reverse=True)[:10]
    return {
        **score_summary(report.scores),
        "top_10": dg.MetadataValue.md(
            markdown_table(["repository", "health"], [(n, s) for n, s, _ in top])
        ),
        "gone_from_source": len(report.gone),
    }


@dg.asset(
    partitions_def=language_partitions,
    deps=["repositories"],
    group_name="analysis",
    kinds={"postgres"},
    check_specs=[checks.health_range_spec],
)
def repository_health(
    context: dg.AssetExecutionContext, store: StoreResource, source: SourceResource
) -> dg.MaterializeResult:
    """HealthScore in [0, 1] per repository (`core/health.py`), every component kept in
    `repositories.health`; missing signals are listed, not dropped."""
    report = analysis.score_health(
        store.settings(), source.repositories(), store.dsn(), language=context.partition_key
    )
    return dg.MaterializeResult(
        metadata=health_metadata(report), check_results=[checks.health_in_range(report)]
    )


def graph_metadata(report: GraphReport) -> dict[str, Any]:
    return {
        "edges": report.edges,
        "edges_by_ecosystem": dg.MetadataValue.json(report.edges_by_ecosystem),
        "skipped_ecosystems": dg.MetadataValue.json(report.skipped),
    }


@dg.asset(
    deps=["repositories"],
    group_name="analysis",
    kinds={"postgres"},
    check_specs=[checks.graph_not_empty_spec],
)
def dependency_graph(store: StoreResource, source: SourceResource) -> dg.MaterializeResult:
    """Repository → repository dependency edges (`dependency_edges`), one ecosystem at a time,
    mapped from package dependencies in the registries (or the simulated world)."""
    report = analysis.build_graph(store.settings(), source.package_index, store.dsn())
    return dg.MaterializeResult(
        metadata=graph_metadata(report), check_results=[checks.graph_not_empty(report)]
    )


def impact_metadata(report: ImpactReport) -> dict[str, Any]:
    top = sorted(report.rows, key=lambda r: r[1], reverse=True)[:10]
    return {
        **score_summary(report.scores),
        "graph_edges": report.graph_edges,
        "top_10": dg.MetadataValue.md(
            markdown_table(
                ["repository", "impact", "direct dependents"],
                [(n, s, parts.get("direct_dependents")) for n, s, parts in top],
            )
        ),
    }


@dg.asset(
    partitions_def=language_partitions,
    deps=["dependency_graph", "repositories"],
    group_name="analysis",
    kinds={"postgres"},
    check_specs=[checks.impact_range_spec],
)
def impact_scores(context: dg.AssetExecutionContext, store: StoreResource) -> dg.MaterializeResult:
    """ImpactScore in [0, 1] per repository (`core/impact.py`): dependents, PageRank, reach,
    betweenness, stars, forks, computed on the ecosystem's whole graph, every component kept."""
    report = analysis.score_impact(store.settings(), store.dsn(), language=context.partition_key)
    return dg.MaterializeResult(
        metadata=impact_metadata(report), check_results=[checks.impact_in_range(report)]
    )


def verdict_metadata(report: VerdictReport) -> dict[str, Any]:
    approved = report.approved
    return {
        "rows": len(report.rows),
        "approved": len(approved),
        "rejected": len(report.rows) - len(approved),
        "approved_sample": dg.MetadataValue.md(
            markdown_table(["repository"], [(n,) for n in approved[:10]])
        ),
    }


@dg.asset(
    partitions_def=language_partitions,
    deps=["repository_health", "impact_scores"],
    group_name="analysis",
    kinds={"postgres"},
    check_specs=[checks.verdicts_match_spec],
)
def repository_verdicts(
    context: dg.AssetExecutionContext, store: StoreResource
) -> dg.MaterializeResult:
    """`worth_working_on` (health above its threshold and impact above its threshold) with a
    readable reason, per repository of the partition's language."""
    report = analysis.decide_verdicts(store.settings(), store.dsn(), language=context.partition_key)
    return dg.MaterializeResult(
        metadata=verdict_metadata(report), check_results=[checks.verdicts_match(report)]
    )
