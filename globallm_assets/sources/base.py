"""The protocols every source implements.

``RepoSource`` is what GitHub and the simulated world both answer (repositories, activity,
issues); ``PackageIndex`` is what the registries and the simulated world answer (packages and
their dependencies). Services and assets depend only on these protocols.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from globallm_assets.core.models import ActivityStats, IssueRecord, PackageRecord, RepoMetadata


@dataclass(frozen=True)
class SearchQuery:
    """A repository search: free-text qualifiers plus the structured filters we slice on."""

    text: str = ""
    language: str | None = None
    min_stars: int = 0
    max_stars: int | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    include_forks: bool = False
    include_archived: bool = False
    owner: str | None = None


class SourceError(RuntimeError):
    """A source failed in a way the caller should report (one line, no secrets)."""


class NotFoundError(SourceError):
    """The repository, user or package does not exist at the source."""


@runtime_checkable
class RepoSource(Protocol):
    name: str

    def search_repositories(self, query: SearchQuery, max_results: int) -> Iterator[RepoMetadata]:
        """Repositories matching ``query``, most-starred first, at most ``max_results``."""
        ...

    def repository_metadata(self, full_names: Sequence[str]) -> dict[str, RepoMetadata]:
        """Metadata for many repositories at once (missing ones are absent from the result)."""
        ...

    def activity(self, full_name: str) -> ActivityStats:
        """Commit, contributor, CI and issue activity for the health score."""
        ...

    def issues(
        self, full_name: str, *, state: str = "open", since: datetime | None = None
    ) -> Iterator[IssueRecord]:
        """Issues (never pull requests) of one repository, updated since ``since`` if given."""
        ...


@runtime_checkable
class PackageIndex(Protocol):
    ecosystem: str

    def package(self, name: str) -> PackageRecord:
        """One package's metadata and declared dependencies."""
        ...

    def packages(self, names: Iterable[str]) -> Iterator[PackageRecord]:
        """Many packages; unknown ones are skipped."""
        ...
