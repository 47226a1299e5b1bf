"""`globallm agent run`: a long-running fix worker for any machine that can reach PostgreSQL."""

from __future__ import annotations

import typer
from rich.markup import escape

from globallm_assets.cli.common import CommandFailed, check_export, console, emit_json, state

app = typer.Typer(
    help=(
        "Fix workers: claim → fix → PR → complete, heartbeating, until stopped."
        "\n\nExample: globallm agent run --max-fixes 10"
    ),
    no_args_is_help=True,
)

_MARKS = {
    "completed": "[green]✓ completed[/green]",
    "available": "[yellow]↺ back to the pool[/yellow]",
    "failed": "[red]✗ failed[/red]",
    "released": "[yellow]released[/yellow]",
    "lost": "[red]lost the claim[/red]",
}


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="agent")


@app.command("run")
def run(
    ctx: typer.Context,
    max_fixes: int | None = typer.Option(
        None, "--max-fixes", min=1, help="stop after this many attempts"
    ),
    exit_when_idle: bool = typer.Option(
        False, "--exit-when-idle", help="stop when nothing can be claimed instead of waiting"
    ),
    export: str | None = typer.Option(None, "--export", help="json: the run's report on stdout"),
) -> None:
    """Work on the highest-priority issues until stopped.

    Stops cleanly on SIGTERM or Ctrl-C (the claim in hand goes back to the pool), when the
    weekly budget is spent, after --max-fixes attempts, or — with --exit-when-idle — when
    nothing is left to claim; it always says why. Start as many as you like, on as many
    machines as can reach PostgreSQL. Example: globallm agent run --max-fixes 10
    """
    check_export(export)
    from globallm_assets.services.agent import default_fix_function, run_agent
    from globallm_assets.services.claim import AgentIdentity
    from globallm_assets.settings import load_settings
    from globallm_assets.store.db import prepare
    from globallm_assets.store.retry import StoreUnavailable

    app_state = state(ctx)
    settings = app_state.settings()
    try:
        fix = default_fix_function()
    except RuntimeError as exc:
        raise CommandFailed(str(exc)) from None
    dsn = prepare(settings).dsn
    identity = AgentIdentity.current()
    if export != "json":
        console.print(f"agent [cyan]{identity}[/cyan] working (Ctrl-C or SIGTERM to stop)")

    def show(attempt) -> None:
        if export != "json":
            console.print(
                f"{_MARKS[attempt.status]} {attempt.issue} in {attempt.seconds:.1f} s — "
                f"{escape(attempt.detail)}"
            )

    try:
        report = run_agent(
            settings,
            dsn,
            fix,
            identity=identity,
            max_fixes=max_fixes,
            exit_when_idle=exit_when_idle,
            on_attempt=show,
            reload=lambda: load_settings(app_state.config_file, app_state.overrides),
        )
    except StoreUnavailable as exc:
        raise CommandFailed(str(exc)) from None
    if export == "json":
        emit_json(
            {
                "agent_id": report.agent_id,
                "stopped_because": report.stopped_because,
                "attempts": [a.__dict__ for a in report.attempts],
            }
        )
        return
    console.print(
        f"agent {report.agent_id} stopped: {report.stopped_because} "
        f"({report.completed} completed of {len(report.attempts)} attempts)"
    )
