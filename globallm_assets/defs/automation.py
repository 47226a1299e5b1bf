"""Declarative automation: the clock starts discovery, everything else follows its inputs.

`repositories` (the root) is requested every day at 01:00 UTC, every language partition; each
asset downstream is `eager`: it runs when one of its inputs was updated (and none is missing or
still running), so health, the graph, impact, verdicts, issues, redundancy and rankings run
because their inputs changed, not because a later schedule assumes the upstream is done.
Redundancy depends on every language's impact, so it is requested for all languages at once and
runs as one run (its single-run backfill policy): one model load per cycle. One sensor evaluates
the conditions of every asset, on by default; it emits a backfill when several partitions are
requested in a tick, which is what honours that policy.
"""

import dagster as dg

DAILY_DISCOVERY = dg.AutomationCondition.on_cron("0 1 * * *", "UTC")
ON_INPUT_CHANGE = dg.AutomationCondition.eager()

automation_sensor = dg.AutomationConditionSensorDefinition(
    "globallm_automation",
    target=dg.AssetSelection.all(),
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Requests runs when an asset's automation condition (daily cron on "
    "`repositories`, eager elsewhere) is true.",
)
