"""Run the project's own jobs in dependency order, in this process, recorded in the instance.

`globallm run` and `globallm demo` go through here. Each run belongs to a job of the code
location (`globallm`), one per stage and language partition, with the same origin a run launched
from the UI has: it shows on the job's history and the timeline, and can be re-executed from the
UI. Runs use the in-process executor, so a run loads heavy state (the embedding model) once, and
the redundancy stage is one run over a range of language partitions, so the model is loaded once
for every language.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)

from globallm_assets.defs.automation import PIPELINE_TAG
from globallm_assets.defs.run_monitoring import WORKER_TAG, reap_dead_runs, worker_identity
from globallm_assets.settings import Settings
from globallm_assets.store.db import StoreLocation

LOCATION_NAME = "globallm"
DEFINITIONS_MODULE = "globallm_assets.definitions"
REPOSITORY_NAME = "__repository__"  # what dg.Definitions names its repository


@dataclass(frozen=True)
class Stage:
    """A job of the pipeline: run once (`per_language=False`), once per language, or — with
    `one_run` — once for every language at a time, over a range of language partitions."""

    job: str
    per_language: bool
    one_run: bool = False


DISCOVERY = Stage("discovery_job", per_language=True)
GRAPH = Stage("dependency_graph_job", per_language=False)
ANALYSIS = Stage("analysis_job", per_language=True)
# Every language in one run: the embedding model is loaded once (≈10 s and 1.2 GB per process).
REDUNDANCY = Stage("redundancy_job", per_language=True, one_run=True)
RANKING = Stage("ranking_job", per_language=True)
# Discover → analyze only (no model loading): what the analysis tests and benchmarks run.
ANALYSIS_STAGES: tuple[Stage, ...] = (DISCOVERY, GRAPH, ANALYSIS)
STAGES: tuple[Stage, ...] = (*ANALYSIS_STAGES, REDUNDANCY, RANKING)


class PipelineFailed(RuntimeError):
    """A run failed; the message names the job, the partition and the failing step."""


def run_job(
    instance: dg.DagsterInstance,
    job_name: str,
    *,
    partition: str | None = None,
    partition_range: tuple[str, str] | None = None,
    tags: dict[str, str] | None = None,
    log_level: str = "CRITICAL",
    run_config: dict | None = None,
):
    """Create a run of one of the project's jobs with the code location's origin and execute it
    here; returns Dagster's execution result (raises PipelineFailed when the run fails).

    ``partition_range`` (first, last) makes one run over that range of partitions, as a
    single-run backfill does (only for assets whose backfill policy is a single run).

    Dagster's console logger is quiet by default: every event, warning and stack trace is in the
    instance (`globallm dev` shows them); the terminal gets progress and one line on failure.
    """
    from dagster._core.definitions.reconstruct import ReconstructableRepository
    from dagster._core.execution.api import create_execution_plan, execute_run
    from dagster._core.remote_origin import (
        InProcessCodeLocationOrigin,
        RemoteJobOrigin,
        RemoteRepositoryOrigin,
    )
    from dagster._core.types.loadable_target_origin import LoadableTargetOrigin

    from globallm_assets.definitions import defs

    job_def = defs.resolve_job_def(job_name)
    working_directory = os.getcwd()
    recon_job = ReconstructableRepository.for_module(
        DEFINITIONS_MODULE, "defs", working_directory=working_directory
    ).get_reconstructable_job(job_name)
    origin = RemoteJobOrigin(
        RemoteRepositoryOrigin(
            InProcessCodeLocationOrigin(
                LoadableTargetOrigin(
                    module_name=DEFINITIONS_MODULE, working_directory=working_directory
                ),
                location_name=LOCATION_NAME,
            ),
            REPOSITORY_NAME,
        ),
        job_name,
    )
    run_tags = {**(tags or {}), WORKER_TAG: worker_identity()}
    if partition is not None:
        run_tags.update(job_def.get_tags_for_partition_key(partition, None))
    if partition_range is not None:
        run_tags[ASSET_PARTITION_RANGE_START_TAG] = partition_range[0]
        run_tags[ASSET_PARTITION_RANGE_END_TAG] = partition_range[1]
    run_config = {
        **(run_config or {}),
        "loggers": {"console": {"config": {"log_level": log_level}}},
    }
    plan = create_execution_plan(recon_job, run_config=run_config, tags=run_tags)
    run = instance.create_run_for_job(
        job_def=job_def,
        execution_plan=plan,
        run_config=run_config,
        tags=run_tags,
        remote_job_origin=origin,
        job_code_origin=recon_job.get_python_origin(),
    )
    result = execute_run(recon_job, run, instance)
    if not result.success:
        raise PipelineFailed(_failure(job_name, partition, result))
    return result


def _failure(job_name: str, partition: str | None, result) -> str:
    where = f"{job_name}" + (f" ({partition})" if partition else "")
    for event in result.all_events:
        if event.is_step_failure:
            error = event.step_failure_data.error
            # Dagster wraps the asset's exception; the innermost cause says what went wrong.
            while error is not None and error.cause is not None:
                error = error.cause
            lines = error.message.strip().splitlines() if error else []
            text = lines[0] if lines else "error"
            kind, sep, rest = text.partition(": ")
            if sep and error is not None and kind.rsplit(".", 1)[-1] == error.cls_name:
                text = rest
            return f"{where}: {event.step_key} failed: {text}"
    return f"{where}: run {result.run_id} failed"


def run_pipeline(
    instance: dg.DagsterInstance,
    languages: Sequence[str],
    *,
    stages: Sequence[Stage] = STAGES,
    tags: dict[str, str] | None = None,
    on_start: Callable[[Stage, str | None], None] | None = None,
    on_done: Callable[[Stage, str | None], None] | None = None,
    log_level: str = "CRITICAL",
) -> list:
    """Every stage in order, each language partition in turn (a `one_run` stage: every
    language in one run); stops at the first failed run."""
    results = []
    for stage in stages:
        run_tags = {
            **(tags or {}),
            "globallm/stage": stage.job.removesuffix("_job"),
            # Automation does not follow these runs: the pipeline builds the downstream itself.
            PIPELINE_TAG: "run",
        }
        if stage.one_run:
            for keys in language_ranges(languages):
                if on_start:
                    on_start(stage, ",".join(keys))
                span = (keys[0], keys[-1])
                results.append(
                    run_job(
                        instance,
                        stage.job,
                        partition_range=span,
                        tags={**run_tags, "globallm/languages": ",".join(keys)},
                        log_level=log_level,
                    )
                )
                for key in keys:
                    if on_done:
                        on_done(stage, key)
            continue
        for partition in languages if stage.per_language else [None]:
            if on_start:
                on_start(stage, partition)
            partition_tags = {**run_tags, "globallm/language": partition} if partition else run_tags
            results.append(
                run_job(
                    instance,
                    stage.job,
                    partition=partition,
                    tags=partition_tags,
                    log_level=log_level,
                )
            )
            if on_done:
                on_done(stage, partition)
    return results


def language_ranges(languages: Sequence[str]) -> list[list[str]]:
    """The languages as runs of adjacent partitions, in partition order: a run covers a range
    of partitions, so every language (the usual case) or one is a single run, while
    `python,rust` is two (python…rust would also materialize the languages between them)."""
    from globallm_assets.defs.partitions import language_partitions

    order = language_partitions.get_partition_keys()
    wanted = set(languages)
    ranges: list[list[str]] = []
    previous = -2
    for index, key in enumerate(order):
        if key not in wanted:
            continue
        if index == previous + 1:
            ranges[-1].append(key)
        else:
            ranges.append([key])
        previous = index
    return ranges


@dataclass(frozen=True)
class Materialized:
    location: StoreLocation
    run_ids: list[str]
    reaped: list[str]


def materialize(
    settings: Settings,
    languages: Sequence[str],
    *,
    config_file: Path | None = None,
    stages: Sequence[Stage] = STAGES,
    on_start: Callable[[Stage, str | None], None] | None = None,
    on_done: Callable[[Stage, str | None], None] | None = None,
    fresh: bool = False,
) -> Materialized:
    """The whole asset graph for the settings' world, through its Dagster instance.

    Runs of an earlier in-process pipeline whose process died are failed first: nothing else
    would ever end them. ``fresh`` (the demo) empties the simulated world first and drops a
    Dagster schema a killed demo left half-made.
    """
    from globallm_assets.services.dagster_home import open_world, repair_instance_schema
    from globallm_assets.store.world import reset

    location = open_world(settings, config_file=config_file)
    if fresh and location.world.kind == "simulated":
        repair_instance_schema(location.dagster_dsn)
        reset(location.dsn)
    with dg.DagsterInstance.get() as instance:
        reaped = reap_dead_runs(instance)
        results = run_pipeline(
            instance,
            languages,
            stages=stages,
            tags={"globallm/source": settings.source.kind},
            on_start=on_start,
            on_done=on_done,
        )
    return Materialized(location, [r.run_id for r in results], reaped)
