"""`globallm assign claim | status | release | cleanup`: the agents' claims on issues."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:
    from globallm_assets.settings import Settings

app = typer.Typer(
    help=(
        "Claim issues for agents, see who works on what, and free the claims of dead agents."
        "\n\nExample: globallm assign status --stale"
    ),
    no_args_is_help=True,
)

_EXPORT_HELP = "json: machine-readable stdout"


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="assign")


def _dsn(settings: Settings) -> str:
    from globallm_assets.store.db import prepare

    return prepare(settings).dsn


def age(seconds: float | None) -> str:
    """``4m 05s``-style durations for heartbeat ages."""
    if seconds is None:
        return "—"
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m {secs:02d}s" if minutes else f"{secs}s"


@app.command("claim")
def claim(
    ctx: typer.Context,
    agent_id: str | None = typer.Option(
        None, "--agent-id", help="claim as this agent (default: hostname-pid-random8)"
    ),
    export: str | None = typer.Option(None, "--export", help=_EXPORT_HELP),
) -> None:
    """Claim the highest-priority issue the caps and the budget allow (exit 1 if none).

    The claim is held until completed or released; without heartbeats it goes back to the pool
    after agents.heartbeat_timeout. Example: globallm assign claim --agent-id ci-runner-7
    """
    check_export(export)
    if agent_id is not None and not agent_id.strip():
        raise UsageError("--agent-id must not be empty")
    from globallm_assets.services import claim as service

    settings = state(ctx).settings()
    agent = agent_id or service.AgentIdentity.current().id
    result = service.claim(settings, _dsn(settings), agent)
    issue = result.issue
    if export == "json":
        emit_json(
            {
                "agent_id": agent,
                "claimed": None
                if issue is None
                else {
                    "repository": issue.repository,
                    "number": issue.number,
                    "title": issue.title,
                    "language": issue.language,
                    "priority": issue.priority,
                    "attempts": issue.attempts,
                    "claimed_at": issue.claimed_at.isoformat(),
                },
                "reason": result.reason,
                "budget_exhausted": result.budget_exhausted,
            }
        )
    elif issue is not None:
        priority = "—" if issue.priority is None else f"{issue.priority:.3f}"
        console.print(
            f"[green]claimed[/green] {issue.key} for agent [cyan]{agent}[/cyan]: "
            f"{escape(issue.title or '')} (priority {priority}, {issue.language}, "
            f"attempt {issue.attempts + 1})"
        )
        console.print(
            f"[dim]release it with: globallm assign release {agent}[/dim]", highlight=False
        )
    else:
        err_console.print(f"nothing claimed: {result.reason}", highlight=False)
    if issue is None:
        raise typer.Exit(1)


@app.command("status")
def status(
    ctx: typer.Context,
    agent_id: str | None = typer.Option(None, "--agent-id", help="only this agent's claims"),
    stale: bool = typer.Option(False, "--stale", help="only claims past the heartbeat timeout"),
    export: str | None = typer.Option(None, "--export", help=_EXPORT_HELP),
) -> None:
    """Issues by state, every live claim with its heartbeat age, and recent failures.

    Example: globallm assign status --stale
    """
    check_export(export)
    from globallm_assets.services import claim as service

    settings = state(ctx).settings()
    report = service.assignment_status(
        settings, _dsn(settings), agent_id=agent_id, stale_only=stale
    )
    if export == "json":
        emit_json(
            {
                "counts": report.counts,
                "stale_after_seconds": report.stale_after_seconds,
                "assignments": [_json_row(r) for r in report.assignments],
                "recent_failures": [_json_row(r) for r in report.failures],
            }
        )
        return
    counts = report.counts
    console.print(
        "issues: "
        + " · ".join(f"{counts[k]} {k}" for k in ("available", "assigned", "completed", "failed"))
    )
    title = "stale claims" if stale else "claims"
    if agent_id:
        title += f" of {agent_id}"
    if not report.assignments:
        console.print(f"no {title}")
    else:
        rows = [
            [
                row["agent_id"],
                f"{row['repository']}#{row['number']}",
                age(row["held_for"]),
                age(row["heartbeat_age"]) + " ago" + (" stale" if row["stale"] else ""),
                escape(row["title"] or ""),
            ]
            for row in report.assignments
        ]
        # Identifiers never wrap; the title takes what an 80-column terminal leaves, or goes.
        widths = [max(len(r[i]) for r in rows) for i in range(4)]
        room = console.width - sum(max(w, 9) for w in widths) - 16
        table = Table(title=f"{title} (stale after {age(report.stale_after_seconds)})")
        table.add_column("agent", no_wrap=True)
        table.add_column("issue", no_wrap=True)
        table.add_column("held", no_wrap=True, justify="right")
        table.add_column("heartbeat", no_wrap=True, justify="right")
        if room >= 12:
            table.add_column("title", overflow="ellipsis", no_wrap=True, max_width=room)
        for row, cells in zip(report.assignments, rows, strict=True):
            style = "red" if row["stale"] else None
            table.add_row(*(cells if room >= 12 else cells[:4]), style=style)
        console.print(table)
    if report.failures and not (agent_id or stale):
        table = Table(title="recent failures")
        table.add_column("issue", no_wrap=True)
        table.add_column("attempts", justify="right")
        table.add_column("last agent", no_wrap=True)
        table.add_column("last error", overflow="fold")
        for row in report.failures:
            table.add_row(
                f"{row['repository']}#{row['number']}",
                str(row["attempts"]),
                row["last_agent"] or "—",
                escape((row["last_error"] or "")[:120]),
            )
        console.print(table)


def _json_row(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in row.items()}


@app.command("release")
def release(
    ctx: typer.Context,
    agent_id: str = typer.Argument(..., help="the agent whose claims go back to the pool"),
    export: str | None = typer.Option(None, "--export", help=_EXPORT_HELP),
) -> None:
    """Give every claim of an agent back to the pool, attempts unchanged (e.g. a dead agent).

    Example: globallm assign release build-host-4242-1a2b3c4d
    """
    check_export(export)
    if not agent_id.strip():
        raise UsageError("AGENT_ID must not be empty")
    from globallm_assets.services import claim as service

    settings = state(ctx).settings()
    released = service.release_agent(_dsn(settings), agent_id)
    if export == "json":
        emit_json(
            {
                "agent_id": agent_id,
                "released": [{"repository": r, "number": n} for r, n in released],
            }
        )
        return
    if not released:
        console.print(f"{agent_id} holds no claims")
        return
    for repository, number in released:
        console.print(f"[green]released[/green] {repository}#{number}")


@app.command("cleanup")
def cleanup(
    ctx: typer.Context,
    timeout_minutes: float | None = typer.Option(
        None,
        "--timeout-minutes",
        min=0,
        help="stale after this many minutes without a heartbeat (default: heartbeat_timeout)",
    ),
    export: str | None = typer.Option(None, "--export", help=_EXPORT_HELP),
) -> None:
    """Return claims without a recent heartbeat to the pool (attempts + 1); at the last attempt
    the issue is failed with the timeout as its error.

    Example: globallm assign cleanup --timeout-minutes 30
    """
    check_export(export)
    from globallm_assets.services import claim as service

    settings = state(ctx).settings()
    timeout = None if timeout_minutes is None else timeout_minutes * 60
    released = service.cleanup_stale(settings, _dsn(settings), timeout_seconds=timeout)
    if export == "json":
        emit_json({"released": [r.__dict__ for r in released]})
        return
    if not released:
        console.print("no stale claims")
        return
    for item in released:
        colour = "red" if item.status == "failed" else "green"
        console.print(
            f"[{colour}]{item.status}[/{colour}] {item.repository}#{item.number} "
            f"(was {item.agent_id}; attempts {item.attempts})"
        )
