"""A private PostgreSQL cluster that GlobaLLM initialises and starts from the machine's binaries.

Why embedded: a newcomer without Docker or a running server still gets the one real store. The
cluster lives under the data dir, listens on a unix socket inside it (optionally also on a loopback
port, password-protected), and is reused by later commands until ``globallm database close``.

initdb/pg_ctl refuse to run as root, so as root every server command runs through ``runuser`` as
an unprivileged user that owns the data directory.

The data dir is user input (a flag, an environment variable, a ``.env`` file), so no shell ever
sees it: ``pg_ctl start`` runs its postmaster through ``/bin/sh`` with ``-D``, ``-l`` and ``-o``
pasted into the command line, so the server is started with the cluster in ``PGDATA``, a log
file name relative to the cluster, and every option in ``postgresql.auto.conf``. Paths the
server's configuration cannot hold, or too long for a socket, are refused before anything is
created.
"""

from __future__ import annotations

import fcntl
import glob
import logging
import os
import pwd
import re
import secrets
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from globallm_assets.settings import ConfigError

log = logging.getLogger(__name__)

SUPERUSER = "globallm"
SOCKET_PORT = 5432  # names the socket file only; the socket lives in our private directory
INSTALL_HINT = (
    "install the PostgreSQL server binaries (Debian/Ubuntu: apt-get install postgresql) "
    "or point GlobaLLM at a server with GLOBALLM_DATABASE_URL=postgresql://USER:PASS@HOST:PORT/DB"
)
# A unix socket path fits in sockaddr_un.sun_path: 108 bytes on Linux, with the final NUL.
SOCKET_PATH_MAX = 107
# The server log, relative to the cluster (the shell pg_ctl starts the server with sees it).
LOG_NAME = "server.log"
# postgresql.auto.conf lines GlobaLLM owns: rewritten before every start.
_CONF_MARK = "# written by GlobaLLM"
_CONF_KEYS = ("unix_socket_directories", "listen_addresses", "port", "autovacuum_naptime")
# initdb works in <data dir>/.init-XXXX; the finished cluster is renamed into place.
_STAGING_PREFIX = ".init-"
_LOG_MESSAGE = re.compile(r"\b(LOG|WARNING|ERROR|FATAL|PANIC):\s+(.*)")


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


