"""Real git repositories for forge tests: an upstream project and a workspace with a fix commit."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

IDENTITY = {
    "GIT_AUTHOR_NAME": "Test Author",
    "GIT_AUTHOR_EMAIL": "author@example.org",
    "GIT_COMMITTER_NAME": "Test Author",
    "GIT_COMMITTER_EMAIL": "author@example.org",
}


def git(*args: str, cwd: Path) -> str:
    import os

    proc = subprocess.run(
        ["git", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **IDENTITY},
    )
    if proc.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {proc.stderr.strip()}")
    return proc.stdout.strip()


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def init_repo(path: Path, files: dict[str, str], *, branch: str = "main") -> str:
    """A repository with one commit of ``files``; returns its sha."""
    path.mkdir(parents=True, exist_ok=True)
    git("init", "--quiet", "-b", branch, cwd=path)
    write(path, files)
    git("add", "-A", cwd=path)
    git("commit", "--quiet", "-m", "Initial commit", cwd=path)
    return git("rev-parse", "HEAD", cwd=path)


def commit(path: Path, files: dict[str, str], message: str) -> str:
    write(path, files)
    git("add", "-A", cwd=path)
    git("commit", "--quiet", "-m", message, cwd=path)
    return git("rev-parse", "HEAD", cwd=path)


@dataclass(frozen=True)
class Workspace:
    path: Path
    branch: str
    base_branch: str
    base_sha: str
    head_sha: str


def fix_workspace(
    upstream: Path | str, dest: Path, branch: str, files: dict[str, str], message: str
) -> Workspace:
    """Clone ``upstream``, commit ``files`` on ``branch``: what the fixer leaves behind."""
    subprocess.run(["git", "clone", "--quiet", str(upstream), str(dest)], check=True)
    base_branch = git("rev-parse", "--abbrev-ref", "HEAD", cwd=dest)
    base_sha = git("rev-parse", "HEAD", cwd=dest)
    git("checkout", "--quiet", "-b", branch, cwd=dest)
    head_sha = commit(dest, files, message)
    return Workspace(dest, branch, base_branch, base_sha, head_sha)
