"""Which repository a package is published from, and which packages a repository publishes.

Registries link a package to its source repository in many spellings (labelled project URLs,
``git+ssh`` links, npm shorthands, deep links into a monorepo); this module reads them into
GitHub ``owner/repo`` names, and turns package dependencies into repository → repository edges.
Pure functions: the registries, the simulated world and the services share them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from globallm_assets.core.models import DependencyEdge, PackageRecord, parse_repo_name

_PEP503_RE = re.compile(r"[-_.]+")


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


def first_repository(candidates: Iterable[Any]) -> str | None:
    for candidate in candidates:
        if isinstance(candidate, dict):
            candidate = candidate.get("url")
        if isinstance(candidate, str) and (repo := github_repository(candidate)):
            return repo
    return None


def normalize_python_name(name: str) -> str:
    """PEP 503 normal form, so ``Foo_Bar`` in one package's metadata matches ``foo-bar``."""
    return _PEP503_RE.sub("-", name).lower()


def canonical_name(ecosystem: str, name: str) -> str:
    """The form under which a registry treats two spellings of a package name as one."""
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
            key = (record.ecosystem, canonical_name(record.ecosystem, record.name))
            repository_of.setdefault(key, record.repository)
    edges: dict[tuple[str, str, str], DependencyEdge] = {}
    for record in records:
        if not record.repository:
            continue
        for dependency in record.dependencies:
            key = (record.ecosystem, canonical_name(record.ecosystem, dependency))
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
