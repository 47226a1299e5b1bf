"""An npm registry."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from globallm_assets.core.models import PackageRecord
from globallm_assets.core.packages import first_repository
from globallm_assets.sources.base import NotFoundError, SourceError
from globallm_assets.sources.registries.http import HttpRegistry, parse_time


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


class NpmRegistry(HttpRegistry):
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
            repository=first_repository(
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
            latest_release_at=parse_time(times.get(latest)),
            dependencies=list(dict.fromkeys(dependencies)),
        )
