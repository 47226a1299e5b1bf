"""`globallm demo`: `globallm run` on the simulated world, offline."""

from __future__ import annotations

import typer

from globallm_assets.cli.common import state


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


# Bounded so a typo cannot ask for a world that takes hours and gigabytes to generate.
MAX_REPOS_PER_LANGUAGE = 20_000


def demo(
    ctx: typer.Context,
    languages: str | None = typer.Option(
        None, "--languages", help="comma list (default: every configured language)"
    ),
    repos_per_language: int | None = typer.Option(
        None,
        "--repos-per-language",
        min=5,
        max=MAX_REPOS_PER_LANGUAGE,
        help="size of the simulated world (default: source.repos_per_language)",
    ),
    seed: int | None = typer.Option(
        None, "--seed", help="seed of the simulated world (default: source.seed)"
    ),
) -> None:
    """Bring up the store and materialize every asset on the simulated world, offline.

    The same code path as `globallm run --source simulated`. The simulated world has its own
    database and Dagster instance (`globallm dev --source simulated` shows the runs); a demo of
    another seed or size replaces the previous simulated world completely.

    Example: globallm demo --languages python,rust
    """
    from globallm_assets.cli.run_cmd import run_world

    app_state = state(ctx)
    app_state.overrides.update(
        {
            "source.kind": "simulated",
            "source.seed": seed,
            "source.repos_per_language": repos_per_language,
        }
    )
    run_world(app_state, languages, title="GlobaLLM demo")
