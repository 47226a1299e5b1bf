"""`globallm run`: the whole asset graph through Dagster, for the configured world."""

from __future__ import annotations

from collections.abc import Sequence

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from globallm_assets.cli.common import AppState, CommandFailed, UsageError, console, err_console
from globallm_assets.cli.common import state as app_state_of


def register(app: typer.Typer) -> None:
    app.command("run")(run)


def run(
    ctx: typer.Context,
    languages: str | None = typer.Option(
        None, "--languages", help="comma list (default: every configured language)"
    ),
    source: str | None = typer.Option(
        None, "--source", help="github (real world) or simulated (default: source.kind)"
    ),
) -> None:
    """Materialize every asset — discovery, graph, analysis, ranking — through Dagster.

    Each stage runs the project's own job, one run per language, recorded in the world's
    Dagster instance (`globallm dev` shows them and can re-execute them).

    Example: globallm run --languages python,rust --source github
    """
    app_state = app_state_of(ctx)
    if source is not None:
        if source not in ("github", "simulated"):
            raise UsageError("--source must be github or simulated")
        app_state.overrides["source.kind"] = source
    run_world(app_state, languages, title="GlobaLLM run")


def chosen_languages(text: str | None, configured: Sequence[str]) -> list[str]:
    from globallm_assets.core.models import LANGUAGES

    chosen = [x.strip() for x in text.split(",") if x.strip()] if text else list(configured)
    unknown = [x for x in chosen if x not in LANGUAGES]
    if unknown or not chosen:
        raise UsageError(f"unknown language(s): {', '.join(unknown) or '(none)'}")
    return list(dict.fromkeys(chosen))


def run_world(app_state: AppState, languages_text: str | None, *, title: str) -> None:
    """Run the pipeline with a progress bar per stage, then print the world's summary
    (shared by `run` and `demo`)."""
    from globallm_assets.defs.pipeline import PipelineFailed, Stage, materialize
    from globallm_assets.services.overview import world_overview

    settings = app_state.settings()
    chosen = chosen_languages(languages_text, [lang.value for lang in settings.languages])
    progress = Progress(
        TextColumn("{task.description:<22}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[current]}"),
        TimeElapsedColumn(),
        console=err_console,
    )
    stages: dict[str, int] = {}

    def task(stage: Stage) -> int:
        if stage.job not in stages:
            total = len(chosen) if stage.per_language else 1
            label = stage.job.removesuffix("_job").replace("_", " ")
            stages[stage.job] = progress.add_task(label, total=total, current="")
        return stages[stage.job]

    def started(stage: Stage, partition: str | None) -> None:
        progress.update(task(stage), current=partition or "")

    def finished(stage: Stage, partition: str | None) -> None:
        progress.update(task(stage), advance=1, current="")

    try:
        with progress:
            outcome = materialize(
                settings,
                chosen,
                config_file=app_state.config_file,
                on_start=started,
                on_done=finished,
            )
    except PipelineFailed as exc:
        raise CommandFailed(str(exc)) from None
    world = outcome.location.world
    err_console.print(f"store: {outcome.location.safe_dsn} ({world.describe()})")
    if outcome.reaped:
        err_console.print(
            f"marked {len(outcome.reaped)} run(s) of a dead earlier process failed: "
            + ", ".join(run_id[:8] for run_id in outcome.reaped)
        )
    overview = world_overview(settings, outcome.location.dsn, chosen)
    table = Table(title=f"{title}: repositories worth working on")
    for column in ("language", "discovered", "approved", "top approved (impact)"):
        table.add_column(column)
    for row in overview.languages:
        shown = f"{row.top_repository} ({row.top_impact:.0%})" if row.top_repository else "—"
        table.add_row(row.language, str(row.discovered), str(row.approved), shown)
    console.print(table)
    top = Table(title="Top 10 issues across languages (globallm prioritize)")
    for column in ("priority", "repository", "#", "category", "title"):
        top.add_column(column)
    for issue in overview.top_issues:
        top.add_row(
            f"{issue['priority']:.3f}",
            issue["repository"],
            str(issue["number"]),
            issue["category"] or "—",
            (issue["title"] or "")[:50],
        )
    console.print(top)
    where = " --source simulated" if world.kind == "simulated" else ""
    console.print(
        f"{len(outcome.run_ids)} Dagster runs recorded; see them with `globallm dev{where}`"
    )
