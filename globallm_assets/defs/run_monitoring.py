"""Runs whose worker process died (SIGKILL, out of memory, a reboot) are failed, not left
STARTED forever where they count against the run queue's limits.

Every run records its worker process in the `globallm/worker` tag (host, pid and the process's
start time, so a recycled pid is not mistaken for the worker). Two things read it:

- `MonitoredRunLauncher`, the instance's run launcher (`dagster.yaml`): Dagster's run
  monitoring daemon asks it whether a run's worker is alive and fails the run when it is not;
- `reap_dead_runs`, called by `globallm run` / `globallm demo` before they start, which execute
  in-process and so have no daemon watching them.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

import dagster as dg
from dagster._core.launcher import DefaultRunLauncher
from dagster._core.launcher.base import CheckRunHealthResult, WorkerStatus

WORKER_TAG = "globallm/worker"


def _start_time(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (None: no such process)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # Field 22; the command name (field 2) may contain spaces, so count after its ')'.
    return stat.rsplit(")", 1)[1].split()[19]


def worker_identity(pid: int | None = None) -> str:
    pid = pid or os.getpid()
    return f"{socket.gethostname()}:{pid}:{_start_time(pid) or '?'}"


def worker_alive(identity: str | None) -> bool | None:
    """False when the recorded worker is certainly gone; None when this host cannot tell."""
    if not identity:
        return None
    host, _, rest = identity.partition(":")
    pid_text, _, started = rest.partition(":")
    if host != socket.gethostname() or not pid_text.isdigit():
        return None
    current = _start_time(int(pid_text))
    if current is None:
        return False
    return started == "?" or current == started


def dead_runs(instance: dg.DagsterInstance) -> list[dg.DagsterRun]:
    """Started runs of this host whose worker process no longer exists."""
    started = instance.get_runs(
        filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.STARTING])
    )
    return [run for run in started if worker_alive(run.tags.get(WORKER_TAG)) is False]


def reap_dead_runs(instance: dg.DagsterInstance) -> list[str]:
    """Mark the runs of dead workers failed; returns their run ids."""
    reaped = []
    for run in dead_runs(instance):
        instance.report_run_failed(
            run, f"run worker {run.tags[WORKER_TAG]} is gone (killed or crashed); run failed"
        )
        reaped.append(run.run_id)
    return reaped


class MonitoredRunLauncher(DefaultRunLauncher):
    """Dagster's default launcher, plus the worker health check run monitoring needs."""

    @property
    def supports_check_run_worker_health(self) -> bool:
        return True

    def check_run_worker_health(self, run: dg.DagsterRun) -> CheckRunHealthResult:
        if worker_alive(run.tags.get(WORKER_TAG)) is False:
            return CheckRunHealthResult(WorkerStatus.FAILED, "the run worker process is gone")
        return CheckRunHealthResult(WorkerStatus.RUNNING)
