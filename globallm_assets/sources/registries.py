"""Package registries as ``PackageIndex`` sources: Python index, npm, crates, Go modules, Maven.

The registries give us two things GitHub cannot: which repository a package is published from,
and which packages it declares as runtime dependencies. ``dependency_edges`` turns the two into
repository → repository edges for the dependency graph.

No endpoint is written into this module. Each one is a setting whose default is read from the
user's own tool configuration (pip's index URL, ``npm config get registry``, cargo's source
replacement, ``GOPROXY``, Maven's ``settings.xml`` mirror), so a company mirror is honoured and
nobody has to keep host names in sync with ours. An explicit URL always wins.

HTTP goes through one sync ``httpx.Client`` per registry (injectable, which is how the tests swap
in ``httpx.MockTransport``). Transient failures (connection errors, 429, 5xx) are retried a few
times with exponential back-off; a 404 becomes ``NotFoundError``; anything else becomes a
one-line ``SourceError`` that never shows credentials embedded in a configured URL.
"""

from __future__ import annotations

import configparser
import contextlib
import functools
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import tomllib
import xml.etree.ElementTree as ET
import zipfile
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
from packaging.markers import Marker
from packaging.requirements import InvalidRequirement, Requirement

from globallm_assets.core.models import (
    ECOSYSTEM_BY_LANGUAGE,
    DependencyEdge,
    PackageRecord,
    parse_repo_name,
)
from globallm_assets.sources.base import NotFoundError, PackageIndex, SourceError

__all__ = [
    "ECOSYSTEMS",
    "CratesIndex",
    "GoProxy",
    "MavenRepository",
    "NpmRegistry",
    "PythonIndex",
    "cargo_registry_url",
    "default_registry_url",
    "dependency_edges",
    "github_repository",
    "go_proxy_url",
    "maven_repository_url",
    "normalize_python_name",
    "npm_registry_url",
    "parse_go_mod_requires",
    "pip_index_url",
    "python_index_base",
    "registry_for",
    "runtime_requirements",
]

ECOSYSTEMS: tuple[str, ...] = ("pypi", "npm", "crates", "go", "maven")

# Generous read timeout: full npm packuments of long-lived packages run to tens of megabytes.
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
DEFAULT_ATTEMPTS = 3
DEFAULT_BACKOFF_SECONDS = 0.5
# Registries throttle aggressive clients; eight in flight keeps a batch fast without being rude.
MAX_WORKERS = 8
# Subprocess look-ups (npm, go) only read config; anything slower than this is a hung tool.
TOOL_TIMEOUT_SECONDS = 15.0
USER_AGENT = "globallm (package metadata for dependency graphs)"

_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_USERINFO_RE = re.compile(r"//[^/@\s]+@")


def _redact(text: str) -> str:
    """Hide ``user:token@`` in URLs so a private mirror's credentials never reach a message."""
    return _USERINFO_RE.sub("//***@", text)


def _strip_slash(url: str) -> str:
    return url.strip().rstrip("/")


# --------------------------------------------------------------------------------------------
# Repository links


# First path segments on GitHub that are site sections, not owners.
_GITHUB_NON_OWNERS = frozenset(
    {
        "about",
        "apps",
        "collections",
        "enterprise",
        "features",
        "marketplace",
        "orgs",
        "pricing",
        "settings",
        "site",
        "sponsors",
        "topics",
        "users",
    }
)


def github_repository(url: str | None) -> str | None:
    """``owner/repo`` when ``url`` points into a GitHub repository, else ``None``.

    Registries store links in many spellings: ``git+https://…/o/r.git``, ``git@host:o/r.git``,
    ``github:o/r`` and bare ``o/r`` (npm shorthands), and deep links such as ``…/o/r/tree/main/pkg``
    or ``…/o/r/issues``. Links to other forges and to GitHub Pages sites give ``None``: guessing a
    repository from a Pages host is wrong often enough to poison the graph.
    """
    if not url:
        return None
    text = url.strip()
    if text.startswith("git+"):
        text = text[len("git+") :]
    if text.startswith("github:"):
        text = "https://github.com/" + text[len("github:") :].lstrip("/")
    elif re.match(r"^[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9._-]+$", text):
        # npm's bare "owner/repo" shorthand means a GitHub repository.
        text = "https://github.com/" + text
    elif match := re.match(r"^[^@/\s]+@([^:/\s]+):(.+)$", text):
        # scp-like "git@host:owner/repo.git"
        text = f"ssh://{match.group(1)}/{match.group(2)}"
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    if host.startswith("www."):
        host = host[len("www.") :]
    if host != "github.com":
        return None
    segments = [segment for segment in parts.path.split("/") if segment]
    if len(segments) < 2 or segments[0].lower() in _GITHUB_NON_OWNERS:
        return None
    owner, repo = segments[0], segments[1]
    if repo.endswith(".git"):
        repo = repo[: -len(".git")]
    try:
        return parse_repo_name(f"{owner}/{repo}")
    except ValueError:
        return None


