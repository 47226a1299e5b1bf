"""Checks on the ranking assets."""

import math

import dagster as dg

from globallm_assets.defs.metadata import range_check, range_spec
from globallm_assets.services.issues import CategorizeReport, RankingReport

PRIORITIES_FINITE = "priorities_finite"

categories_range_spec = range_spec("issue_categories")
priorities_finite_spec = dg.AssetCheckSpec(
    PRIORITIES_FINITE, asset="issue_rankings", description="No NaN or infinite priority."
)


def categories_in_range(report: CategorizeReport) -> dg.AssetCheckResult:
    return range_check("issue_categories", report.scores)


def priorities_finite(report: RankingReport) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        check_name=PRIORITIES_FINITE,
        passed=all(math.isfinite(p) for p in report.priorities),
        metadata={"ranked": report.written},
    )
