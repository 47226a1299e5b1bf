"""What the commands that read a source share: ``--source``, repository arguments, and the one
mapping from source failures to exit codes.

Every command maps a failure the same way, so one failure reads the same everywhere: a
repository, owner or package the source does not know is bad input (exit 2); any other source
failure (GitHub down, bad credentials, a registry answering nonsense) is exit 1. The message is
the source's own one line.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import typer

from globallm_assets.cli.common import CommandFailed, UsageError, err_console, state

if TYPE_CHECKING:
    from globallm_assets.settings import Settings
    from globallm_assets.sources.base import RepoSource

SOURCES = ("github", "simulated")
SOURCE_HELP = "github or simulated (overrides source.kind)"


def settings_for(ctx: typer.Context, source: str | None) -> Settings:
    """Settings with ``--source`` applied as a flag-level override (it must precede loading)."""
    if source is not None:
        if source not in SOURCES:
            raise UsageError(f"--source must be one of: {', '.join(SOURCES)}")
        state(ctx).overrides["source.kind"] = source
    return state(ctx).settings()


def repo_name_argument(text: str) -> str:
    """OWNER/REPO or a repository URL, normalised; anything else is a usage error (exit 2)."""
    from globallm_assets.core.models import parse_repo_name

    try:
        return parse_repo_name(text)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


@contextmanager
def source_errors() -> Iterator[None]:
    """Unknown repository/owner/package → exit 2; any other source failure → exit 1."""
    from globallm_assets.sources.base import NotFoundError, SourceError

    try:
        yield
    except NotFoundError as exc:
        raise UsageError(str(exc)) from None
    except SourceError as exc:
        raise CommandFailed(str(exc)) from None


def source_and_store(settings: Settings) -> tuple[RepoSource, str]:
    """The configured source and the database of its world (started and migrated once)."""
    from globallm_assets.services.sources import repo_source, store_dsn

    dsn = store_dsn(settings)
    # With a DSN, the GitHub source keeps its ETags in the store, so re-runs cost little quota.
    return repo_source(settings, dsn=dsn), dsn


@contextmanager
def steps(total: int, title: str) -> Iterator[Callable[[str], None]]:
    """A progress bar on stderr over ``total`` named steps; yields ``step(description)``, which
    completes the previous step and shows the next one.

    Off a terminal the bar would draw nothing (it is transient): no bar is built then, so a piped
    or scripted command does not pay for rich's progress display and its refresh thread."""
    if not (err_console.is_terminal or err_console.is_jupyter):
        try:
            yield lambda description: None
        finally:
            err_console.line()  # the one line a stopped transient bar leaves off a terminal
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=err_console,
        transient=True,
    ) as bar:
        task = bar.add_task(title, total=total)
        started = False

        def step(description: str) -> None:
            nonlocal started
            if started:
                bar.advance(task)
            started = True
            bar.update(task, description=description)

        yield step
        bar.update(task, completed=total)
