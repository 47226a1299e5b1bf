"""A Python package index serving the JSON API."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import quote

from packaging.markers import Marker
from packaging.requirements import InvalidRequirement, Requirement

from globallm_assets.core.models import PackageRecord
from globallm_assets.core.packages import normalize_python_name, python_project_repository
from globallm_assets.sources.base import SourceError
from globallm_assets.sources.registries.http import HttpRegistry, parse_time, strip_slash

# Metadata 1.x wrote this placeholder into empty fields.
_UNKNOWN = "UNKNOWN"


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


class PythonIndex(HttpRegistry):
    """A Python package index that serves the JSON API (``{base}/pypi/{name}/json``).

    ``base_url`` may be given as the index's ``…/simple`` URL; the suffix is dropped. Indexes
    that only serve the simple API (plain file mirrors) cannot answer: they carry no metadata.
    """

    ecosystem = "pypi"

    def __init__(self, base_url: str, **kwargs: Any) -> None:
        super().__init__(python_json_base(base_url), **kwargs)

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
            repository=python_project_repository(
                info.get("project_urls"), info.get("home_page"), info.get("download_url")
            ),
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
        and (t := parse_time(f.get("upload_time_iso_8601") or f.get("upload_time")))
    ]
    return min(times) if times else None


def python_json_base(index_url: str) -> str:
    base = strip_slash(index_url)
    if base.endswith("/simple"):
        base = base[: -len("/simple")]
    return base
