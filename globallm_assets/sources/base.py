"""The protocols every source implements.

``RepoSource`` is what GitHub and the simulated world both answer (repositories, activity,
issues, files, their clock); ``PackageIndex`` is what the registries and the simulated world
answer (packages and their dependencies). Services and assets depend only on these protocols:
every capability is a method here, and a source that lacks one says so in its answer (``None``,
documented per method) instead of lacking the method.
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


def repository_not_found(name: str, source: str) -> NotFoundError:
    """The one wording of a missing repository, whichever source and command met it."""
    return NotFoundError(f"repository {name} not found at the {source} source")


@runtime_checkable
class RepoSource(Protocol):
    name: str

    @property
    def now(self) -> datetime:
        """The moment the source's data describes: the wall clock for a live source, a fixed
        date for a recorded or simulated one. Ages and recency are measured from it."""
        ...

    def search_repositories(self, query: SearchQuery, max_results: int) -> Iterator[RepoMetadata]:
        """Repositories matching ``query``, most-starred first, at most ``max_results``."""
        ...

    def repository_metadata(self, full_names: Sequence[str]) -> dict[str, RepoMetadata]:
        """Metadata for many repositories at once (missing ones are absent from the result)."""
        ...

    def activity(self, full_name: str) -> ActivityStats:
        """Commit, contributor, CI and issue activity for the health score (``NotFoundError``
        for an unknown repository)."""
        ...

    def activity_batch(self, full_names: Sequence[str]) -> dict[str, ActivityStats]:
        """Activity for many repositories at once (missing ones are absent from the result)."""
        ...

    def repository_file(self, full_name: str, path: str) -> str | None:
        """Text of one file on the default branch; ``None`` when there is no such file (or the
        source keeps no files)."""
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

    def all_packages(self) -> list[PackageRecord] | None:
        """Every package of a closed world (the simulated one); ``None`` for a real registry,
        which lists a package's dependencies but cannot be enumerated."""
        ...
