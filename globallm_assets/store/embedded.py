"""A private PostgreSQL cluster that GlobaLLM initialises and starts from the machine's binaries.

Why embedded: a newcomer without Docker or a running server still gets the one real store. The
cluster lives under the data dir, listens on a unix socket inside it (optionally also on a loopback
port, password-protected), and is reused by later commands until ``globallm database close``.

initdb/pg_ctl refuse to run as root, so as root every server command runs through ``runuser`` as
an unprivileged user that owns the data directory.
"""

from __future__ import annotations

import fcntl
import glob
import os
import pwd
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

SUPERUSER = "globallm"
SOCKET_PORT = 5432  # names the socket file only; the socket lives in our private directory
INSTALL_HINT = (
    "install the PostgreSQL server binaries (Debian/Ubuntu: apt-get install postgresql) "
    "or point GlobaLLM at a server with GLOBALLM_DATABASE_URL=postgresql://USER:PASS@HOST:PORT/DB"
)


class EmbeddedServerError(RuntimeError):
    """The embedded server could not be found, initialised, started or stopped."""


def find_bindir() -> Path:
    """Locate initdb/pg_ctl: ``pg_config --bindir``, then PATH, then /usr/lib/postgresql/*/bin."""
    candidates: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            out = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, timeout=10, check=True
            )
            candidates.append(Path(out.stdout.strip()))
        except (subprocess.SubprocessError, OSError):
            pass
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(Path(initdb).parent)

    def version_key(path: str) -> float:
        try:
            return float(Path(path).parent.name)
        except ValueError:
            return 0.0

    candidates += [
        Path(p)
        for p in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=version_key, reverse=True)
    ]
    for directory in candidates:
        if (directory / "initdb").is_file() and (directory / "pg_ctl").is_file():
            return directory
    raise EmbeddedServerError(
        f"no PostgreSQL server binaries (initdb, pg_ctl) found: {INSTALL_HINT}"
    )


@dataclass(frozen=True)
class ServerStatus:
    running: bool
    initialized: bool
    pgdata: Path
    pid: int | None
    version: str | None
    dsn: str | None


class EmbeddedServer:
    """One cluster in ``<data_dir>/postgres``."""

    def __init__(
        self, data_dir: Path, *, run_as: str = "postgres", port: int | None = None
    ) -> None:
        self.data_dir = Path(data_dir).absolute()
        self.pgdata = self.data_dir / "postgres"
        self.port = port
        self._run_as = run_as if os.geteuid() == 0 else None
        self._bindir: Path | None = None

    # --- paths and commands ---------------------------------------------------------------

    @property
    def bindir(self) -> Path:
        if self._bindir is None:
            self._bindir = find_bindir()
        return self._bindir

    @property
    def socket_dir(self) -> Path:
        return self.pgdata

    @property
    def password_file(self) -> Path:
        return self.data_dir / "postgres.password"

    @property
    def log_file(self) -> Path:
        return self.pgdata / "server.log"

    def dsn(self, dbname: str = "globallm") -> str:
        """Unix-socket DSN (libpq URL form, understood by psycopg and SQLAlchemy/psycopg2)."""
        host = quote(str(self.socket_dir), safe="")
        return f"postgresql://{SUPERUSER}@/{dbname}?host={host}&port={self.socket_port()}"

    def _cmd(self, *args: str) -> list[str]:
        if self._run_as is None:
            return list(args)
        runuser = shutil.which("runuser") or "/usr/sbin/runuser"
        if not Path(runuser).exists():
            raise EmbeddedServerError(
                "running as root needs `runuser` (util-linux) to drop privileges"
            )
        return [runuser, "-u", self._run_as, "--", *args]

    def _run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self._cmd(*args),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            stdin=subprocess.DEVNULL,
            cwd="/",
        )

    @contextmanager
    def _lock(self) -> Iterator[None]:
        """Serialise init/start/stop between processes sharing this data dir."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with open(self.data_dir / ".server.lock", "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    # --- lifecycle --------------------------------------------------------------------------

    @property
    def initialized(self) -> bool:
        return (self.pgdata / "PG_VERSION").is_file()

    def is_running(self) -> bool:
        if not self.initialized:
            return False
        return (
            self._run(str(self.bindir / "pg_ctl"), "status", "-D", str(self.pgdata)).returncode == 0
        )

    def ensure_running(self) -> str:
        """Initialise if needed, start if stopped, and return the DSN; safe to call concurrently."""
        with self._lock():
            if not self.initialized:
                self._initdb()
            if not self.is_running():
                self._start()
        return self.dsn()

    def stop(self) -> bool:
        """Stop the server; returns False when it was not running."""
        with self._lock():
            if not self.is_running():
                return False
            result = self._run(
                str(self.bindir / "pg_ctl"), "stop", "-D", str(self.pgdata), "-m", "fast", "-w"
            )
            if result.returncode != 0:
                raise EmbeddedServerError(f"pg_ctl stop failed: {_last_line(result)}")
            return True

    def status(self) -> ServerStatus:
        running = self.is_running()
        pid = None
        pid_file = self.pgdata / "postmaster.pid"
        if running and pid_file.exists():
            try:
                pid = int(pid_file.read_text().splitlines()[0])
            except (OSError, ValueError, IndexError):
                pid = None
        version = (self.pgdata / "PG_VERSION").read_text().strip() if self.initialized else None
        return ServerStatus(
            running=running,
            initialized=self.initialized,
            pgdata=self.pgdata,
            pid=pid,
            version=version,
            dsn=self.dsn() if running else None,
        )

    def _prepare_dirs(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.pgdata.mkdir(mode=0o700, exist_ok=True)
        if self._run_as is None:
            return
        try:
            user = pwd.getpwnam(self._run_as)
        except KeyError:
            raise EmbeddedServerError(
                f"running as root, the embedded server needs the unprivileged user "
                f"{self._run_as!r}, which does not exist (create it, set database.run_as, "
                "or set GLOBALLM_DATABASE_URL)"
            ) from None
        os.chown(self.pgdata, user.pw_uid, user.pw_gid)
        probe = self._run("test", "-w", str(self.pgdata))
        if probe.returncode != 0:
            raise EmbeddedServerError(
                f"user {self._run_as!r} cannot reach {self.pgdata}: every folder above it must be "
                "traversable by that user; choose another data dir "
                "(e.g. GLOBALLM_DATA_DIR=/var/lib/globallm)"
            )

    def _initdb(self) -> None:
        self._prepare_dirs()
        if any(self.pgdata.iterdir()):
            raise EmbeddedServerError(
                f"{self.pgdata} is not empty but holds no cluster; move it away"
            )
        password = secrets.token_urlsafe(24)
        pwfile = self.data_dir / ".initpw"
        _write_private(pwfile, password + "\n")
        if self._run_as is not None:
            user = pwd.getpwnam(self._run_as)
            os.chown(pwfile, user.pw_uid, user.pw_gid)
        try:
            result = self._run(
                str(self.bindir / "initdb"),
                "-D",
                str(self.pgdata),
                "-U",
                SUPERUSER,
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                f"--pwfile={pwfile}",
                "--encoding=UTF8",
                "--locale=C",
                "--no-instructions",
            )
        finally:
            pwfile.unlink(missing_ok=True)
        if result.returncode != 0:
            raise EmbeddedServerError(f"initdb failed: {_last_line(result)}")
        _write_private(self.password_file, password + "\n")
        conf = self.pgdata / "postgresql.auto.conf"
        with conf.open("a") as handle:
            handle.write(
                "# written by GlobaLLM: private socket, no network unless a port is configured\n"
                f"unix_socket_directories = '{self.socket_dir}'\n"
                "listen_addresses = ''\n"
                f"port = {SOCKET_PORT}\n"
                "max_connections = 200\n"
            )

    def _start(self) -> None:
        listen = "127.0.0.1" if self.port is not None else ""
        options = (
            f"-c unix_socket_directories='{self.socket_dir}' -p {self.socket_port()} "
            f"-c listen_addresses='{listen}'"
        )
        result = self._run(
            str(self.bindir / "pg_ctl"),
            "start",
            "-D",
            str(self.pgdata),
            "-l",
            str(self.log_file),
            "-w",
            "-t",
            "60",
            "-o",
            options,
        )
        if result.returncode != 0:
            tail = _tail(self.log_file)
            raise EmbeddedServerError(f"PostgreSQL did not start: {tail or _last_line(result)}")

    def socket_port(self) -> int:
        return self.port or SOCKET_PORT


def _write_private(path: Path, text: str) -> None:
    """Create the file 0600 from the start: a password is never readable by others, even briefly."""
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)


def _last_line(result: subprocess.CompletedProcess[str]) -> str:
    text = (result.stderr or result.stdout or "").strip().splitlines()
    return text[-1] if text else f"exit code {result.returncode}"


def _tail(path: Path) -> str:
    try:
        lines = [line for line in path.read_text(errors="replace").splitlines() if line.strip()]
    except OSError:
        return ""
    return lines[-1] if lines else ""
