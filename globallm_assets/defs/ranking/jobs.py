"""The ranking job and its schedule."""

import dagster as dg

from globallm_assets.defs.partitions import language_partitions

ranking_job = dg.define_asset_job(
    "ranking_job",
    selection=dg.AssetSelection.assets(
        "issues", "issue_categories", "redundancy", "issue_rankings"
    ),
    partitions_def=language_partitions,
    description="Prioritize one language: issues → categories, redundancy → rankings.",
)


@dg.schedule(job=ranking_job, cron_schedule="0 5 * * *", execution_timezone="UTC")
def daily_ranking(context: dg.ScheduleEvaluationContext):
    """Re-rank every language after the morning analysis; one run per language per day."""
    day = context.scheduled_execution_time.strftime("%Y-%m-%d")
    for language in language_partitions.get_partition_keys():
        yield dg.RunRequest(
            run_key=f"ranking-{day}-{language}",
            partition_key=language,
            tags={"globallm/language": language, "globallm/stage": "ranking"},
        )
