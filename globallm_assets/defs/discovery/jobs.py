"""Discovery's job: one language's repositories per run."""

import dagster as dg

from globallm_assets.defs.partitions import language_partitions

discovery_job = dg.define_asset_job(
    "discovery_job",
    selection=dg.AssetSelection.assets("repositories"),
    partitions_def=language_partitions,
    description="Discover one language's repositories.",
)


@dg.schedule(job=discovery_job, cron_schedule="0 1 * * *", execution_timezone="UTC")
def daily_discovery(context: dg.ScheduleEvaluationContext):
    """One run per language each day, before the graph and the analysis."""
    day = context.scheduled_execution_time.strftime("%Y-%m-%d")
    for language in language_partitions.get_partition_keys():
        yield dg.RunRequest(
            run_key=f"discovery-{day}-{language}",
            partition_key=language,
            tags={"globallm/language": language, "globallm/stage": "discovery"},
        )
