"""The pull-request side of a code host, as one protocol with typed models.

Two real implementations: :class:`~globallm_assets.forge.github.GitHubForge` (githubkit) and
:class:`~globallm_assets.forge.local.LocalForge` (bare git repositories plus PostgreSQL tables).
``services.contribute`` drives either one the same way, so the demo exercises the exact code path
that opens pull requests on GitHub.

Nothing here knows about risk or etiquette policy: a forge does what it is told, reports what the
host says, and never lets a credential reach an error message.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable

MergeMethod = Literal["merge", "squash", "rebase"]


class ForgeError(RuntimeError):
    """The forge refused or failed an operation. The message is one line and secret-free."""


class PRState(StrEnum):
    open = "open"
    merged = "merged"
    closed = "closed"


class CheckState(StrEnum):
    """A check's outcome as far as merging is concerned."""

    pending = "pending"  # queued or running, or required but not reported yet
    success = "success"
    failure = "failure"  # failure, error, timed out, cancelled, action required
    neutral = "neutral"  # neutral or skipped: never blocks, never satisfies a requirement


class Mergeability(StrEnum):
    clean = "clean"  # up to date with the base, nothing blocks
    behind = "behind"  # the base moved on; must be updated before merging
    conflict = "conflict"
    blocked = "blocked"  # branch protection (checks, reviews) blocks it
    draft = "draft"
    unknown = "unknown"  # the host has not computed it yet


@dataclass(frozen=True)
class PushTarget:
    """Where a branch goes: the base repository itself, or a fork of it.

    ``remote_url`` never carries credentials; the forge adds them per command.
    """

    repository: str
    remote_url: str
    is_fork: bool


@dataclass(frozen=True)
class PullRequestRequest:
    title: str
    body: str
    head_branch: str
    base_branch: str
    draft: bool
    issue_number: int
    labels: Sequence[str] = ()


@dataclass(frozen=True)
class PullRequest:
    repository: str
    number: int
    url: str
    head_repository: str
    head_branch: str
    head_sha: str
    base_branch: str
    draft: bool
    labels: tuple[str, ...] = ()
    node_id: str | None = None  # GitHub's GraphQL id (auto-merge, ready for review)


@dataclass(frozen=True)
class CheckResult:
    name: str
    state: CheckState
    summary: str = ""
    url: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "state": self.state.value, "summary": self.summary}


@dataclass(frozen=True)
class Review:
    author: str
    state: str  # APPROVED | CHANGES_REQUESTED | COMMENTED | DISMISSED
    body: str
    submitted_at: datetime | None

    def as_dict(self) -> dict[str, Any]:
        when = self.submitted_at.isoformat() if self.submitted_at else None
        return {"author": self.author, "state": self.state, "body": self.body, "at": when}


@dataclass(frozen=True)
class ReviewComment:
    author: str
    body: str
    path: str | None
    line: int | None
    created_at: datetime | None

    def as_dict(self) -> dict[str, Any]:
        when = self.created_at.isoformat() if self.created_at else None
        return {
            "author": self.author,
            "body": self.body,
            "path": self.path,
            "line": self.line,
            "at": when,
        }


@dataclass(frozen=True)
class PullRequestStatus:
    """What the host says about a pull request now."""

    repository: str
    number: int
    state: PRState
    draft: bool
    head_sha: str
    base_branch: str
    mergeability: Mergeability
    auto_merge_enabled: bool
    merge_sha: str | None = None
    merged_at: datetime | None = None
    closed_at: datetime | None = None
    labels: tuple[str, ...] = ()
    checks: tuple[CheckResult, ...] = ()
    required_checks: tuple[str, ...] = ()
    reviews: tuple[Review, ...] = ()
    comments: tuple[ReviewComment, ...] = ()

    @property
    def changes_requested(self) -> bool:
        """True when a reviewer's latest review asks for changes."""
        latest: dict[str, str] = {}
        for review in self.reviews:
            if review.state in ("APPROVED", "CHANGES_REQUESTED", "DISMISSED"):
                latest[review.author] = review.state
        return "CHANGES_REQUESTED" in latest.values()


