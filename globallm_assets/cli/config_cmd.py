"""`globallm config show | set | path`."""

from __future__ import annotations

import typer
from rich.table import Table

from globallm_assets.cli.common import check_export, console, emit_json, state

app = typer.Typer(
    help="Show and change GlobaLLM settings.\n\nExample: globallm config show",
    no_args_is_help=True,
)


def _flatten(data: dict, prefix: str = "") -> list[tuple[str, object]]:
    rows: list[tuple[str, object]] = []
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict):
            rows += _flatten(value, f"{dotted}.")
        else:
            rows.append((dotted, value))
    return rows


@app.command("show")
def show(
    ctx: typer.Context,
    export: str | None = typer.Option(None, "--export", help="json: machine-readable stdout"),
) -> None:
    """Print the effective settings (every layer applied), secrets masked.

    Example: globallm config show --export json
    """
    check_export(export)
    from globallm_assets.settings import masked

    data = masked(state(ctx).settings())
    if export == "json":
        emit_json(data)
        return
    table = Table(title="GlobaLLM settings", show_lines=False)
    table.add_column("key", style="cyan")
    table.add_column("value")
    for key, value in _flatten(data):
        table.add_row(key, "—" if value is None else str(value))
    console.print(table)


# ignore_unknown_options: a negative VALUE such as -1 is a value, not an option.
@app.command("set", context_settings={"ignore_unknown_options": True})
def set_(
    ctx: typer.Context,
    key: str = typer.Argument(..., help="dotted key, e.g. filters.min_stars"),
    value: str = typer.Argument(..., help="new value (YAML scalar or comma list)"),
) -> None:
    """Set KEY to VALUE in the YAML config file (atomic; refused if invalid, file unchanged).

    Example: globallm config set filters.min_stars 5000
    """
    from globallm_assets.config_file import set_config_value
    from globallm_assets.settings import default_config_path

    path = state(ctx).config_file or default_config_path()
    stored = set_config_value(path, key, value)
    shown = "****" if ("token" in key or "key" in key or key == "database.url") else stored
    console.print(f"[green]set[/green] {key} = {shown}  ({path})")


@app.command("path")
def path(ctx: typer.Context) -> None:
    """Print the path of the YAML config file in use.

    Example: globallm config path
    """
    from globallm_assets.settings import default_config_path

    typer.echo(str(state(ctx).config_file or default_config_path()))
