"""Ranking assets: issues → issue_categories, redundancy → issue_rankings."""

from typing import Any

import dagster as dg

from globallm_assets.defs.metadata import markdown_table, score_summary
from globallm_assets.defs.partitions import language_partitions
from globallm_assets.defs.ranking import checks
from globallm_assets.defs.resources import SourceResource, StoreResource
from globallm_assets.services import issues as issue_service
from globallm_assets.services import redundancy as redundancy_service
from globallm_assets.services.issues import CategorizeReport, IssueFetchReport, RankingReport
from globallm_assets.services.redundancy import RedundancyReport


def fetch_metadata(report: IssueFetchReport, source_kind: str) -> dict[str, Any]:
    return {
        "repositories": report.repositories,
        "fetched": report.fetched,
        "closed_upstream": report.closed,
        "opted_out_repositories": report.opted_out,
        "failed_repositories": dg.MetadataValue.json(report.failed),
        "source": source_kind,
    }


@dg.asset(
    partitions_def=language_partitions,
    deps=["repository_verdicts"],
    group_name="ranking",
    kinds={"postgres"},
    check_specs=[checks.every_repository_fetched_spec],
)
def issues(
    context: dg.AssetExecutionContext, store: StoreResource, source: SourceResource
) -> dg.MaterializeResult:
    """One row per issue (never a pull request) of the partition's approved repositories,
    fetched incrementally (since the newest update seen); closed upstream means closed here."""
    report = issue_service.fetch_partition(
        source.repositories(), store.dsn(), language=context.partition_key
    )
    return dg.MaterializeResult(
        metadata=fetch_metadata(report, store.settings().source.kind),
        check_results=[checks.every_repository_fetched(report)],
    )


def categories_metadata(report: CategorizeReport) -> dict[str, Any]:
    return {
        "issues": len(report.rows),
        "do_not_touch": report.do_not_touch,
        "categories": dg.MetadataValue.json(report.by_category),
    }


@dg.asset(
    partitions_def=language_partitions,
    deps=["issues"],
    group_name="ranking",
    kinds={"postgres"},
    check_specs=[checks.categories_range_spec],
)
def issue_categories(
    context: dg.AssetExecutionContext, store: StoreResource, source: SourceResource
) -> dg.MaterializeResult:
    """Per open issue: category (bug, feature, documentation, security, performance, question,
    chore), solvability, urgency, complexity 1–10, expected token cost, and the reason an agent
    must not touch it, if any."""
    report = issue_service.categorize_partition(
        store.settings(), store.dsn(), language=context.partition_key, now=source.now()
    )
    return dg.MaterializeResult(
        metadata=categories_metadata(report), check_results=[checks.categories_in_range(report)]
    )


def redundancy_metadata(report: RedundancyReport) -> dict[str, Any]:
    clustered = report.clustered
    return {
        "repositories": len(report.rows),
        "clusters": len({r.cluster_id for r in clustered}),
        "in_clusters": len(clustered),
        "penalized": sum(1 for r in report.rows if r.penalty > 0),
        "clusters_sample": dg.MetadataValue.md(
            markdown_table(
                ["cluster", "repository", "advice", "similarity"],
                [
                    (r.cluster_id, r.repository, r.recommendation, r.max_similarity)
                    for r in clustered[:15]
                ],
            )
        ),
    }


@dg.asset(
    partitions_def=language_partitions,
    deps=["repository_health", "impact_scores"],
    group_name="ranking",
    kinds={"postgres", "pytorch"},
    check_specs=[checks.one_keeper_spec],
)
def redundancy(context: dg.AssetExecutionContext, store: StoreResource) -> dg.MaterializeResult:
    """Per repository of the language: its most similar peer (README, description and topics
    embeddings), its overlap cluster, keep/deprecate/merge advice, and the ranking penalty."""
    report = redundancy_service.redundancy_partition(
        store.settings(), store.dsn(), language=context.partition_key
    )
    return dg.MaterializeResult(
        metadata=redundancy_metadata(report), check_results=[checks.one_keeper_per_cluster(report)]
    )


def ranking_metadata(report: RankingReport) -> dict[str, Any]:
    return {
        **score_summary(report.priorities),
        "ranked": report.written,
        "top_10": dg.MetadataValue.md(
            markdown_table(
                ["repository", "#", "title", "priority"],
                [(r, n, (t or "")[:60].replace("|", "/"), p) for r, n, t, p in report.top(10)],
            )
        ),
    }


@dg.asset(
    partitions_def=language_partitions,
    deps=["issue_categories", "redundancy", "repository_verdicts"],
    group_name="ranking",
    kinds={"postgres", "polars"},
    check_specs=[checks.priorities_finite_spec],
)
def issue_rankings(context: dg.AssetExecutionContext, store: StoreResource) -> dg.MaterializeResult:
    """PriorityScore per open, touchable issue of approved repositories:
    wH·health + wI·impact + wS·solvability + wU·urgency − wR·redundancy − wC·cost,
    with every weighted component stored in `issues.scores`."""
    report = issue_service.rank_partition(
        store.settings(), store.dsn(), language=context.partition_key
    )
    return dg.MaterializeResult(
        metadata=ranking_metadata(report), check_results=[checks.priorities_finite(report)]
    )
