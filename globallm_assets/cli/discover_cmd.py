"""`globallm discover | analyze | analyze-user`: find repositories, score them, advise owners.

Each command parses its arguments, calls ``services.analysis`` and formats the result; the
scoring and filtering live in ``core`` and ``services`` so a command and an asset agree.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import typer
from rich.table import Table

from globallm_assets.cli.common import (
    UsageError,
    check_export,
    console,
    emit_json,
    err_console,
)
from globallm_assets.cli.sourcing import (
    SOURCE_HELP,
    repo_name_argument,
    settings_for,
    source_errors,
)
from globallm_assets.settings import Settings
from globallm_assets.sources.base import RepoSource

# A GitHub login: what `analyze-user` accepts before asking a source about it.
_OWNER_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$")

_EXPORT_HELP = "json: machine-readable stdout"


def register(app: typer.Typer) -> None:
    app.command("discover")(discover)
    app.command("analyze")(analyze)
    app.command("analyze-user")(analyze_user)


# --- shared plumbing ------------------------------------------------------------------------


@contextmanager
def source_and_store(
    settings: Settings, *, transaction: bool
) -> Iterator[tuple[RepoSource, psycopg.Connection]]:
    """The configured source and a pooled connection to the migrated store.

    With ``transaction`` everything the command writes commits together or not at all.
    """
    from globallm_assets.services.sources import repo_source
    from globallm_assets.store.db import pool, prepare

    location = prepare(settings)
    # With a DSN, the GitHub source keeps its ETags in the store, so re-runs cost little quota.
    source = repo_source(settings, dsn=location.dsn)
    with pool(location.dsn).connection() as conn:
        if transaction:
            with conn.transaction():
                yield source, conn
        else:
            yield source, conn


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


# --- discover -------------------------------------------------------------------------------


def discover(
    ctx: typer.Context,
    domain: str = typer.Option(
        "overall",
        "--domain",
        help="ai_ml, web_dev, data_science, cloud_devops, mobile, security, games or overall",
    ),
    language: str | None = typer.Option(
        None, "--language", help="one language (default: every configured language)"
    ),
    max_results: int | None = typer.Option(
        None, "--max-results", min=1, help="repositories kept per language (default: settings)"
    ),
    min_stars: int | None = typer.Option(
        None, "--min-stars", min=0, help="keep at or above this many stars (default: settings)"
    ),
    min_dependents: int | None = typer.Option(
        None, "--min-dependents", min=0, help="…or at or above this many dependents"
    ),
    library_only: bool = typer.Option(
        False, "--library-only", help="drop applications, lists and tutorials"
    ),
    source: str | None = typer.Option(None, "--source", help=SOURCE_HELP),
    export: str | None = typer.Option(None, "--export", help=_EXPORT_HELP),
) -> None:
    """Search the source for a domain's repositories, filter them and store the keepers.

    Re-running is safe: repositories are upserted, so the store ends with the same rows.

    Example: globallm discover --domain ai_ml --language python --min-stars 5000
    """
    from globallm_assets.core.domains import DOMAINS
    from globallm_assets.core.models import ECOSYSTEM_BY_LANGUAGE, LANGUAGES
    from globallm_assets.services import analysis
    from globallm_assets.services.sources import available_package_index

    check_export(export)
    if domain not in DOMAINS:
        raise UsageError(f"unknown domain {domain!r} (choose from {', '.join(DOMAINS)})")
    if language is not None and language.lower() not in LANGUAGES:
        raise UsageError(f"unknown language {language!r} (choose from {', '.join(LANGUAGES)})")
    settings = settings_for(ctx, source)
    languages = [language.lower()] if language else [lang.value for lang in settings.languages]
    limit = max_results if max_results is not None else settings.source.max_results

    reports: list[analysis.DiscoveryReport] = []
    with (
        source_and_store(settings, transaction=True) as (repos, conn),
        err_console.status("discovering…") as status,
        source_errors(),
    ):
        for lang in languages:
            status.update(f"discovering {domain} repositories in {lang}…")
            reports.append(
                analysis.discover(
                    settings,
                    repos,
                    conn,
                    language=lang,
                    domain=domain,
                    max_results=limit,
                    min_stars=min_stars,
                    min_dependents=min_dependents,
                    library_only=library_only,
                    index=(
                        available_package_index(settings, ECOSYSTEM_BY_LANGUAGE[lang])
                        if library_only
                        else None
                    ),
                )
            )

    def why(report: analysis.DiscoveryReport, name: str) -> str:
        reason = report.why_kept[name]
        return f"{reason}, {report.library[name].reason}" if library_only else reason

    if export == "json":
        emit_json(
            {
                "domain": domain,
                "source": settings.source.kind,
                "found": sum(r.found for r in reports),
                "kept": sum(len(r.kept) for r in reports),
                "rejected": sum(len(r.rejected) for r in reports),
                "languages": [
                    {
                        "language": r.language,
                        "found": r.found,
                        "kept": [
                            {
                                "name": m.full_name,
                                "stars": m.stars,
                                "license": m.license,
                                "why": why(r, m.full_name),
                            }
                            for m in r.kept
                        ],
                        "rejected": [{"name": n, "reason": why_not} for n, why_not in r.rejected],
                    }
                    for r in reports
                ],
            }
        )
        return
    table = Table(title=f"Discovered ({domain}, {settings.source.kind})")
    many = len(reports) > 1
    if many:
        table.add_column("language")
    table.add_column("repository", style="cyan", overflow="fold")
    table.add_column("stars", justify="right")
    table.add_column("license")
    table.add_column("why kept")
    for report in reports:
        for meta in report.kept:
            cells = [
                meta.full_name,
                f"{meta.stars:,}",
                meta.license or "—",
                why(report, meta.full_name),
            ]
            table.add_row(*([report.language, *cells] if many else cells))
    console.print(table)
    for report in reports:
        console.print(
            f"{report.language}: found {report.found}, kept {len(report.kept)}, "
            f"rejected {len(report.rejected)}",
            highlight=False,
        )


# --- analyze --------------------------------------------------------------------------------

# (label, raw signal key, normalised component key) of an impact breakdown.
_IMPACT_PARTS = (
    ("direct dependents", "direct_dependents", "direct_component"),
    ("transitive dependents", "transitive_dependents", "transitive_component"),
    ("pagerank", "pagerank", "pagerank_component"),
    ("betweenness", "betweenness", "betweenness_component"),
    ("stars", "stars", "stars_component"),
    ("forks", "forks", "forks_component"),
)
# Health components in the breakdown's order (JSONB does not keep key order); keys not listed
# here that hold a number are shown after them, so a new component still appears.
_HEALTH_PARTS = (
    "commit_velocity",
    "issue_ratio",
    "ci_pass_rate",
    "contributors",
    "issue_resolution",
    "maintainer_response",
    "recent_activity",
    "documentation",
)
_HEALTH_NOT_PARTS = frozenset({"score", "coverage", "archived", "missing"})


def _raw(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def component_table(health: dict[str, Any] | None, impact: dict[str, Any] | None) -> Table:
    """Every health component (0..1) and every impact signal with its normalised component."""
    table = Table(title="components", show_edge=False)
    table.add_column("score")
    table.add_column("component")
    table.add_column("signal", justify="right")
    table.add_column("value", justify="right")
    health = health or {}
    extra = sorted(set(health) - set(_HEALTH_PARTS) - _HEALTH_NOT_PARTS)
    for key in (*_HEALTH_PARTS, *extra):
        value = health.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            table.add_row("health", key.replace("_", " "), "", _pct(float(value)))
    if health.get("missing"):
        table.add_row("health", "missing signals", ", ".join(health["missing"]), "")
    for label, raw, part in _IMPACT_PARTS:
        if impact and part in impact:
            table.add_row("impact", label, _raw(impact.get(raw)), _pct(impact[part]))
    return table


def verdict_line(worth: bool | None, reason: str | None) -> str:
    if worth is None:
        return "[dim]— not analyzed yet[/dim]"
    mark = "[green]✓ worth working on[/green]" if worth else "[red]✗ not worth working on[/red]"
    return f"{mark}: {reason or ''}".rstrip(": ")


def analyze(
    ctx: typer.Context,
    repository: str = typer.Argument(..., help="OWNER/REPO or a repository URL"),
    source: str | None = typer.Option(None, "--source", help=SOURCE_HELP),
    export: str | None = typer.Option(None, "--export", help=_EXPORT_HELP),
) -> None:
    """Score one repository's health and impact, decide whether it is worth working on, store it.

    Example: globallm analyze pallets/flask
    """
    from globallm_assets.services.analysis import analyze_repository

    check_export(export)
    name = repo_name_argument(repository)
    settings = settings_for(ctx, source)
    with (
        source_and_store(settings, transaction=True) as (repos, conn),
        err_console.status(f"analyzing {name}…"),
        source_errors(),
    ):
        result = analyze_repository(settings, repos, conn, name)
    if export == "json":
        emit_json(dataclasses.asdict(result))
        return
    # soft_wrap: one fact per line even when piped or narrower than the text.
    line = {"highlight": False, "soft_wrap": True}
    console.print(f"[bold]{result.name}[/bold] ({result.language})", **line)
    console.print(f"Health {_pct(result.health)}   Impact {_pct(result.impact)}", **line)
    console.print(verdict_line(result.worth_working_on, result.reason), **line)
    console.print(component_table(result.health_parts, result.impact_parts))


# --- analyze-user ---------------------------------------------------------------------------


def analyze_user(
    ctx: typer.Context,
    owner: str = typer.Argument(..., help="GitHub user or organisation"),
    min_stars: int = typer.Option(0, "--min-stars", min=0, help="skip repositories below this"),
    include_forks: bool = typer.Option(False, "--include-forks", help="also score forks"),
    recommend: bool = typer.Option(
        False, "--recommend", help="add keep/archive advice for each repository"
    ),
    max_results: int = typer.Option(100, "--max-results", min=1, help="repositories to score"),
    source: str | None = typer.Option(None, "--source", help=SOURCE_HELP),
    export: str | None = typer.Option(None, "--export", help=_EXPORT_HELP),
) -> None:
    """Score every repository of one owner; with --recommend, advise which to keep or archive.

    Nothing is written to the store.

    Example: globallm analyze-user pallets --recommend --min-stars 10
    """
    from globallm_assets.services.analysis import analyze_owner

    check_export(export)
    login = owner.strip().removeprefix("@")
    if not _OWNER_RE.match(login):
        raise UsageError(f"not a GitHub user or organisation name: {owner!r}")
    settings = settings_for(ctx, source)
    with (
        source_and_store(settings, transaction=False) as (repos, conn),
        err_console.status(f"analyzing repositories of {login}…"),
        source_errors(),
    ):
        rows = analyze_owner(
            settings,
            repos,
            conn,
            login,
            min_stars=min_stars,
            include_forks=include_forks,
            max_results=max_results,
        )
    if export == "json":
        fields = ["name", "stars", "health", "impact"]
        fields += ["recommendation", "reason"] if recommend else []
        emit_json([{f: getattr(r, f) for f in fields} for r in rows])
        return
    if not rows:
        console.print(f"no repositories of {login} match (min stars {min_stars})", highlight=False)
        return
    table = Table(title=f"Repositories of {login}")
    table.add_column("repository", style="cyan", overflow="fold")
    table.add_column("stars", justify="right")
    table.add_column("health", justify="right")
    table.add_column("impact", justify="right")
    if recommend:
        table.add_column("advice")
        table.add_column("reason")
    for r in rows:
        cells = [r.name, f"{r.stars:,}", _pct(r.health), _pct(r.impact)]
        if recommend:
            style = "red" if r.recommendation == "archive" else "green"
            cells += [f"[{style}]{r.recommendation}[/{style}]", r.reason]
        table.add_row(*cells)
    console.print(table)
