"""Analysis jobs and their schedules."""

import dagster as dg

from globallm_assets.defs.partitions import language_partitions

graph_job = dg.define_asset_job(
    "dependency_graph_job",
    selection=dg.AssetSelection.assets("dependency_graph"),
    description="Rebuild the cross-language dependency graph from the registries.",
)
analysis_job = dg.define_asset_job(
    "analysis_job",
    selection=dg.AssetSelection.assets("repository_health", "impact_scores", "repository_verdicts"),
    partitions_def=language_partitions,
    description="Analyze one language: health → impact → verdicts.",
)


@dg.schedule(job=graph_job, cron_schedule="0 2 * * *", execution_timezone="UTC")
def daily_dependency_graph(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    """Rebuild the graph before the per-language analysis runs."""
    day = context.scheduled_execution_time.strftime("%Y-%m-%d")
    return dg.RunRequest(run_key=f"graph-{day}")


@dg.schedule(job=analysis_job, cron_schedule="0 3 * * *", execution_timezone="UTC")
def daily_analysis(context: dg.ScheduleEvaluationContext):
    """One run per language each day; deterministic run keys so a re-tick never doubles."""
    day = context.scheduled_execution_time.strftime("%Y-%m-%d")
    for language in language_partitions.get_partition_keys():
        yield dg.RunRequest(
            run_key=f"analysis-{day}-{language}",
            partition_key=language,
            tags={"globallm/language": language, "globallm/stage": "analysis"},
        )