def check_data_dir(data_dir: Path, port: int = SOCKET_PORT) -> None:
    """Refuse, in one line, a data dir the embedded server cannot use.

    Quotes and backslashes cannot be written safely into the server's configuration (its
    socket-directory list gives them meaning), control characters cannot be written at all, and
    the socket file inside the cluster must fit a unix socket address.
    """
    text = str(data_dir)
    advice = "choose another with --data-dir or GLOBALLM_DATA_DIR"
    if any(ch in text for ch in "'\"\\"):
        raise ConfigError(f"data dir {text!r} contains a quote or backslash; {advice}")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
        raise ConfigError(f"data dir {text!r} contains a control character; {advice}")
    socket = Path(data_dir) / "postgres" / f".s.PGSQL.{port}"
    size = len(os.fsencode(str(socket)))
    if size > SOCKET_PATH_MAX:
        raise ConfigError(
            f"data dir {text!r} is too long for a unix socket path ({size} bytes with the "
            f"socket name, at most {SOCKET_PATH_MAX}); {advice}"
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
        return self.pgdata / LOG_NAME

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

    def _run(
        self, *args: str, timeout: float = 120, cwd: Path | str = "/", **env: str
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self._cmd(*args),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            stdin=subprocess.DEVNULL,
            cwd=cwd,
            env=_server_env(**env),
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
        # pg_control is among initdb's last files; a cluster without it never finished.
        return (self.pgdata / "PG_VERSION").is_file() and (
            self.pgdata / "global" / "pg_control"
        ).is_file()

    def is_running(self) -> bool:
        if not self.initialized:
            return False
        return (
            self._run(str(self.bindir / "pg_ctl"), "status", "-D", str(self.pgdata)).returncode == 0
        )

    def ensure_running(self) -> str:
        """Initialise if needed, start if stopped, and return the DSN; safe to call concurrently."""
        check_data_dir(self.data_dir, self.socket_port())
        with self._lock():
            if not self.initialized:
                self._initdb()
            if not self.is_running():
                self._start()
            else:
                self._check_running_matches()
        return self.dsn()

    def _check_running_matches(self) -> None:
        """A running server keeps the port it started with: say so instead of failing to connect."""
        lines = _read_lines(self.pgdata / "postmaster.pid")
        if len(lines) < 6:
            return
        running_port, running_listen = lines[3].strip(), lines[5].strip()
        wanted_listen = "127.0.0.1" if self.port is not None else ""
        if running_port != str(self.socket_port()) or running_listen != wanted_listen:
            shown = f"port {running_port}" + (" on 127.0.0.1" if running_listen else " (socket)")
            raise EmbeddedServerError(
                f"the embedded server is running with {shown}, but the settings ask for "
                f"{'port ' + str(self.port) if self.port else 'the socket only'}: run "
                "`globallm database close` to apply the change"
            )

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

    def _server_user(self) -> pwd.struct_passwd | None:
        if self._run_as is None:
            return None
        try:
            return pwd.getpwnam(self._run_as)
        except KeyError:
            raise EmbeddedServerError(
                f"running as root, the embedded server needs the unprivileged user "
                f"{self._run_as!r}, which does not exist (create it, set database.run_as, "
                "or set GLOBALLM_DATABASE_URL)"
            ) from None

    def _discard_unfinished(self) -> None:
        """Remove what an interrupted first start left: staging dirs, and a cluster directory
        without its control file (made by versions that ran initdb in place)."""
        for stale in self.data_dir.glob(f"{_STAGING_PREFIX}*"):
            shutil.rmtree(stale, ignore_errors=True)
        if not self.pgdata.exists() or (self.pgdata / "global" / "pg_control").exists():
            return
        if not any(self.pgdata.iterdir()):
            self.pgdata.rmdir()
        elif (self.pgdata / "PG_VERSION").exists():
            # Kept, not deleted: it is someone's data directory, however unusable.
            aside = self.data_dir / f"postgres.incomplete-{int(time.time())}"
            os.replace(self.pgdata, aside)
            log.warning("moved an unfinished cluster aside to %s; creating a new one", aside)
        else:
            raise EmbeddedServerError(
                f"{self.pgdata} is not empty but holds no cluster; move it away"
            )

    def _initdb(self) -> None:
        """Create the cluster in a staging directory and rename it into place when complete, so
        a first start killed at any moment leaves either no cluster or a whole one."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._discard_unfinished()
        user = self._server_user()
        staging = Path(tempfile.mkdtemp(prefix=_STAGING_PREFIX, dir=self.data_dir))
        try:
            cluster, pwfile = staging / "postgres", staging / "initpw"
            password = secrets.token_urlsafe(24)
            _write_private(pwfile, password + "\n")
            if user is not None:
                for path in (staging, pwfile):
                    os.chown(path, user.pw_uid, user.pw_gid)
                if self._run("test", "-w", str(staging)).returncode != 0:
                    raise EmbeddedServerError(
                        f"user {self._run_as!r} cannot reach {self.data_dir}: every folder above "
                        "it must be traversable by that user; choose another data dir "
                        "(e.g. GLOBALLM_DATA_DIR=/var/lib/globallm)"
                    )
            result = self._run(
                str(self.bindir / "initdb"),
                "-D",
                str(cluster),
                "-U",
                SUPERUSER,
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                f"--pwfile={pwfile}",
                "--encoding=UTF8",
                "--locale=C",
                "--no-instructions",
            )
            if result.returncode != 0:
                raise EmbeddedServerError(f"initdb failed: {_last_line(result)}")
            with (cluster / "postgresql.auto.conf").open("a") as handle:
                handle.write("max_connections = 200\n")
            _write_private(self.password_file, password + "\n")
            os.replace(cluster, self.pgdata)
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def _write_server_conf(self) -> None:
        """Put the socket, port and listen address in ``postgresql.auto.conf``, replacing the last
        start's: no start option then passes through pg_ctl's shell."""
        conf = self.pgdata / "postgresql.auto.conf"
        kept = [
            line
            for line in _read_lines(conf)
            if not line.startswith(_CONF_MARK) and line.split("=", 1)[0].strip() not in _CONF_KEYS
        ]
        listen = "127.0.0.1" if self.port is not None else ""
        kept += [
            f"{_CONF_MARK}: private socket, no network unless a port is configured",
            # Double quotes make the path one element of the directory list, commas and all;
            # check_data_dir has refused the quotes that could end either quoting.
            f"unix_socket_directories = '\"{self.socket_dir}\"'",
            f"listen_addresses = '{listen}'",
            f"port = {self.socket_port()}",
            # Autovacuum looks at each database every 5 s instead of every minute: a claim
            # storm leaves hundreds of dead entries a second where every claim's walk starts
            # (sql/0095), and they stay until a vacuum removes them. The tables claims change
            # carry their own thresholds (sql/0096), so looking often does not vacuum often.
            "autovacuum_naptime = 5",
        ]
        self._write_owned(conf, "\n".join(kept) + "\n")

    def _write_owned(self, path: Path, text: str) -> None:
        """Replace a file in the cluster atomically, owned by the server's user, mode 0600."""
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(text)
            if self._run_as is not None:
                user = pwd.getpwnam(self._run_as)
                os.chown(tmp, user.pw_uid, user.pw_gid)
            os.chmod(tmp, 0o600)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def _start(self) -> None:
        self._write_server_conf()
        offset = self.log_file.stat().st_size if self.log_file.exists() else 0
        # PGDATA instead of -D, a relative -l and no -o: see the module docstring.
        result = self._run(
            str(self.bindir / "pg_ctl"),
            "start",
            "-l",
            LOG_NAME,
            "-w",
            "-t",
            "60",
            cwd=self.pgdata,
            PGDATA=str(self.pgdata),
        )
        if result.returncode != 0:
            cause = _failure_cause(_read_from(self.log_file, offset)) or _first_line(result)
            raise EmbeddedServerError(f"PostgreSQL did not start: {cause}")

    def socket_port(self) -> int:
        return self.port or SOCKET_PORT


def _write_private(path: Path, text: str) -> None:
    """Create the file 0600 from the start: a password is never readable by others, even briefly."""
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)


def _server_env(**extra: str) -> dict[str, str]:
    """The server's environment: what it needs, never the caller's tokens and keys."""
    env = {"PATH": os.environ.get("PATH", os.defpath), "LC_ALL": "C"}
    if "TZ" in os.environ:
        env["TZ"] = os.environ["TZ"]
    return env | extra


def _last_line(result: subprocess.CompletedProcess[str]) -> str:
    text = (result.stderr or result.stdout or "").strip().splitlines()
    return text[-1] if text else f"exit code {result.returncode}"


def _first_line(result: subprocess.CompletedProcess[str]) -> str:
    text = (result.stderr or result.stdout or "").strip().splitlines()
    return text[0] if text else f"exit code {result.returncode}"


def _read_lines(path: Path) -> list[str]:
    try:
        return path.read_text(errors="replace").splitlines()
    except OSError:
        return []


def _read_from(path: Path, offset: int) -> str:
    try:
        with path.open("rb") as handle:
            handle.seek(offset)
            return handle.read().decode(errors="replace")
    except OSError:
        return ""


def _failure_cause(log_text: str) -> str | None:
    """The server's own reason for a failed start, from what it logged during that start.

    A configuration error is logged as the offending line (LOG) followed by a generic FATAL, so
    that line is kept beside the FATAL.
    """
    messages = [m.groups() for m in map(_LOG_MESSAGE.search, log_text.splitlines()) if m]
    for index, (severity, text) in enumerate(messages):
        if severity in ("ERROR", "FATAL", "PANIC"):
            if "configuration file" in text and index > 0:
                return f"{text}: {messages[index - 1][1]}"
            return text
    return None
