"""What one fix attempt produced: the record the solution engine hands to the contribute stage.

A :class:`FixResult` is self-contained: the branch and commits it names exist in ``workspace``,
the test runs are what the sandbox observed, and ``risk`` was computed from the diff (never from
the model's own account). The contribute stage may push and open a pull request only for
``outcome == Outcome.validated``; every other outcome is recorded and nothing leaves the machine.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from globallm_assets.core.risk import RiskAssessment


class Outcome(StrEnum):
    validated = "validated"  # the rule held: named tests fail before, pass after; suite green
    failed = "failed"  # submitted but validation failed, or a per-attempt cap was reached
    refused = "refused"  # risk policy refused it (a secret in the diff, nothing to change …)
    budget_exhausted = "budget_exhausted"  # the token budget refused the next model call
    no_change = "no_change"  # the fixer left the repository as it was
    error = "error"  # the engine could not run (toolchain missing, clone failed …)


class FixerKind(StrEnum):
    agent = "agent"  # an LLM acting through the tool loop
    codespell = "codespell"  # the deterministic spelling fixer (no model)


@dataclass(frozen=True)
class TestRun:
    """One test command run in the sandbox, as observed (counts are None when unparsable)."""

    __test__ = False  # not a pytest test class despite the name

    command: tuple[str, ...]
    exit_code: int | None  # None: killed before it exited (see ``killed``)
    passed: int | None
    failed: int | None
    output_tail: str
    duration_s: float
    killed: str | None = None  # "wall" | "cpu" | "memory" | … when a limit stopped it

    @property
    def ok(self) -> bool:
        """Completed, exited 0, and reported no failures."""
        return self.killed is None and self.exit_code == 0 and not self.failed

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["command"] = list(self.command)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TestRun:
        return cls(**{**data, "command": tuple(data["command"])})


@dataclass(frozen=True)
class FixResult:
    """One attempt at one issue, with everything needed to open (or refuse) a pull request."""

    repository: str  # owner/name
    issue_number: int
    issue_title: str
    category: str
    workspace: Path  # the clone holding ``branch``
    branch: str  # globallm/issue-<n>-<slug>
    base_branch: str
    base_sha: str
    head_sha: str | None  # the fix commit on ``branch``; None when nothing was committed
    diff: str  # unified diff base_sha..head_sha
    files_changed: tuple[str, ...]
    tests_added: tuple[str, ...]  # test files added/changed and tests named by the fix
    before: TestRun | None  # named tests on the base commit with the new tests applied
    after: TestRun | None  # named tests on the fix
    existing_tests_passed: bool  # the repository's whole suite passed on the fix
    risk: RiskAssessment | None
    turns: int
    input_tokens: int
    output_tokens: int
    cost_usd: float
    duration_s: float
    outcome: Outcome
    fixer: FixerKind
    provider: str  # who wrote it: a vendor model, "replay …", "scripted test double", "codespell"
    attempt: int = 1
    summary: str = ""  # the fixer's own description (shown to reviewers, never trusted)
    reason: str = ""  # why the outcome is what it is, one line
    suite: TestRun | None = None  # the whole suite on the fix
    language: str | None = None
    solution_id: int | None = None  # the ``solutions`` row, once persisted

    @property
    def validated(self) -> bool:
        return self.outcome is Outcome.validated

    def as_record(self) -> dict[str, Any]:
        """The ``solutions`` row (JSON-able values keyed by column)."""
        risk = self.risk
        return {
            "repository": self.repository,
            "issue_number": self.issue_number,
            "issue_title": self.issue_title,
            "category": self.category,
            "language": self.language,
            "attempt": self.attempt,
            "fixer": self.fixer.value,
            "provider": self.provider,
            "outcome": self.outcome.value,
            "reason": self.reason,
            "branch": self.branch,
            "base_branch": self.base_branch,
            "base_sha": self.base_sha,
            "head_sha": self.head_sha,
            "diff": self.diff,
            "files_changed": list(self.files_changed),
            "tests_added": list(self.tests_added),
            "before_run": self.before.as_dict() if self.before else None,
            "after_run": self.after.as_dict() if self.after else None,
            "suite_run": self.suite.as_dict() if self.suite else None,
            "existing_tests_passed": self.existing_tests_passed,
            "risk_level": risk.level.value if risk else None,
            "risk_action": risk.action.value if risk else None,
            "risk": risk.as_dict() if risk else None,
            "summary": self.summary,
            "turns": self.turns,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cost_usd": round(self.cost_usd, 6),
            "duration_s": max(0.0, self.duration_s),
            "workspace": str(self.workspace),
        }

    @classmethod
    def from_record(cls, row: dict[str, Any]) -> FixResult:
        """A result from its ``solutions`` row (as the store returns it)."""

        def run(data: dict[str, Any] | None) -> TestRun | None:
            return TestRun.from_dict(data) if data else None

        return cls(
            repository=row["repository"],
            issue_number=row["issue_number"],
            issue_title=row["issue_title"],
            category=row["category"] or "",
            workspace=Path(row["workspace"] or "."),
            branch=row["branch"],
            base_branch=row["base_branch"],
            base_sha=row["base_sha"],
            head_sha=row["head_sha"],
            diff=row["diff"],
            files_changed=tuple(row["files_changed"]),
            tests_added=tuple(row["tests_added"]),
            before=run(row["before_run"]),
            after=run(row["after_run"]),
            existing_tests_passed=row["existing_tests_passed"],
            risk=RiskAssessment.from_dict(row["risk"]) if row["risk"] else None,
            turns=row["turns"],
            input_tokens=row["input_tokens"],
            output_tokens=row["output_tokens"],
            cost_usd=float(row["cost_usd"]),
            duration_s=float(row["duration_s"]),
            outcome=Outcome(row["outcome"]),
            fixer=FixerKind(row["fixer"]),
            provider=row["provider"],
            attempt=row["attempt"],
            summary=row["summary"],
            reason=row["reason"],
            suite=run(row["suite_run"]),
            language=row["language"],
            solution_id=row.get("id"),
        )

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens
