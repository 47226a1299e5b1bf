"""FixResults built from real git commits, as the solution engine hands them to contribute."""

from __future__ import annotations

import sys
from pathlib import Path

from globallm_assets.core.risk import (
    ACTION_BY_LEVEL,
    RiskAssessment,
    RiskLevel,
    assess,
)
from globallm_assets.fixer.models import FixerKind, FixResult, Outcome, TestRun
from globallm_assets_tests.forge.gitrepos import Workspace, git

SCRIPTED = "ScriptedProvider (test double)"


def run(command: str, *, passed: int | None, failed: int | None, exit_code: int) -> TestRun:
    return TestRun(
        command=(sys.executable, "-m", "pytest", "-q", command),
        exit_code=exit_code,
        passed=passed,
        failed=failed,
        output_tail="",
        duration_s=0.4,
    )


def make_fix(
    ws: Workspace,
    repository: str,
    *,
    issue_number: int = 1,
    issue_title: str = "add() subtracts",
    category: str = "bug",
    level: RiskLevel | None = None,
    provider: str = SCRIPTED,
    tests_added: tuple[str, ...] = ("tests/test_add.py",),
    complexity: int = 2,
) -> FixResult:
    """A validated fix of ``ws``; ``level`` overrides the assessed risk (as a fixer would
    report it), otherwise the risk is assessed from the real diff."""
    diff = git("diff", ws.base_sha, ws.head_sha, cwd=ws.path) + "\n"
    files = tuple(git("diff", "--name-only", ws.base_sha, ws.head_sha, cwd=ws.path).split())
    risk = assess(
        diff,
        category=category,
        complexity=complexity,
        tests_named=tests_added,
        failed_before_passed_after=True,
        suite_passed=True,
    )
    if level is not None:
        risk = RiskAssessment(
            level, ACTION_BY_LEVEL[level], (f"{level.value}: set by the test",), complexity
        )
    return FixResult(
        repository=repository,
        issue_number=issue_number,
        issue_title=issue_title,
        category=category,
        workspace=Path(ws.path),
        branch=ws.branch,
        base_branch=ws.base_branch,
        base_sha=ws.base_sha,
        head_sha=ws.head_sha,
        diff=diff,
        files_changed=files,
        tests_added=tests_added,
        before=run("tests/test_add.py", passed=0, failed=1, exit_code=1),
        after=run("tests/test_add.py", passed=1, failed=0, exit_code=0),
        existing_tests_passed=True,
        risk=risk,
        turns=4,
        input_tokens=9000,
        output_tokens=1234,
        cost_usd=0.0421,
        duration_s=12.5,
        outcome=Outcome.validated,
        fixer=FixerKind.agent,
        provider=provider,
        summary="Use + in add().",
        suite=run("", passed=2, failed=0, exit_code=0),
        language="python",
    )
