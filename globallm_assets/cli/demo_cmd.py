"""`globallm demo`: the whole pipeline, offline, on the simulated ecosystem."""

from __future__ import annotations

import typer
from rich.table import Table

from globallm_assets.cli.common import UsageError, console, err_console, state


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


def demo(
    ctx: typer.Context,
    languages: str | None = typer.Option(
        None, "--languages", help="comma list (default: every configured language)"
    ),
    repos_per_language: int | None = typer.Option(
        None,
        "--repos-per-language",
        min=5,
        help="repositories per language (default: source.repos_per_language)",
    ),
    seed: int = typer.Option(7, "--seed", help="seed of the simulated world"),
) -> None:
    """Bring up the store, migrate it, and materialize every asset on the simulated world.

    Runs are recorded in the Dagster instance (PostgreSQL): open `globallm dev` to see them.

    Example: globallm demo --languages python,rust
    """
    from globallm_assets.core.models import LANGUAGES

    app_state = state(ctx)
    app_state.overrides.update(
        {
            "source.kind": "simulated",
            "source.seed": seed,
            "source.repos_per_language": repos_per_language,
        }
    )
    settings = app_state.settings()
    # Later commands (`globallm issues … --source simulated`) see the same world by default.
    repos_per_language = settings.source.repos_per_language
    chosen = (
        [x.strip() for x in languages.split(",")]
        if languages
        else [lang.value for lang in settings.languages]
    )
    unknown = [x for x in chosen if x not in LANGUAGES]
    if unknown or not chosen:
        raise UsageError(f"unknown language(s): {', '.join(unknown) or '(none)'}")

    import dagster as dg

    from globallm_assets.defs.pipeline import run_pipeline
    from globallm_assets.services.dagster_home import apply_env, prepare_dagster_home
    from globallm_assets.store import repositories as repo_store
    from globallm_assets.store.db import pool, prepare

    location = prepare(settings)
    apply_env(prepare_dagster_home(settings, location, config_file=app_state.config_file))
    err_console.print(f"store: {location.safe_dsn}")
    with dg.DagsterInstance.get() as instance, console.status("materializing…") as status:
        run_pipeline(
            instance,
            chosen,
            on_start=lambda stage, partition: status.update(
                f"materializing {stage.job}" + (f" [{partition}]" if partition else "")
            ),
        )
    with pool(location.dsn).connection() as conn:
        table = Table(title="GlobaLLM demo: repositories worth working on")
        for column in ("language", "discovered", "approved", "top approved (impact)"):
            table.add_column(column)
        for language in chosen:
            repos = repo_store.list_repositories(conn, language=language)
            approved = [r for r in repos if r.worth_working_on]
            best = max(approved, key=lambda r: r.impact_score or 0.0, default=None)
            shown = f"{best.name} ({best.impact_score:.0%})" if best else "—"
            table.add_row(language, str(len(repos)), str(len(approved)), shown)
        from globallm_assets.services.issues import rank

        ranked = rank(settings, conn, top=10)
    console.print(table)
    top = Table(title="Top 10 issues across languages (globallm prioritize)")
    for column in ("priority", "repository", "#", "category", "title"):
        top.add_column(column)
    for row in ranked.iter_rows(named=True):
        top.add_row(
            f"{row['priority']:.3f}",
            row["repository"],
            str(row["number"]),
            row["category"] or "—",
            (row["title"] or "")[:50],
        )
    console.print(top)
