"""`globallm prs list | refresh`: the pull requests GlobaLLM opened and what became of them."""

from __future__ import annotations

import typer
from rich.markup import escape
from rich.table import Table

from globallm_assets.cli.common import (
    UsageError,
    check_export,
    console,
    emit_json,
    err_console,
    state,
)

app = typer.Typer(
    help="Pull requests GlobaLLM opened, and their outcomes.\n\nExample: globallm prs list",
    no_args_is_help=True,
)

STATES = ("open", "merged", "closed")
_STATE_STYLE = {"open": "yellow", "merged": "green", "closed": "red"}


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="prs")


@app.command("list")
def list_(
    ctx: typer.Context,
    pr_state: str | None = typer.Option(None, "--state", help="open, merged or closed"),
    repository: str | None = typer.Option(None, "--repository", help="only this OWNER/REPO"),
    limit: int = typer.Option(50, "--limit", min=1, help="show at most this many (newest)"),
    export: str | None = typer.Option(None, "--export", help="json: machine-readable stdout"),
) -> None:
    """List pull requests GlobaLLM opened, newest first, as of the last refresh.

    Example: globallm prs list --state open --repository octo/lib
    """
    from globallm_assets.services.contribute import list_outcomes

    check_export(export)
    if pr_state is not None and pr_state not in STATES:
        raise UsageError(f"--state must be one of: {', '.join(STATES)}")
    rows = list_outcomes(state(ctx).settings(), state=pr_state, repository=repository, limit=limit)
    if export == "json":
        emit_json(rows)
        return
    table = Table(title="Pull requests opened by GlobaLLM")
    table.add_column("pull request", style="cyan", overflow="fold")
    table.add_column("issue", justify="right")
    table.add_column("state")
    table.add_column("risk")
    table.add_column("auto-merge", overflow="fold")
    table.add_column("checks", overflow="fold")
    table.add_column("reviews", overflow="fold")
    for r in rows:
        state_text = r["state"] + (" (draft)" if r["draft"] and r["state"] == "open" else "")
        checks = ", ".join(f"{c['name']}: {c['state']}" for c in r["checks"]) or "—"
        reviews = ", ".join(f"{v['author']}: {v['state']}" for v in r["reviews"]) or "—"
        table.add_row(
            escape(f"{r['repository']}#{r['number']}"),
            f"#{r['issue_number']}",
            f"[{_STATE_STYLE[r['state']]}]{state_text}[/]",
            r["risk_level"],
            escape(r["auto_merge"]),
            escape(checks),
            escape(reviews),
        )
    console.print(table)
    if not rows:
        console.print("No pull requests yet: `globallm fix` opens them.")


@app.command("refresh")
def refresh(
    ctx: typer.Context,
    limit: int = typer.Option(200, "--limit", min=1, help="refresh at most this many"),
    export: str | None = typer.Option(None, "--export", help="json: machine-readable stdout"),
) -> None:
    """Poll the forge for every open pull request: state, checks, reviews; merge the ones whose
    auto-merge waits on us once they are green.

    Example: globallm prs refresh
    """
    from globallm_assets.services.contribute import refresh_outcomes

    check_export(export)
    with err_console.status("Refreshing pull requests…"):
        report = refresh_outcomes(state(ctx).settings(), limit=limit)
    if export == "json":
        emit_json(report.as_dict())
        return
    console.print(
        f"refreshed {report.refreshed}; merged {len(report.merged)}, closed "
        f"{len(report.closed)}, auto-merge armed {len(report.armed)}"
        + (
            f"; {report.abandoned} abandoned contribution(s) marked failed"
            if report.abandoned
            else ""
        )
        + (
            f"; {report.branches_deleted} branch(es) deleted (failed, merged or closed work)"
            if report.branches_deleted
            else ""
        )
    )
    for name, reason in report.opted_out.items():
        console.print(f"[yellow]opted out[/yellow] {escape(name)}: {escape(reason)}")
    for line in report.errors:
        console.print(f"[red]error:[/red] {escape(line)}")
    if report.errors:
        raise typer.Exit(1)
