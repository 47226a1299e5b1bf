"""Runs whose process was killed do not stay STARTED: the next `run` fails them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.launcher.base import WorkerStatus

from globallm_assets.defs.pipeline import DISCOVERY, materialize
from globallm_assets.defs.run_monitoring import (
    WORKER_TAG,
    MonitoredRunLauncher,
    worker_alive,
    worker_identity,
)
from globallm_assets.services.dagster_home import prepare_dagster_home
from globallm_assets.settings import load_settings
from globallm_assets.store.db import locate
from globallm_assets_tests.conftest import _shared_tmpdir


def test_worker_identity_tells_a_live_process_from_a_dead_or_recycled_one():
    assert worker_alive(worker_identity()) is True
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert worker_alive(worker_identity(child.pid)) in (False, None)
    host, pid, started = worker_identity().split(":")
    assert worker_alive(f"{host}:{pid}:{int(started) + 1}") is False  # pid reused later
    assert worker_alive(f"elsewhere.example:{pid}:{started}") is None  # another host: unknown
    assert worker_alive(None) is None


@pytest.mark.slow
def test_a_run_killed_with_sigkill_is_failed_when_the_next_run_starts(dsn, monkeypatch):
    data_dir = str(_shared_tmpdir("globallm-kill-"))
    overrides = {
        "database.url": dsn,
        "data_dir": data_dir,
        "source.kind": "simulated",
        "source.repos_per_language": 40,
        "filters.min_stars": 100,
    }
    settings = load_settings(overrides=overrides)
    for key, value in prepare_dagster_home(settings, locate(settings)).items():
        monkeypatch.setenv(key, value)
    env = {k: v for k, v in os.environ.items() if not k.startswith("GLOBALLM_")}
    env["GLOBALLM_FILTERS__MIN_STARS"] = "100"
    script = Path(sys.executable).parent / "globallm"
    argv = [str(script), "--database-url", dsn, "--data-dir", data_dir, "demo"]
    process = subprocess.Popen(
        [*argv, "--languages", "python", "--repos-per-language", "40"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    started = dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED])
    victim = None
    with dg.DagsterInstance.get() as instance:
        deadline = time.monotonic() + 240
        try:
            while victim is None and time.monotonic() < deadline:
                assert process.poll() is None, process.stderr.read().decode()[-2000:]
                mine = [
                    run
                    for run in instance.get_runs(filters=started)
                    if run.tags.get(WORKER_TAG, "").split(":")[1:2] == [str(process.pid)]
                ]
                victim = mine[0] if mine else None
                time.sleep(0.1)
        finally:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
        assert victim is not None, "the demo never started a run"
        assert instance.get_run_by_id(victim.run_id).status == dg.DagsterRunStatus.STARTED
        # What the daemon's run monitoring asks the instance's launcher:
        health = MonitoredRunLauncher().check_run_worker_health(victim)
        assert health.status == WorkerStatus.FAILED

    outcome = materialize(settings, ["python"], stages=(DISCOVERY,))
    assert victim.run_id in outcome.reaped
    with dg.DagsterInstance.get() as instance:
        assert instance.get_run_by_id(victim.run_id).status == dg.DagsterRunStatus.FAILURE
        [new] = [instance.get_run_by_id(run_id) for run_id in outcome.run_ids]
        assert new.status == dg.DagsterRunStatus.SUCCESS
