"""Declarative automation, evaluated with Dagster's own API: the clock starts discovery and every
other asset runs because its inputs changed (never because a later schedule assumes so)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import dagster as dg
import pytest

from globallm_assets.core.models import LANGUAGES
from globallm_assets.definitions import defs

# Dagster's own evaluation helper selects with a beta parameter.
pytestmark = pytest.mark.filterwarnings("ignore::dagster.BetaWarning")

START = datetime(2026, 6, 2, 0, 50, tzinfo=UTC)  # ten minutes before the 01:00 UTC tick


class Automation:
    """Successive sensor evaluations against one instance, minutes apart."""

    def __init__(self, instance: dg.DagsterInstance) -> None:
        self.instance = instance
        self.cursor = None
        self.minutes = 0

    def tick(self, minutes: int = 5) -> dict[str, set[str | None]]:
        self.minutes += minutes
        result = dg.evaluate_automation_conditions(
            defs=defs,
            instance=self.instance,
            evaluation_time=START + timedelta(minutes=self.minutes),
            cursor=self.cursor,
        )
        self.cursor = result.cursor
        requested = {}
        for key in defs.resolve_asset_graph().get_all_asset_keys():
            if result.get_num_requested(key):
                requested[key.to_user_string()] = set(result.get_requested_partitions(key))
        return requested

    def materialized(self, asset: str, *partitions: str | None) -> None:
        for partition in partitions:
            self.instance.report_runless_asset_event(
                dg.AssetMaterialization(asset, partition=partition)
            )


def test_cron_starts_discovery_and_updates_flow_downstream_by_dependency():
    everywhere = set(LANGUAGES)
    with dg.DagsterInstance.ephemeral() as instance:
        auto = Automation(instance)
        assert auto.tick() == {}  # 00:55: the day's tick has not come

        at_one = auto.tick(10)  # 01:05
        assert at_one["repositories"] == everywhere
        # Health joins the same runs (its only input is requested now); nothing else can run.
        assert set(at_one) == {"repositories", "repository_health"}

        auto.materialized("repositories", "python")
        # The graph spans every language: it waits until no language's repositories are missing.
        assert "dependency_graph" not in auto.tick()

        auto.materialized("repositories", *(everywhere - {"python"}))
        auto.materialized("repository_health", *everywhere)
        requested = auto.tick()
        assert requested["dependency_graph"] == {None}
        # Impact needs the graph, which is not there yet.
        assert "impact_scores" not in requested

        auto.materialized("dependency_graph", None)
        requested = auto.tick()
        assert requested["impact_scores"] == everywhere
        assert requested["issue_categories"] == everywhere  # the chain below, in the same runs
        # Redundancy (so the rankings too) waits for every language's impact: then one run
        # covers all languages.
        assert "redundancy" not in requested and "issue_rankings" not in requested
        assert "repositories" not in requested  # the clock has not ticked again

        assert auto.tick() == {}  # nothing changed: nothing runs

        auto.materialized("impact_scores", *everywhere)
        auto.materialized("issue_categories", *everywhere)
        requested = auto.tick()
        assert requested["redundancy"] == everywhere
        assert requested["issue_rankings"] == everywhere


def test_the_automation_sensor_is_on_by_default_and_every_asset_has_a_trigger():
    sensor = defs.resolve_sensor_def("globallm_automation")
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
    graph = defs.resolve_asset_graph()
    # pr_outcomes polls the forge: pr_outcome_sensor launches its job while a PR is open.
    polled = set(defs.resolve_job_def("pr_outcomes_job").asset_layer.executable_asset_keys)
    assert defs.resolve_sensor_def("pr_outcome_sensor").job_name == "pr_outcomes_job"
    assert polled == {dg.AssetKey("pr_outcomes")}
    for key in graph.get_all_asset_keys():
        assert (graph.get(key).automation_condition is not None) != (key in polled), key
    assert not list(defs.schedules or [])


def test_redundancy_waits_for_every_language_then_runs_them_all_in_one_request():
    everywhere = set(LANGUAGES)
    with dg.DagsterInstance.ephemeral() as instance:
        auto = Automation(instance)
        auto.materialized("repositories", *everywhere)
        auto.materialized("repository_health", *everywhere)
        auto.materialized("dependency_graph", None)
        auto.materialized("impact_scores", "python")
        # Python is scored, the other languages are not: no redundancy run for python alone.
        assert "redundancy" not in auto.tick()

        auto.materialized("impact_scores", *(everywhere - {"python"}))
        requested = auto.tick()
        assert requested["redundancy"] == everywhere
    # Requested together, the partitions become one run: the asset's backfill policy.
    policy = defs.resolve_asset_graph().get(dg.AssetKey("redundancy")).backfill_policy
    assert policy == dg.BackfillPolicy.single_run()
