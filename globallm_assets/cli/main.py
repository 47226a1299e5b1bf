"""The ``globallm`` command: a typer app whose commands call ``services`` and format the result.

Exit codes: 0 success, 1 failure, 2 usage or input error. Errors are one line on stderr, never a
traceback (set GLOBALLM_DEBUG=1 to see one).
"""

from __future__ import annotations

import inspect
import logging
import os
import signal
import sys
import threading
import typing
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.markup import escape

from globallm_assets.basics import INT64_MAX, INT64_MIN, ConfigError
from globallm_assets.cli import config_cmd, database_cmd
from globallm_assets.cli.common import AppState, CommandFailed, UsageError, err_console, state
from globallm_assets.observability import format_exception, operation, redact

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
    source: str | None = typer.Option(
        None,
        "--source",
        help="world to work in: github (real) or simulated; each has its own database",
    ),
) -> None:
    """GlobaLLM command line. Example: globallm --source simulated prioritize --top 5"""
    if source not in (None, "github", "simulated"):
        raise UsageError("--source must be github or simulated")
    overrides = {
        "database.url": database_url,
        "data_dir": str(data_dir) if data_dir else None,
        "log_level": log_level.upper() if log_level else None,
        "source.kind": source,
    }
    ctx.obj = AppState(config_file=config, overrides=overrides)


@app.command("dev")
def dev(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", "--host", help="interface for the Dagster UI"),
    port: int = typer.Option(3000, "--port", min=1, max=65535, help="port for the Dagster UI"),
    source: str | None = typer.Option(
        None,
        "--source",
        help="world to open: github (real) or simulated (the demo's); default source.kind",
    ),
) -> None:
    """Start the Dagster UI and daemon with the GlobaLLM code location, instance in PostgreSQL.

    Each world has its own instance: `--source simulated` opens the one the demo ran in (with
    the demo's seed and size), so its runs can be inspected and re-executed there.

    Example: globallm dev --source simulated --port 3000
    """
    from globallm_assets.services.dagster_home import prepare_dagster_home, project_root
    from globallm_assets.store.db import prepare, with_recorded_world

    if source not in (None, "github", "simulated"):
        raise UsageError("--source must be github or simulated")
    app_state = state(ctx)
    if source:
        app_state.overrides["source.kind"] = source
    settings = with_recorded_world(app_state.settings())
    location = prepare(settings)
    env = {
        **os.environ,
        **prepare_dagster_home(settings, location, config_file=app_state.config_file),
    }
    workspace = project_root() / "workspace.yaml"
    target = (
        ["-w", str(workspace)] if workspace.is_file() else ["-m", "globallm_assets.definitions"]
    )
    argv = ["dagster", "dev", *target, "-h", host, "-p", str(port)]
    log.info("starting Dagster UI on http://%s:%s (instance in PostgreSQL)", host, port)
    err_console.print(
        f"Dagster UI: http://{host}:{port}  ({location.world.describe()}; Ctrl-C to stop)"
    )
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
        graph_cmd,
        issues_cmd,
        metrics_cmd,
        prs_cmd,
        redundancy_cmd,
        repos_cmd,
        run_cmd,
        status_cmd,
    )

    demo_cmd.register(app)
    discover_cmd.register(app)
    graph_cmd.register(app)
    repos_cmd.register(app)
    issues_cmd.register(app)
    redundancy_cmd.register(app)
    fix_cmd.register(app)
    prs_cmd.register(app)
    assign_cmd.register(app)
    budget_cmd.register(app)
    agent_cmd.register(app)
    run_cmd.register(app)
    status_cmd.register(app)
    metrics_cmd.register(app)


_register_commands()


class _Interrupted(BaseException):
    """SIGINT or SIGTERM, raised where the command is so it unwinds (files, transactions)."""


def _is_int(annotation: object) -> bool:
    """``int`` or ``int | None``, also as the string a module with postponed annotations has
    (not evaluated: a name imported only for type checking would fail)."""
    if isinstance(annotation, str):
        return annotation.replace(" ", "") in {"int", "int|None", "None|int", "Optional[int]"}
    return annotation is int or int in typing.get_args(annotation)


def _bound_integers(typer_app: typer.Typer) -> None:
    """Give every integer flag and argument the 64-bit bounds PostgreSQL and the libraries below
    take, so an absurd value is refused by the parser instead of overflowing inside a command."""
    for command in typer_app.registered_commands:
        if command.callback is None:
            continue
        hints = inspect.get_annotations(command.callback)
        for name, parameter in inspect.signature(command.callback).parameters.items():
            info = parameter.default
            if not isinstance(info, typer.models.ParameterInfo):
                continue
            if _is_int(hints.get(name)):
                info.min = INT64_MIN if info.min is None else info.min
                info.max = INT64_MAX if info.max is None else info.max
    for group in typer_app.registered_groups:
        if group.typer_instance is not None:
            _bound_integers(group.typer_instance)


_bound_integers(app)


def _usage_line(exc: typer.TyperException) -> str:
    message = " ".join(exc.format_message().split())
    ctx = getattr(exc, "ctx", None)
    if exc.exit_code == 2 and ctx is not None:
        message += f" (see `{ctx.command_path} --help`)"
    return message


def run(argv: list[str] | None = None) -> None:
    """Console-script entry point: maps every error to a one-line message and an exit code."""
    debug = os.environ.get("GLOBALLM_DEBUG") == "1"
    code = 0
    with operation() as op_id, _signals_raise():
        try:
            # Not standalone: the parser's own errors come here, to be printed as one line.
            result = app(args=argv, prog_name="globallm", standalone_mode=False)
            code = result if isinstance(result, int) else 0
        except typer.TyperException as exc:
            # A group called without a command: its help is the answer (exit 2, as click). Typer's
            # rich help prints itself while the error is built (`ctx.get_help()` prints and
            # returns ""), so nothing is printed again here, and nothing may ask for the help
            # of a command whose parameter was refused.
            if type(exc).__name__ != "NoArgsIsHelpError":
                _error(_usage_line(exc))
            code = exc.exit_code
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except (UsageError, ConfigError) as exc:
            _error(str(exc))
            code = 2
        except typer.Abort:
            _error("aborted")
            code = 1
        except _Interrupted as exc:
            _error(f"interrupted ({exc.args[0]})")
            code = 128 + exc.args[1]
        except Exception as exc:
            if debug:
                # The traceback Python would print, with every configured secret redacted.
                sys.stderr.write(format_exception(exc))
                sys.exit(1)
            name = "" if isinstance(exc, CommandFailed) else f"{type(exc).__name__}: "
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            _error(f"{name}{first} (op {op_id})")
            code = 1
    sys.exit(code)


@contextmanager
def _signals_raise() -> Iterator[None]:
    """SIGINT and SIGTERM become one exception for the command's duration (main thread only):
    the command unwinds, and ends with one line instead of a traceback."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: object) -> None:
        raise _Interrupted(signal.Signals(signum).name, signum)

    previous = {sig: signal.signal(sig, interrupt) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _error(message: str) -> None:
    line = redact(message.strip().splitlines()[0] if message.strip() else "failed")
    # The message is data: brackets in it (a partition like "[python]") are not markup.
    err_console.print(f"[red]error:[/red] {escape(line)}", highlight=False, soft_wrap=True)
