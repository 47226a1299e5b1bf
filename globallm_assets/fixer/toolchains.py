"""Which language a repository is in, how its tests run, and what a run reported.

Detection goes by each ecosystem's marker files; a language whose toolchain is not on this
machine is skipped with a reason (never run half-way). The test command can be set per
repository (``fix.test_commands``); it is split like a shell would split it but never run by
one. Named tests become a targeted command (pytest node ids, ``node --test`` files, ``go test
-run``, cargo filters, surefire ``-Dtest``).
"""

from __future__ import annotations

import functools
import json
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from globallm_assets.fixer.models import TestRun
from globallm_assets.fixer.sandbox import SandboxLimits, SandboxResult, run_sandboxed

MAX_NAMED_TESTS = 20
# Output kept in a TestRun (the tail: runners print their summary last).
TEST_OUTPUT_TAIL = 4000


class NoTestPlan(RuntimeError):
    """No runnable test command for this repository (one-line reason)."""


@dataclass(frozen=True)
class TestPlan:
    """How to run one repository's tests."""

    __test__ = False

    language: str
    runner: str  # pytest | node | npm | go | cargo | maven | gradle | custom
    command: tuple[str, ...]
    env: tuple[tuple[str, str], ...] = ()

    @property
    def display(self) -> str:
        return shlex.join(self.command)

    def targeted(self, tests: Sequence[str]) -> tuple[str, ...]:
        """The command that runs only ``tests`` (the whole suite for a custom command)."""
        names = [t for t in tests if safe_test_name(t)][:MAX_NAMED_TESTS]
        if not names or self.runner in ("custom", "npm", "gradle"):
            return self.command
        if self.runner == "pytest":
            return (*self.command, *names)
        if self.runner == "node":
            files = [n.split("::")[0] for n in names]
            return (*self.command, *dict.fromkeys(files))
        if self.runner == "go":
            pattern = "^(" + "|".join(re.escape(n.split(".")[-1]) for n in names) + ")$"
            return (*self.command, "-run", pattern)
        if self.runner == "cargo":
            return (*self.command, "--", *names)
        if self.runner == "maven":
            classes = ",".join(Path(n).stem if "/" in n else n for n in names)
            return (*self.command, f"-Dtest={classes}", "-Dsurefire.failIfNoSpecifiedTests=false")
        return self.command


def safe_test_name(name: str) -> bool:
    """A test id cannot smuggle in options or escape the repository."""
    return bool(name) and not name.startswith("-") and "\0" not in name and ".." not in name


# --------------------------------------------------------------------------- detection

LANGUAGE_MARKERS: dict[str, tuple[str, ...]] = {
    "python": ("pyproject.toml", "setup.py", "setup.cfg", "requirements.txt", "pytest.ini"),
    "javascript": ("package.json",),
    "go": ("go.mod",),
    "rust": ("Cargo.toml",),
    "java": ("pom.xml", "build.gradle", "build.gradle.kts"),
}
EXTENSIONS: dict[str, tuple[str, ...]] = {
    "python": (".py",),
    "javascript": (".js", ".mjs", ".cjs"),
    "typescript": (".ts", ".tsx"),
    "go": (".go",),
    "rust": (".rs",),
    "java": (".java", ".kt"),
}


def detect_languages(tree: Sequence[str]) -> list[str]:
    """Languages present at the repository root by marker files, then by file extensions."""
    roots = {p for p in tree if "/" not in p}
    found = [lang for lang, markers in LANGUAGE_MARKERS.items() if roots & set(markers)]
    counts = {lang: sum(1 for p in tree if p.endswith(exts)) for lang, exts in EXTENSIONS.items()}
    for lang, count in sorted(counts.items(), key=lambda kv: -kv[1]):
        if count and lang not in found:
            found.append(lang)
    return found


@functools.cache
def python_with_pytest() -> str | None:
    """An interpreter that can run pytest: this one, else python3/python on PATH."""
    import importlib.util

    if importlib.util.find_spec("pytest") is not None:
        return sys.executable
    for name in ("python3", "python"):
        path = shutil.which(name)
        if (
            path
            and subprocess.run(
                [path, "-c", "import pytest"], capture_output=True, timeout=60, check=False
            ).returncode
            == 0
        ):
            return path
    return None


