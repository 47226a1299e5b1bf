"""Where the user's own tools point: registry endpoints read from pip, npm, cargo, Go and Maven
configuration, so a company mirror is honoured and no host name lives in this project."""

from __future__ import annotations

import configparser
import functools
import os
import re
import shutil
import subprocess
import sys
import tomllib
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from globallm_assets.sources.registries.http import strip_slash, xml_root, xml_text
from globallm_assets.sources.registries.python import python_json_base

# Subprocess look-ups (npm, go) only read config; anything slower than this is a hung tool.
TOOL_TIMEOUT_SECONDS = 15.0


def _env(env: Mapping[str, str] | None) -> Mapping[str, str]:
    return os.environ if env is None else env


def _http_url(value: str | None) -> str | None:
    if value and value.strip().lower().startswith(("http://", "https://")):
        return strip_slash(value)
    return None


def _home(env: Mapping[str, str]) -> Path:
    return Path(env.get("HOME") or Path.home())


def _pip_config_files(env: Mapping[str, str]) -> list[Path]:
    """pip's configuration files, lowest precedence first (global, user, site, PIP_CONFIG_FILE)."""
    override = env.get("PIP_CONFIG_FILE")
    if override == os.devnull:
        return []  # pip's documented way to ignore every configuration file
    home = _home(env)
    if sys.platform == "win32":
        program_data = Path(env.get("PROGRAMDATA", r"C:\ProgramData"))
        app_data = Path(env.get("APPDATA") or home / "AppData" / "Roaming")
        files = [program_data / "pip" / "pip.ini", home / "pip" / "pip.ini"]
        files.append(app_data / "pip" / "pip.ini")
    else:
        xdg_dirs = (env.get("XDG_CONFIG_DIRS") or "/etc/xdg").split(os.pathsep)
        files = [Path(d) / "pip" / "pip.conf" for d in xdg_dirs if d]
        files += [Path("/etc/pip.conf"), home / ".pip" / "pip.conf"]
        if sys.platform == "darwin":
            files.append(home / "Library" / "Application Support" / "pip" / "pip.conf")
        files.append(Path(env.get("XDG_CONFIG_HOME") or home / ".config") / "pip" / "pip.conf")
    files.append(Path(sys.prefix) / ("pip.ini" if sys.platform == "win32" else "pip.conf"))
    if override:
        files.append(Path(override))
    return files


def pip_index_url(env: Mapping[str, str] | None = None) -> str | None:
    """The index URL pip would install from, read from ``PIP_INDEX_URL`` or pip's config files.

    Read directly rather than by spawning ``pip config``: it is cheap, and the files are what
    pip reads too. Later files override earlier ones, ``[install]`` overrides ``[global]``
    within a file, as in pip.
    """
    env = _env(env)
    if value := (env.get("PIP_INDEX_URL") or "").strip():
        return value
    found: str | None = None
    for path in _pip_config_files(env):
        parser = configparser.RawConfigParser()
        try:
            parser.read(path, encoding="utf-8")
        except (configparser.Error, OSError, UnicodeDecodeError):
            continue
        for section in ("global", "install"):
            for key in ("index-url", "index_url"):
                if parser.has_option(section, key) and parser.get(section, key).strip():
                    found = parser.get(section, key).strip()
    return found


def python_index_base(env: Mapping[str, str] | None = None) -> str | None:
    """JSON API base of the index pip is configured with, ``None`` when pip's configuration
    names none. pip's built-in default lives inside pip, where only its private modules could
    read it, so an unconfigured machine gets ``None`` and the caller names the setting."""
    configured = _http_url(pip_index_url(env))
    return python_json_base(configured) if configured else None


