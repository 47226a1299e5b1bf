"""`globallm run`: the whole asset graph through Dagster, for the configured world."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from globallm_assets.cli.common import AppState, CommandFailed, UsageError, console, err_console
from globallm_assets.cli.common import state as app_state_of

if TYPE_CHECKING:
    from rich.progress import Progress

# How many issues the fix stage takes by default in the simulated world (the demo's planted
# ones), and at most (each is a sandboxed fix with test runs).
DEFAULT_FIXES = 3
MAX_FIXES = 100


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
    fix: int | None = typer.Option(
        None,
        "--fix",
        min=0,
        max=MAX_FIXES,
        help="issues to fix after the ranking, 0 to skip (default: "
        f"{DEFAULT_FIXES} in the simulated world, 0 in the real one)",
    ),
) -> None:
    """Materialize every asset — discovery, graph, analysis, ranking — through Dagster, then
    fix the top issues (`--fix N`): one fix_job run each, then a PR-outcome poll.

    Each stage runs the project's own job, one run per language, recorded in the world's
    Dagster instance (`globallm dev` shows them and can re-execute them). On the real world a
    fix opens real pull requests: it needs a GitHub token and a model key, and `--fix N`.

    Example: globallm run --languages python,rust --source github --fix 2
    """
    app_state = app_state_of(ctx)
    if source is not None:
        if source not in ("github", "simulated"):
            raise UsageError("--source must be github or simulated")
        app_state.overrides["source.kind"] = source
    run_world(app_state, languages, title="GlobaLLM run", fixes=fix)


def chosen_languages(text: str | None, configured: Sequence[str]) -> list[str]:
    from globallm_assets.core.models import LANGUAGES

    chosen = [x.strip() for x in text.split(",") if x.strip()] if text else list(configured)
    unknown = [x for x in chosen if x not in LANGUAGES]
    if unknown or not chosen:
        raise UsageError(f"unknown language(s): {', '.join(unknown) or '(none)'}")
    return list(dict.fromkeys(chosen))


def run_world(
    app_state: AppState,
    languages_text: str | None,
    *,
    title: str,
    fixes: int | None = None,
    demo: bool = False,
) -> None:
    """Run the pipeline with a progress bar per stage, then the fix stage, then print the
    world's summary, the fixes and the status dashboard (shared by `run` and `demo`).

    ``demo``: start from a fresh simulated world and host the planted repositories on the
    local forge, so the fix stage has real repositories to fix.
    """
    from globallm_assets.cli.status_cmd import Elided
    from globallm_assets.defs.pipeline import PipelineFailed, Stage, materialize
    from globallm_assets.services.overview import world_overview
    from globallm_assets.store.world import WorldError

    settings = app_state.settings()
    chosen = chosen_languages(languages_text, [lang.value for lang in settings.languages])
    if fixes is None:
        fixes = DEFAULT_FIXES if settings.source.kind == "simulated" else 0
    # Imported here: every `globallm` command imports this module to register its commands.
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    progress = Progress(
        TextColumn("{task.description:<22}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[current]}"),
        TimeElapsedColumn(),
        console=err_console,
    )
    stages: dict[str, int] = {}

    def task(stage: Stage, total: int | None = None) -> int:
        if stage.job not in stages:
            if total is None:
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
                fresh=demo,
            )
            dsn = outcome.location.dsn
            if demo:
                _plant(settings, dsn, chosen, progress)
            fix_stage = None
            if fixes:
                fix_stage = _fix(settings, dsn, fixes, progress, task, started, finished)
    except PipelineFailed as exc:
        raise CommandFailed(str(exc)) from None
    except WorldError as exc:
        raise CommandFailed(str(exc)) from None
    world = outcome.location.world
    err_console.print(f"store: {outcome.location.safe_dsn} ({world.describe()})")
    if outcome.reaped:
        err_console.print(
            f"marked {len(outcome.reaped)} run(s) of a dead earlier process failed: "
            + ", ".join(run_id[:8] for run_id in outcome.reaped)
        )
    overview = world_overview(settings, dsn, chosen)
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
            Elided(issue["title"] or ""),  # cut on a word boundary, never mid-word
        )
    console.print(top)
    runs = len(outcome.run_ids)
    if fix_stage is not None:
        _print_fixes(settings, dsn, fix_stage)
        runs += len([r for r in fix_stage.runs if r.run_id]) + bool(fix_stage.outcome_run_id)
    _print_status(settings, dsn)
    where = " --source simulated" if world.kind == "simulated" else ""
    console.print(
        f"{runs} Dagster runs recorded. Open the UI with `globallm dev{where}` "
        "(then http://127.0.0.1:3000: Runs, Jobs, Assets); "
        f"`globallm{where} status --dashboard` keeps this status live."
    )


def _plant(settings, dsn: str, languages: list[str], progress: Progress) -> None:
    """The demo's planted repositories on the local forge, in the ranking of their languages."""
    from globallm_assets.services import demo
    from globallm_assets.services.issues import rank_partition

    specs = demo.plantable(languages)
    if not specs:
        return
    planted_languages = sorted({spec.language for spec in specs})
    task = progress.add_task("planted repositories", total=1 + len(planted_languages), current="")
    demo.plant(settings, dsn, languages)
    progress.update(task, advance=1)
    for language in planted_languages:
        progress.update(task, current=language)
        rank_partition(settings, dsn, language=language)
        progress.update(task, advance=1, current="")


