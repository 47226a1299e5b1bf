"""Test-command detection per language, targeted commands, and reading runners' summaries."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from globallm_assets.fixer import toolchains
from globallm_assets.fixer.models import TestRun
from globallm_assets.fixer.toolchains import (
    NoTestPlan,
    TestPlan,
    detect_languages,
    detect_test_plan,
    failed_as_expected,
    parse_counts,
    passed_with_tests,
)


def write(root: Path, files: dict[str, str]) -> list[str]:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return sorted(files)


def test_languages_by_markers_then_extensions() -> None:
    assert detect_languages(["pyproject.toml", "pkg/a.py"]) == ["python"]
    assert detect_languages(["package.json", "src/a.js", "tools/x.py"]) == [
        "javascript",
        "python",
    ]
    assert detect_languages(["go.mod", "main.go"]) == ["go"]
    assert detect_languages(["Cargo.toml", "src/lib.rs"]) == ["rust"]
    assert detect_languages(["pom.xml"]) == ["java"]
    assert detect_languages(["README.md"]) == []


def test_python_runs_pytest_with_the_source_layout_on_the_path(tmp_path: Path) -> None:
    tree = write(tmp_path, {"pyproject.toml": "", "src/pkg/__init__.py": "", "tests/t.py": ""})
    plan = detect_test_plan(tmp_path, tree).plan
    assert plan is not None and plan.runner == "pytest"
    assert plan.command[1:4] == ("-m", "pytest", "-q")
    assert dict(plan.env)["PYTHONPATH"] == "src:."
    assert plan.targeted(["tests/t.py::test_a", "--collect-only", "../x"]) == (
        *plan.command,
        "tests/t.py::test_a",
    )  # option-like and escaping names are dropped


def test_javascript_uses_nodes_runner_unless_the_script_needs_packages(tmp_path: Path) -> None:
    pkg = {"name": "x", "scripts": {"test": "node --test"}}
    tree = write(tmp_path, {"package.json": json.dumps(pkg), "test/a.test.js": ""})
    plan = detect_test_plan(tmp_path, tree).plan
    assert plan is not None and plan.command == ("node", "--test")
    assert plan.targeted(["test/a.test.js"]) == ("node", "--test", "test/a.test.js")
    pkg["scripts"]["test"] = "jest"
    (tmp_path / "package.json").write_text(json.dumps(pkg))
    detection = detect_test_plan(tmp_path, tree)
    assert detection.plan is None
    assert "node_modules is missing" in detection.skipped[0]


def test_missing_toolchains_are_skipped_with_a_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(toolchains.shutil, "which", lambda name: None)
    tree = write(tmp_path, {"go.mod": "module x", "main.go": "package main"})
    detection = detect_test_plan(tmp_path, tree)
    assert detection.plan is None
    assert detection.skipped == ("go: the go toolchain is not installed",)
    tree = write(tmp_path, {"Cargo.toml": "", "pom.xml": ""})
    skipped = detect_test_plan(tmp_path, tree).skipped
    assert "rust: cargo is not installed" in skipped
    assert "java: maven (mvn) is not installed" in skipped


def test_a_configured_command_wins_and_is_never_run_by_a_shell(tmp_path: Path) -> None:
    tree = write(tmp_path, {"setup.py": ""})
    detection = detect_test_plan(tmp_path, tree, override="make check ARGS='-k fast; rm -rf /'")
    assert detection.plan is not None
    assert detection.plan.command == ("make", "check", "ARGS=-k fast; rm -rf /")
    assert detection.plan.targeted(["x"]) == detection.plan.command
    with pytest.raises(NoTestPlan):
        detect_test_plan(tmp_path, tree, override="   ")


@pytest.mark.parametrize(
    ("runner", "output", "expected"),
    [
        ("pytest", "..F\n=== 1 failed, 2 passed in 0.1s ===", (2, 1)),
        ("pytest", "1 failed, 3 passed, 2 errors in 0.2s", (3, 3)),
        ("pytest", "no tests ran in 0.01s", (None, None)),
        ("node", "# tests 3\n# pass 2\n# fail 1\n# cancelled 0", (2, 1)),
        ("node", "ℹ tests 2\nℹ pass 2\nℹ fail 0", (2, 0)),
        ("go", "--- PASS: TestA (0.00s)\n--- FAIL: TestB (0.00s)\nFAIL", (1, 1)),
        (
            "cargo",
            "test result: ok. 4 passed; 0 failed; 0 ignored\n"
            "test result: FAILED. 1 passed; 2 failed; 0 ignored",
            (5, 2),
        ),
        ("maven", "Tests run: 7, Failures: 1, Errors: 1, Skipped: 2", (3, 2)),
        ("gradle", "BUILD SUCCESSFUL", (None, None)),
    ],
)
def test_counts_from_each_runners_summary(runner: str, output: str, expected: tuple) -> None:
    assert parse_counts(runner, output) == expected


def run(exit_code: int | None, passed: int | None, failed: int | None, killed=None) -> TestRun:
    return TestRun(("x",), exit_code, passed, failed, "", 0.1, killed)


def test_what_counts_as_failing_before_and_passing_after() -> None:
    pytest_plan = TestPlan("python", "pytest", ("python", "-m", "pytest"))
    node_plan = TestPlan("javascript", "node", ("node", "--test"))
    assert failed_as_expected(pytest_plan, run(1, 0, 1))
    assert failed_as_expected(pytest_plan, run(2, None, None))  # collection error: import fails
    assert not failed_as_expected(pytest_plan, run(4, None, None))  # usage error
    assert not failed_as_expected(pytest_plan, run(5, 0, 0))  # no tests collected
    assert not failed_as_expected(pytest_plan, run(None, None, None, killed="wall"))
    assert failed_as_expected(node_plan, run(1, 0, 1))
    assert not failed_as_expected(node_plan, run(1, 1, 0))  # crashed, but no test failed
    assert passed_with_tests(run(0, 2, 0))
    assert not passed_with_tests(run(0, 0, 0))  # nothing ran
    assert passed_with_tests(run(0, None, None))  # a runner without counts: exit code decides
