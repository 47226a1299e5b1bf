"""A test double for the fixer that does real git work, and the bare remotes it pushes to.

``ScriptedGitFixer`` stands in for ``services/fix.py`` in worker tests: it clones the issue's
repository from a local bare remote, commits a change on ``globallm/issue-<n>``, pauses (the
"mid-fix" window tests kill agents in), checks that its claim is still held, and only then
pushes the branch — its stand-in for opening a PR. Whatever it pushed can be inspected with git.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from globallm_assets.services.agent import FixOutcome
from globallm_assets.services.claim import claim_still_held
from globallm_assets.settings import Settings
from globallm_assets.store.claims import ClaimedIssue

_GIT_ENV = {
    "GIT_AUTHOR_NAME": "GlobaLLM test",
    "GIT_AUTHOR_EMAIL": "test@globallm.invalid",
    "GIT_COMMITTER_NAME": "GlobaLLM test",
    "GIT_COMMITTER_EMAIL": "test@globallm.invalid",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(*args: str, cwd: Path | None = None) -> str:
    result = subprocess.run(
        ["git", *args],
        cwd=cwd,
        env={**os.environ, **_GIT_ENV},
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


def remote_path(remotes: Path, repository: str) -> Path:
    return remotes / (repository.replace("/", "__") + ".git")


def make_remote(remotes: Path, repository: str) -> Path:
    """A bare repository with one commit on ``main``."""
    bare = remote_path(remotes, repository)
    git("init", "--bare", "--initial-branch=main", str(bare))
    with tempfile.TemporaryDirectory() as work:
        git("clone", str(bare), work)
        Path(work, "README.md").write_text(f"# {repository}\n")
        git("add", "README.md", cwd=Path(work))
        git("commit", "-m", "initial", cwd=Path(work))
        git("push", "origin", "HEAD:main", cwd=Path(work))
    return bare


def pushed_branches(remotes: Path, repository: str) -> list[str]:
    out = git(
        "for-each-ref",
        "--format=%(refname:short)",
        "refs/heads",
        cwd=remote_path(remotes, repository),
    )
    return sorted(line for line in out.splitlines() if line != "main")


class ScriptedGitFixer:
    """Test double for the fixer (see the module docstring).

    ``pause`` seconds between the local commit and the push; ``fail`` maps an issue key to the
    error to report instead of pushing; ``crash`` keys raise; ``log`` gets one line per push.
    """

    def __init__(
        self,
        dsn: str,
        remotes: Path,
        *,
        pause: float = 0.0,
        fail: dict[str, str] | None = None,
        crash: set[str] | None = None,
        started: Path | None = None,
        log: Path | None = None,
    ) -> None:
        self.dsn = dsn
        self.remotes = remotes
        self.pause = pause
        self.fail = fail or {}
        self.crash = crash or set()
        self.started = started
        self.log = log

    def __call__(self, settings: Settings, claimed: ClaimedIssue) -> FixOutcome:
        if claimed.key in self.crash:
            raise ValueError(f"scripted crash on {claimed.key}")
        if claimed.key in self.fail:
            return FixOutcome(False, self.fail[claimed.key])
        work = Path(tempfile.mkdtemp(prefix="scripted-fix-"))
        try:
            branch = f"globallm/issue-{claimed.number}"
            git("clone", str(remote_path(self.remotes, claimed.repository)), str(work))
            git("checkout", "-b", branch, cwd=work)
            fix = work / "fixes" / f"issue-{claimed.number}.txt"
            fix.parent.mkdir()
            fix.write_text(f"fixed by {claimed.agent_id}\n")
            git("add", ".", cwd=work)
            git("commit", "-m", f"Fix #{claimed.number}", cwd=work)
            if self.started is not None:
                self.started.mkdir(parents=True, exist_ok=True)
                (self.started / f"{claimed.agent_id}.{claimed.number}").touch()
            time.sleep(self.pause)
            if not claim_still_held(settings, self.dsn, claimed):
                return FixOutcome(False, "claim lost before push; nothing pushed")
            git("push", "origin", branch, cwd=work)
            if self.log is not None:
                with self.log.open("a") as handle:
                    handle.write(f"{claimed.key} {claimed.agent_id}\n")
            return FixOutcome(True, f"pushed {branch} (scripted test fixer)", tokens=0)
        finally:
            shutil.rmtree(work, ignore_errors=True)
