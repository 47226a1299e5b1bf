"""The ``pr_outcomes`` asset: every pull request GlobaLLM opened, refreshed from the forge.

Materialized by ``pr_outcomes_job`` (launched by ``pr_outcome_sensor`` while any pull request is
open, and by ``globallm run``/``demo`` after their fixes). Its metadata answers the operator's
question — are maintainers accepting the fleet's work, and is that getting better? — with the
merge rate over time, and its check guards the promise that only LOW-risk changes merge by
themselves.
"""

from typing import Any

import dagster as dg

from globallm_assets.defs.fleet.resources import FleetResource
from globallm_assets.defs.metadata import postgres_table, rate_chart, row_count, top_table
from globallm_assets.services import outcomes as outcome_service
from globallm_assets.services.outcomes import OutcomesReport

AUTO_MERGE_LOW_ONLY = "auto_merged_only_low_risk"

auto_merge_spec = dg.AssetCheckSpec(
    AUTO_MERGE_LOW_ONLY,
    asset="pr_outcomes",
    description="No pull request whose risk review was above LOW was merged automatically.",
)


def outcomes_metadata(report: OutcomesReport) -> dict[str, Any]:
    weeks = report.weeks
    labels = [f"week of {week['week'].isoformat()}" for week in weeks]
    rate = report.merge_rate
    return {
        **row_count(report.counts["opened"]),
        "open": report.counts["open"],
        "merged": report.counts["merged"],
        "closed": report.counts["closed"],
        "auto_merge_armed": report.counts["auto_merge_armed"],
        # merged / (merged + closed); "n/a" until a maintainer decided on one.
        "merge_rate": dg.MetadataValue.float(rate) if rate is not None else "n/a",
        "merge_rate_over_time": dg.MetadataValue.md(
            rate_chart(
                labels,
                [week["merged"] for week in weeks],
                [week["merged"] + week["closed"] for week in weeks],
            )
        ),
        "by_week": top_table(
            [
                ("week", "string"),
                ("opened", "int"),
                ("merged", "int"),
                ("closed", "int"),
                ("merge_rate", "float"),
            ],
            [
                (w["week"].isoformat(), w["opened"], w["merged"], w["closed"], w["merge_rate"])
                for w in reversed(weeks)
            ],
        ),
        "this_poll": str(report.refresh),
    }


@dg.asset(
    group_name="contribute",
    kinds={"postgres"},
    owners=["team:fleet"],
    tags={"globallm/domain": "contribute", "globallm/calls": "forge"},
    code_version="1",
    metadata=postgres_table(
        "pr_outcomes",
        [
            ("forge", "text", "github or local"),
            ("repository", "text", "the base repository, owner/repo"),
            ("number", "integer", "the pull request's number"),
            ("issue_number", "integer", "the issue it fixes"),
            ("risk_level", "text", "LOW, MEDIUM, HIGH or CRITICAL (the risk review)"),
            ("state", "text", "open, merged or closed"),
            ("auto_merge", "text", "off, waiting, enabled, merged, cancelled or failed"),
            ("opened_at", "timestamptz", "when GlobaLLM opened it"),
            ("merged_at", "timestamptz", "when it merged"),
            ("closed_at", "timestamptz", "when it merged or was closed"),
        ],
    ),
    check_specs=[auto_merge_spec],
)
def pr_outcomes(context: dg.AssetExecutionContext, fleet: FleetResource) -> dg.MaterializeResult:
    """Every pull request GlobaLLM opened, with its state, reviews and checks as the forge
    reports them; armed auto-merges move along and maintainers' answers feed the acceptance
    learning (`services.learning`)."""
    report = outcome_service.refresh_and_summarize(fleet.settings(), fleet.dsn())
    context.log.info(str(report.refresh))
    above_low = report.auto_merged_above_low
    return dg.MaterializeResult(
        metadata=outcomes_metadata(report),
        check_results=[
            dg.AssetCheckResult(
                check_name=AUTO_MERGE_LOW_ONLY,
                passed=not above_low,
                metadata={
                    "auto_merged_above_low": len(above_low),
                    "examples": ", ".join(above_low[:10]) or "none",
                },
            )
        ],
    )


pr_outcomes_job = dg.define_asset_job(
    "pr_outcomes_job",
    selection=[pr_outcomes],
    description="Refresh pr_outcomes from the forge (launched by pr_outcome_sensor).",
)
