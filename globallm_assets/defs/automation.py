"""Declarative automation: the clock starts discovery, everything else follows its inputs.

`repositories` (the root) is requested every day at 01:00 UTC, every language partition; each
asset downstream is `eager`: it runs when one of its inputs was updated (and none is missing or
still running), so health, the graph, impact, verdicts, issues, redundancy and rankings run
because their inputs changed, not because a later schedule assumes the upstream is done.
Redundancy depends on every language's impact, so it is requested for all languages at once and
runs as one run (its single-run backfill policy): one model load per cycle. One sensor evaluates
the conditions of every asset, on by default; it emits a backfill when several partitions are
requested in a tick, which is what honours that policy.

`globallm run` / `demo` build the whole chain themselves, one job after the other, in their own
process. With a daemon running beside them (`globallm dev`), plain `eager` would answer each of
those runs by requesting its downstream again — the graph after discovery, impact after the
graph, … — so everything would be built twice. Runs of the pipeline carry `PIPELINE_TAG`, and
an update made by one of them does not count as an input change here (a re-execution of such a
run from the UI does: nothing else follows it).
"""

import dagster as dg

# Set by defs/pipeline.py on every run of `globallm run` / `globallm demo`.
PIPELINE_TAG = "globallm/pipeline"
_REEXECUTION_TAG = "dagster/parent_run_id"

DAILY_DISCOVERY = dg.AutomationCondition.on_cron("0 1 * * *", "UTC")


def _on_input_change() -> dg.AutomationCondition:
    """Dagster's `eager`, except that updates made by the pipeline's own runs are not input
    changes (that run builds the downstream itself)."""
    # Per partition: every update since the last tick came from a pipeline run, none from its
    # re-execution.
    by_pipeline = dg.AutomationCondition.all_new_updates_have_run_tags(
        tag_keys={PIPELINE_TAG}
    ) & ~dg.AutomationCondition.any_new_update_has_run_tags(tag_keys={_REEXECUTION_TAG})
    updated = dg.AutomationCondition.any_deps_match(
        (
            dg.AutomationCondition.newly_updated()
            & ~dg.AutomationCondition.executed_with_root_target()
            & ~by_pipeline
        ).with_label("newly_updated_outside_the_pipeline")
        | dg.AutomationCondition.will_be_requested()
    ).with_label("any_deps_updated")
    return (
        (dg.AutomationCondition.newly_missing() | updated).since_last_handled()
        & ~dg.AutomationCondition.any_deps_missing()
        & ~dg.AutomationCondition.any_deps_in_progress()
        & ~dg.AutomationCondition.in_progress()
    ).with_label("eager")


ON_INPUT_CHANGE = _on_input_change()

automation_sensor = dg.AutomationConditionSensorDefinition(
    "globallm_automation",
    target=dg.AssetSelection.all(),
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Requests runs when an asset's automation condition (daily cron on "
    "`repositories`, eager elsewhere) is true.",
)
