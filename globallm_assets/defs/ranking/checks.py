"""Checks on the ranking assets."""

import math

import dagster as dg

from globallm_assets.defs.metadata import check_spec, range_check, range_spec
from globallm_assets.services.issues import CategorizeReport, IssueFetchReport, RankingReport
from globallm_assets.services.redundancy import RedundancyReport

PRIORITIES_FINITE = "priorities_finite"
EVERY_REPOSITORY_FETCHED = "every_repository_fetched"
ONE_KEEPER = "one_keeper_per_cluster"

categories_range_spec = range_spec("issue_categories")
priorities_finite_spec = check_spec(
    PRIORITIES_FINITE,
    "issue_rankings",
    "No NaN or infinite priority.",
    per_language=True,
    blocking=True,
)


def categories_in_range(report: CategorizeReport) -> dg.AssetCheckResult:
    return range_check("issue_categories", report.scores)


def priorities_finite(report: RankingReport) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        check_name=PRIORITIES_FINITE,
        passed=all(math.isfinite(p) for p in report.priorities),
        metadata={"ranked": report.written},
    )


every_repository_fetched_spec = check_spec(
    EVERY_REPOSITORY_FETCHED,
    "issues",
    "Every approved repository's issues were fetched (a warning names the ones that failed).",
    per_language=True,
)


def every_repository_fetched(report: IssueFetchReport) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        check_name=EVERY_REPOSITORY_FETCHED,
        passed=not report.failed,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"failed": len(report.failed), "repositories": report.repositories},
    )


one_keeper_spec = check_spec(
    ONE_KEEPER,
    "redundancy",
    "Each overlap cluster keeps exactly one repository, unpenalised; penalties lie in [0, 1].",
    per_language=True,
    blocking=True,
)


def one_keeper_evaluation(report: RedundancyReport) -> dg.AssetCheckEvaluation:
    """The check's result for the report's language partition. An evaluation rather than an
    `AssetCheckResult`, which takes its partition from the run: a run of the redundancy asset
    may cover several language partitions."""
    result = one_keeper_per_cluster(report)
    return dg.AssetCheckEvaluation(
        asset_key=dg.AssetKey("redundancy"),
        check_name=ONE_KEEPER,
        passed=result.passed,
        metadata=result.metadata,
        blocking=True,
        partition=report.language,
    )


def one_keeper_per_cluster(report: RedundancyReport) -> dg.AssetCheckResult:
    keepers: dict[str, int] = {}
    for row in report.clustered:
        keepers[row.cluster_id] = keepers.get(row.cluster_id, 0) + (row.recommendation == "keep")
    bad_clusters = sorted(c for c, n in keepers.items() if n != 1)
    bad_penalties = [
        r.repository
        for r in report.rows
        if not 0.0 <= r.penalty <= 1.0 or (r.recommendation == "keep" and r.penalty != 0.0)
    ]
    return dg.AssetCheckResult(
        check_name=ONE_KEEPER,
        passed=not bad_clusters and not bad_penalties,
        metadata={
            "clusters": len(keepers),
            "clusters_without_one_keeper": len(bad_clusters),
            "bad_penalties": len(bad_penalties),
        },
    )
