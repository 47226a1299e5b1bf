"""Analysis assets: repository_health → dependency_graph → impact_scores → repository_verdicts."""

from typing import Any

import dagster as dg

from globallm_assets.defs.analysis import checks
from globallm_assets.defs.automation import ON_INPUT_CHANGE
from globallm_assets.defs.metadata import postgres_table, row_count, score_summary, top_table
from globallm_assets.defs.partitions import language_partitions
from globallm_assets.defs.resources import GITHUB_POOL, SourceResource, StoreResource
from globallm_assets.services import analysis
from globallm_assets.services.analysis import (
    GraphReport,
    HealthReport,
    ImpactReport,
    VerdictReport,
)

OWNERS = ["team:analysis"]
TAGS = {"globallm/domain": "analysis"}


def health_metadata(report: HealthReport) -> dict[str, Any]:
    top = sorted(report.rows, key=lambda r: r[1], reverse=True)[:10]
    return {
        **row_count(len(report.rows)),
        **score_summary(report.scores),
        "gone_from_source": len(report.gone),
        "top_10": top_table(
            [("repository", "string"), ("health", "float")], [(n, s) for n, s, _ in top]
        ),
    }


@dg.asset(
    partitions_def=language_partitions,
    deps=["repositories"],
    automation_condition=ON_INPUT_CHANGE,
    pool=GITHUB_POOL,
    group_name="analysis",
    kinds={"postgres"},
    owners=OWNERS,
    tags={**TAGS, "globallm/calls": "github"},
    code_version="1",
    metadata=postgres_table(
        "repositories",
        [
            ("name", "text", "owner/repo"),
            ("health_score", "double precision", "HealthScore in [0, 1]"),
            ("health", "jsonb", "every component, its weight and the missing signals"),
            ("health_at", "timestamptz", "when it was scored"),
        ],
    ),
    check_specs=[checks.health_range_spec],
)
def repository_health(
    context: dg.AssetExecutionContext, store: StoreResource, source: SourceResource
) -> dg.MaterializeResult:
    """HealthScore in [0, 1] per repository (`core/health.py`): commit velocity, open-issue
    ratio, CI pass rate and contributors, from fresh batch metadata. Every component is kept in
    `repositories.health`; missing signals are listed, not dropped; a repository gone from the
    source loses its score."""
    report = analysis.score_health(
        store.settings(), source.repositories(), store.dsn(), language=context.partition_key
    )
    return dg.MaterializeResult(
        metadata=health_metadata(report), check_results=[checks.health_in_range(report)]
    )


def graph_metadata(report: GraphReport) -> dict[str, Any]:
    return {
        **row_count(report.edges),
        "edges_by_ecosystem": top_table(
            [("ecosystem", "string"), ("edges", "int")],
            sorted(report.edges_by_ecosystem.items()),
        ),
        "skipped_ecosystems": top_table(
            [("ecosystem", "string"), ("reason", "string")], sorted(report.skipped.items())
        ),
    }


@dg.asset(
    deps=["repositories"],
    automation_condition=ON_INPUT_CHANGE,
    group_name="analysis",
    kinds={"postgres"},
    owners=OWNERS,
    tags={**TAGS, "globallm/calls": "registries"},
    code_version="1",
    metadata=postgres_table(
        "dependency_edges",
        [
            ("ecosystem", "text", "pypi, npm, crates, go or maven"),
            ("dependent", "text", "the repository that depends …"),
            ("dependency", "text", "… on this one"),
        ],
    ),
    check_specs=[checks.graph_not_empty_spec],
)
def dependency_graph(store: StoreResource, source: SourceResource) -> dg.MaterializeResult:
    """Repository → repository dependency edges (`dependency_edges`, with the package →
    repository mapping in `packages`), one ecosystem at a time, from the package registries (or
    the simulated world). Shared by every language; an unreachable registry keeps its
    ecosystem's previous edges."""
    report = analysis.build_graph(store.settings(), source.package_index, store.dsn())
    return dg.MaterializeResult(
        metadata=graph_metadata(report), check_results=[checks.graph_not_empty(report)]
    )


def impact_metadata(report: ImpactReport) -> dict[str, Any]:
    return {
        **row_count(len(report.scores)),
        **score_summary(report.scores),
        "graph_edges": report.graph_edges,
        # False: the ecosystem's inputs were unchanged (npm's other language, a re-run).
        "scored_now": report.scored_now,
        "rows_changed": report.rows_changed,
        "top_10": top_table(
            [("repository", "string"), ("impact", "float"), ("direct_dependents", "int")],
            [(n, s, parts.get("direct_dependents")) for n, s, parts in report.top],
        ),
    }


@dg.asset(
    partitions_def=language_partitions,
    deps=["dependency_graph", "repositories"],
    automation_condition=ON_INPUT_CHANGE,
    group_name="analysis",
    kinds={"postgres"},
    owners=OWNERS,
    tags=TAGS,
    code_version="1",
    metadata=postgres_table(
        "repositories",
        [
            ("name", "text", "owner/repo"),
            ("impact_score", "double precision", "ImpactScore in [0, 1]"),
            ("impact", "jsonb", "every component: dependents, PageRank, reach, betweenness, …"),
            ("impact_at", "timestamptz", "when it was scored"),
        ],
    ),
    check_specs=[checks.impact_range_spec],
)
def impact_scores(context: dg.AssetExecutionContext, store: StoreResource) -> dg.MaterializeResult:
    """ImpactScore in [0, 1] per repository (`core/impact.py`): direct and transitive
    dependents, PageRank, betweenness, stars and forks, computed on the ecosystem's whole graph,
    every component kept in `repositories.impact`. The graph is read and the scores written as
    arrays; an ecosystem is scored once for all its languages (npm: JavaScript and TypeScript)."""
    report = analysis.score_impact(store.settings(), store.dsn(), language=context.partition_key)
    return dg.MaterializeResult(
        metadata=impact_metadata(report), check_results=[checks.impact_in_range(report)]
    )


def verdict_metadata(report: VerdictReport) -> dict[str, Any]:
    approved = [row for row in report.rows if row[1]]
    return {
        **row_count(len(report.rows)),
        "approved": len(approved),
        "rejected": len(report.rows) - len(approved),
        "approved_sample": top_table(
            [("repository", "string"), ("reason", "string")],
            [(name, reason) for name, _, reason in approved[:10]],
        ),
    }


@dg.asset(
    partitions_def=language_partitions,
    deps=["repository_health", "impact_scores"],
    automation_condition=ON_INPUT_CHANGE,
    group_name="analysis",
    kinds={"postgres"},
    owners=OWNERS,
    tags=TAGS,
    code_version="1",
    metadata=postgres_table(
        "repositories",
        [
            ("name", "text", "owner/repo"),
            ("worth_working_on", "boolean", "health and impact both above their thresholds"),
            ("verdict_reason", "text", "why, in words"),
        ],
    ),
    check_specs=[checks.verdicts_match_spec],
)
def repository_verdicts(
    context: dg.AssetExecutionContext, store: StoreResource
) -> dg.MaterializeResult:
    """`worth_working_on` per repository of the partition's language — health above
    `thresholds.health` **and** impact above `thresholds.impact` — with a readable reason;
    a repository not scored yet is refused, saying which score is missing."""
    report = analysis.decide_verdicts(store.settings(), store.dsn(), language=context.partition_key)
    return dg.MaterializeResult(
        metadata=verdict_metadata(report), check_results=[checks.verdicts_match(report)]
    )
