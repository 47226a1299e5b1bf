"""Workspaces: real clones, the fix branch, base checkouts, no credentials on disk, no hooks."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from globallm_assets.fixer.workspace import (
    WorkspaceError,
    branch_name,
    clone,
    clone_url,
    git_env,
    sanitize_url,
    slugify,
)
from globallm_assets.sources import planted


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=True
    ).stdout.strip()


@pytest.fixture
def remote(tmp_path: Path) -> planted.PlantedRepo:
    return planted.create("textstats", tmp_path, bare=True)


def test_clone_makes_a_shallow_private_clone_on_the_fix_branch(
    remote: planted.PlantedRepo, tmp_path: Path
) -> None:
    ws = clone(
        remote.path,
        repository="planted/textstats",
        issue_number=12,
        title="Crash: ZeroDivisionError on ''!",
        work_root=tmp_path / "work",
        depth=1,
    )
    assert ws.branch == "globallm/issue-12-crash-zerodivisionerror-on"
    assert git(ws.path, "rev-parse", "--abbrev-ref", "HEAD") == ws.branch
    assert ws.base_branch == "main"
    assert ws.base_sha == git(Path(remote.path), "rev-parse", "main")
    assert git(ws.path, "rev-parse", "--is-shallow-repository") == "true"
    assert (ws.path.parent.stat().st_mode & 0o077) == 0  # private to this user
    assert ws.remote == remote.path.resolve().as_uri()
    assert (
        ws.history("textstats/core.py")
        and "Add mean_word_length" in ws.history("textstats/core.py")[0]
    )


def test_base_branch_can_be_chosen(remote: planted.PlantedRepo, tmp_path: Path) -> None:
    git(remote.path, "branch", "release", "main~1")
    ws = clone(
        remote.path,
        repository="planted/textstats",
        issue_number=1,
        title="x",
        work_root=tmp_path / "w",
        base_branch="release",
    )
    assert ws.base_branch == "release"
    assert ws.base_sha == git(remote.path, "rev-parse", "release")
    with pytest.raises(WorkspaceError, match="clone failed"):
        clone(
            remote.path,
            repository="planted/textstats",
            issue_number=1,
            title="x",
            work_root=tmp_path / "w",
            base_branch="no-such-branch",
        )
    # A failed clone leaves no half-made workspace behind.
    assert len(list((tmp_path / "w").iterdir())) == 1


def test_diff_base_checkout_and_reset(remote: planted.PlantedRepo, tmp_path: Path) -> None:
    ws = clone(
        remote.path,
        repository="planted/textstats",
        issue_number=12,
        title="t",
        work_root=tmp_path / "work",
    )
    (ws.path / "tests" / "test_new.py").write_text("def test_new():\n    assert True\n")
    core = ws.path / "textstats" / "core.py"
    core.write_text(core.read_text() + "\n# changed\n")
    (ws.path / "textstats" / "__pycache__").mkdir()
    (ws.path / "textstats" / "__pycache__" / "core.cpython-311.pyc").write_bytes(b"\0")
    assert set(ws.changed_files()) == {"tests/test_new.py", "textstats/core.py"}
    assert "+# changed" in ws.diff() and "pycache" not in ws.diff()
    with ws.base_checkout(["tests/test_new.py"]) as base:
        assert (base / "tests" / "test_new.py").is_file()  # the new test …
        assert "# changed" not in (base / "textstats" / "core.py").read_text()  # … not the fix
    assert not base.exists()
    ws.reset()
    assert ws.changed_files() == [] and not (ws.path / "tests" / "test_new.py").exists()


def test_commit_ignores_hooks_planted_in_the_clone(
    remote: planted.PlantedRepo, tmp_path: Path
) -> None:
    ws = clone(
        remote.path,
        repository="planted/textstats",
        issue_number=12,
        title="t",
        work_root=tmp_path / "work",
    )
    marker = tmp_path / "hook-ran"
    hook = ws.path / ".git" / "hooks" / "pre-commit"
    hook.write_text(f"#!/bin/sh\ntouch {marker}\n")
    hook.chmod(0o755)
    (ws.path / "README.md").write_text("changed\n")
    sha = ws.commit("Change", name="GlobaLLM", email="bot@example.invalid")
    assert sha == git(ws.path, "rev-parse", "HEAD") and sha != ws.base_sha
    assert not marker.exists()
    assert git(ws.path, "log", "-1", "--format=%an <%ae>") == "GlobaLLM <bot@example.invalid>"


def test_credentials_never_reach_the_disk_or_the_command_line() -> None:
    token = "gh" + "p_" + "Q" * 36
    assert sanitize_url(f"https://x-access-token:{token}@github.com/o/r.git") == (
        "https://github.com/o/r.git"
    )
    assert sanitize_url("ssh://git@github.com/o/r.git") == "ssh://git@github.com/o/r.git"
    assert clone_url(f"https://user:{token}@github.com/o/r") == "https://github.com/o/r"
    env = git_env(token)
    assert token not in " ".join(env.values())  # base64 in a header, never the raw token
    assert env["GIT_CONFIG_KEY_0"] == "http.extraHeader"
    assert env["GIT_TERMINAL_PROMPT"] == "0"


def test_token_clone_writes_no_credentials_into_the_clone(
    remote: planted.PlantedRepo, tmp_path: Path
) -> None:
    token = "gh" + "p_" + "R" * 36
    ws = clone(
        remote.path,
        repository="planted/textstats",
        issue_number=1,
        title="x",
        work_root=tmp_path / "work",
        token=token,
    )
    for path in (ws.path / ".git").rglob("*"):
        if path.is_file():
            assert token.encode() not in path.read_bytes(), path


def test_missing_source_and_slugs() -> None:
    with pytest.raises(WorkspaceError, match="not found"):
        clone_url("/no/such/repository")
    assert slugify("Fix: café crashes — 100%!!") == "fix-cafe-crashes-100"
    assert slugify("!!!") == "fix"
    assert len(branch_name(7, "word " * 40)) <= len("globallm/issue-7-") + 40
