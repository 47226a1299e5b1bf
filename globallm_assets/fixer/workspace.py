"""A private clone of a repository with a fix branch, and the git operations the engine needs.

Sources: an ``https://``/``ssh`` URL, a ``file://`` URL, or a local path (cloned through
``file://`` so ``--depth`` applies). Git always runs as an argv list, with no terminal prompt,
no system config, and ``core.hooksPath=/dev/null``: the work tree is written by an untrusted agent
(in the sandbox, where ``.git`` is read-only), and nothing it leaves behind may run on the host.

Credentials never touch the disk or the command line: a token for a private clone travels in
``GIT_CONFIG_*`` environment variables of that one git process, the remote URL written to
``.git/config`` has no user info, and errors are redacted.
"""

from __future__ import annotations

import base64
import os
import re
import shutil
import subprocess
import tempfile
import unicodedata
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from globallm_assets.observability import redact

# Tool output that must never become part of a diff (written by test runs in the work tree).
EXCLUDES = (
    "__pycache__/",
    "*.pyc",
    ".pytest_cache/",
    ".mypy_cache/",
    ".ruff_cache/",
    "node_modules/",
    ".npm/",
    "target/",
    ".gradle/",
    "build/tmp/",
    ".coverage",
    "coverage/",
    ".nyc_output/",
)
SAFE_GIT_CONFIG = (
    "-c",
    "core.hooksPath=/dev/null",
    "-c",
    "core.fsmonitor=false",
    "-c",
    "protocol.file.allow=always",
    "-c",
    "advice.detachedHead=false",
    "-c",
    "init.defaultBranch=main",
)
MAX_SLUG = 40


class WorkspaceError(RuntimeError):
    """A git operation failed (the message is one redacted line)."""


