"""The agent's tools: sandboxed commands, confined file views and exact replacements."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from globallm_assets.fixer.sandbox import SandboxLimits
from globallm_assets.fixer.tools import ToolBox
from globallm_assets.llm.base import ToolCall
from globallm_assets_tests.fixer.conftest import needs_sandbox


@pytest.fixture
def box(tmp_path: Path) -> ToolBox:
    root = tmp_path / "repo"
    (root / "pkg").mkdir(parents=True)
    (root / ".git").mkdir()
    (root / "pkg" / "a.py").write_text("".join(f"line {i}\n" for i in range(1, 31)))
    (root / "dup.txt").write_text("x = 1\nx = 1\n")
    return ToolBox(root, limits=SandboxLimits(wall_seconds=30), observation_chars=2000)


def call(box: ToolBox, name: str, **arguments) -> tuple[str, bool]:
    result, _ = box.execute(ToolCall("c1", name, arguments))
    return result.content, result.is_error


def test_view_numbers_lines_and_honours_ranges(box: ToolBox) -> None:
    text, error = call(box, "view", path="pkg/a.py", start_line=10, end_line=12)
    assert not error
    assert text.splitlines()[:3] == ["   10  line 10", "   11  line 11", "   12  line 12"]
    assert "[lines 10-12 of 30]" in text
    listing, _ = call(box, "view", path=".")
    assert listing.splitlines() == ["dup.txt", "pkg/"]  # .git is not shown
    _, error = call(box, "view", path="pkg/a.py", start_line=99)
    assert error


def test_replace_needs_a_unique_exact_match(box: ToolBox) -> None:
    text, error = call(box, "replace", path="pkg/a.py", old_text="line 7\n", new_text="seven\n")
    assert not error and "seven" in text
    assert "seven\nline 8" in (box.root / "pkg" / "a.py").read_text()
    text, error = call(box, "replace", path="dup.txt", old_text="x = 1", new_text="y")
    assert error and "2 times" in text
    text, error = call(box, "replace", path="pkg/a.py", old_text="  line 3", new_text="y")
    assert error and "check whitespace" in text
    text, error = call(box, "replace", path="pkg/new.py", old_text="", new_text="N = 1\n")
    assert not error and (box.root / "pkg" / "new.py").read_text() == "N = 1\n"
    _, error = call(box, "replace", path="pkg/new.py", old_text="", new_text="again")
    assert error


@pytest.mark.parametrize("path", ["../outside.txt", "/etc/passwd", ".git/config", "pkg/../../x"])
def test_paths_outside_the_workspace_or_in_git_are_refused(box: ToolBox, path: str) -> None:
    for name, args in (("view", {}), ("replace", {"old_text": "", "new_text": "x"})):
        text, error = call(box, name, path=path, **args)
        assert error, (name, path, text)
    assert not (box.root.parent / "outside.txt").exists()


def test_symlinks_cannot_lead_out(box: ToolBox, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("do not read")
    os.symlink(secret, box.root / "link.txt")
    text, error = call(box, "view", path="link.txt")
    assert error and "do not read" not in text
    _, error = call(box, "replace", path="link.txt", old_text="do", new_text="x")
    assert error and secret.read_text() == "do not read"


def test_malformed_calls_are_errors_not_crashes(box: ToolBox) -> None:
    assert call(box, "view", path=3)[1]
    assert call(box, "view", path="pkg/a.py", start_line="1")[1]
    assert call(box, "submit", summary="s", tests="tests/x.py")[1]
    assert call(box, "launch_missiles")[1]
    result, _ = box.execute(ToolCall("c1", "run", {}, error="arguments are not JSON"))
    assert result.is_error and "not JSON" in result.content


@needs_sandbox
def test_run_executes_in_the_sandbox_with_the_exit_code(box: ToolBox) -> None:
    text, error = call(box, "run", command="echo made > made.txt; ls; exit 3")
    assert not error
    assert text.startswith("exit code 3") and "made.txt" in text
    assert (box.root / "made.txt").read_text() == "made\n"
    text, _ = call(box, "run", command="echo hi > .git/planted-hook")
    assert "Read-only" in text and not (box.root / ".git" / "planted-hook").exists()


def test_submit_names_tests(box: ToolBox) -> None:
    result, submission = box.execute(
        ToolCall("c1", "submit", {"summary": "done", "tests": ["tests/a.py", " ", "b"]})
    )
    assert submission is not None and submission.tests == ("tests/a.py", "b")
    assert not result.is_error
