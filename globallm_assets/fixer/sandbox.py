"""Run untrusted commands (a repository's tests, an agent's shell actions) in a bubblewrap sandbox.

What the sandboxed process gets, and why:

- **no network**: ``--unshare-all`` gives it fresh user, pid, network, IPC and UTS namespaces; the
  network namespace has only its own loopback. Unix sockets on the host filesystem would still be
  reachable by path, so the directories holding them (PostgreSQL's) are hidden (below);
- **a read-only host**: ``/`` is bound read-only so compilers, interpreters and test runners work
  as installed; ``/tmp`` is a private tmpfs; **only the workspace is writable**, and not its
  ``.git`` directory (hooks or config planted there would run when GlobaLLM's own git, outside
  the sandbox, touches the repository);
- **no secrets**: the environment is built from an allowlist (``PATH``, locale, toolchain homes)
  and never inherits ``GITHUB_TOKEN``, API keys or anything named like a credential or holding a
  configured secret's value; files that hold secrets (GlobaLLM's data and config directories,
  ``~/.ssh``, cloud and registry credentials, ``/run/postgresql``) are covered by empty tmpfs
  mounts or ``/dev/null``; a fresh ``/proc`` shows only the sandbox's own processes;
- **limits**: CPU seconds, address space and file size per process via ``prlimit`` (setrlimit;
  inherited by every child), and a wall clock after which the whole process group is killed
  (``--die-with-parent`` then takes the namespace down with it).

With ``required=False`` and no usable bwrap, commands run unsandboxed but still with the clean
environment and the limits, and ``SandboxResult.sandboxed`` says so.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from globallm_assets.observability import redact

if TYPE_CHECKING:
    from globallm_assets.settings import Settings

log = logging.getLogger(__name__)

# Variable names passed through from the host when set. Everything else is dropped.
ENV_ALLOWLIST = (
    "PATH",
    "LANG",
    "LC_ALL",
    "LC_CTYPE",
    "TZ",
    "JAVA_HOME",
    "GOROOT",
    "GOPATH",
    "GOMODCACHE",
    "CARGO_HOME",
    "RUSTUP_HOME",
    "RUSTUP_TOOLCHAIN",
    "NODE_PATH",
    "VIRTUAL_ENV",
)
# A name like these is never passed, even when a caller asks (belt and braces for ``env=``).
SECRET_NAME = re.compile(
    r"TOKEN|SECRET|PASSW|API_?KEY|CREDENTIAL|PRIVATE|_KEY$|^AWS_|AUTH|COOKIE|SESSION", re.I
)
# Fixed settings inside the sandbox: no colour, no bytecode or caches written into the
# workspace, and the package managers told they are offline (the network is gone anyway).
SANDBOX_ENV = {
    "HOME": "/tmp/home",
    "TMPDIR": "/tmp",
    "CI": "true",
    "NO_COLOR": "1",
    "TERM": "dumb",
    "PYTHONDONTWRITEBYTECODE": "1",
    "PYTHONUNBUFFERED": "1",
    "npm_config_cache": "/tmp/npm-cache",
    "npm_config_offline": "true",
    "npm_config_update_notifier": "false",
    "npm_config_fund": "false",
    "npm_config_audit": "false",
    "CARGO_NET_OFFLINE": "true",
    "GOPROXY": "off",
    "GOFLAGS": "-mod=mod",
    "GIT_CONFIG_NOSYSTEM": "1",
}
# Paths under $HOME that hold credentials; directories get an empty tmpfs, files /dev/null.
HOME_SECRETS = (
    ".ssh",
    ".aws",
    ".azure",
    ".gnupg",
    ".kube",
    ".docker",
    ".config",
    ".netrc",
    ".git-credentials",
    ".npmrc",
    ".pypirc",
    ".cargo/credentials",
    ".cargo/credentials.toml",
    ".gradle/gradle.properties",
    ".m2/settings.xml",
    ".m2/settings-security.xml",
)
SYSTEM_SECRETS = ("/run/postgresql", "/var/run/postgresql", "/var/lib/postgresql", "/run/secrets")


class SandboxUnavailable(RuntimeError):
    """bubblewrap is missing or unusable while the sandbox is required (one-line message)."""


@dataclass(frozen=True)
class SandboxLimits:
    wall_seconds: float = 600.0
    cpu_seconds: int = 600
    memory_bytes: int = 4 << 30  # address space per process
    file_size_bytes: int = 1 << 30
    open_files: int = 4096
    output_bytes: int = 256 << 10  # output kept (the tail); the rest is counted, not stored
    hidden_paths: tuple[str, ...] = ()  # more host paths to hide (data dir, config dir …)
    env_passthrough: tuple[str, ...] = ()  # more variable names allowed through

    @classmethod
    def from_settings(cls, settings: Settings) -> SandboxLimits:
        from globallm_assets.settings import default_config_path

        box = settings.sandbox
        hidden = [str(settings.data_dir), str(default_config_path().parent), *box.hidden_paths]
        return cls(
            wall_seconds=float(box.wall_seconds),
            cpu_seconds=box.cpu_seconds,
            memory_bytes=box.memory_mb << 20,
            file_size_bytes=box.file_size_mb << 20,
            open_files=box.open_files,
            output_bytes=box.output_kb << 10,
            hidden_paths=tuple(hidden),
            env_passthrough=tuple(box.env_passthrough),
        )


@dataclass(frozen=True)
class SandboxResult:
    argv: tuple[str, ...]
    exit_code: int | None  # None when killed at the wall-clock limit
    output: str  # stdout and stderr interleaved; the tail when longer than the limit
    duration_s: float
    killed: str | None  # "wall", "cpu", "signal N" … ; None when it exited by itself
    sandboxed: bool
    output_truncated: bool = False

    @property
    def ok(self) -> bool:
        return self.killed is None and self.exit_code == 0


def sandbox_env(extra: Mapping[str, str] | None = None, *, passthrough: Sequence[str] = ()) -> dict:
    """The whole environment of a sandboxed process: allowlisted, secret-free."""
    env: dict[str, str] = {}
    for name in (*ENV_ALLOWLIST, *passthrough):
        value = os.environ.get(name)
        if value is not None:
            env[name] = value
    env.update(SANDBOX_ENV)
    env.update(extra or {})
    return {
        name: value
        for name, value in env.items()
        if not SECRET_NAME.search(name) and redact(value) == value
    }


@functools.cache
def _bwrap_problem() -> str | None:
    """None when bwrap can create the namespaces here, else why not (probed once)."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return "bubblewrap (bwrap) is not installed"
    probe = subprocess.run(
        [bwrap, "--unshare-all", "--die-with-parent", "--ro-bind", "/", "/", "true"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    if probe.returncode != 0:
        reason = (probe.stderr.strip().splitlines() or ["unknown error"])[-1]
        return f"bubblewrap cannot create a sandbox here: {reason}"
    return None


def sandbox_problem() -> str | None:
    """Why commands cannot be sandboxed on this machine, or None."""
    return _bwrap_problem()


def require_sandbox(required: bool) -> None:
    """Raise :class:`SandboxUnavailable` when the sandbox is required but unusable."""
    problem = _bwrap_problem()
    if problem and required:
        raise SandboxUnavailable(
            f"{problem}; install it (apt-get install bubblewrap) or set sandbox.required false"
        )


def _hide_args(paths: Sequence[str], workdir: Path) -> list[str]:
    args: list[str] = []
    home = Path.home()
    candidates = [*SYSTEM_SECRETS, *(str(home / p) for p in HOME_SECRETS), *paths]
    seen: set[Path] = set()
    for raw in dict.fromkeys(candidates):
        path = Path(raw)
        if not path.exists() or path.is_symlink():
            continue
        resolved = path.resolve()
        if resolved in seen:
            continue
        seen.add(resolved)
        # Hiding a parent of the interpreter or of the workspace is fine (the workspace is
        # bound again after); hiding "/" or the workspace itself is not.
        if resolved == Path("/") or resolved == workdir:
            continue
        if path.is_dir():
            args += ["--tmpfs", str(resolved)]
        else:
            args += ["--ro-bind", "/dev/null", str(resolved)]
    return args


def _bwrap_argv(workdir: Path, argv: Sequence[str], limits: SandboxLimits) -> list[str]:
    return [
        "bwrap",
        "--unshare-all",
        "--die-with-parent",
        "--new-session",
        "--ro-bind",
        "/",
        "/",
        "--dev",
        "/dev",
        "--proc",
        "/proc",
        "--tmpfs",
        "/tmp",
        *_interpreter_args(),
        *_hide_args(limits.hidden_paths, workdir),
        "--bind",
        str(workdir),
        str(workdir),
        *_git_metadata_readonly(workdir),
        "--dir",
        SANDBOX_ENV["HOME"],
        "--chdir",
        str(workdir),
        "--",
        *argv,
    ]


def _interpreter_args() -> list[str]:
    """The running interpreter's environment, read-only, when it lives under ``/tmp`` (a checkout
    in a temporary directory): the private tmpfs would otherwise hide the tests' Python."""
    args: list[str] = []
    for prefix in dict.fromkeys((sys.prefix, sys.base_prefix)):
        path = Path(prefix).resolve()
        if path.is_relative_to("/tmp"):
            args += ["--ro-bind", str(path), str(path)]
    return args


def _git_metadata_readonly(workdir: Path) -> list[str]:
    """``.git`` stays read-only: hooks or config planted there would run in host-side git."""
    git_dir = workdir / ".git"
    if git_dir.is_dir() and not git_dir.is_symlink():
        return ["--ro-bind", str(git_dir), str(git_dir)]
    return []


def _prlimit_argv(limits: SandboxLimits) -> list[str]:
    # Soft CPU limit sends SIGXCPU, the hard one (a second later) SIGKILL.
    return [
        "prlimit",
        f"--cpu={limits.cpu_seconds}:{limits.cpu_seconds + 1}",
        f"--as={limits.memory_bytes}",
        f"--fsize={limits.file_size_bytes}",
        f"--nofile={limits.open_files}",
        "--core=0",
        "--",
    ]


def _set_limits(limits: SandboxLimits) -> None:  # pragma: no cover - runs in the child
    import resource

    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds + 1))
    resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_size_bytes, limits.file_size_bytes))
    resource.setrlimit(resource.RLIMIT_NOFILE, (limits.open_files, limits.open_files))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