def _package_json(root: Path) -> dict:
    try:
        data = json.loads((root / "package.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _plan_for(language: str, root: Path, tree: Sequence[str]) -> TestPlan:
    """The plan for one language, or :class:`NoTestPlan` saying what is missing."""
    if language == "python":
        python = python_with_pytest()
        if python is None:
            raise NoTestPlan("python: no interpreter with pytest on this machine")
        path = "src:." if (root / "src").is_dir() else "."
        # The plugins installed beside GlobaLLM are not the repository's: don't auto-load them
        # (plugins its own configuration names with -p still load when importable).
        env = (("PYTHONPATH", path), ("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1"))
        command = (python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--color=no")
        return TestPlan("python", "pytest", command, env)
    if language in ("javascript", "typescript"):
        if shutil.which("node") is None:
            raise NoTestPlan(f"{language}: node is not installed")
        script = str((_package_json(root).get("scripts") or {}).get("test") or "")
        if not script or "no test specified" in script or re.search(r"\bnode\s+--test\b", script):
            return TestPlan(language, "node", ("node", "--test"))
        if not (root / "node_modules").is_dir():
            raise NoTestPlan(
                f"{language}: `npm test` needs installed dependencies (node_modules is "
                "missing and the sandbox has no network)"
            )
        if shutil.which("npm") is None:
            raise NoTestPlan(f"{language}: npm is not installed")
        return TestPlan(language, "npm", ("npm", "test", "--silent"))
    if language == "go":
        if shutil.which("go") is None:
            raise NoTestPlan("go: the go toolchain is not installed")
        return TestPlan("go", "go", ("go", "test", "-v", "./..."))
    if language == "rust":
        if shutil.which("cargo") is None:
            raise NoTestPlan("rust: cargo is not installed")
        return TestPlan("rust", "cargo", ("cargo", "test", "--offline"))
    if language == "java":
        if (root / "pom.xml").is_file():
            if shutil.which("mvn") is None:
                raise NoTestPlan("java: maven (mvn) is not installed")
            return TestPlan("java", "maven", ("mvn", "-o", "-q", "-B", "test"))
        gradle = "./gradlew" if (root / "gradlew").is_file() else shutil.which("gradle")
        if gradle is None:
            raise NoTestPlan("java: gradle is not installed")
        return TestPlan("java", "gradle", (gradle, "test", "--offline"))
    raise NoTestPlan(f"{language}: no known test runner")


@dataclass(frozen=True)
class Detection:
    plan: TestPlan | None
    languages: tuple[str, ...]
    skipped: tuple[str, ...]  # one line per language that cannot run here, and why


def detect_test_plan(
    root: Path,
    tree: Sequence[str],
    *,
    override: str | None = None,
    language_hint: str | None = None,
) -> Detection:
    """The test plan for the repository at ``root`` (the hinted language first)."""
    languages = detect_languages(tree)
    if language_hint and language_hint in languages:
        languages.remove(language_hint)
        languages.insert(0, language_hint)
    elif language_hint and not languages:
        languages = [language_hint]
    if override:
        argv = tuple(shlex.split(override))
        if not argv:
            raise NoTestPlan("the configured test command is empty")
        language = languages[0] if languages else (language_hint or "unknown")
        return Detection(TestPlan(language, "custom", argv), tuple(languages), ())
    skipped: list[str] = []
    for language in languages:
        try:
            return Detection(_plan_for(language, root, tree), tuple(languages), tuple(skipped))
        except NoTestPlan as exc:
            skipped.append(str(exc))
    return Detection(None, tuple(languages), tuple(skipped))


# --------------------------------------------------------------------------- results

_PYTEST_COUNT = re.compile(r"(\d+) (passed|failed|errors?)\b")
_TAP_COUNT = re.compile(r"^[#ℹ] (pass|fail) (\d+)\s*$", re.M)
_CARGO_RESULT = re.compile(r"test result: \w+\. (\d+) passed; (\d+) failed")
_MAVEN_RESULT = re.compile(r"Tests run: (\d+), Failures: (\d+), Errors: (\d+), Skipped: (\d+)")


def parse_counts(runner: str, output: str) -> tuple[int | None, int | None]:
    """(passed, failed) as the runner reported them; None when it printed no summary."""
    if runner == "pytest":
        lines = [line for line in output.splitlines() if _PYTEST_COUNT.search(line)]
        if not lines:
            return None, None
        counts = {"passed": 0, "failed": 0}
        for number, kind in _PYTEST_COUNT.findall(lines[-1]):
            counts["passed" if kind == "passed" else "failed"] += int(number)
        return counts["passed"], counts["failed"]
    if runner in ("node", "npm"):
        found = dict(_TAP_COUNT.findall(output)[-2:])
        if not found:
            return None, None
        return int(found.get("pass", 0)), int(found.get("fail", 0))
    if runner == "go":
        passed = len(re.findall(r"^\s*--- PASS:", output, re.M))
        failed = len(re.findall(r"^\s*--- FAIL:", output, re.M))
        return (passed, failed) if passed or failed else (None, None)
    if runner == "cargo":
        results = _CARGO_RESULT.findall(output)
        if not results:
            return None, None
        return sum(int(p) for p, _ in results), sum(int(f) for _, f in results)
    if runner == "maven":
        results = _MAVEN_RESULT.findall(output)
        if not results:
            return None, None
        run, failures, errors, skipped = (int(x) for x in results[-1])
        return run - failures - errors - skipped, failures + errors
    return None, None


def to_test_run(runner: str, result: SandboxResult) -> TestRun:
    passed, failed = parse_counts(runner, result.output)
    return TestRun(
        command=result.argv,
        exit_code=result.exit_code,
        passed=passed,
        failed=failed,
        output_tail=result.output[-TEST_OUTPUT_TAIL:],
        duration_s=round(result.duration_s, 3),
        killed=result.killed,
    )


def run_tests(
    plan: TestPlan,
    root: Path,
    *,
    tests: Sequence[str] = (),
    limits: SandboxLimits,
    required: bool = True,
) -> TestRun:
    """Run the whole suite (or only ``tests``) in the sandbox."""
    argv = list(plan.targeted(tests) if tests else plan.command)
    result = run_sandboxed(root, argv, limits=limits, env=dict(plan.env), required=required)
    return to_test_run(plan.runner, result)


def failed_as_expected(plan: TestPlan, run: TestRun) -> bool:
    """The run completed and reported failing tests (not a usage error or an empty selection)."""
    if run.killed is not None or run.exit_code in (None, 0):
        return False
    if plan.runner == "pytest":
        return run.exit_code in (1, 2)  # 1: tests failed, 2: collection error (e.g. ImportError)
    if run.failed is not None:
        return run.failed > 0
    return True


def passed_with_tests(run: TestRun) -> bool:
    """Exited 0, no failures, and (when the runner says) at least one test ran."""
    return run.ok and (run.passed is None or run.passed > 0)
