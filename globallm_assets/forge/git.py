"""git for forges: argv only, bounded time, and credentials that never touch disk or argv.

A token must not appear in a remote URL (it would be written to ``.git/config`` or reflogs and
echoed in errors), nor in ``-c http.extraHeader=…`` (argv is readable by every local user in
``/proc/*/cmdline``). It goes to git as configuration *in the environment* of one command
(``GIT_CONFIG_COUNT``/``GIT_CONFIG_KEY_n``/``GIT_CONFIG_VALUE_n``, git ≥ 2.31), scoped to the
remote's origin so a redirect elsewhere never receives it. git's tracing variables are dropped so
nothing logs the header, and every error text is scrubbed before it leaves this module.
"""

from __future__ import annotations

import base64
import logging
import os
import re
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from globallm_assets.forge.base import ForgeError

log = logging.getLogger(__name__)

# Variables that make git print requests (headers included) or prompt on a terminal.
_DROPPED_ENV = (
    "GIT_TRACE",
    "GIT_TRACE_CURL",
    "GIT_TRACE_PACKET",
    "GIT_TRACE_PACK_ACCESS",
    "GIT_TRACE_PERFORMANCE",
    "GIT_TRACE_SETUP",
    "GIT_TRACE2",
    "GIT_TRACE2_EVENT",
    "GIT_TRACE2_PERF",
    "GIT_CURL_VERBOSE",
    "GIT_ASKPASS",
    "SSH_ASKPASS",
)
_USERINFO_RE = re.compile(r"(?<=://)[^/@\s]+@")
# Identity for commits a forge itself makes (the local forge's merge commits).
FORGE_IDENTITY = {
    "GIT_AUTHOR_NAME": "GlobaLLM local forge",
    "GIT_AUTHOR_EMAIL": "forge@globallm.invalid",
    "GIT_COMMITTER_NAME": "GlobaLLM local forge",
    "GIT_COMMITTER_EMAIL": "forge@globallm.invalid",
}


class GitError(ForgeError):
    """A git command failed; the message carries git's last words, scrubbed."""


@dataclass(frozen=True)
class HttpAuth:
    """A bearer-style credential for one remote origin (``https://host/``).

    ``repr`` never shows the token.
    """

    origin: str
    token: str

    def __repr__(self) -> str:
        return f"HttpAuth(origin={self.origin!r}, token=***)"

    def header(self) -> str:
        # GitHub accepts any user name with a token as the password over Basic auth.
        pair = base64.b64encode(f"x-access-token:{self.token}".encode()).decode()
        return f"Authorization: Basic {pair}"


def origin_of(url: str) -> str | None:
    """``scheme://host[:port]/`` of an http(s) URL, or None for paths and file URLs."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return f"{parts.scheme}://{parts.netloc.rsplit('@', 1)[-1]}/"


def git_env(auth: HttpAuth | None = None, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for one git command: no tracing, no prompts, the credential if any."""
    env = {k: v for k, v in os.environ.items() if k not in _DROPPED_ENV}
    env["GIT_TERMINAL_PROMPT"] = "0"
    env.update(extra or {})
    if auth is not None:
        index = int(env.get("GIT_CONFIG_COUNT") or 0)
        env["GIT_CONFIG_COUNT"] = str(index + 1)
        env[f"GIT_CONFIG_KEY_{index}"] = f"http.{auth.origin}.extraHeader"
        env[f"GIT_CONFIG_VALUE_{index}"] = auth.header()
    return env


def scrub(text: str, secrets: Sequence[str] = ()) -> str:
    """Remove credentials from git output: URL user-info and any known secret."""
    text = _USERINFO_RE.sub("***@", text)
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def run_git(
    args: Sequence[str],
    *,
    cwd: Path | None = None,
    auth: HttpAuth | None = None,
    timeout: float = 300.0,
    env: Mapping[str, str] | None = None,
    check: bool = True,
    input_text: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``git <args>``; on failure raise :class:`GitError` with git's last line, scrubbed."""
    argv = ["git", *args]
    secrets = [auth.token, auth.header()] if auth else []
    log.debug("git %s", scrub(" ".join(args), secrets))
    try:
        proc = subprocess.run(
            argv,
            cwd=cwd,
            env=git_env(auth, env),
            input=input_text,
            stdin=None if input_text is not None else subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise GitError(f"git {args[0]} timed out after {timeout:.0f}s") from None
    except FileNotFoundError:
        raise GitError("git is not installed (needed to push branches)") from None
    if check and proc.returncode != 0:
        lines = [ln for ln in (proc.stderr or proc.stdout or "").splitlines() if ln.strip()]
        last = scrub(lines[-1].strip(), secrets) if lines else f"exit {proc.returncode}"
        raise GitError(f"git {args[0]} failed: {last}")
    return proc
