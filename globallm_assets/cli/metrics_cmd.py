"""`globallm metrics serve`: a Prometheus endpoint for the store's state, until stopped."""

from __future__ import annotations

import signal
import threading

import typer

from globallm_assets.cli.common import CommandFailed, err_console, state

app = typer.Typer(
    help=(
        "Prometheus metrics: pull requests, budget, claims, agents, fixes, tokens."
        "\n\nExample: globallm metrics serve --port 9464"
    ),
    no_args_is_help=True,
)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="metrics")


def wait_for_stop(stop: threading.Event) -> None:
    """Block until SIGTERM or Ctrl-C (which arrives as KeyboardInterrupt)."""
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())
    try:
        while not stop.wait(1.0):
            pass
    finally:
        signal.signal(signal.SIGTERM, previous)


@app.command("serve")
def serve(
    ctx: typer.Context,
    host: str | None = typer.Option(None, "--host", help="interface (default: metrics.host)"),
    port: int | None = typer.Option(
        None, "--port", min=0, max=65535, help="port (default: metrics.port, 9464; 0: any)"
    ),
) -> None:
    """Serve /metrics for Prometheus until Ctrl-C or SIGTERM. Every scrape reads PostgreSQL:
    pull requests by state, budget used and remaining, issues by status, live and stale
    claims, agents, fix attempts by outcome, model tokens. Run one per database; agents export
    their own counters on `metrics.agent_port`.

    Example: globallm metrics serve --host 0.0.0.0 --port 9464
    """
    from globallm_assets.metrics import serve_store
    from globallm_assets.store.db import prepare

    settings = state(ctx).settings()
    dsn = prepare(settings).dsn
    where = host or settings.metrics.host
    chosen = settings.metrics.port if port is None else port
    try:
        server = serve_store(settings, dsn, host=where, port=chosen)
    except OSError as exc:
        raise CommandFailed(f"cannot listen on {where}:{chosen}: {exc.strerror or exc}") from None
    err_console.print(f"serving {server.url} (Ctrl-C to stop)")
    try:
        wait_for_stop(threading.Event())
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
    err_console.print("stopped")
