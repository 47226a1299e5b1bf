"""The solution engine end to end on real planted repositories, tests run in the sandbox.

A ``ScriptedProvider`` (a test double, named so) plays the model through the real tool loop; the
workspace is a real clone, validation really runs pytest / node's test runner in bubblewrap and
sees the new tests fail on the original code and pass on the fix.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import replace

import psycopg
import pytest

from globallm_assets.core.risk import RiskLevel
from globallm_assets.fixer.engine import FixTarget, solve
from globallm_assets.fixer.models import FixerKind, Outcome
from globallm_assets.llm.base import Message
from globallm_assets.services.fix import LedgerBudget
from globallm_assets.store import llm_usage
from globallm_assets.store.llm_usage import TokenLedger
from globallm_assets_tests.fakes.scripted_provider import ScriptedProvider
from globallm_assets_tests.fixer.conftest import needs_sandbox

pytestmark = needs_sandbox

EMPTY_TEST = (
    "import textstats\n\n\n"
    "def test_empty_text_has_zero_mean():\n"
    '    assert textstats.mean_word_length("") == 0.0\n'
)
FIX = (
    "    items = words(text)\n    return sum(len(word) for word in items) / len(items)\n",
    "    items = words(text)\n    if not items:\n        return 0.0\n"
    "    return sum(len(word) for word in items) / len(items)\n",
)


def observed(expected: str, step: tuple[str, dict]):
    """A scripted step that first checks what the previous tool call returned."""

    def play(messages: Sequence[Message]) -> tuple[str, dict]:
        last = messages[-1]
        assert last.role == "tool", last
        content = last.tool_results[0].content
        assert expected in content, content
        return step

    return play


def python_fix_script() -> list:
    return [
        ("view", {"path": "textstats/core.py"}),
        observed(
            "def mean_word_length",
            (
                "replace",
                {"path": "tests/test_empty.py", "old_text": "", "new_text": EMPTY_TEST},
            ),
        ),
        observed(
            "created tests/test_empty.py",
            (
                "run",
                {"command": "python -m pytest -q -p no:cacheprovider tests/test_empty.py"},
            ),
        ),
        observed(
            "ZeroDivisionError",
            (
                "replace",
                {"path": "textstats/core.py", "old_text": FIX[0], "new_text": FIX[1]},
            ),
        ),
        observed("replaced in textstats/core.py", ("run", {"command": "python -m pytest -q"})),
        observed(
            "4 passed",
            (
                "submit",
                {
                    "summary": "Return 0.0 for a text without words.",
                    "tests": ["tests/test_empty.py"],
                },
            ),
        ),
    ]


def test_python_bug_is_fixed_failing_before_and_passing_after(
    make_planted, workspace_for, engine_config, budget, dsn
) -> None:
    repo = make_planted("textstats")
    workspace = workspace_for(repo)
    provider = ScriptedProvider(python_fix_script())
    target = FixTarget(repo.issue, "bug", 3, "python")
    result = solve(target, workspace, provider=provider, budget=budget, config=engine_config)

    assert result.outcome is Outcome.validated, result.reason
    assert result.fixer is FixerKind.agent and result.provider == "scripted test double"
    # Before: the new test on the original code, run by pytest in the sandbox, failed.
    assert result.before is not None and result.before.exit_code == 1
    assert result.before.failed == 1 and "ZeroDivisionError" in result.before.output_tail
    assert "tests/test_empty.py" in result.before.command
    # After: it passes on the fix; the whole suite (3 old tests + the new one) passes.
    assert result.after is not None and result.after.ok and result.after.passed == 1
    assert result.suite is not None and result.suite.passed == 4 and result.existing_tests_passed
    assert result.tests_added == ("tests/test_empty.py",)
    assert set(result.files_changed) == {"tests/test_empty.py", "textstats/core.py"}
    assert result.risk is not None and result.risk.level is RiskLevel.LOW
    assert result.turns == 6

    # The fix is a commit on the fix branch, on top of the base commit.
    assert result.branch == "globallm/issue-12-mean-word-length-crashes-with"
    log = subprocess.run(
        ["git", "log", "--format=%H %P", "-1", result.branch],
        cwd=workspace.path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert log == [result.head_sha, result.base_sha]
    shown = subprocess.run(
        ["git", "show", f"{result.head_sha}:textstats/core.py"],
        cwd=workspace.path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "if not items:" in shown

    # Every model call was reserved, settled at the vendor-reported usage, and recorded.
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "SELECT purpose, provider, input_tokens + output_tokens, repository FROM llm_usage"
        ).fetchall()
        assert llm_usage.reserved_this_week(conn) == result.total_tokens
    assert len(rows) == 6
    assert {(p, v, r) for p, v, _, r in rows} == {("fix", "scripted", "planted/textstats")}
    assert sum(t for _, _, t, _ in rows) == result.total_tokens


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_javascript_bug_is_fixed_with_nodes_test_runner(
    make_planted, workspace_for, engine_config, budget
) -> None:
    repo = make_planted("slugkit")
    workspace = workspace_for(repo)
    test_file = (
        'const test = require("node:test");\nconst assert = require("node:assert/strict");\n'
        'const { slugify } = require("../src/slugify");\n\n'
        'test("trims dashes", () => {\n  assert.equal(slugify("Hello, World!"), "hello-world");\n'
        "});\n"
    )
    script = [
        ("replace", {"path": "test/trim.test.js", "old_text": "", "new_text": test_file}),
        ("run", {"command": "node --test test/trim.test.js"}),
        observed(
            "# fail 1",
            (
                "replace",
                {
                    "path": "src/slugify.js",
                    "old_text": '.replace(/[^a-z0-9]+/g, "-");',
                    "new_text": '.replace(/[^a-z0-9]+/g, "-")\n    .replace(/^-+|-+$/g, "");',
                },
            ),
        ),
        ("submit", {"summary": "Trim dashes.", "tests": ["test/trim.test.js"]}),
    ]
    result = solve(
        FixTarget(repo.issue, "bug", 3, "javascript"),
        workspace,
        provider=ScriptedProvider(script),
        budget=budget,
        config=engine_config,
    )
    assert result.outcome is Outcome.validated, result.reason
    assert result.before is not None and result.before.failed == 1
    assert result.before.command[:2] == ("node", "--test")
    assert result.after is not None and result.after.passed == 1
    assert result.suite is not None and result.suite.passed == 3 and result.suite.failed == 0
    assert result.language == "javascript"


def test_codespell_fixes_a_planted_misspelling_without_a_model(
    make_planted, workspace_for, engine_config, budget
) -> None:
    repo = make_planted("configlite")
    workspace = workspace_for(repo)
    result = solve(
        FixTarget(repo.issue, "documentation", 2, "python"),
        workspace,
        provider=None,
        budget=budget,
        config=engine_config,
    )
    assert result.outcome is Outcome.validated, result.reason
    assert result.fixer is FixerKind.codespell and result.turns == 0
    assert result.total_tokens == 0
    assert set(result.files_changed) == {"README.md", "docs/usage.md"}
    readme = subprocess.run(
        ["git", "show", f"{result.head_sha}:README.md"],
        cwd=workspace.path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "separated" in readme and "receive" in readme
    assert "seperated" not in readme and "recieve" not in readme
    # Prose only: no failing test is required; the suite ran before and after, and passed.
    assert result.before is not None and result.before.passed == 2
    assert result.suite is not None and result.suite.ok
    assert result.risk is not None and result.risk.level is RiskLevel.LOW
    assert any("prose-only" in reason for reason in result.risk.reasons)


def test_a_failed_attempt_feeds_the_next_one_which_succeeds(
    make_planted, workspace_for, engine_config, budget
) -> None:
    repo = make_planted("textstats")
    workspace = workspace_for(repo)
    lazy = [
        ("replace", {"path": "textstats/core.py", "old_text": FIX[0], "new_text": FIX[1]}),
        ("submit", {"summary": "Fixed, trust me.", "tests": []}),
    ]

    def retry_sees_the_failure(messages: Sequence[Message]) -> tuple[str, dict]:
        task = messages[0].text
        assert "Attempt 2" in task and "no test was added or named" in task
        assert "if not items" in task  # the previous diff is shown
        return ("view", {"path": "textstats/core.py"})

    script = [*lazy, retry_sees_the_failure, *python_fix_script()[1:]]
    attempts = []
    result = solve(
        FixTarget(repo.issue, "bug", 3, "python"),
        workspace,
        provider=ScriptedProvider(script),
        budget=budget,
        config=engine_config,
        record=lambda r: attempts.append(r) or r,
    )
    assert [a.outcome for a in attempts] == [Outcome.failed, Outcome.validated]
    assert attempts[0].head_sha is None and "no test" in attempts[0].reason
    assert result.attempt == 2 and result.validated


def test_budget_exhaustion_stops_with_nothing_committed(
    make_planted, workspace_for, engine_config, dsn
) -> None:
    repo = make_planted("textstats")
    workspace = workspace_for(repo)
    tight = LedgerBudget(TokenLedger(dsn, weekly_limit=12_000))  # about two turns
    provider = ScriptedProvider(python_fix_script())
    result = solve(
        FixTarget(repo.issue, "bug", 3, "python"),
        workspace,
        provider=provider,
        budget=tight,
        config=replace(engine_config, caps=replace(engine_config.caps, max_output_tokens=1024)),
    )
    assert result.outcome is Outcome.budget_exhausted
    assert "budget refused" in result.reason
    assert 0 < len(provider.calls) < len(python_fix_script())
    assert result.head_sha is None
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"],
        cwd=workspace.path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert head == result.base_sha
    status = subprocess.run(
        ["git", "status", "--porcelain"],
        cwd=workspace.path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert status == ""  # the work tree is back at the base commit
    with psycopg.connect(dsn) as conn:
        # Refused reservations left nothing behind: the week holds exactly what was used.
        assert llm_usage.reserved_this_week(conn) == result.total_tokens <= 12_000
