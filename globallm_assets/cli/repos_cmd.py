"""`globallm repos list | show | remove`: what the store knows about repositories."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer
from rich.markup import escape
from rich.table import Table

from globallm_assets.cli.common import (
    CommandFailed,
    UsageError,
    check_export,
    console,
    emit_json,
    state,
)
from globallm_assets.cli.discover_cmd import component_table, verdict_line
from globallm_assets.cli.sourcing import repo_name_argument

if TYPE_CHECKING:
    from globallm_assets.store.repositories import RepositorySummary, StoredRepository

app = typer.Typer(
    help="List, inspect and remove stored repositories.\n\nExample: globallm repos list",
    no_args_is_help=True,
)

STATUSES = ("approved", "rejected", "unanalyzed")
_EXPORT_HELP = "json: machine-readable stdout"


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="repos")


def _dsn(ctx: typer.Context) -> str:
    from globallm_assets.services.sources import store_dsn

    return store_dsn(state(ctx).settings())


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def _mark(worth: bool | None) -> str:
    return {True: "[green]✓[/green]", False: "[red]✗[/red]", None: "—"}[worth]


def as_json(repo: StoredRepository | RepositorySummary, *, full: bool) -> dict[str, Any]:
    """One stored repository as plain JSON; ``full`` adds components and source metadata."""
    row: dict[str, Any] = {
        "name": repo.name,
        "language": repo.language,
        "stars": repo.stars,
        "forks": repo.forks,
        "license": repo.license,
        "is_library": repo.is_library,
        "health_score": repo.health_score,
        "impact_score": repo.impact_score,
        "worth_working_on": repo.worth_working_on,
        "verdict_reason": repo.verdict_reason,
        "analyzed_at": repo.analyzed_at.isoformat() if repo.analyzed_at else None,
    }
    if full:
        row["health"] = repo.health
        row["impact"] = repo.impact
        row["metadata"] = repo.metadata.model_dump(mode="json")
    return row


@app.command("list")
def list_(
    ctx: typer.Context,
    status: str | None = typer.Option(
        None, "--filter", help="approved, rejected or unanalyzed (default: all)"
    ),
    language: str | None = typer.Option(None, "--language", help="only this language"),
    limit: int = typer.Option(50, "--limit", min=1, help="show at most this many (most stars)"),
    export: str | None = typer.Option(None, "--export", help=_EXPORT_HELP),
) -> None:
    """List stored repositories, most-starred first, with their scores and verdict.

    Example: globallm repos list --filter approved --language python --limit 20
    """
    from globallm_assets.core.models import LANGUAGES

    check_export(export)
    if status is not None and status not in STATUSES:
        raise UsageError(f"--filter must be one of: {', '.join(STATUSES)}")
    if language is not None and language.lower() not in LANGUAGES:
        raise UsageError(f"unknown language {language!r} (choose from {', '.join(LANGUAGES)})")
    from globallm_assets.services import repositories as catalogue

    dsn = _dsn(ctx)
    lang = language.lower() if language else None
    page = catalogue.list_page(dsn, language=lang, status=status, limit=limit)
    shown = page.rows
    if export == "json":
        emit_json([as_json(r, full=False) for r in shown])
        return
    if not shown:
        wanted = "approved" if status == "approved" else "repositories"
        hint = catalogue.next_step(dsn, language=lang, wanted=wanted)
        console.print(
            hint or f"no {status or 'stored'} repositories", highlight=False, soft_wrap=True
        )
        return
    table = Table(title="Stored repositories")
    table.add_column("repository", style="cyan", overflow="fold")
    table.add_column("language")
    table.add_column("stars", justify="right")
    table.add_column("health", justify="right")
    table.add_column("impact", justify="right")
    table.add_column("worth", justify="center")
    for r in shown:
        table.add_row(
            r.name,
            r.language,
            f"{r.stars:,}",
            _pct(r.health_score),
            _pct(r.impact_score),
            _mark(r.worth_working_on),
        )
    console.print(table)
    console.print(f"showing {len(shown)} of {page.total}")


@app.command("show")
def show(
    ctx: typer.Context,
    repository: str = typer.Argument(..., help="OWNER/REPO or a repository URL"),
    export: str | None = typer.Option(None, "--export", help=_EXPORT_HELP),
) -> None:
    """Show everything stored about one repository, including every score component.

    Example: globallm repos show pallets/flask --export json
    """
    check_export(export)
    from globallm_assets.services import repositories as catalogue

    name = repo_name_argument(repository)
    repo = catalogue.find(_dsn(ctx), name)
    if repo is None:
        raise UsageError(f"{name} is not in the store (run: globallm analyze {name})")
    if export == "json":
        emit_json(as_json(repo, full=True))
        return
    meta = repo.metadata
    table = Table(title=repo.name, show_header=False)
    table.add_column("field", style="cyan")
    table.add_column("value", overflow="fold")
    for label, value in (
        ("language", repo.language),
        ("description", escape(meta.description or "—")),
        ("stars", f"{repo.stars:,}"),
        ("forks", f"{repo.forks:,}"),
        ("license", meta.license or "—"),
        ("library", "—" if repo.is_library is None else ("yes" if repo.is_library else "no")),
        ("archived", "yes" if meta.archived else "no"),
        ("fork", "yes" if meta.is_fork else "no"),
        ("last push", meta.pushed_at.isoformat() if meta.pushed_at else "—"),
        ("topics", escape(", ".join(meta.topics)) or "—"),
        ("health", _pct(repo.health_score)),
        ("impact", _pct(repo.impact_score)),
        ("verdict", verdict_line(repo.worth_working_on, repo.verdict_reason)),
        ("analyzed at", repo.analyzed_at.isoformat() if repo.analyzed_at else "—"),
    ):
        table.add_row(label, value)
    console.print(table)
    if repo.health or repo.impact:
        console.print(component_table(repo.health, repo.impact))


@app.command("remove")
def remove(
    ctx: typer.Context,
    repository: str = typer.Argument(..., help="OWNER/REPO or a repository URL"),
    yes: bool = typer.Option(False, "--yes", "-y", help="do not ask for confirmation"),
) -> None:
    """Delete a repository, its issues and its dependency edges from the store.

    Refused (exit 1) while an agent has claimed one of its issues: that is a state of the
    store to resolve (release the claim), not a mistake in the command line.

    Example: globallm repos remove someone/abandoned --yes
    """
    from globallm_assets.services import repositories as catalogue

    name = repo_name_argument(repository)
    dsn = _dsn(ctx)
    if catalogue.find(dsn, name) is None:
        raise UsageError(f"{name} is not in the store")
    # Ask before opening the transaction: no locks are held while a human thinks.
    if not yes:
        typer.confirm(f"Remove {name} and its issues from the store?", abort=True)
    try:
        removed = catalogue.remove(dsn, name)
    except ValueError as exc:
        raise CommandFailed(str(exc)) from None
    if not removed:
        raise UsageError(f"{name} is not in the store")
    console.print(f"[green]removed[/green] {name}", highlight=False, soft_wrap=True)
