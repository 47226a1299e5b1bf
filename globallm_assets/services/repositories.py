"""The stored catalogue of repositories, for commands that read it, and "what to run next".

An empty answer is only useful when it says which command fills it: :func:`next_step` looks at
how far the store has come (repositories → verdicts → approved → issues) and names the command
that produces the missing stage.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from globallm_assets.store import issues as issue_store
from globallm_assets.store import repositories as repo_store
from globallm_assets.store.db import transaction

Stage = Literal["repositories", "approved", "ranking"]


@dataclass(frozen=True)
class RepositoryPage:
    rows: list[repo_store.RepositorySummary]
    total: int


def list_page(
    dsn: str, *, language: str | None = None, status: str | None = None, limit: int | None = None
) -> RepositoryPage:
    """Stored repositories, most-starred first, at most ``limit`` of ``total`` (the limit and
    filters run in SQL; the JSON columns are not read)."""
    with transaction(dsn) as conn:
        rows, total = repo_store.repository_page(
            conn, language=language, status=status, limit=limit
        )
    return RepositoryPage(rows=rows, total=total)


def find(dsn: str, name: str) -> repo_store.StoredRepository | None:
    with transaction(dsn) as conn:
        return repo_store.get_repository(conn, name)


def remove(dsn: str, name: str) -> bool:
    """Delete a repository with its issues and edges; ``ValueError`` while an agent holds a
    claim on one of its issues."""
    with transaction(dsn) as conn:
        return repo_store.remove_repository(conn, name)


def next_step(dsn: str, *, language: str | None = None, wanted: Stage = "ranking") -> str | None:
    """Why the store holds nothing for ``wanted`` yet, naming the command that fills it; ``None``
    when that stage has data."""
    with transaction(dsn) as conn:
        counts = issue_store.pipeline_counts(conn, language)
    scope = f" --language {language}" if language else ""
    where = f" for {language}" if language else ""
    if counts.repositories == 0:
        return f"no repositories stored{where}: run `globallm discover{scope}`"
    if wanted == "repositories":
        return None
    if counts.analyzed == 0:
        command = f"globallm analyze{scope or ' --all'}"
        return f"none of the {counts.repositories} stored repositories is analyzed: run `{command}`"
    if counts.approved == 0:
        return (
            f"none of the {counts.analyzed} analyzed repositories is worth working on (health and "
            "impact must both pass their thresholds): see `globallm repos list --filter rejected`"
        )
    if wanted == "approved":
        return None
    if counts.scored == 0:
        return (
            f"no issues fetched for the {counts.approved} approved repositories: run "
            f"`globallm prioritize --refresh{scope}` (or `globallm issues OWNER/REPO`)"
        )
    if counts.touchable == 0:
        return (
            f"all {counts.scored} open issues of the approved repositories are off limits "
            "(assigned, linked pull request, opted out…): see `globallm issues OWNER/REPO`"
        )
    return None
