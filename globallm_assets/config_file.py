"""The YAML config file on disk: reading it, and changing one key atomically.

The model (``settings.py``) says what a valid configuration is; this module is the only place
that reads or writes the file, so every write is validated, atomic and private when it holds a
secret.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from globallm_assets.settings import ConfigError, apply_setting, parse_setting_value


def read_yaml_config(path: Path) -> dict[str, Any]:
    """Parse the YAML file; errors name the file and line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config file: {exc.strerror}") from None
    import yaml  # only when there is a file: every command reads settings, most have none

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{where}: invalid YAML: {problem}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        kind = type(data).__name__
        raise ConfigError(f"{path}:1: config file must be a mapping of keys, not {kind}")
    return data


def atomic_write_text(path: Path, text: str, *, mode: int | None = None) -> None:
    """Write via a temp file in the same directory + rename, so readers never see half a file.

    The temp file is created 0600 and given its final ``mode`` (default: the old file's, else
    0644) before the rename, so a secret is never readable by others, even for a moment.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    if mode is None:
        mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock for a read-modify-write of ``path``.

    The lock is on a sidecar file, not on ``path`` itself: the atomic rename replaces the config
    file's inode, so a lock on it would not exclude a writer that opened the new one.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path.parent / f".{path.name}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def set_config_value(path: Path, dotted: str, raw: str) -> Any:
    """Set one dotted key in the YAML file; refuses bad keys/values leaving the file untouched.

    Concurrent calls (several ``config set`` at once) serialise, so none loses another's key.
    """
    return set_config_values(path, {dotted: raw})[dotted]


def set_config_values(path: Path, raw_values: dict[str, str]) -> dict[str, Any]:
    """Set several dotted keys in one atomic write: all of them, or (on any bad one) none."""
    # Bad input is refused before anything is touched.
    values = {dotted: parse_setting_value(dotted, raw) for dotted, raw in raw_values.items()}
    with locked(path):
        content, secret = read_yaml_config(path), False
        for dotted, value in values.items():
            change = apply_setting(content, dotted, value, path)
            content, secret = change.content, secret or change.secret
            values[dotted] = change.value
        mode = 0o600 if secret else None  # once a secret is in the file, it stays private
        if path.exists() and path.stat().st_mode & 0o077 == 0:
            mode = 0o600
        import yaml

        text = yaml.safe_dump(content, sort_keys=True, allow_unicode=True)
        atomic_write_text(path, text, mode=mode)
    return values
