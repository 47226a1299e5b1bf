"""`globallm issues OWNER/REPO` and `globallm prioritize`."""

from __future__ import annotations

import csv
import io
import sys

import typer
from rich.table import Table

from globallm_assets.cli.common import UsageError, check_export, console, emit_json, err_console
from globallm_assets.cli.sourcing import (
    SOURCE_HELP,
    repo_name_argument,
    settings_for,
    source_and_store,
    source_errors,
    steps,
)

STATES = ("open", "closed", "all")
SORTS = ("priority", "created", "updated")


def register(app: typer.Typer) -> None:
    app.command("issues")(issues)
    app.command("prioritize")(prioritize)


def _choice(value: str | None, allowed: tuple[str, ...], option: str) -> None:
    if value is not None and value not in allowed:
        raise UsageError(f"{option} must be one of: {', '.join(allowed)}")


def issues(
    ctx: typer.Context,
    repository: str = typer.Argument(..., help="OWNER/REPO or a repository URL"),
    issue_state: str = typer.Option("open", "--state", help="open, closed or all"),
    limit: int = typer.Option(30, "--limit", min=1, help="rows to show"),
    category: str | None = typer.Option(None, "--category", help="bug, feature, security, …"),
    sort: str = typer.Option("priority", "--sort", help="priority, created or updated"),
    source_kind: str | None = typer.Option(None, "--source", help=SOURCE_HELP),
    export: str | None = typer.Option(None, "--export", help="json: machine-readable stdout"),
) -> None:
    """Fetch a repository's issues (incrementally), score them, and list them.

    Example: globallm issues pallets/flask --category bug --sort created
    """
    from globallm_assets.core.categorize import Category

    check_export(export)
    _choice(issue_state, STATES, "--state")
    _choice(sort, SORTS, "--sort")
    _choice(category, tuple(c.value for c in Category), "--category")
    name = repo_name_argument(repository)
    settings = settings_for(ctx, source_kind)

    from globallm_assets.services.issues import repository_issues

    repos, dsn = source_and_store(settings)
    with console.status(f"fetching issues of {name}…"), source_errors():
        result = repository_issues(
            settings,
            repos,
            dsn,
            name,
            state=issue_state,
            category=category,
            sort=sort,
            limit=limit,
        )
    stored, report, rows = result.repository, result.fetch, result.rows
    if export == "json":
        emit_json({"repository": stored.name, "fetched": report.fetched, "issues": rows})
        return
    table = Table(title=f"{stored.name}: {issue_state} issues ({report.fetched} fetched)")
    for column in ("#", "priority", "title", "category", "solvability", "urgency", "cx", "note"):
        table.add_column(column)
    for row in rows:
        priority = row["priority"]
        table.add_row(
            str(row["number"]),
            "—" if priority is None else f"{priority:.3f}",
            (row["title"] or "")[:60],
            row["category"] or "—",
            _pct(row["solvability"]),
            _pct(row["urgency"]),
            str(row["complexity"] or "—"),
            row["do_not_touch_reason"] or ("closed" if row["state"] == "closed" else ""),
        )
    console.print(table)
    if report.opted_out:
        console.print(f"[yellow]repository opted out:[/yellow] {report.opted_out}")
    if not stored.worth_working_on:
        console.print(
            "[dim]not an approved repository: issues are scored but not ranked "
            "(`globallm analyze` decides)[/dim]"
        )


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def prioritize(
    ctx: typer.Context,
    language: str | None = typer.Option(None, "--language", help="one language (default: all)"),
    top: int = typer.Option(20, "--top", min=1, help="how many issues to show"),
    min_priority: str | None = typer.Option(None, "--min-priority", help="number, e.g. 0.4"),
    refresh: bool = typer.Option(
        False,
        "--refresh",
        help="first fetch, score and rank the issues of every approved repository",
    ),
    source_kind: str | None = typer.Option(None, "--source", help=SOURCE_HELP),
    export: str | None = typer.Option(None, "--export", help="json or csv: machine-readable"),
) -> None:
    """Rank open issues of approved repositories across repositories.

    Without --refresh it reads only the store; with it, the issues of every approved repository
    (of --language, or of every configured language) are fetched and scored first, as the
    Dagster assets do.

    Example: globallm prioritize --refresh --language python --top 10 --export csv
    """
    from globallm_assets.core.models import LANGUAGES

    check_export(export, ("json", "csv"))
    if language is not None and language not in LANGUAGES:
        raise UsageError(f"unknown language {language!r} (choose from {', '.join(LANGUAGES)})")
    threshold = None
    if min_priority is not None:
        try:
            threshold = float(min_priority)
        except ValueError:
            raise UsageError(f"--min-priority must be a number, not {min_priority!r}") from None
        if threshold != threshold or threshold in (float("inf"), float("-inf")):
            raise UsageError("--min-priority must be a finite number")
    settings = settings_for(ctx, source_kind)

    from globallm_assets.services import issues as issue_service
    from globallm_assets.services.sources import store_dsn

    # Only a refresh reads the source (building a GitHub client without a token warns).
    repos, dsn = source_and_store(settings) if refresh else (None, store_dsn(settings))
    languages = [language] if language else [lang.value for lang in settings.languages]
    with steps(2 * len(languages) if refresh else 1, "ranking…") as step, source_errors():
        result = issue_service.prioritize(
            settings,
            dsn,
            language=language,
            top=top,
            min_priority=threshold,
            refresh_from=repos,
            on_step=step,
        )
    columns = [
        c
        for c in (
            "repository",
            "number",
            "title",
            "language",
            "category",
            "priority",
            "health",
            "impact",
            "solvability",
            "urgency",
            "redundancy_penalty",
            "cost_penalty",
            *issue_service.COMPONENT_COLUMNS,
        )
        if c in issue_service.RANKED_COLUMNS
    ]
    records = [{c: row[c] for c in columns} for row in result.rows]
    # Machine-readable output keeps stdout for the data; the notes go to stderr.
    notes = err_console if export else console
    for fetched, ranking in result.refreshed:
        notes.print(
            f"{fetched.language}: {fetched.fetched} issues fetched from "
            f"{fetched.repositories} approved repositories, {ranking.written} ranked"
            + (f", failed: {', '.join(fetched.failed)}" if fetched.failed else ""),
            highlight=False,
            soft_wrap=True,
        )
    if result.hint:
        notes.print(f"no ranked issues: {result.hint}", highlight=False, soft_wrap=True)
    if export == "json":
        emit_json(records)
        return
    if export == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(records)
        sys.stdout.write(buffer.getvalue())
        return
    if not records:
        return
    table = Table(title=f"Top {top} issues" + (f" ({language})" if language else ""))
    for column in ("priority", "repository", "#", "title", "category", "impact", "solvability"):
        table.add_column(column)
    for row in records:
        table.add_row(
            f"{row['priority']:.3f}",
            row["repository"],
            str(row["number"]),
            (row.get("title") or "")[:50],
            row.get("category") or "—",
            _pct(row.get("impact")),
            _pct(row.get("solvability")),
        )
    console.print(table)
