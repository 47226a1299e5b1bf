"""Run the whole asset graph in order, in-process, against a given Dagster instance.

Used by ``globallm demo``: the per-language assets run one partition at a time, the shared
dependency graph once between the stage that discovers repositories and the stage that needs the
graph. Runs are recorded in the instance (PostgreSQL), so they show up in ``globallm dev``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import dagster as dg

from globallm_assets.defs.analysis import (
    analysis_assets,
    dependency_graph,
    impact_scores,
    repositories,
    repository_health,
    repository_verdicts,
)
from globallm_assets.defs.ranking import (
    issue_categories,
    issue_rankings,
    issues,
    ranking_assets,
    redundancy,
)

Stage = tuple[list[dg.AssetsDefinition], bool]  # (assets, one run per language?)

DISCOVERY: list[Stage] = [
    ([repositories, repository_health], True),
    ([dependency_graph], False),
]
# Discover → analyze only (no model loading): what the analysis tests and benchmarks run.
ANALYSIS_STAGES: list[Stage] = [*DISCOVERY, ([impact_scores, repository_verdicts], True)]
# Everything, in dependency order; per-language assets share a run to keep run overhead low.
STAGES: list[Stage] = [
    *DISCOVERY,
    (
        [
            impact_scores,
            repository_verdicts,
            issues,
            issue_categories,
            redundancy,
            issue_rankings,
        ],
        True,
    ),
]


def all_assets() -> list[dg.AssetsDefinition]:
    return [*analysis_assets, *ranking_assets]


def run_pipeline(
    instance: dg.DagsterInstance,
    resources: dict[str, object],
    languages: Sequence[str],
    *,
    on_step: Callable[[str], None] | None = None,
    log_level: str = "WARNING",
    stages: list[tuple[list[dg.AssetsDefinition], bool]] | None = None,
) -> list[dg.ExecuteInProcessResult]:
    """Materialize every stage; raises on the first failed run (its error names the step)."""
    results = []
    everything = all_assets()
    for selection, per_language in stages or STAGES:
        for partition in languages if per_language else [None]:
            label = ", ".join(a.key.to_user_string() for a in selection)
            if on_step:
                on_step(f"{label}" + (f" [{partition}]" if partition else ""))
            tags = {"globallm/stage": "demo"}
            if partition:
                tags["globallm/language"] = partition
            result = dg.materialize(
                everything,
                selection=selection,
                partition_key=partition,
                instance=instance,
                resources=resources,
                tags={
                    "globallm/stage": "demo",
                    **({"globallm/language": partition} if partition else {}),
                },
                raise_on_error=True,
                run_config={"loggers": {"console": {"config": {"log_level": log_level}}}},
            )
            results.append(result)
    return results
