"""`globallm redundancy R1 R2 [R3 …]` and `globallm redundancy --language L`."""

from __future__ import annotations

import typer
from rich.table import Table

from globallm_assets.cli.common import UsageError, check_export, console, emit_json, state
from globallm_assets.cli.sourcing import (
    SOURCE_HELP,
    repo_name_argument,
    settings_for,
    source_and_store,
    source_errors,
)


def register(app: typer.Typer) -> None:
    app.command("redundancy")(redundancy)


def redundancy(
    ctx: typer.Context,
    repositories: list[str] | None = typer.Argument(None, help="two or more OWNER/REPO"),
    language: str | None = typer.Option(None, "--language", help="cluster a whole language"),
    threshold: float | None = typer.Option(
        None, "--threshold", min=0.0, max=1.0, help="cosine similarity that counts as overlap"
    ),
    source_kind: str | None = typer.Option(None, "--source", help=SOURCE_HELP),
    export: str | None = typer.Option(None, "--export", help="json: machine-readable stdout"),
) -> None:
    """Find functionally overlapping projects from README + description + topics embeddings.

    With repositories: a pairwise similarity table and a verdict per pair. With --language: clusters
    of overlapping projects and keep / deprecate / merge advice (stored for the ranking unless
    --threshold overrides the configured one).

    Example: globallm redundancy psf/requests encode/httpx --threshold 0.8
    """
    from globallm_assets.core.models import LANGUAGES

    check_export(export)
    names = repositories or []
    if bool(names) == bool(language):
        raise UsageError("give either two or more repositories or --language L, not both")
    if names and len(names) < 2:
        raise UsageError("give at least two repositories to compare")
    if language is not None and language not in LANGUAGES:
        raise UsageError(f"unknown language {language!r} (choose from {', '.join(LANGUAGES)})")
    parsed = [repo_name_argument(n) for n in names]
    if threshold is not None:
        state(ctx).overrides["redundancy.threshold"] = threshold
    settings = settings_for(ctx, source_kind)

    from globallm_assets.services import redundancy as service
    from globallm_assets.services.sources import store_dsn

    if language is not None:
        dsn = store_dsn(settings)
        with console.status(f"embedding and clustering {language} repositories…"):
            # The ranking's penalties follow the configured threshold only: an ad-hoc
            # --threshold explores, it does not re-rank everybody's issues.
            rows = (
                service.redundancy_partition(settings, dsn, language=language).rows
                if threshold is None
                else service.explore_language(settings, dsn, language=language)
            )
        _print_clusters(rows, export)
        if threshold is not None and export is None:
            console.print(
                "not stored (ad-hoc --threshold): set redundancy.threshold to make it stick"
            )
        return
    repos, dsn = source_and_store(settings)
    with console.status("embedding READMEs…"), source_errors():
        comparison = service.compare_named(settings, repos, dsn, parsed)
    pairs = comparison.verdicts()
    if export == "json":
        emit_json(
            [
                {"a": a, "b": b, "similarity": round(sim, 4), "redundant": flag}
                for a, b, sim, flag in pairs
            ]
        )
        return
    table = Table(title=f"README similarity (threshold {comparison.threshold:.2f})")
    table.add_column("repository")
    for name in comparison.names:
        table.add_column(name, justify="right")
    for i, name in enumerate(comparison.names):
        table.add_row(
            name, *(f"{comparison.matrix[i, j]:.2f}" for j in range(len(comparison.names)))
        )
    console.print(table)
    for a, b, sim, flag in pairs:
        verdict = "[red]overlapping[/red]" if flag else "[green]distinct[/green]"
        console.print(f"{a} ↔ {b}: {sim:.2f} {verdict}")


def _print_clusters(rows, export: str | None) -> None:
    clustered = [r for r in rows if r.cluster_id]
    if export == "json":
        emit_json(
            [
                {
                    "cluster": r.cluster_id,
                    "repository": r.repository,
                    "recommendation": r.recommendation,
                    "reason": r.reason,
                    "max_similarity": round(r.max_similarity, 4),
                    "most_similar": r.most_similar,
                    "penalty": round(r.penalty, 4),
                }
                for r in clustered
            ]
        )
        return
    table = Table(title=f"Overlapping projects ({len({r.cluster_id for r in clustered})} clusters)")
    for column in ("cluster", "repository", "advice", "similarity", "reason"):
        table.add_column(column)
    for r in sorted(clustered, key=lambda r: (r.cluster_id, r.recommendation != "keep")):
        table.add_row(
            r.cluster_id, r.repository, r.recommendation or "", f"{r.max_similarity:.2f}", r.reason
        )
    console.print(table)
    if not clustered:
        console.print("no overlapping projects above the threshold")
