"""The ``globallm`` command: a typer app whose commands call ``services`` and format the result.

Exit codes: 0 success, 1 failure, 2 usage or input error. Errors are one line on stderr, never a
traceback (set GLOBALLM_DEBUG=1 to see one).
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import typer

from globallm_assets.cli import config_cmd, database_cmd
from globallm_assets.cli.common import AppState, CommandFailed, UsageError, err_console, state
from globallm_assets.observability import operation, redact
from globallm_assets.settings import ConfigError

log = logging.getLogger("globallm_assets.cli")

app = typer.Typer(
    name="globallm",
    help=(
        "GlobaLLM: decide where LLM agents should work in open source, then do the work."
        "\n\nExample: globallm demo"
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.add_typer(config_cmd.app, name="config")
app.add_typer(database_cmd.app, name="database")


@app.callback()
def main(
    ctx: typer.Context,
    config: Path | None = typer.Option(
        None, "--config", envvar="GLOBALLM_CONFIG", help="YAML config file to use"
    ),
    database_url: str | None = typer.Option(
        None, "--database-url", help="PostgreSQL URL (overrides GLOBALLM_DATABASE_URL)"
    ),
    data_dir: Path | None = typer.Option(None, "--data-dir", help="where the embedded store lives"),
    log_level: str | None = typer.Option(None, "--log-level", help="DEBUG, INFO, WARNING, ERROR"),
) -> None:
    """GlobaLLM command line. Example: globallm database status"""
    overrides = {
        "database.url": database_url,
        "data_dir": str(data_dir) if data_dir else None,
        "log_level": log_level.upper() if log_level else None,
    }
    ctx.obj = AppState(config_file=config, overrides=overrides)


@app.command("dev")
def dev(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", "--host", help="interface for the Dagster UI"),
    port: int = typer.Option(3000, "--port", min=1, max=65535, help="port for the Dagster UI"),
) -> None:
    """Start the Dagster UI and daemon with the GlobaLLM code location, instance in PostgreSQL.

    Example: globallm dev --port 3000
    """
    from globallm_assets.services.dagster_home import prepare_dagster_home, project_root
    from globallm_assets.store.db import prepare

    settings = state(ctx).settings()
    location = prepare(settings)
    env = {**os.environ, **prepare_dagster_home(settings, location)}
    workspace = project_root() / "workspace.yaml"
    target = (
        ["-w", str(workspace)] if workspace.is_file() else ["-m", "globallm_assets.definitions"]
    )
    argv = ["dagster", "dev", *target, "-h", host, "-p", str(port)]
    log.info("starting Dagster UI on http://%s:%s (instance in PostgreSQL)", host, port)
    err_console.print(f"Dagster UI: http://{host}:{port}  (Ctrl-C to stop)")
    dagster = Path(sys.executable).parent / "dagster"
    # exec: dagster dev owns the terminal and receives Ctrl-C/SIGTERM directly.
    os.execvpe(str(dagster) if dagster.exists() else "dagster", argv, env)


def _register_commands() -> None:
    """Commands from later stages register themselves here (kept lazy: imports are cheap)."""
    from globallm_assets.cli import (
        agent_cmd,
        assign_cmd,
        budget_cmd,
        demo_cmd,
        discover_cmd,
        fix_cmd,
        issues_cmd,
        metrics_cmd,
        prs_cmd,
        redundancy_cmd,
        repos_cmd,
        status_cmd,
    )

    demo_cmd.register(app)
    discover_cmd.register(app)
    repos_cmd.register(app)
    issues_cmd.register(app)
    redundancy_cmd.register(app)
    fix_cmd.register(app)
    prs_cmd.register(app)
    assign_cmd.register(app)
    budget_cmd.register(app)
    agent_cmd.register(app)
    status_cmd.register(app)
    metrics_cmd.register(app)


_register_commands()


def run(argv: list[str] | None = None) -> None:
    """Console-script entry point: maps every error to a one-line message and an exit code."""
    debug = os.environ.get("GLOBALLM_DEBUG") == "1"
    code = 0
    with operation() as op_id:
        try:
            # Standalone mode: typer/click print usage errors themselves and exit with 2.
            app(args=argv, prog_name="globallm")
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except (UsageError, ConfigError) as exc:
            _error(str(exc), debug)
            code = 2
        except KeyboardInterrupt:
            code = 130
        except Exception as exc:
            if debug:
                raise
            name = "" if isinstance(exc, CommandFailed) else f"{type(exc).__name__}: "
            _error(f"{name}{exc} (op {op_id})", debug)
            code = 1
    sys.exit(code)


def _error(message: str, debug: bool) -> None:
    line = redact(message.strip().splitlines()[0] if message.strip() else "failed")
    err_console.print(f"[red]error:[/red] {line}", highlight=False, soft_wrap=True)
