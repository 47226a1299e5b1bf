"""What every command shares: the settings layer from global flags, errors → exit codes, output."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console

from globallm_assets.observability import configure_logging, register_secrets

if TYPE_CHECKING:
    from globallm_assets.settings import Settings

console = Console()
err_console = Console(stderr=True)


class UsageError(ValueError):
    """Bad input from the user: one line on stderr, exit code 2."""


class CommandFailed(RuntimeError):
    """The command could not do its job: one line on stderr, exit code 1."""


@dataclass
class AppState:
    config_file: Path | None = None
    overrides: dict[str, Any] = field(default_factory=dict)
    _settings: Settings | None = None

    def settings(self) -> Settings:
        if self._settings is None:
            # Imported here: pydantic and the settings models are not needed to parse arguments.
            from globallm_assets.settings import load_settings, secret_values

            self._settings = load_settings(self.config_file, self.overrides)
            configure_logging(self._settings.log_level)
            register_secrets(secret_values(self._settings))
        return self._settings


def state(ctx: typer.Context) -> AppState:
    obj = ctx.find_root().obj
    if not isinstance(obj, AppState):
        obj = AppState()
        ctx.find_root().obj = obj
    return obj


def emit_json(data: Any) -> None:
    """Machine-readable output: JSON on stdout and nothing else."""
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")
    sys.stdout.flush()


def check_export(value: str | None, allowed: tuple[str, ...] = ("json",)) -> str | None:
    if value is not None and value not in allowed:
        raise UsageError(f"--export must be one of: {', '.join(allowed)}")
    return value