def _first_repository(candidates: Iterable[Any]) -> str | None:
    for candidate in candidates:
        if isinstance(candidate, dict):
            candidate = candidate.get("url")
        if isinstance(candidate, str) and (repo := github_repository(candidate)):
            return repo
    return None


# --------------------------------------------------------------------------------------------
# Shared HTTP plumbing


class _HttpRegistry:
    """Retrying GETs and a bounded-concurrency ``packages`` on top of a per-registry ``package``."""

    ecosystem: str = ""

    def __init__(
        self,
        base_url: str,
        *,
        client: httpx.Client | None = None,
        attempts: int = DEFAULT_ATTEMPTS,
        backoff_seconds: float = DEFAULT_BACKOFF_SECONDS,
        max_workers: int = MAX_WORKERS,
    ) -> None:
        self.base_url = _strip_slash(base_url)
        self._owns_client = client is None
        self._client = client or httpx.Client(
            timeout=DEFAULT_TIMEOUT,
            headers={"User-Agent": USER_AGENT},
            follow_redirects=True,
        )
        self._attempts = max(1, attempts)
        self._backoff = max(0.0, backoff_seconds)
        self._max_workers = max(1, min(max_workers, MAX_WORKERS))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({_redact(self.base_url)!r})"

    def __enter__(self) -> _HttpRegistry:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the HTTP client if this registry created it (an injected one is the caller's)."""
        if self._owns_client:
            self._client.close()

    # -- requests --------------------------------------------------------------------------

    def _get(
        self, url: str, name: str, *, headers: Mapping[str, str] | None = None
    ) -> httpx.Response:
        problem = ""
        for attempt in range(self._attempts):
            if attempt and self._backoff:
                time.sleep(self._backoff * 2 ** (attempt - 1))
            try:
                response = self._client.get(url, headers=headers, follow_redirects=True)
            except (httpx.UnsupportedProtocol, httpx.InvalidURL):
                raise SourceError(
                    f"{self.ecosystem} registry URL {_redact(self.base_url)!r} is not usable"
                ) from None
            except httpx.TransportError as exc:
                problem = type(exc).__name__
                continue
            except httpx.HTTPError as exc:
                raise SourceError(
                    f"{self.ecosystem} request for {name!r} failed: {type(exc).__name__}"
                ) from None
            status = response.status_code
            if status in (404, 410):
                raise NotFoundError(f"{self.ecosystem} package {name!r} not found")
            if status in _RETRY_STATUSES:
                problem = f"HTTP {status}"
                continue
            if status >= 400:
                raise SourceError(
                    f"{self.ecosystem} registry {_redact(self.base_url)} answered HTTP {status}"
                    f" for {name!r}"
                )
            return response
        raise SourceError(
            f"{self.ecosystem} registry {_redact(self.base_url)} failed for {name!r}"
            f" after {self._attempts} attempts ({problem})"
        )

    def _get_json(self, url: str, name: str, *, headers: Mapping[str, str] | None = None) -> Any:
        response = self._get(url, name, headers=headers)
        try:
            return response.json()
        except ValueError:
            raise SourceError(
                f"{self.ecosystem} registry answered invalid JSON for {name!r}"
            ) from None

    def _get_xml(self, url: str, name: str) -> ET.Element:
        response = self._get(url, name)
        try:
            return _xml_root(response.content)
        except ET.ParseError:
            raise SourceError(
                f"{self.ecosystem} registry answered invalid XML for {name!r}"
            ) from None

    # -- the protocol ----------------------------------------------------------------------

    def package(self, name: str) -> PackageRecord:
        raise NotImplementedError

    def _canonical(self, name: str) -> str:
        return name

    def _package_or_none(self, name: str) -> PackageRecord | None:
        try:
            return self.package(name)
        except NotFoundError:
            return None

    def packages(self, names: Iterable[str]) -> Iterator[PackageRecord]:
        """Many packages in input order, at most ``MAX_WORKERS`` requests in flight.

        Unknown packages are skipped; any other failure is raised, because a registry that is
        down must not look like an ecosystem with no packages.
        """
        unique: dict[str, str] = {}
        for raw in names:
            name = raw.strip()
            if name:
                unique.setdefault(self._canonical(name), name)
        if not unique:
            return
        todo = iter(unique.values())
        pool = ThreadPoolExecutor(
            max_workers=min(self._max_workers, len(unique)),
            thread_name_prefix=f"registry-{self.ecosystem}",
        )
        # A sliding window (rather than submitting everything) keeps memory flat for long lists
        # and lets an abandoned iterator stop issuing requests.
        pending: deque[Future[PackageRecord | None]] = deque()
        try:
            for name in todo:
                pending.append(pool.submit(self._package_or_none, name))
                if len(pending) >= 2 * self._max_workers:
                    break
            while pending:
                record = pending.popleft().result()
                following = next(todo, None)
                if following is not None:
                    pending.append(pool.submit(self._package_or_none, following))
                if record is not None:
                    yield record
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


# --------------------------------------------------------------------------------------------
# Python index


_PEP503_RE = re.compile(r"[-_.]+")
# Metadata 1.x wrote this placeholder into empty fields.
_UNKNOWN = "UNKNOWN"


def normalize_python_name(name: str) -> str:
    """PEP 503 normal form, so ``Foo_Bar`` in one package's metadata matches ``foo-bar``."""
    return _PEP503_RE.sub("-", name).lower()


def _marker_needs_extra(marker: Marker) -> bool:
    """True when no environment satisfies ``marker`` unless an extra is requested.

    Comparisons on ``extra`` count as false and every other comparison as true (some platform
    needs it), then the ``and``/``or`` tree is evaluated with the same grouping ``packaging`` uses.
    So ``python_version < "3.8" or extra == "test"`` stays a runtime dependency.
    """
    tree = getattr(marker, "_markers", None)
    if not isinstance(tree, list):  # packaging changed its internals: fall back to a text check
        return re.search(r"\bextra\b", str(marker)) is not None

    def satisfiable(nodes: list[Any]) -> bool:
        groups: list[list[bool]] = [[]]
        for node in nodes:
            if isinstance(node, list):
                groups[-1].append(satisfiable(node))
            elif isinstance(node, tuple):
                sides = (node[0], node[2])
                on_extra = any(
                    type(side).__name__ == "Variable" and getattr(side, "value", None) == "extra"
                    for side in sides
                )
                groups[-1].append(not on_extra)
            elif node == "or":
                groups.append([])
        return any(all(group) for group in groups)

    return not satisfiable(tree)


def runtime_requirements(requires_dist: Iterable[str] | None) -> list[str]:
    """Names of the runtime dependencies declared in ``Requires-Dist`` strings.

    Requirements that only apply with an extra are optional features, not dependencies, and are
    dropped; platform- or version-gated ones are kept. Unparseable strings (old, hand-written
    metadata) are skipped rather than failing the whole package. Names keep their declared
    spelling, de-duplicated by PEP 503 name.
    """
    names: dict[str, str] = {}
    for spec in requires_dist or ():
        try:
            requirement = Requirement(spec)
        except InvalidRequirement:
            continue
        if requirement.marker is not None and _marker_needs_extra(requirement.marker):
            continue
        names.setdefault(normalize_python_name(requirement.name), requirement.name)
    return list(names.values())


def _known(value: Any) -> str | None:
    if isinstance(value, str) and value.strip() and value.strip() != _UNKNOWN:
        return value
    return None


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


_SOURCE_LABELS = ("source", "sourcecode", "code", "repository", "repo", "github", "git")
_HOME_LABELS = ("homepage", "home")


def _python_repository(info: Mapping[str, Any]) -> str | None:
    """Prefer links labelled as source, then the home page, then any other project link."""
    labelled = {
        re.sub(r"[^a-z]", "", str(label).lower()): url
        for label, url in (info.get("project_urls") or {}).items()
    }
    ordered: list[Any] = [labelled.get(label) for label in _SOURCE_LABELS]
    ordered += [labelled.get(label) for label in _HOME_LABELS]
    ordered += [_known(info.get("home_page")), *labelled.values(), _known(info.get("download_url"))]
    return _first_repository(ordered)


class PythonIndex(_HttpRegistry):
    """A Python package index that serves the JSON API (``{base}/pypi/{name}/json``).

    ``base_url`` may be given as the index's ``…/simple`` URL; the suffix is dropped. Indexes
    that only serve the simple API (plain file mirrors) cannot answer: they carry no metadata.
    """

    ecosystem = "pypi"

    def __init__(self, base_url: str, **kwargs: Any) -> None:
        super().__init__(_python_json_base(base_url), **kwargs)

    def _canonical(self, name: str) -> str:
        return normalize_python_name(name)

    def package(self, name: str) -> PackageRecord:
        data = self._get_json(f"{self.base_url}/pypi/{quote(name, safe='')}/json", name)
        info = data.get("info") if isinstance(data, dict) else None
        if not isinstance(info, dict):
            raise SourceError(f"pypi registry answered without project info for {name!r}")
        version = _known(info.get("version"))
        return PackageRecord(
            ecosystem=self.ecosystem,
            name=info.get("name") or name,
            version=version,
            repository=_python_repository(info),
            description=_known(info.get("summary")),
            readme=_known(info.get("description")),
            latest_release_at=_python_release_time(data, version),
            dependencies=runtime_requirements(info.get("requires_dist")),
        )


def _python_release_time(data: Mapping[str, Any], version: str | None) -> datetime | None:
    # ``urls`` lists the files of the latest release; the first upload is when it was released.
    files = data.get("urls") or []
    if not files and version:
        files = (data.get("releases") or {}).get(version) or []
    times = [
        t
        for f in files
        if isinstance(f, dict)
        and (t := _parse_time(f.get("upload_time_iso_8601") or f.get("upload_time")))
    ]
    return min(times) if times else None


def _python_json_base(index_url: str) -> str:
    base = _strip_slash(index_url)
    if base.endswith("/simple"):
        base = base[: -len("/simple")]
    return base


# --------------------------------------------------------------------------------------------
# npm


def _npm_path(name: str) -> str:
    if name.startswith("@") and "/" in name:
        scope, _, package = name[1:].partition("/")
        return f"@{quote(scope, safe='')}%2f{quote(package, safe='')}"
    return quote(name, safe="")


def _npm_dependency_name(name: str, spec: Any) -> str:
    # "alias": "npm:real-package@^1" installs real-package under another name.
    if isinstance(spec, str) and spec.startswith("npm:"):
        target = spec[len("npm:") :]
        at = target.find("@", 1)
        return target[:at] if at > 0 else target
    return name


class NpmRegistry(_HttpRegistry):
    """An npm registry (``GET {base}/{name}``, the full packument).

    Dependencies are the ``dependencies`` of the ``latest`` dist-tag's manifest; dev, peer and
    optional dependencies are not runtime requirements of every install and are ignored.
    Scoped registries configured per ``@scope`` and auth tokens from ``.npmrc`` are not used.
    """

    ecosystem = "npm"

    def package(self, name: str) -> PackageRecord:
        doc = self._get_json(
            f"{self.base_url}/{_npm_path(name)}", name, headers={"Accept": "application/json"}
        )
        if not isinstance(doc, dict):
            raise SourceError(f"npm registry answered an unexpected document for {name!r}")
        versions = doc.get("versions") or {}
        times = doc.get("time") or {}
        if not versions:
            # Unpublished packages keep a stub document with ``time.unpublished`` and no versions.
            raise NotFoundError(f"npm package {name!r} not found (no published versions)")
        latest = (doc.get("dist-tags") or {}).get("latest")
        if latest not in versions:
            latest = next(reversed(versions))
        manifest = versions[latest] or {}
        dependencies = [
            _npm_dependency_name(dep, spec)
            for dep, spec in (manifest.get("dependencies") or {}).items()
        ]
        readme = doc.get("readme") or manifest.get("readme")
        if isinstance(readme, str) and readme.startswith("ERROR: No README data found"):
            readme = None
        return PackageRecord(
            ecosystem=self.ecosystem,
            name=doc.get("name") or name,
            version=latest,
            repository=_first_repository(
                [
                    manifest.get("repository"),
                    doc.get("repository"),
                    manifest.get("homepage"),
                    doc.get("homepage"),
                    manifest.get("bugs"),
                    doc.get("bugs"),
                ]
            ),
            description=manifest.get("description") or doc.get("description") or None,
            readme=readme or None,
            latest_release_at=_parse_time(times.get(latest)),
            dependencies=list(dict.fromkeys(dependencies)),
        )


# --------------------------------------------------------------------------------------------
# crates


def _crate_index_path(name: str) -> str:
    lowered = name.lower()
    if len(lowered) <= 2:
        return f"{len(lowered)}/{lowered}"
    if len(lowered) == 3:
        return f"3/{lowered[0]}/{lowered}"
    return f"{lowered[:2]}/{lowered[2:4]}/{lowered}"


def _release_key(version: str) -> tuple[int, int, int]:
    numbers = re.match(r"^(\d+)\.(\d+)\.(\d+)", version)
    if not numbers:
        return (-1, -1, -1)
    return (int(numbers.group(1)), int(numbers.group(2)), int(numbers.group(3)))


class CratesIndex(_HttpRegistry):
    """A Rust registry, either through its sparse index or its web API.

    ``base_url`` starting with ``sparse+`` is a sparse index: the newest non-yanked release
    (stable preferred, ordered by major.minor.patch only) and its normal, non-optional
    dependencies come from the index file; repository, description and release date come from
    the API the index advertises in ``config.json``, and are left empty when it advertises none.
    Any other ``base_url`` is an API base (``{base}/api/v1/crates/{name}``). Git indexes are not
    supported. Readmes are not fetched.
    """

    ecosystem = "crates"

    def __init__(self, base_url: str, **kwargs: Any) -> None:
        base = base_url.strip()
        self._sparse = base.startswith("sparse+")
        super().__init__(base[len("sparse+") :] if self._sparse else base, **kwargs)
        self._api_lock = threading.Lock()
        self._api: str | None = None if self._sparse else self.base_url
        self._api_known = not self._sparse

    def _canonical(self, name: str) -> str:
        return name.lower().replace("_", "-")

    def _api_base(self) -> str | None:
        with self._api_lock:
            if not self._api_known:
                try:
                    config = self._get_json(f"{self.base_url}/config.json", "config.json")
                except NotFoundError:
                    config = {}
                api = config.get("api") if isinstance(config, dict) else None
                self._api = _strip_slash(api) if isinstance(api, str) and api else None
                self._api_known = True
            return self._api

    def package(self, name: str) -> PackageRecord:
        if self._sparse:
            return self._from_index(name)
        return self._from_api(name)

    def _crate_info(self, api: str, name: str) -> dict[str, Any]:
        data = self._get_json(f"{api}/api/v1/crates/{quote(name, safe='')}", name)
        if not isinstance(data, dict) or not isinstance(data.get("crate"), dict):
            raise SourceError(f"crates API answered without crate info for {name!r}")
        return data

    def _from_api(self, name: str) -> PackageRecord:
        data = self._crate_info(self.base_url, name)
        crate = data["crate"]
        version = crate.get("max_stable_version") or crate.get("max_version")
        dependencies: list[str] = []
        if version:
            listing = self._get_json(
                f"{self.base_url}/api/v1/crates/{quote(name, safe='')}/{quote(version)}"
                "/dependencies",
                name,
            )
            dependencies = [
                dep["crate_id"]
                for dep in (listing or {}).get("dependencies") or []
                if dep.get("kind", "normal") == "normal" and not dep.get("optional")
            ]
        return self._record(name, data, version, dependencies)

    def _from_index(self, name: str) -> PackageRecord:
        text = self._get(f"{self.base_url}/{_crate_index_path(name)}", name).text
        entries = []
        for line in text.splitlines():
            if line.strip():
                try:
                    entries.append(json.loads(line))
                except ValueError:
                    continue
        if not entries:
            raise NotFoundError(f"crates package {name!r} not found (no releases)")
        live = [e for e in entries if not e.get("yanked")] or entries
        stable = [e for e in live if "-" not in str(e.get("vers", ""))] or live
        # max() keeps the first of equal keys; reversing makes the latest-published one win.
        chosen = max(reversed(stable), key=lambda e: _release_key(str(e.get("vers", ""))))
        dependencies = [
            dep.get("package") or dep["name"]
            for dep in chosen.get("deps") or []
            if dep.get("kind", "normal") == "normal" and not dep.get("optional")
        ]
        version = chosen.get("vers")
        data: dict[str, Any] = {"crate": {"name": chosen.get("name") or name}}
        api = self._api_base()
        if api:
            # The index knows the crate; an API that does not only costs us the metadata.
            with contextlib.suppress(NotFoundError):
                data = self._crate_info(api, name)
        return self._record(name, data, version, dependencies)

    def _record(
        self, name: str, data: Mapping[str, Any], version: str | None, dependencies: list[str]
    ) -> PackageRecord:
        crate = data["crate"]
        released = next(
            (
                v.get("created_at")
                for v in data.get("versions") or []
                if isinstance(v, dict) and v.get("num") == version
            ),
            None,
        )
        return PackageRecord(
            ecosystem=self.ecosystem,
            name=crate.get("name") or name,
            version=version,
            repository=_first_repository([crate.get("repository"), crate.get("homepage")]),
            description=(crate.get("description") or "").strip() or None,
            latest_release_at=_parse_time(released),
            dependencies=list(dict.fromkeys(dependencies)),
        )


# --------------------------------------------------------------------------------------------
# Go modules


def _go_escape(path: str) -> str:
    """The module proxy protocol's case encoding: ``Azure`` → ``!azure``."""
    return "".join(f"!{c.lower()}" if c.isupper() else c for c in path)


def parse_go_mod_requires(text: str) -> list[str]:
    """Module paths of the direct ``require`` lines of a go.mod (``// indirect`` ones skipped)."""
    modules: list[str] = []
    block: str | None = None
    for raw in text.splitlines():
        code, _, comment = raw.partition("//")
        indirect = comment.strip().startswith("indirect")
        line = code.strip()
        if not line:
            continue
        if block is not None:
            if line == ")":
                block = None
                continue
            fields = line.split() if block == "require" else []
        else:
            verb, _, rest = line.replace("(", " ( ", 1).partition(" ")
            rest = rest.strip()
            if rest == "(":
                block = verb
                continue
            fields = rest.split() if verb == "require" else []
        if len(fields) >= 2 and not indirect:
            modules.append(fields[0].strip('"`'))
    return list(dict.fromkeys(modules))


class GoProxy(_HttpRegistry):
    """A Go module proxy (``{base}/{module}/@latest`` and ``/@v/{version}.mod``).

    Package names are module paths. Dependencies are the direct requirements of the latest
    version's go.mod; the proxy has no description or readme. The repository comes from the
    ``Origin`` the proxy reports, else from a module path on GitHub; vanity import paths whose
    proxy answer carries no origin get none.
    """

    ecosystem = "go"

    def package(self, name: str) -> PackageRecord:
        module = f"{self.base_url}/{_go_escape(name)}"
        latest = self._get_json(f"{module}/@latest", name)
        version = latest.get("Version") if isinstance(latest, dict) else None
        if not version:
            raise NotFoundError(f"go package {name!r} not found (no version)")
        go_mod = self._get(f"{module}/@v/{_go_escape(version)}.mod", name).text
        origin = latest.get("Origin")
        origin = origin if isinstance(origin, dict) else {}
        return PackageRecord(
            ecosystem=self.ecosystem,
            name=name,
            version=version,
            repository=_first_repository([origin.get("URL"), f"https://{name}"]),
            latest_release_at=_parse_time(latest.get("Time")),
            dependencies=parse_go_mod_requires(go_mod),
        )


# --------------------------------------------------------------------------------------------
# Maven


def _xml_root(content: bytes | str) -> ET.Element:
    # Namespaces vary between POM/settings schema versions; dropping them keeps lookups simple.
    # CPython's expat (2.4.1+) refuses entity-expansion bombs, which is what makes parsing
    # untrusted POMs with the standard library acceptable here.
    root = ET.fromstring(content)
    for element in root.iter():
        if isinstance(element.tag, str) and "}" in element.tag:
            element.tag = element.tag.split("}", 1)[1]
    return root


def _text(element: ET.Element | None, path: str) -> str | None:
    if element is None:
        return None
    found = element.find(path)
    if found is None or found.text is None:
        return None
    return found.text.strip() or None


def _interpolate(value: str | None, properties: Mapping[str, str]) -> str | None:
    if value is None:
        return None
    for _ in range(5):  # properties may refer to properties
        expanded = re.sub(r"\$\{([^}]+)\}", lambda m: properties.get(m.group(1), m.group(0)), value)
        if expanded == value:
            break
        value = expanded
    return value


class MavenRepository(_HttpRegistry):
    """A Maven repository in the default layout; package names are ``groupId:artifactId``.

    The version is ``maven-metadata.xml``'s ``release`` (else ``latest``); its ``lastUpdated``
    stands in for the release date. Dependencies are the POM's own ``dependencies`` in compile or
    runtime scope, not optional. Parent POMs are not fetched, so dependencies and SCM links that
    are only inherited are missed, and only ``${…}`` properties defined in the POM itself (plus
    ``project.*``/``parent`` coordinates) are resolved; dependencies left unresolved are dropped.
    """

    ecosystem = "maven"

    def package(self, name: str) -> PackageRecord:
        group, _, artifact = name.strip().partition(":")
        if not group or not artifact or ":" in artifact:
            raise SourceError(f"maven package names are groupId:artifactId, got {name!r}")
        folder = f"{self.base_url}/{group.replace('.', '/')}/{artifact}"
        metadata = self._get_xml(f"{folder}/maven-metadata.xml", name)
        versioning = metadata.find("versioning")
        versions = [
            v.text.strip() for v in metadata.iterfind("versioning/versions/version") if v.text
        ]
        version = _text(versioning, "release") or _text(versioning, "latest")
        version = version or (versions[-1] if versions else None)
        if not version:
            raise NotFoundError(f"maven package {name!r} not found (no versions)")
        pom = self._get_xml(f"{folder}/{version}/{artifact}-{version}.pom", name)
        properties = _pom_properties(pom, group, artifact, version)
        scm = [
            _interpolate(_text(pom, path), properties)
            for path in ("scm/url", "scm/connection", "scm/developerConnection", "url")
        ]
        scm.append(_interpolate(_text(pom, "issueManagement/url"), properties))
        return PackageRecord(
            ecosystem=self.ecosystem,
            name=f"{group}:{artifact}",
            version=version,
            repository=_first_repository(
                [re.sub(r"^scm:[a-z]+:", "", link) for link in scm if link]
            ),
            description=_interpolate(_text(pom, "description"), properties),
            latest_release_at=_maven_time(_text(versioning, "lastUpdated")),
            dependencies=_pom_dependencies(pom, properties),
        )


def _pom_properties(pom: ET.Element, group: str, artifact: str, version: str) -> dict[str, str]:
    parent_group = _text(pom, "parent/groupId")
    parent_version = _text(pom, "parent/version")
    own = {
        "groupId": _text(pom, "groupId") or parent_group or group,
        "artifactId": _text(pom, "artifactId") or artifact,
        "version": _text(pom, "version") or parent_version or version,
    }
    properties: dict[str, str] = {}
    section = pom.find("properties")
    if section is not None:
        for prop in section:
            if isinstance(prop.tag, str):
                properties[prop.tag] = (prop.text or "").strip()
    for key, value in own.items():
        properties[f"project.{key}"] = value
        properties[f"pom.{key}"] = value
        properties.setdefault(key, value)
    if parent_group:
        properties["project.parent.groupId"] = parent_group
    if parent_version:
        properties["project.parent.version"] = parent_version
    return properties


def _pom_dependencies(pom: ET.Element, properties: Mapping[str, str]) -> list[str]:
    names: list[str] = []
    for dep in pom.iterfind("dependencies/dependency"):
        scope = (_text(dep, "scope") or "compile").lower()
        if scope not in ("compile", "runtime") or (_text(dep, "optional") or "") == "true":
            continue
        group = _interpolate(_text(dep, "groupId"), properties)
        artifact = _interpolate(_text(dep, "artifactId"), properties)
        if group and artifact and "${" not in group + artifact:
            names.append(f"{group}:{artifact}")
    return list(dict.fromkeys(names))


def _maven_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.strptime(value, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    except ValueError:
        return None


# --------------------------------------------------------------------------------------------
# Where the user's tools point


def _env(env: Mapping[str, str] | None) -> Mapping[str, str]:
    return os.environ if env is None else env


def _http_url(value: str | None) -> str | None:
    if value and value.strip().lower().startswith(("http://", "https://")):
        return _strip_slash(value)
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


def _pip_default_index() -> str | None:
    # pip's own default, so the public index's address lives in pip, not in this project.
    try:
        from pip._internal.models.index import PyPI
    except ImportError:
        return None
    return getattr(PyPI, "url", None)


def python_index_base(env: Mapping[str, str] | None = None) -> str | None:
    """JSON API base of the user's configured Python index, else of pip's default index."""
    configured = _http_url(pip_index_url(env))
    if configured:
        return _python_json_base(configured)
    default = _http_url(_pip_default_index())
    return _python_json_base(default) if default else None


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
        return _strip_slash(url)
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
            root = _xml_root(path.read_bytes())
        except (OSError, ET.ParseError):
            continue
        for mirror in root.iterfind("mirrors/mirror"):
            if (_text(mirror, "blocked") or "") == "true":
                continue
            url = _http_url(_text(mirror, "url"))
            if url and _mirror_covers_central(_text(mirror, "mirrorOf") or ""):
                return url
    return _maven_super_pom_central(maven_home)


def _maven_super_pom_central(maven_home: Path | None) -> str | None:
    if maven_home is None:
        return None
    for jar in sorted((maven_home / "lib").glob("maven-model-builder*.jar")):
        try:
            with zipfile.ZipFile(jar) as archive:
                root = _xml_root(archive.read("org/apache/maven/model/pom-4.0.0.xml"))
        except (OSError, KeyError, zipfile.BadZipFile, ET.ParseError):
            continue
        for repository in root.iterfind("repositories/repository"):
            if _text(repository, "id") == "central":
                return _http_url(_text(repository, "url"))
    return None


_URL_DISCOVERY: dict[str, Callable[[], str | None]] = {
    "pypi": python_index_base,
    "npm": npm_registry_url,
    "crates": cargo_registry_url,
    "go": go_proxy_url,
    "maven": maven_repository_url,
}

_REGISTRY_TYPES: dict[str, type[_HttpRegistry]] = {
    "pypi": PythonIndex,
    "npm": NpmRegistry,
    "crates": CratesIndex,
    "go": GoProxy,
    "maven": MavenRepository,
}


def _ecosystem(name: str) -> str:
    key = name.strip().lower()
    key = ECOSYSTEM_BY_LANGUAGE.get(key, key)
    if key not in _REGISTRY_TYPES:
        raise ValueError(
            f"unknown package ecosystem {name!r} (expected one of {', '.join(ECOSYSTEMS)})"
        )
    return key


def default_registry_url(ecosystem: str) -> str | None:
    """The registry URL the user's own tools are configured with, ``None`` when none is."""
    return _URL_DISCOVERY[_ecosystem(ecosystem)]()


def registry_for(
    ecosystem: str, *, base_url: str | None = None, client: httpx.Client | None = None
) -> PackageIndex:
    """The ``PackageIndex`` for an ecosystem (or a language), at ``base_url`` if given.

    Without ``base_url`` the user's tool configuration decides; when it says nothing the error
    names the setting to fill in.
    """
    key = _ecosystem(ecosystem)
    url = base_url or default_registry_url(key)
    if not url:
        setting = "go_proxy" if key == "go" else f"{key}_url"
        raise SourceError(f"no {key} registry is configured: set registries.{setting}")
    return _REGISTRY_TYPES[key](url, client=client)


# --------------------------------------------------------------------------------------------
# Package edges → repository edges


def _canonical_name(ecosystem: str, name: str) -> str:
    if ecosystem == "pypi":
        return normalize_python_name(name)
    if ecosystem == "crates":
        return name.lower().replace("_", "-")
    return name.strip()


def dependency_edges(records: Iterable[PackageRecord]) -> list[DependencyEdge]:
    """Repository → repository edges implied by the packages' declared dependencies.

    Only dependencies that are themselves among ``records`` can be mapped. Edges where either
    side has no known repository, and edges inside one repository (monorepos publishing many
    packages), are dropped; repeated edges are kept once. Repositories compare case-insensitively,
    as GitHub names do.
    """
    records = list(records)
    repository_of: dict[tuple[str, str], str] = {}
    for record in records:
        if record.repository:
            key = (record.ecosystem, _canonical_name(record.ecosystem, record.name))
            repository_of.setdefault(key, record.repository)
    edges: dict[tuple[str, str, str], DependencyEdge] = {}
    for record in records:
        if not record.repository:
            continue
        for dependency in record.dependencies:
            key = (record.ecosystem, _canonical_name(record.ecosystem, dependency))
            target = repository_of.get(key)
            if target is None or target.lower() == record.repository.lower():
                continue
            edge_key = (record.repository.lower(), target.lower(), record.ecosystem)
            edges.setdefault(
                edge_key,
                DependencyEdge(
                    dependent=record.repository, dependency=target, ecosystem=record.ecosystem
                ),
            )
    return list(edges.values())