def slugify(text: str, limit: int = MAX_SLUG) -> str:
    """ASCII words of ``text`` joined by dashes, at most ``limit`` characters."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    slug = ""
    for word in words:
        candidate = f"{slug}-{word}" if slug else word
        if len(candidate) > limit:
            break
        slug = candidate
    return slug or "fix"


def branch_name(issue_number: int, title: str) -> str:
    return f"globallm/issue-{issue_number}-{slugify(title)}"


def sanitize_url(url: str) -> str:
    """The URL without user info (tokens in ``https://user:token@host`` are dropped)."""
    parts = urlsplit(url)
    if parts.scheme in ("http", "https", "ssh", "git") and "@" in parts.netloc:
        host = parts.netloc.rsplit("@", 1)[1]
        keep_user = parts.scheme == "ssh" and parts.password is None
        netloc = f"{parts.username}@{host}" if keep_user and parts.username else host
        return urlunsplit(parts._replace(netloc=netloc))
    return url


def clone_url(source: str | Path) -> str:
    """What to hand ``git clone``: a local path becomes ``file://`` (so shallow clones work)."""
    text = str(source)
    if re.match(r"^[a-z][a-z0-9+.\-]*://", text, re.I) or re.match(r"^[\w.\-]+@[\w.\-]+:", text):
        return sanitize_url(text)
    path = Path(text).expanduser()
    if not path.exists():
        raise WorkspaceError(f"repository source not found: {text}")
    return path.resolve().as_uri()


def git_env(token: str | None = None) -> dict[str, str]:
    """Environment for host-side git: no prompts, no system config, an optional token header."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key in ("PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR", "SSH_AUTH_SOCK")
    }
    env.update({"GIT_TERMINAL_PROMPT": "0", "GIT_CONFIG_NOSYSTEM": "1", "GIT_ASKPASS": "true"})
    if token:
        basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
        env.update(
            {
                "GIT_CONFIG_COUNT": "1",
                "GIT_CONFIG_KEY_0": "http.extraHeader",
                "GIT_CONFIG_VALUE_0": f"Authorization: Basic {basic}",
            }
        )
    return env


def run_git(
    args: Sequence[str],
    *,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    input_text: str | None = None,
    check: bool = True,
    timeout: float = 600,
) -> subprocess.CompletedProcess[str]:
    """``git <args>`` with the safe configuration; raises :class:`WorkspaceError` on failure."""
    try:
        result = subprocess.run(
            ["git", *SAFE_GIT_CONFIG, *args],
            cwd=cwd,
            env=env or git_env(),
            input=input_text,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise WorkspaceError(f"git {args[0]} timed out after {timeout:.0f} s") from None
    except FileNotFoundError:
        raise WorkspaceError("git is not installed") from None
    if check and result.returncode != 0:
        lines = [line for line in result.stderr.strip().splitlines() if line.strip()]
        detail = lines[-1] if lines else f"exit code {result.returncode}"
        raise WorkspaceError(redact(f"git {args[0]} failed: {detail}"))
    return result


@dataclass
class Workspace:
    """A clone in a private directory, checked out on the fix branch."""

    path: Path
    repository: str
    branch: str
    base_branch: str
    base_sha: str
    remote: str  # sanitized: no credentials

    def git(self, *args: str, input_text: str | None = None, check: bool = True) -> str:
        return run_git(args, cwd=self.path, input_text=input_text, check=check).stdout

    # ----------------------------------------------------------------- reading

    def tree(self) -> list[str]:
        """Tracked and new (not ignored) files."""
        out = self.git("ls-files", "--cached", "--others", "--exclude-standard", "-z")
        return sorted({p for p in out.split("\0") if p})

    def history(self, path: str, limit: int = 5) -> list[str]:
        out = self.git(
            "log", f"-n{limit}", "--format=%h %ad %s", "--date=short", "--", path, check=False
        )
        return [line for line in out.splitlines() if line.strip()]

    def grep(self, word: str, limit: int = 50) -> list[tuple[str, int]]:
        """(path, line) of whole-word, fixed-string matches in tracked text files."""
        result = run_git(
            ["grep", "-n", "-I", "-w", "-F", "--no-color", "-e", word],
            cwd=self.path,
            check=False,
        )
        hits: list[tuple[str, int]] = []
        for line in result.stdout.splitlines():
            path, _, rest = line.partition(":")
            number, _, _ = rest.partition(":")
            if number.isdigit():
                hits.append((path, int(number)))
            if len(hits) >= limit:
                break
        return hits

    # ----------------------------------------------------------------- the change

    def stage(self) -> None:
        self.git("add", "-A")

    def diff(self) -> str:
        """Unified diff of the work tree (everything, new files too) against the base commit."""
        self.stage()
        return self.git(
            "diff", "--cached", "--binary", "--no-color", "--no-ext-diff", "-M", self.base_sha
        )

    def changed_files(self) -> list[str]:
        self.stage()
        out = self.git("diff", "--cached", "--name-only", "-z", "--no-renames", self.base_sha)
        return [p for p in out.split("\0") if p]

    def commit(self, message: str, *, name: str, email: str) -> str:
        """Commit everything on the fix branch; the new commit's sha."""
        self.stage()
        self.git(
            "-c",
            f"user.name={name}",
            "-c",
            f"user.email={email}",
            "commit",
            "--quiet",
            "--no-verify",
            "--no-gpg-sign",
            "-m",
            message,
        )
        return self.head()

    def head(self) -> str:
        return self.git("rev-parse", "HEAD").strip()

    def reset(self) -> None:
        """Back to the base commit on the fix branch, untracked files removed."""
        self.git("reset", "--quiet", "--hard", self.base_sha)
        self.git("clean", "-fdxq")

    @contextmanager
    def base_checkout(self, paths: Sequence[str] = ()) -> Iterator[Path]:
        """A detached checkout of the base commit with the current changes to ``paths`` applied
        (the fix's tests without the fix), removed afterwards."""
        patch = ""
        if paths:
            self.stage()
            patch = self.git(
                "diff",
                "--cached",
                "--binary",
                "--no-color",
                "--no-ext-diff",
                self.base_sha,
                "--",
                *paths,
            )
        holder = Path(tempfile.mkdtemp(prefix="base-", dir=self.path.parent))
        target = holder / self.path.name
        self.git("worktree", "add", "--quiet", "--detach", str(target), self.base_sha)
        try:
            if patch.strip():
                run_git(["apply", "--whitespace=nowarn", "-"], cwd=target, input_text=patch)
            yield target
        finally:
            self.git("worktree", "remove", "--force", str(target), check=False)
            shutil.rmtree(holder, ignore_errors=True)
            self.git("worktree", "prune", check=False)

    def remove(self) -> None:
        """Delete the clone and its private holder directory."""
        shutil.rmtree(self.path.parent, ignore_errors=True)


def clone(
    source: str | Path,
    *,
    repository: str,
    issue_number: int,
    title: str,
    work_root: Path,
    base_branch: str | None = None,
    depth: int = 50,
    token: str | None = None,
) -> Workspace:
    """Clone ``source`` into a new private directory under ``work_root`` and create the fix
    branch ``globallm/issue-<n>-<slug>`` from ``base_branch`` (default: the remote's HEAD)."""
    url = clone_url(source)
    work_root.mkdir(parents=True, exist_ok=True, mode=0o700)
    holder = Path(tempfile.mkdtemp(prefix="ws-", dir=work_root))  # 0700 by mkdtemp
    path = holder / (slugify(repository.replace("/", "-"), 60) + f"-{issue_number}")
    args = ["clone", "--quiet", "--no-tags"]
    if depth > 0:
        args += ["--depth", str(depth)]
        if not base_branch:
            args.append("--single-branch")
    if base_branch:
        args += ["--branch", base_branch, "--single-branch"]
    args += ["--", url, str(path)]
    try:
        run_git(args, env=git_env(token), timeout=1800)
        workspace = Workspace(
            path=path,
            repository=repository,
            branch=branch_name(issue_number, title),
            base_branch="",
            base_sha="",
            remote=url,
        )
        workspace.git("remote", "set-url", "origin", url)
        workspace.base_branch = workspace.git("rev-parse", "--abbrev-ref", "HEAD").strip()
        workspace.base_sha = workspace.head()
        workspace.git("checkout", "--quiet", "-b", workspace.branch)
        exclude = path / ".git" / "info" / "exclude"
        exclude.parent.mkdir(parents=True, exist_ok=True)
        with exclude.open("a", encoding="utf-8") as handle:
            handle.write("\n# GlobaLLM: tool output never part of a fix\n")
            handle.write("\n".join(EXCLUDES) + "\n")
    except BaseException:
        shutil.rmtree(holder, ignore_errors=True)
        raise
    return workspace