@dataclass(frozen=True)
class IssueStatus:
    """The issue as the forge sees it right now (the etiquette guards' input)."""

    repository: str
    number: int
    url: str
    state: str
    locked: bool
    assignees: tuple[str, ...] = ()
    open_pull_requests: tuple[int, ...] = ()  # open PRs that reference (would close) it
    opt_out: str | None = None  # why the repository opted out, or None

    def refusal(self) -> str | None:
        """Why an agent must not open a pull request for this issue now, or None."""
        if self.opt_out:
            return f"repository opted out: {self.opt_out}"
        if self.state != "open":
            return f"issue is {self.state}"
        if self.locked:
            return "issue is locked"
        if self.assignees:
            return "issue is assigned to " + ", ".join(f"@{a}" for a in self.assignees)
        if self.open_pull_requests:
            refs = ", ".join(f"#{n}" for n in self.open_pull_requests)
            return f"issue is already referenced by open pull request {refs}"
        return None


@dataclass(frozen=True)
class MergeAttempt:
    """The result of asking the forge to merge (now, or automatically once green)."""

    merged: bool
    armed: bool = False  # the host will merge by itself once requirements pass
    merge_sha: str | None = None
    reason: str = ""
    # Blocked by something only a new push can change (a failing check, a conflict), as opposed
    # to something that passes by itself (checks still running).
    failing: bool = False


@dataclass(frozen=True)
class Verdict:
    """Whether a pull request's checks allow merging: all required ones green."""

    green: bool
    pending: tuple[str, ...] = ()
    failing: tuple[str, ...] = ()

    @property
    def reason(self) -> str:
        if self.failing:
            return "failing checks: " + ", ".join(self.failing)
        if self.pending:
            return "waiting for checks: " + ", ".join(self.pending)
        return "all required checks passed"


def checks_verdict(required: Sequence[str], results: Sequence[CheckResult]) -> Verdict:
    """Green when every required check succeeded (a missing one is pending).

    With no required checks, every reported check must have finished without failing: a
    repository without branch protection still deserves not to get a red merge.
    """
    latest: dict[str, CheckResult] = {}
    for result in results:
        latest[result.name] = result
    names = list(dict.fromkeys(required)) or list(latest)
    pending: list[str] = []
    failing: list[str] = []
    for name in names:
        result = latest.get(name)
        if result is None or result.state is CheckState.pending:
            pending.append(name)
        elif result.state is CheckState.failure:
            failing.append(name)
        elif result.state is CheckState.neutral and required:
            pending.append(name)
    return Verdict(not pending and not failing, tuple(pending), tuple(failing))


@dataclass(frozen=True)
class ForgeInfo:
    """How a forge names itself in reports and rows (``pr_outcomes.forge``)."""

    kind: Literal["github", "local"]


@runtime_checkable
class Forge(Protocol):
    """A code host's pull-request side."""

    @property
    def info(self) -> ForgeInfo: ...

    def issue_status(self, repository: str, number: int) -> IssueStatus:
        """Re-read the issue and the repository's opt-out right now (before any push)."""
        ...

    def ensure_push_access(self, repository: str) -> PushTarget:
        """The base repository when we may push to it, else our fork (created if missing)."""
        ...

    def push_branch(self, target: PushTarget, workdir: Path, commit: str, branch: str) -> None:
        """Push ``commit`` from the local clone ``workdir`` as ``branch`` (never forced)."""
        ...

    def delete_branch(self, target: PushTarget, branch: str) -> None:
        """Remove a pushed branch again (undoing a push whose pull request failed)."""
        ...

    def open_pull_request(
        self, repository: str, target: PushTarget, request: PullRequestRequest
    ) -> PullRequest:
        """Open the pull request; labels that the host refuses are left off, not fatal."""
        ...

    def comment(self, repository: str, number: int, body: str) -> None: ...

    def required_checks(self, repository: str, base_branch: str) -> list[str]:
        """Names of the checks the base branch's protection requires before merging."""
        ...

    def check_results(self, repository: str, number: int) -> list[CheckResult]: ...

    def mark_ready(self, pr: PullRequest) -> None:
        """Turn a draft into a pull request ready for review."""
        ...

    def enable_auto_merge(self, pr: PullRequest, method: MergeMethod) -> MergeAttempt:
        """Ask the host to merge once requirements pass (or merge now if they already do)."""
        ...

    def disable_auto_merge(self, pr: PullRequest) -> None:
        """Withdraw the request to merge automatically (its checks failed: the base branch's
        one auto-merge slot goes back to other pull requests)."""
        ...

    def merge_if_green(self, pr: PullRequest, method: MergeMethod) -> MergeAttempt:
        """Merge now when required checks are green and the branch is up to date."""
        ...

    def pull_request_status(self, repository: str, number: int) -> PullRequestStatus: ...

    def close_pull_request(
        self, repository: str, number: int, comment: str | None = None
    ) -> None: ...
