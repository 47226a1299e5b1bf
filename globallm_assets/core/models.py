"""Typed records shared by every layer.

Sources produce these, scoring functions in ``core`` consume them, the store persists them as
JSONB plus typed columns. Keeping one shape for GitHub, the registries and the simulated world is
what makes the sources interchangeable.
"""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class Language(StrEnum):
    """Languages GlobaLLM partitions its work by (one Dagster partition each)."""

    python = "python"
    javascript = "javascript"
    typescript = "typescript"
    go = "go"
    rust = "rust"
    java = "java"


LANGUAGES: tuple[str, ...] = tuple(lang.value for lang in Language)

# Package ecosystem holding each language's libraries; the dependency graph is built per ecosystem.
ECOSYSTEM_BY_LANGUAGE: dict[str, str] = {
    "python": "pypi",
    "javascript": "npm",
    "typescript": "npm",
    "go": "go",
    "rust": "crates",
    "java": "maven",
}

_NAME = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})"
_REPO = r"[A-Za-z0-9._-]{1,100}"
_FULL_NAME_RE = re.compile(rf"^({_NAME})/({_REPO})$")
_URL_RE = re.compile(
    rf"^(?:git\+)?(?:https?|git|ssh)://(?:[^@/]+@)?[^/]+[/:]({_NAME})/({_REPO}?)(?:\.git)?/?(?:[#?].*)?$"
)
_SCP_RE = re.compile(rf"^git@[^:]+:({_NAME})/({_REPO}?)(?:\.git)?$")


def parse_repo_name(text: str) -> str:
    """Normalise ``owner/repo`` or a repository URL to ``owner/repo``.

    Raises ``ValueError`` with a one-line message for anything else, so the CLI can refuse it
    with exit code 2 instead of querying a remote for garbage.
    """
    candidate = text.strip()
    for pattern in (_FULL_NAME_RE, _URL_RE, _SCP_RE):
        match = pattern.match(candidate)
        if match:
            owner, repo = match.group(1), match.group(2)
            if repo.endswith(".git"):
                repo = repo[: -len(".git")]
            if repo and repo not in {".", ".."}:
                return f"{owner}/{repo}"
    raise ValueError(f"not a repository name or URL: {text!r} (expected OWNER/REPO)")


class Record(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=False)


class RepoMetadata(Record):
    """What a source knows about one repository (GitHub's GraphQL fields, or simulated ones)."""

    full_name: str
    language: str | None = None
    description: str | None = None
    stars: int = 0
    forks: int = 0
    archived: bool = False
    is_fork: bool = False
    license: str | None = None  # SPDX id, None when unknown
    default_branch: str | None = None
    created_at: datetime | None = None
    pushed_at: datetime | None = None
    open_issues: int = 0
    closed_issues: int = 0
    releases_last_year: int | None = None
    languages: list[str] = Field(default_factory=list)
    topics: list[str] = Field(default_factory=list)
    homepage: str | None = None
    readme: str | None = None


class ActivityStats(Record):
    """Activity signals for the health score. ``None`` means "the source could not tell"."""

    commits_90d: int | None = None
    contributors: int | None = None
    # Share of the last year's commits made by the single most active contributor (0..1).
    top_contributor_share: float | None = None
    ci_runs_total: int | None = None
    ci_runs_passed: int | None = None
    issues_opened_90d: int | None = None
    issues_closed_90d: int | None = None
    maintainer_responses_90d: int | None = None
    has_readme: bool | None = None
    has_contributing: bool | None = None


class PackageRecord(Record):
    """One package in a registry, with its declared runtime dependencies."""

    ecosystem: str
    name: str
    version: str | None = None
    repository: str | None = None  # owner/repo when the registry links one
    description: str | None = None
    readme: str | None = None
    latest_release_at: datetime | None = None
    dependencies: list[str] = Field(default_factory=list)


class DependencyEdge(Record):
    """``dependent`` depends on ``dependency`` (both repository full names)."""

    dependent: str
    dependency: str
    ecosystem: str


class IssueRecord(Record):
    """An issue as GitHub's REST API shapes it, reduced to what ranking needs."""

    repository: str
    number: int
    title: str
    body: str | None = None
    state: str = "open"
    labels: list[str] = Field(default_factory=list)
    created_at: datetime | None = None
    updated_at: datetime | None = None
    closed_at: datetime | None = None
    comments: int = 0
    reactions: int = 0
    author_association: str | None = None
    assignees: list[str] = Field(default_factory=list)
    locked: bool = False
    linked_pull_requests: int = 0