@functools.cache
def _tool_output(*command: str) -> str | None:
    """stdout of a configuration query such as ``npm config get registry`` (cached per process)."""
    executable = shutil.which(command[0])
    if executable is None:
        return None
    try:
        done = subprocess.run(
            [executable, *command[1:]],
            capture_output=True,
            text=True,
            timeout=TOOL_TIMEOUT_SECONDS,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def _npmrc_registry(path: Path, env: Mapping[str, str]) -> str | None:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    found = None
    for line in lines:
        key, sep, value = line.strip().partition("=")
        if sep and key.strip() == "registry":
            value = value.strip().strip("\"'")
            found = re.sub(r"\$\{([^}]+)\}", lambda m: env.get(m.group(1), ""), value)
    return found


def npm_registry_url(env: Mapping[str, str] | None = None, *, use_npm: bool = True) -> str | None:
    """``NPM_CONFIG_REGISTRY``, else ``npm config get registry``, else the .npmrc files."""
    env = _env(env)
    for key in ("NPM_CONFIG_REGISTRY", "npm_config_registry"):
        if url := _http_url(env.get(key)):
            return url
    if use_npm and (url := _http_url(_tool_output("npm", "config", "get", "registry"))):
        return url
    home = _home(env)
    candidates = [
        Path.cwd() / ".npmrc",
        Path(env.get("NPM_CONFIG_USERCONFIG") or home / ".npmrc"),
        Path(env.get("NPM_CONFIG_GLOBALCONFIG") or "/etc/npmrc"),
    ]
    for path in candidates:
        if url := _http_url(_npmrc_registry(path, env)):
            return url
    return None


def _cargo_configs(env: Mapping[str, str]) -> list[dict[str, Any]]:
    """Cargo config tables, highest precedence first (working-directory ancestors, CARGO_HOME)."""
    folders = [d / ".cargo" for d in (Path.cwd(), *Path.cwd().parents)]
    folders.append(Path(env.get("CARGO_HOME") or _home(env) / ".cargo"))
    tables: list[dict[str, Any]] = []
    for folder in dict.fromkeys(folders):
        for filename in ("config.toml", "config"):
            try:
                tables.append(tomllib.loads((folder / filename).read_text(encoding="utf-8")))
                break
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
                continue
    return tables


def cargo_registry_url(env: Mapping[str, str] | None = None) -> str | None:
    """The sparse index that replaces the default crates source in the user's cargo config.

    Looks at ``[source.crates-io] replace-with`` (a ``[source.X] registry`` or
    ``[registries.X] index``), then ``[registry] default``. Cargo's built-in default index lives
    in the cargo binary, where it cannot be read, so without such configuration this is ``None``.
    """
    env = _env(env)
    tables = _cargo_configs(env)

    def lookup(*keys: str) -> Any:
        for table in tables:
            node: Any = table
            for key in keys:
                node = node.get(key) if isinstance(node, dict) else None
            if node is not None:
                return node
        return None

    url = None
    if replacement := lookup("source", "crates-io", "replace-with"):
        url = lookup("source", replacement, "registry") or lookup(
            "registries", replacement, "index"
        )
    elif default := env.get("CARGO_REGISTRY_DEFAULT") or lookup("registry", "default"):
        env_key = f"CARGO_REGISTRIES_{str(default).upper().replace('-', '_')}_INDEX"
        url = env.get(env_key) or lookup("registries", default, "index")
    if isinstance(url, str) and url.startswith("sparse+"):
        return strip_slash(url)
    return None


def _go_env_file(env: Mapping[str, str]) -> Path:
    if goenv := env.get("GOENV"):
        return Path(goenv)
    if sys.platform == "win32":
        return Path(env.get("APPDATA") or _home(env)) / "go" / "env"
    if sys.platform == "darwin":
        return _home(env) / "Library" / "Application Support" / "go" / "env"
    return Path(env.get("XDG_CONFIG_HOME") or _home(env) / ".config") / "go" / "env"


def go_proxy_url(env: Mapping[str, str] | None = None, *, use_go: bool = True) -> str | None:
    """First URL in ``GOPROXY`` (env, else ``go env GOPROXY``, else the ``go env -w`` file)."""
    env = _env(env)
    value = env.get("GOPROXY")
    if not value and use_go:
        value = _tool_output("go", "env", "GOPROXY")
    if not value:
        try:
            for line in _go_env_file(env).read_text(encoding="utf-8").splitlines():
                key, _, setting = line.partition("=")
                if key.strip() == "GOPROXY":
                    value = setting.strip()
        except (OSError, UnicodeDecodeError):
            value = None
    for entry in re.split(r"[,|]", value or ""):
        if url := _http_url(entry):
            return url
    return None


def _maven_home() -> Path | None:
    executable = shutil.which("mvn")
    if executable is None:
        return None
    return Path(executable).resolve().parent.parent


def _mirror_covers_central(mirror_of: str) -> bool:
    patterns = [p.strip() for p in mirror_of.split(",") if p.strip()]
    if "!central" in patterns:
        return False
    return any(p in ("*", "central", "external:*", "external:https:*") for p in patterns)


def maven_repository_url(env: Mapping[str, str] | None = None) -> str | None:
    """A ``settings.xml`` mirror of central, else central as Maven's own super POM names it."""
    env = _env(env)
    maven_home = Path(env["MAVEN_HOME"]) if env.get("MAVEN_HOME") else _maven_home()
    settings = [_home(env) / ".m2" / "settings.xml"]
    if maven_home is not None:
        settings.append(maven_home / "conf" / "settings.xml")
    for path in settings:
        try:
            root = xml_root(path.read_bytes())
        except (OSError, ET.ParseError):
            continue
        for mirror in root.iterfind("mirrors/mirror"):
            if (xml_text(mirror, "blocked") or "") == "true":
                continue
            url = _http_url(xml_text(mirror, "url"))
            if url and _mirror_covers_central(xml_text(mirror, "mirrorOf") or ""):
                return url
    return _maven_super_pom_central(maven_home)


def _maven_super_pom_central(maven_home: Path | None) -> str | None:
    if maven_home is None:
        return None
    for jar in sorted((maven_home / "lib").glob("maven-model-builder*.jar")):
        try:
            with zipfile.ZipFile(jar) as archive:
                root = xml_root(archive.read("org/apache/maven/model/pom-4.0.0.xml"))
        except (OSError, KeyError, zipfile.BadZipFile, ET.ParseError):
            continue
        for repository in root.iterfind("repositories/repository"):
            if xml_text(repository, "id") == "central":
                return _http_url(xml_text(repository, "url"))
    return None
