"""`globallm database init | status | migrate | close`."""

from __future__ import annotations

import typer
from rich.table import Table

from globallm_assets.cli.common import check_export, console, emit_json, state

app = typer.Typer(
    help="Manage GlobaLLM's PostgreSQL store.\n\nExample: globallm database status",
    no_args_is_help=True,
)


@app.command("init")
def init(ctx: typer.Context) -> None:
    """Start the store (embedded server unless GLOBALLM_DATABASE_URL is set) and migrate it.

    Example: globallm database init
    """
    from globallm_assets.store import migrations
    from globallm_assets.store.db import locate

    settings = state(ctx).settings()
    location = locate(settings)
    applied = migrations.migrate(location.dsn)
    where = "embedded server" if location.embedded else "external server"
    console.print(f"[green]ready[/green]: {where} at {location.safe_dsn}")
    console.print(f"applied {len(applied)} migration(s)")


@app.command("migrate")
def migrate(
    ctx: typer.Context,
    to: int | None = typer.Option(None, "--to", min=1, help="stop after this version"),
) -> None:
    """Apply pending sql/NNNN_*.sql migrations in order (safe to run concurrently).

    Example: globallm database migrate
    """
    from globallm_assets.store import migrations
    from globallm_assets.store.db import locate

    location = locate(state(ctx).settings())
    applied = migrations.migrate(location.dsn, target=to)
    if not applied:
        console.print("schema is up to date")
    for item in applied:
        console.print(f"applied {item.version:04d}_{item.name}")


@app.command("status")
def status(
    ctx: typer.Context,
    export: str | None = typer.Option(None, "--export", help="json: machine-readable stdout"),
) -> None:
    """Show where the store is, whether it runs, and which migrations are applied or pending.

    Example: globallm database status --export json
    """
    import psycopg

    from globallm_assets.store import migrations
    from globallm_assets.store.db import embedded_server, locate

    check_export(export)
    settings = state(ctx).settings()
    report: dict[str, object] = {}
    if settings.database.url is None:
        server = embedded_server(settings)
        info = server.status()
        report.update(
            mode="embedded",
            data_dir=str(info.pgdata),
            initialized=info.initialized,
            running=info.running,
            pid=info.pid,
            server_version=info.version,
        )
        reachable = info.running
    else:
        report["mode"] = "external"
        reachable = True
    if reachable:
        location = locate(settings, start=False)
        report["dsn"] = location.safe_dsn
        try:
            with psycopg.connect(location.dsn, connect_timeout=10) as conn:
                done = migrations.applied(conn)
                todo = migrations.pending(conn)
            report["running"] = True
            report["applied"] = [f"{m.version:04d}_{m.name}" for m in done]
            report["pending"] = [f"{m.version:04d}_{m.name}" for m in todo]
        except psycopg.OperationalError as exc:
            report["running"] = False
            report["error"] = (
                str(exc).strip().splitlines()[0] if str(exc).strip() else "unreachable"
            )
    # Scripts can test the exit code: 1 when the store is not up.
    code = 0 if report.get("running") else 1
    if export == "json":
        emit_json(report)
        raise typer.Exit(code)
    table = Table(title="GlobaLLM store", show_header=False)
    table.add_column("key", style="cyan")
    table.add_column("value")
    for key, value in report.items():
        if isinstance(value, list):
            value = ", ".join(value) or "—"
        table.add_row(key, "—" if value is None else str(value))
    console.print(table)
    raise typer.Exit(code)


@app.command("close")
def close(ctx: typer.Context) -> None:
    """Stop the embedded server (data is kept; the next command starts it again).

    Example: globallm database close
    """
    from globallm_assets.store.db import embedded_server

    settings = state(ctx).settings()
    if settings.database.url is not None:
        console.print("external server in use (GLOBALLM_DATABASE_URL): nothing to stop")
        return
    stopped = embedded_server(settings).stop()
    console.print("stopped embedded server" if stopped else "embedded server was not running")
