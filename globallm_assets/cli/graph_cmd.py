"""`globallm graph build`: the dependency graph from the command line, as the asset builds it."""

from __future__ import annotations

import typer
from rich.table import Table

from globallm_assets.cli.common import (
    CommandFailed,
    UsageError,
    check_export,
    console,
    emit_json,
)
from globallm_assets.cli.sourcing import SOURCE_HELP, settings_for, steps

app = typer.Typer(
    help="The repository dependency graph.\n\nExample: globallm graph build --language python",
    no_args_is_help=True,
)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="graph")


@app.command("build")
def build(
    ctx: typer.Context,
    language: str | None = typer.Option(
        None, "--language", help="the ecosystem of this language (default: every configured one)"
    ),
    source: str | None = typer.Option(None, "--source", help=SOURCE_HELP),
    export: str | None = typer.Option(None, "--export", help="json: machine-readable stdout"),
) -> None:
    """Rebuild repository → repository dependency edges from the package registries.

    Each stored repository's packages are found in its ecosystem's registry (names the registry
    linked to it before, its README's install lines, its name), then the packages they depend
    on; the edges replace the ecosystem's previous ones. The `dependency_graph` asset runs the
    same code. A registry that cannot be reached keeps its ecosystem's previous edges.

    Example: globallm graph build --language python
    """
    from globallm_assets.core.models import ECOSYSTEM_BY_LANGUAGE, LANGUAGES
    from globallm_assets.services.analysis import build_graph
    from globallm_assets.services.repositories import next_step
    from globallm_assets.services.sources import package_index, store_dsn

    check_export(export)
    if language is not None and language.lower() not in LANGUAGES:
        raise UsageError(f"unknown language {language!r} (choose from {', '.join(LANGUAGES)})")
    settings = settings_for(ctx, source)
    languages = [language.lower()] if language else [lang.value for lang in settings.languages]
    dsn = store_dsn(settings)
    ecosystems = {ECOSYSTEM_BY_LANGUAGE[lang] for lang in languages}
    with steps(len(ecosystems), "building the dependency graph…") as step:
        report = build_graph(
            settings,
            lambda eco: package_index(settings, eco),
            dsn,
            languages=languages,
            on_ecosystem=lambda eco: step(f"dependency graph: {eco}"),
        )
    populated = {eco for eco, n in report.repositories.items() if n}
    if populated and populated <= set(report.skipped):
        reasons = "; ".join(f"{eco}: {why}" for eco, why in sorted(report.skipped.items()))
        raise CommandFailed(f"no graph rebuilt ({reasons})")
    if export == "json":
        emit_json(
            {
                "edges": report.edges,
                "edges_by_ecosystem": report.edges_by_ecosystem,
                "repositories_by_ecosystem": report.repositories,
                "skipped": report.skipped,
            }
        )
        return
    table = Table(title="Dependency graph")
    for column in ("ecosystem", "repositories", "edges", "note"):
        table.add_column(column)
    for ecosystem in sorted(report.repositories):
        skipped = report.skipped.get(ecosystem)
        edges = report.edges_by_ecosystem.get(ecosystem)
        table.add_row(
            ecosystem,
            str(report.repositories[ecosystem]),
            "—" if edges is None else f"{edges:,}",
            f"[yellow]kept previous edges: {skipped}[/yellow]" if skipped else "",
        )
    console.print(table)
    if not populated:
        console.print(
            next_step(dsn, language=language, wanted="repositories"),
            highlight=False,
            soft_wrap=True,
        )
