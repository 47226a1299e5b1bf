"""`globallm run` beside a running daemon: automation must not build again what the run builds."""

from __future__ import annotations

import dagster as dg
import pytest

from globallm_assets.core.models import LANGUAGES
from globallm_assets.defs.pipeline import STAGES, run_pipeline
from globallm_assets_tests.foundation.test_automation import Automation

pytestmark = pytest.mark.filterwarnings("ignore::dagster.BetaWarning")


@pytest.mark.slow
def test_automation_requests_nothing_while_and_after_globallm_run_builds_the_chain(dsn, use_store):
    use_store(dsn, kind="simulated", seed=3, repos_per_language=20)
    with dg.DagsterInstance.ephemeral() as instance:
        auto = Automation(instance)
        # A daemon's instance has history. (Dagster's run-tag conditions see nothing on the tick
        # after one where the event log was empty, so a world's very first `globallm run` beside
        # a daemon started on an empty instance can still be answered once.)
        auto.materialized("issue_rankings", "python")
        assert auto.tick() == {}  # before the daily tick: nothing
        requested: dict[str, dict[str, set[str | None]]] = {}
        for stage in STAGES:
            run_pipeline(instance, list(LANGUAGES), stages=[stage])
            # The daemon's sensor evaluates between the stages of `globallm run`.
            requested[stage.job] = auto.tick(0)  # (still before the daily tick)
        assert requested == {stage.job: {} for stage in STAGES}

        # An update from anywhere else is still followed.
        auto.materialized("repositories", *LANGUAGES)
        assert auto.tick(0)["dependency_graph"] == {None}
