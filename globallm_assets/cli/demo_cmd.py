"""`globallm demo`: `globallm run` on a fresh simulated world with real planted repositories,
discovery to merged pull request, offline."""

from __future__ import annotations

import typer

from globallm_assets.basics import MAX_REPOS_PER_LANGUAGE
from globallm_assets.cli.common import state
from globallm_assets.cli.run_cmd import DEFAULT_FIXES, MAX_FIXES


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


# The demo's world is the issue's "few hundred repositories across the six languages, a few
# thousand issues" (6 × 100 = 600 generated, ≈3,700 issues at the default seed), so it runs in
# well under a minute; `globallm run` keeps source.repos_per_language (a larger world).
DEMO_REPOS_PER_LANGUAGE = 100


def demo(
    ctx: typer.Context,
    languages: str | None = typer.Option(
        None, "--languages", help="comma list (default: every configured language)"
    ),
    repos_per_language: int = typer.Option(
        DEMO_REPOS_PER_LANGUAGE,
        "--repos-per-language",
        min=5,
        max=MAX_REPOS_PER_LANGUAGE,
        help="repositories generated per language in the simulated world (the demo's own "
        "default, not source.repos_per_language: 6 × 100 repositories, a few thousand issues)",
    ),
    seed: int | None = typer.Option(
        None, "--seed", help="seed of the simulated world (default: source.seed)"
    ),
    fix: int = typer.Option(
        DEFAULT_FIXES,
        "--fix",
        min=0,
        max=MAX_FIXES,
        help="issues to fix end to end after the ranking (0: skip the fix stage)",
    ),
) -> None:
    """The whole pipeline offline, discovery to merged pull request, then the status.

    Starts from a fresh simulated world (its own database and Dagster instance): every asset
    materialized through the project's jobs; the planted repositories (real git repositories
    with a planted bug or misspellings and their own tests) hosted on the local forge and
    ranked with the rest; then `--fix N` issues fixed, one fix_job run each: sandboxed
    validation (the new test fails before, passes after), a pull request, its risk review and
    the auto-merge of LOW-risk ones; the PR outcomes polled and learned from. LLM fixes replay
    recorded responses (no model is called); misspellings are fixed by codespell.
    `globallm dev --source simulated` shows every run afterwards.

    Example: globallm demo --languages python,javascript --fix 2
    """
    from globallm_assets.cli.run_cmd import run_world

    app_state = state(ctx)
    app_state.overrides.update(
        {
            "source.kind": "simulated",
            "source.seed": seed,
            "source.repos_per_language": repos_per_language,
            # The demo world's model: recorded responses, replayed (it says so wherever shown).
            "llm.provider": "replay",
        }
    )
    run_world(app_state, languages, title="GlobaLLM demo", fixes=fix, demo=True)
