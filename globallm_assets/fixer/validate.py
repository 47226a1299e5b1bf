"""Does a change fix something? Decided by running tests in the sandbox, never by the fixer's word.

The rule for a code change: a test the change adds or names **fails before** (on the base commit
with only the change's test files applied) and **passes after** (on the change), and the
repository's whole suite passes on the change. All three runs are recorded.

The rule for a prose-only change (documentation files, or word edits confined to comments and
strings, such as a spelling fix; ``core.risk.is_prose_only``): no behaviour changes, so there is
no failing test to write; "tests exist and pass" means the whole suite passes on the change. The
suite is also run on the base commit and recorded as the *before* run, for the report.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from globallm_assets.core.risk import is_prose_only, is_test_path, parse_diff
from globallm_assets.fixer.models import TestRun
from globallm_assets.fixer.sandbox import SandboxLimits
from globallm_assets.fixer.toolchains import (
    TestPlan,
    failed_as_expected,
    passed_with_tests,
    run_tests,
    safe_test_name,
)
from globallm_assets.fixer.workspace import Workspace

# Runners whose targeted command takes test names rather than files.
NAME_RUNNERS = frozenset({"go", "cargo", "maven"})
# A fix is reviewed by people: a diff beyond this is not a fix but a rewrite (or a dump).
MAX_DIFF_BYTES = 1_000_000


@dataclass(frozen=True)
class Validation:
    ok: bool
    reason: str
    diff: str
    files: tuple[str, ...]
    tests: tuple[str, ...]  # test files changed and tests named
    prose_only: bool
    before: TestRun | None = None
    after: TestRun | None = None
    suite: TestRun | None = None

    @property
    def failed_before_passed_after(self) -> bool:
        return bool(self.ok and not self.prose_only)


def _summary(run: TestRun) -> str:
    if run.killed:
        return f"killed at the {run.killed} limit"
    counts = ""
    if run.passed is not None or run.failed is not None:
        counts = f", {run.passed or 0} passed, {run.failed or 0} failed"
    return f"exit code {run.exit_code}{counts}"


def validate_change(
    workspace: Workspace,
    plan: TestPlan,
    *,
    named_tests: Sequence[str] = (),
    limits: SandboxLimits,
    required: bool = True,
) -> Validation:
    """Apply the rule (module docstring) to the work tree's change against the base commit."""
    diff = workspace.diff()
    if len(diff.encode("utf-8", errors="replace")) > MAX_DIFF_BYTES:
        paths = tuple(workspace.changed_files())
        reason = f"the change is larger than {MAX_DIFF_BYTES:,} bytes of diff"
        return Validation(False, reason, "", paths, (), False)
    files = parse_diff(diff)
    paths = tuple(f.path for f in files)
    if not files:
        return Validation(False, "the change is empty", diff, (), (), False)
    prose_only = all(is_prose_only(f) for f in files)
    if prose_only:
        with workspace.base_checkout() as base:
            before = run_tests(plan, base, limits=limits, required=required)
        suite = run_tests(plan, workspace.path, limits=limits, required=required)
        if not passed_with_tests(suite):
            reason = f"the test suite does not pass with the change ({_summary(suite)})"
            return Validation(False, reason, diff, paths, (), True, before, suite, suite)
        return Validation(
            True,
            "prose-only change; the test suite passes",
            diff,
            paths,
            (),
            True,
            before,
            suite,
            suite,
        )

    test_files = [f.path for f in files if is_test_path(f.path) and f.status != "deleted"]
    named = [t for t in named_tests if safe_test_name(t)]
    targets = named if plan.runner in NAME_RUNNERS else list(dict.fromkeys(named + test_files))
    tests = tuple(dict.fromkeys(test_files + named))
    if not tests:
        reason = "no test was added or named: a fix must come with a test that fails without it"
        return Validation(False, reason, diff, paths, (), False)

    with workspace.base_checkout(test_files) as base:
        before = run_tests(plan, base, tests=targets, limits=limits, required=required)
    if not failed_as_expected(plan, before):
        reason = (
            "the new or named tests did not fail on the original code "
            f"({_summary(before)}): they do not show the problem"
        )
        return Validation(False, reason, diff, paths, tests, False, before)
    after = run_tests(plan, workspace.path, tests=targets, limits=limits, required=required)
    if not passed_with_tests(after):
        reason = f"the new or named tests do not pass with the change ({_summary(after)})"
        return Validation(False, reason, diff, paths, tests, False, before, after)
    suite = run_tests(plan, workspace.path, limits=limits, required=required)
    if not passed_with_tests(suite):
        reason = f"the repository's tests fail with the change ({_summary(suite)})"
        return Validation(False, reason, diff, paths, tests, False, before, after, suite)
    reason = (
        f"{len(tests)} test(s) failed before ({_summary(before)}) and pass after "
        f"({_summary(after)}); the suite passes ({_summary(suite)})"
    )
    return Validation(True, reason, diff, paths, tests, False, before, after, suite)