def _fix(settings, dsn: str, count: int, progress: Progress, task, started, finished):
    """The fix stage (defs/fix_stage.py), then the ranking of the fixed issues' languages again:
    what the PR outcomes taught (acceptance) enters their other issues' priority."""
    import dagster as dg

    from globallm_assets.defs.fix_stage import FIX, run_fix_stage
    from globallm_assets.services.issues import rank_partition
    from globallm_assets.store import repositories as repo_store
    from globallm_assets.store.db import transaction

    if settings.llm.provider == "replay":
        progress.console.print(
            "LLM fixes use the replay provider: responses recorded for the demo world are "
            "replayed, no live model is called; misspellings are fixed by codespell."
        )

    def planned(issues: list[str]) -> None:
        bar = task(FIX, total=max(len(issues), 1))
        if not issues:
            progress.update(bar, advance=1, current="nothing to fix")

    with dg.DagsterInstance.get() as instance:
        stage = run_fix_stage(
            instance,
            settings,
            dsn,
            count,
            tags={"globallm/source": settings.source.kind},
            on_planned=planned,
            on_start=started,
            on_done=finished,
        )
    if stage.runs:
        repositories = {run.issue.rsplit("#", 1)[0] for run in stage.runs}
        with transaction(dsn) as conn:
            languages = sorted(
                {
                    repo.language
                    for name in repositories
                    if (repo := repo_store.get_repository(conn, name)) and repo.language
                }
            )
        learned = progress.add_task("learning", total=len(languages), current="")
        for language in languages:
            progress.update(learned, current=language)
            rank_partition(settings, dsn, language=language)
            progress.update(learned, advance=1, current="")
    return stage


def _print_fixes(settings, dsn: str, stage) -> None:
    from globallm_assets.store.db import transaction
    from globallm_assets.store.solutions import fix_summaries

    if not stage.planned:
        console.print(f"Fix stage: nothing to fix ({stage.not_planned})")
        return
    issues = [(key.rsplit("#", 1)[0], int(key.rsplit("#", 1)[1])) for key in stage.planned]
    with transaction(dsn) as conn:
        rows = fix_summaries(conn, issues)
    table = Table(title="Fixes (one fix_job run each; sandboxed tests before → after)")
    for column in ("issue", "fixer", "outcome", "tests", "risk", "pull request"):
        table.add_column(column)
    for row in rows:
        tests = "—"
        if row["before_exit"] is not None or row["after_exit"] is not None:
            before = "fail" if row["before_exit"] else "pass"
            after = "pass" if row["after_exit"] == 0 else "fail"
            tests = f"{before} → {after}"
        pr = "—"
        if row["pr_number"] is not None:
            pr = f"#{row['pr_number']} {row['pr_state']}"
        table.add_row(
            f"{row['repository']}#{row['number']}",
            _fixer(row),
            row["outcome"] or "not attempted",
            tests,
            row["risk_level"] or "—",
            pr,
        )
    console.print(table)
    for run in stage.runs:
        if not run.succeeded:
            err_console.print(f"fix {run.issue}: {run.detail}")


def _fixer(row: dict) -> str:
    """Who wrote the fix, plainly: a replayed recording is not a live model."""
    if not row["fixer"]:
        return "—"
    provider = row["provider"] or ""
    if "replay" in provider.lower():
        return f"{row['fixer']}: replayed model, not live"
    if row["fixer"] == "codespell":
        return "codespell (no model)"
    return f"{row['fixer']}: {provider}"


def _print_status(settings, dsn: str) -> None:
    from globallm_assets.cli.status_cmd import status_view
    from globallm_assets.services.status import collect

    console.print(status_view(collect(settings, dsn)))
