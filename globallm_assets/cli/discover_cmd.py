"""`globallm discover | analyze | analyze-user`: find repositories, score them, advise owners.

Each command parses its arguments, calls ``services.analysis`` and formats the result; the
scoring and filtering live in ``core`` and ``services`` so a command and an asset agree.
"""

from __future__ import annotations

import dataclasses
import re
from typing import TYPE_CHECKING, Any

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
    source_and_store,
    source_errors,
    steps,
)

if TYPE_CHECKING:
    from globallm_assets.settings import Settings

# A GitHub login: what `analyze-user` accepts before asking a source about it.
_OWNER_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$")

_EXPORT_HELP = "json: machine-readable stdout"


def register(app: typer.Typer) -> None:
    app.command("discover")(discover)
    app.command("analyze")(analyze)
    app.command("analyze-user")(analyze_user)


# --- shared plumbing ------------------------------------------------------------------------


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
    from globallm_assets.core.models import LANGUAGES
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

    repos, dsn = source_and_store(settings)
    with err_console.status("discovering…") as status, source_errors():
        reports = analysis.discover_languages(
            settings,
            repos,
            dsn,
            languages=languages,
            domain=domain,
            max_results=limit,
            min_stars=min_stars,
            min_dependents=min_dependents,
            library_only=library_only,
            index_for=(
                (lambda eco: available_package_index(settings, eco)) if library_only else None
            ),
            on_language=lambda lang: status.update(f"discovering {domain} repositories in {lang}…"),
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
            soft_wrap=True,
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
    repository: str | None = typer.Argument(None, help="OWNER/REPO or a repository URL"),
    language: str | None = typer.Option(
        None, "--language", help="score every stored repository of this language"
    ),
    everything: bool = typer.Option(
        False, "--all", help="score every stored repository of every configured language"
    ),
    source: str | None = typer.Option(None, "--source", help=SOURCE_HELP),
    export: str | None = typer.Option(None, "--export", help=_EXPORT_HELP),
) -> None:
    """Score health and impact, decide whether a repository is worth working on, store it.

    One repository by name, or with --language L / --all every stored repository of those
    languages: the dependency graph of their ecosystems is rebuilt first (impact needs it),
    then health, impact and verdicts, as the Dagster assets compute them.

    Example: globallm analyze pallets/flask   |   globallm analyze --all
    """
    from globallm_assets.core.models import LANGUAGES

    check_export(export)
    if sum((repository is not None, language is not None, everything)) != 1:
        raise UsageError("give one of OWNER/REPO, --language L or --all")
    if language is not None and language.lower() not in LANGUAGES:
        raise UsageError(f"unknown language {language!r} (choose from {', '.join(LANGUAGES)})")
    settings = settings_for(ctx, source)
    if repository is None:
        chosen = [language.lower()] if language else [lang.value for lang in settings.languages]
        _analyze_languages(settings, chosen, export)
        return
    _analyze_one(settings, repo_name_argument(repository), export)


def _analyze_one(settings: Settings, name: str, export: str | None) -> None:
    from globallm_assets.core.models import ECOSYSTEM_BY_LANGUAGE
    from globallm_assets.services.analysis import analyze_repository

    repos, dsn = source_and_store(settings)
    with err_console.status(f"analyzing {name}…"), source_errors():
        result = analyze_repository(settings, repos, dsn, name)
    if export == "json":
        emit_json(dataclasses.asdict(result))
        return
    # soft_wrap: one fact per line even when piped or narrower than the text.
    line = {"highlight": False, "soft_wrap": True}
    console.print(f"[bold]{result.name}[/bold] ({result.language})", **line)
    console.print(f"Health {_pct(result.health)}   Impact {_pct(result.impact)}", **line)
    console.print(verdict_line(result.worth_working_on, result.reason), **line)
    console.print(component_table(result.health_parts, result.impact_parts))
    if result.graph_edges == 0 and result.language in ECOSYSTEM_BY_LANGUAGE:
        ecosystem = ECOSYSTEM_BY_LANGUAGE[result.language]
        console.print(
            f"[yellow]no {ecosystem} dependency graph stored: impact counted no dependents; "
            f"run `globallm graph build --language {result.language}`[/yellow]",
            **line,
        )


def _analyze_languages(settings: Settings, languages: list[str], export: str | None) -> None:
    from globallm_assets.core.models import ECOSYSTEM_BY_LANGUAGE
    from globallm_assets.services.analysis import analyze_languages
    from globallm_assets.services.repositories import next_step
    from globallm_assets.services.sources import package_index

    repos, dsn = source_and_store(settings)
    ecosystems = {ECOSYSTEM_BY_LANGUAGE[lang] for lang in languages}
    with steps(len(ecosystems) + 3 * len(languages), "analyzing…") as step, source_errors():
        result = analyze_languages(
            settings,
            repos,
            lambda eco: package_index(settings, eco),
            dsn,
            languages=languages,
            on_step=step,
        )
    rows = []
    for health, impact, verdicts in zip(result.health, result.impact, result.verdicts, strict=True):
        ecosystem = ECOSYSTEM_BY_LANGUAGE[health.language]
        rows.append(
            {
                "language": health.language,
                "scored": len(health.rows),
                "gone_from_source": len(health.gone),
                "approved": len(verdicts.approved),
                "rejected": len(verdicts.rows) - len(verdicts.approved),
                "graph_edges": impact.graph_edges,
                "graph_skipped": result.graph.skipped.get(ecosystem),
                "approved_repositories": verdicts.approved,
            }
        )
    if export == "json":
        emit_json({"languages": rows, "edges_by_ecosystem": result.graph.edges_by_ecosystem})
        return
    table = Table(title="Analysis")
    for column in ("language", "scored", "approved", "rejected", "graph edges", "top approved"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            row["language"],
            str(row["scored"]),
            f"[green]{row['approved']}[/green]",
            str(row["rejected"]),
            f"{row['graph_edges']:,}",
            ", ".join(row["approved_repositories"][:3]) or "—",
        )
    console.print(table)
    for ecosystem, why in sorted(result.graph.skipped.items()):
        console.print(
            f"[yellow]{ecosystem} graph not rebuilt:[/yellow] {why}",
            highlight=False,
            soft_wrap=True,
        )
    for language in languages:
        hint = next_step(dsn, language=language, wanted="approved")
        if hint:
            console.print(f"{language}: {hint}", highlight=False, soft_wrap=True)


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
    repos, dsn = source_and_store(settings)
    with err_console.status(f"analyzing repositories of {login}…"), source_errors():
        rows = analyze_owner(
            settings,
            repos,
            dsn,
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
        console.print(
            f"no repositories of {login} match (min stars {min_stars})",
            highlight=False,
            soft_wrap=True,
        )
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
