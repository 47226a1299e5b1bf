"""Ranking assets: issues → issue_categories, redundancy → issue_rankings."""

import warnings
from typing import Any

import dagster as dg

from globallm_assets.defs.automation import ON_INPUT_CHANGE
from globallm_assets.defs.metadata import postgres_table, row_count, score_summary, top_table
from globallm_assets.defs.partitions import language_partitions
from globallm_assets.defs.ranking import checks
from globallm_assets.defs.resources import GITHUB_POOL, SourceResource, StoreResource
from globallm_assets.services import issues as issue_service
from globallm_assets.services import redundancy as redundancy_service
from globallm_assets.services.issues import CategorizeReport, IssueFetchReport, RankingReport
from globallm_assets.services.redundancy import RedundancyReport

OWNERS = ["team:ranking"]
TAGS = {"globallm/domain": "ranking"}


def fetch_metadata(report: IssueFetchReport, source_kind: str) -> dict[str, Any]:
    return {
        **row_count(report.open_issues),
        "repositories": report.repositories,
        "fetched": report.fetched,
        "closed_upstream": report.closed,
        "opted_out_repositories": report.opted_out,
        "failed_repositories": top_table(
            [("repository", "string")], [(name,) for name in report.failed]
        ),
        "source": source_kind,
    }


@dg.asset(
    partitions_def=language_partitions,
    deps=["repository_verdicts"],
    automation_condition=ON_INPUT_CHANGE,
    pool=GITHUB_POOL,
    group_name="ranking",
    kinds={"postgres"},
    owners=OWNERS,
    tags={**TAGS, "globallm/calls": "github"},
    code_version="1",
    metadata=postgres_table(
        "issues",
        [
            ("repository", "text", "owner/repo"),
            ("number", "integer", "the issue number"),
            ("title", "text", "title"),
            ("state", "text", "open or closed (closed upstream: closed here, never deleted)"),
            ("labels", "text[]", "labels"),
            ("data", "jsonb", "the source's issue record"),
            ("updated_at", "timestamptz", "last update upstream (the incremental cursor)"),
        ],
    ),
    check_specs=[checks.every_repository_fetched_spec],
)
def issues(
    context: dg.AssetExecutionContext, store: StoreResource, source: SourceResource
) -> dg.MaterializeResult:
    """One row per issue (never a pull request) of the partition's approved repositories,
    fetched incrementally: the first time the open ones, then everything updated since the
    newest update seen. An issue closed upstream is marked closed, never deleted; a repository
    that opted out is remembered as such."""
    report = issue_service.fetch_partition(
        source.repositories(), store.dsn(), language=context.partition_key
    )
    return dg.MaterializeResult(
        metadata=fetch_metadata(report, store.settings().source.kind),
        check_results=[checks.every_repository_fetched(report)],
    )


def categories_metadata(report: CategorizeReport) -> dict[str, Any]:
    return {
        **row_count(len(report.rows)),
        "do_not_touch": report.do_not_touch,
        "categories": top_table(
            [("category", "string"), ("issues", "int")], list(report.by_category.items())
        ),
    }


@dg.asset(
    partitions_def=language_partitions,
    deps=["issues"],
    automation_condition=ON_INPUT_CHANGE,
    group_name="ranking",
    kinds={"postgres"},
    owners=OWNERS,
    tags=TAGS,
    code_version="1",
    metadata=postgres_table(
        "issues",
        [
            ("repository", "text", "owner/repo"),
            ("number", "integer", "the issue number"),
            ("category", "text", "bug, feature, documentation, security, performance, …"),
            ("category_source", "text", "rules or llm"),
            ("solvability", "double precision", "in [0, 1]"),
            ("urgency", "double precision", "in [0, 1]"),
            ("complexity", "smallint", "1–10"),
            ("cost_estimate", "integer", "expected LLM tokens"),
            ("do_not_touch_reason", "text", "why an agent must leave it alone, if it must"),
        ],
    ),
    check_specs=[checks.categories_range_spec],
)
def issue_categories(
    context: dg.AssetExecutionContext, store: StoreResource, source: SourceResource
) -> dg.MaterializeResult:
    """Per open issue of the partition's approved repositories: category, solvability,
    urgency, complexity 1–10, expected token cost, and the reason an agent must not touch it,
    if any. Ambiguous issues go to the LLM only when `llm.categorize_with_llm` is on."""
    report = issue_service.categorize_partition(
        store.settings(), store.dsn(), language=context.partition_key, now=source.now()
    )
    return dg.MaterializeResult(
        metadata=categories_metadata(report), check_results=[checks.categories_in_range(report)]
    )