class _TailReader(threading.Thread):
    """Drains a pipe, keeping only the last ``limit`` bytes (a chatty test cannot fill RAM)."""

    def __init__(self, stream, limit: int) -> None:
        super().__init__(daemon=True)
        self.stream = stream
        self.limit = limit
        self.buffer = bytearray()
        self.total = 0

    def run(self) -> None:
        while chunk := self.stream.read1(65536):
            self.total += len(chunk)
            self.buffer += chunk
            if len(self.buffer) > 2 * self.limit:
                del self.buffer[: len(self.buffer) - self.limit]
        self.stream.close()

    def text(self) -> str:
        tail = bytes(self.buffer[-self.limit :]) if self.limit else b""
        return tail.decode("utf-8", errors="replace")


def _killed_by(code: int, sandboxed: bool) -> str | None:
    """Map an exit status to the signal that ended the process, if any."""
    number = -code if code < 0 else code - 128 if sandboxed and 128 < code < 160 else None
    if number is None:
        return None
    if number == signal.SIGXCPU:
        return "cpu"
    if number == signal.SIGXFSZ:
        return "file_size"
    try:
        return f"signal {signal.Signals(number).name}"
    except ValueError:
        return f"signal {number}"


def run_sandboxed(
    workdir: Path,
    argv: list[str],
    *,
    limits: SandboxLimits,
    env: dict[str, str] | None = None,
    required: bool = True,
) -> SandboxResult:
    """Run ``argv`` with ``workdir`` as its only writable directory (see the module docstring).

    Raises :class:`SandboxUnavailable` when bubblewrap is unusable and ``required``.
    """
    workdir = Path(workdir).resolve()
    if not workdir.is_dir():
        raise FileNotFoundError(f"sandbox workdir does not exist: {workdir}")
    if not argv:
        raise ValueError("argv must not be empty")
    require_sandbox(required)
    sandboxed = _bwrap_problem() is None
    environment = sandbox_env(env, passthrough=limits.env_passthrough)
    if not sandboxed:
        log.warning("running %s WITHOUT a sandbox (sandbox.required is false)", argv[0])
        environment["HOME"] = str(workdir)
        environment["TMPDIR"] = str(workdir)
    use_prlimit = shutil.which("prlimit") is not None
    command = list(argv)
    if sandboxed:
        command = _bwrap_argv(workdir, command, limits)
    if use_prlimit:
        command = _prlimit_argv(limits) + command
    started = time.monotonic()
    process = subprocess.Popen(
        command,
        cwd=workdir,
        env=environment,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        preexec_fn=None if use_prlimit else functools.partial(_set_limits, limits),
    )
    reader = _TailReader(process.stdout, limits.output_bytes)
    reader.start()
    killed: str | None = None
    try:
        code: int | None = process.wait(timeout=limits.wall_seconds)
    except subprocess.TimeoutExpired:
        killed = "wall"
        _kill_group(process)
        process.wait()
        code = None
    except BaseException:
        _kill_group(process)
        process.wait()
        raise
    finally:
        reader.join(timeout=10)
    duration = time.monotonic() - started
    if code is not None:
        killed = _killed_by(code, sandboxed)
    return SandboxResult(
        argv=tuple(argv),
        exit_code=code,
        output=reader.text(),
        duration_s=duration,
        killed=killed,
        sandboxed=sandboxed,
        output_truncated=reader.total > limits.output_bytes,
    )


def _kill_group(process: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
