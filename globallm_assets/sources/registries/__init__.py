"""Package registries as ``PackageIndex`` sources: Python index, npm, crates, Go modules, Maven.

The registries give us two things GitHub cannot: which repository a package is published from,
and which packages it declares as runtime dependencies.
:func:`~globallm_assets.core.packages.dependency_edges` turns the two into repository →
repository edges for the dependency graph.

One module per concern: :mod:`.http` (the shared retrying client), one per ecosystem
(:mod:`.python`, :mod:`.npm`, :mod:`.crates`, :mod:`.go`, :mod:`.maven`) and :mod:`.endpoints`.
No endpoint is written into them. Each one is a setting whose default is read from the user's
own tool configuration (the index in pip's configuration files or ``PIP_INDEX_URL``, ``npm
config get registry``, cargo's source replacement, ``GOPROXY``, Maven's ``settings.xml``
mirror), so a company mirror is honoured and nobody has to keep host names in sync with ours.
An explicit URL always wins; a tool whose default lives only in its binary gives none, and the
error names the setting to fill in.

HTTP goes through one sync ``httpx.Client`` per registry (injectable, which is how the tests swap
in ``httpx.MockTransport``). Transient failures (connection errors, 429, 5xx) are retried a few
times with exponential back-off; a 404 becomes ``NotFoundError``; anything else becomes a
one-line ``SourceError`` that never shows credentials embedded in a configured URL.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx

from globallm_assets.core.models import ECOSYSTEM_BY_LANGUAGE
from globallm_assets.sources.base import PackageIndex, SourceError
from globallm_assets.sources.registries.crates import CratesIndex
from globallm_assets.sources.registries.endpoints import (
    cargo_registry_url,
    go_proxy_url,
    maven_repository_url,
    npm_registry_url,
    python_index_base,
)
from globallm_assets.sources.registries.go import GoProxy
from globallm_assets.sources.registries.http import HttpRegistry
from globallm_assets.sources.registries.maven import MavenRepository
from globallm_assets.sources.registries.npm import NpmRegistry
from globallm_assets.sources.registries.python import PythonIndex

ECOSYSTEMS: tuple[str, ...] = ("pypi", "npm", "crates", "go", "maven")


_URL_DISCOVERY: dict[str, Callable[[], str | None]] = {
    "pypi": python_index_base,
    "npm": npm_registry_url,
    "crates": cargo_registry_url,
    "go": go_proxy_url,
    "maven": maven_repository_url,
}

_REGISTRY_TYPES: dict[str, type[HttpRegistry]] = {
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