def redundancy_metadata(report: RedundancyReport) -> dict[str, Any]:
    clustered = report.clustered
    return {
        **row_count(len(report.rows)),
        "clusters": len({r.cluster_id for r in clustered}),
        "in_clusters": len(clustered),
        "penalized": sum(1 for r in report.rows if r.penalty > 0),
        "clusters_sample": top_table(
            [
                ("cluster", "string"),
                ("repository", "string"),
                ("advice", "string"),
                ("similarity", "float"),
            ],
            [
                (r.cluster_id, r.repository, r.recommendation, r.max_similarity)
                for r in clustered[:15]
            ],
        ),
    }


# `backfill_policy` is a beta parameter in Dagster 1.13 (a BetaWarning on every import); it is
# what makes one run, one model load, cover every language.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", dg.BetaWarning)
    _redundancy_asset = dg.asset(
        partitions_def=language_partitions,
        # One run covers every requested language: the UI's "materialize all" and automation's
        # backfills become one run that loads the embedding model (≈10 s, 1.2 GB) once, not once
        # per language (each run is its own worker process).
        backfill_policy=dg.BackfillPolicy.single_run(),
        deps=[
            "repository_health",
            # Every language's impact, not only its own: automation then requests all languages
            # together once the last one is scored (one run), instead of one run per language as
            # each finishes. The asset reads only its own language's scores.
            dg.AssetDep("impact_scores", partition_mapping=dg.AllPartitionMapping()),
        ],
        automation_condition=ON_INPUT_CHANGE,
        group_name="ranking",
        kinds={"postgres", "pytorch"},
        owners=OWNERS,
        tags=TAGS,
        code_version="1",
        metadata=postgres_table(
            "redundancy",
            [
                ("repository", "text", "owner/repo"),
                ("language", "text", "the language partition"),
                ("cluster_id", "text", "overlap cluster (empty: overlaps with nothing)"),
                ("max_similarity", "double precision", "cosine similarity to the nearest peer"),
                ("most_similar", "text", "that peer"),
                ("penalty", "double precision", "ranking penalty in [0, 1]"),
                ("recommendation", "text", "keep, deprecate or merge"),
            ],
        ),
        check_specs=[checks.one_keeper_spec],
    )


@_redundancy_asset
def redundancy(context: dg.AssetExecutionContext, store: StoreResource):
    """Per repository of the language: its most similar peer (embeddings of README,
    description and topics), its overlap cluster, keep/deprecate/merge advice, and the ranking
    penalty. A run may cover several languages (single-run backfill policy, `redundancy_job`):
    the model is loaded once for all of them, and each language partition still gets its own
    materialization metadata and check result."""
    reports = redundancy_service.redundancy_languages(
        store.settings(), store.dsn(), context.partition_keys
    )
    for report in reports:
        context.add_asset_metadata(redundancy_metadata(report), partition_key=report.language)
        yield checks.one_keeper_evaluation(report)
    # The check's output, which an AssetCheckResult would have produced: evaluations (one per
    # partition) are events only.
    for output_name in context.assets_def.check_specs_by_output_name:
        yield dg.Output(None, output_name=output_name)
    yield dg.MaterializeResult()


def ranking_metadata(report: RankingReport) -> dict[str, Any]:
    return {
        **row_count(report.written),
        **score_summary(report.priorities),
        "top_10": top_table(
            [
                ("repository", "string"),
                ("number", "int"),
                ("title", "string"),
                ("priority", "float"),
            ],
            [(r, n, (t or "")[:80], p) for r, n, t, p in report.top(10)],
        ),
    }


@dg.asset(
    partitions_def=language_partitions,
    deps=["issue_categories", "redundancy", "repository_verdicts"],
    automation_condition=ON_INPUT_CHANGE,
    group_name="ranking",
    kinds={"postgres", "polars"},
    owners=OWNERS,
    tags=TAGS,
    code_version="1",
    metadata=postgres_table(
        "issue_rankings",
        [
            ("repository", "text", "owner/repo"),
            ("number", "integer", "the issue number"),
            ("priority", "double precision", "the ranking score (no row: not to be worked on)"),
            ("c_health … c_acceptance", "double precision", "every weighted component"),
        ],
    ),
    check_specs=[checks.priorities_finite_spec],
)
def issue_rankings(context: dg.AssetExecutionContext, store: StoreResource) -> dg.MaterializeResult:
    """Priority per open, touchable issue of approved repositories:
    `wH·health + wI·impact + wS·solvability + wU·urgency − wR·redundancy − wC·cost`, every
    weighted component stored in `issue_rankings` (the `issue_priorities` view shows them).
    Only rows whose values changed are written."""
    report = issue_service.rank_partition(
        store.settings(), store.dsn(), language=context.partition_key
    )
    return dg.MaterializeResult(
        metadata=ranking_metadata(report), check_results=[checks.priorities_finite(report)]
    )
