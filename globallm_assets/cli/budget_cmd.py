"""`globallm budget show | reset | set`: the fleet's weekly limits and what it has spent."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer
from rich.table import Table

from globallm_assets.cli.common import UsageError, check_export, console, emit_json, state

if TYPE_CHECKING:
    from globallm_assets.settings import Settings

app = typer.Typer(
    help=(
        "Show, reset and set the token, time and issue budgets agents work under."
        "\n\nExample: globallm budget show"
    ),
    no_args_is_help=True,
)

_EXPORT_HELP = "json: machine-readable stdout"


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="budget")


def _dsn(settings: Settings) -> str:
    from globallm_assets.store.db import prepare

    return prepare(settings).dsn


def _bar(used: int, limit: int, width: int = 30) -> str:
    share = 1.0 if limit <= 0 else min(1.0, used / limit)
    filled = round(share * width)
    colour = "red" if share >= 0.9 else "yellow" if share >= 0.7 else "green"
    return f"[{colour}]{'█' * filled}[/{colour}]{'░' * (width - filled)} {share:.0%}"


@app.command("show")
def show(
    ctx: typer.Context,
    top: int = typer.Option(20, "--top", min=1, help="repositories to list"),
    export: str | None = typer.Option(None, "--export", help=_EXPORT_HELP),
) -> None:
    """This week's limits and spend: the fleet, each repository and each language.

    Tokens and seconds count as committed from the moment they are reserved ("in flight") until
    the call or run is settled with what it actually used. Example: globallm budget show
    """
    check_export(export)
    from globallm_assets.services import budget

    settings = state(ctx).settings()
    report = budget.show(settings, _dsn(settings), top=top)
    if export == "json":
        emit_json(report.as_dict())
        return
    limits, total = report.limits, report.total
    console.print(f"[bold]budget week of {report.week_start}[/bold] (weeks start Monday, UTC)")
    console.print(
        f"tokens  {_bar(total['tokens'], limits['weekly_token_budget'])}  "
        f"{total['tokens']:,} of {limits['weekly_token_budget']:,} "
        f"({total['tokens_in_flight']:,} in flight, {total['remaining_tokens']:,} left)"
    )
    console.print(
        f"spent   {total['seconds']:,} s of fix runs · ${total['cost_usd']:.4f} · "
        f"{total['claims']} issues claimed"
    )
    table = Table(title="limits")
    table.add_column("limit")
    table.add_column("value", justify="right")
    table.add_column("set with")
    table.add_row(
        "tokens per repository", f"{limits['max_tokens_per_repo']:,}", "budget set --max-tokens"
    )
    table.add_row(
        "seconds per repository", f"{limits['max_time_per_repo']:,}", "budget set --max-time"
    )
    table.add_row(
        "issues per repository", str(limits["max_issues_per_repo"]), "budget set --max-per-repo"
    )
    table.add_row(
        "issues per language",
        str(limits["max_issues_per_language"]),
        "budget set --max-per-language",
    )
    table.add_row(
        "tokens per week", f"{limits['weekly_token_budget']:,}", "budget set --weekly-tokens"
    )
    console.print(table)
    if report.repositories:
        table = Table(title=f"repositories this week (top {top})")
        for column in ("repository", "tokens", "seconds", "cost", "issues", "working now"):
            table.add_column(column, justify="left" if column == "repository" else "right")
        for row in report.repositories:
            table.add_row(
                row["repository"],
                f"{row['tokens']:,} / {limits['max_tokens_per_repo']:,}",
                f"{row['seconds']:,} / {limits['max_time_per_repo']:,}",
                f"${row['cost_usd']:.4f}",
                f"{row['claims']} / {limits['max_issues_per_repo']}",
                str(row["active"]),
            )
        console.print(table)
    if report.languages:
        table = Table(title="languages this week")
        for column in ("language", "tokens", "seconds", "cost", "issues"):
            table.add_column(column, justify="left" if column == "language" else "right")
        for row in report.languages:
            table.add_row(
                row["language"],
                f"{row['tokens']:,}",
                f"{row['seconds']:,}",
                f"${row['cost_usd']:.4f}",
                f"{row['claims']} / {limits['max_issues_per_language']}",
            )
        console.print(table)
    if report.exhausted:
        console.print(f"[red]{report.exhausted}[/red]: agents stop claiming until next week")


@app.command("reset")
def reset(ctx: typer.Context) -> None:
    """Start this week's budget afresh: spend and issue counts go back to zero, except what open
    reservations and live claims still hold. The ledger's history is kept.

    Example: globallm budget reset
    """
    from globallm_assets.services import budget

    settings = state(ctx).settings()
    rows = budget.reset(_dsn(settings))
    console.print(f"[green]reset[/green] this week's budget ({rows} ledger totals)")


@app.command("set")
def set_(
    ctx: typer.Context,
    max_tokens: int | None = typer.Option(None, "--max-tokens", min=0, help="tokens per repo"),
    max_time: int | None = typer.Option(None, "--max-time", min=0, help="seconds per repo"),
    max_per_repo: int | None = typer.Option(
        None, "--max-per-repo", min=0, help="issues per repository per week"
    ),
    max_per_language: int | None = typer.Option(
        None, "--max-per-language", min=0, help="issues per language per week"
    ),
    weekly_tokens: int | None = typer.Option(
        None, "--weekly-tokens", min=0, help="tokens per week for the whole fleet"
    ),
) -> None:
    """Change limits in the config file (the same keys as `config set budget.…`).

    Example: globallm budget set --max-tokens 50000 --weekly-tokens 2000000
    """
    from globallm_assets.services import budget

    values = {
        "max_tokens": max_tokens,
        "max_time": max_time,
        "max_per_repo": max_per_repo,
        "max_per_language": max_per_language,
        "weekly_tokens": weekly_tokens,
    }
    if all(v is None for v in values.values()):
        raise UsageError(
            "give at least one of --max-tokens, --max-time, --max-per-repo, "
            "--max-per-language, --weekly-tokens"
        )
    from globallm_assets.settings import default_config_path

    path = state(ctx).config_file or default_config_path()
    written = budget.set_limits(path, values)
    for key, value in written.items():
        console.print(f"[green]set[/green] {key} = {value:,}  ({path})")
