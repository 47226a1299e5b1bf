"""What the commands that read a source share: ``--source``, repository arguments, and the one
mapping from source failures to exit codes.

Every command maps a failure the same way, so one failure reads the same everywhere: a
repository, owner or package the source does not know is bad input (exit 2); any other source
failure (GitHub down, bad credentials, a registry answering nonsense) is exit 1. The message is
the source's own one line.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer

from globallm_assets.cli.common import CommandFailed, UsageError, state
from globallm_assets.settings import Settings

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
