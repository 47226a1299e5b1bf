"""A Maven repository in the default layout."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from datetime import UTC, datetime

from globallm_assets.core.models import PackageRecord
from globallm_assets.core.packages import first_repository
from globallm_assets.sources.base import NotFoundError, SourceError
from globallm_assets.sources.registries.http import HttpRegistry, xml_text


def _interpolate(value: str | None, properties: Mapping[str, str]) -> str | None:
    if value is None:
        return None
    for _ in range(5):  # properties may refer to properties
        expanded = re.sub(r"\$\{([^}]+)\}", lambda m: properties.get(m.group(1), m.group(0)), value)
        if expanded == value:
            break
        value = expanded
    return value


class MavenRepository(HttpRegistry):
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
        version = xml_text(versioning, "release") or xml_text(versioning, "latest")
        version = version or (versions[-1] if versions else None)
        if not version:
            raise NotFoundError(f"maven package {name!r} not found (no versions)")
        pom = self._get_xml(f"{folder}/{version}/{artifact}-{version}.pom", name)
        properties = _pom_properties(pom, group, artifact, version)
        scm = [
            _interpolate(xml_text(pom, path), properties)
            for path in ("scm/url", "scm/connection", "scm/developerConnection", "url")
        ]
        scm.append(_interpolate(xml_text(pom, "issueManagement/url"), properties))
        return PackageRecord(
            ecosystem=self.ecosystem,
            name=f"{group}:{artifact}",
            version=version,
            repository=first_repository(
                [re.sub(r"^scm:[a-z]+:", "", link) for link in scm if link]
            ),
            description=_interpolate(xml_text(pom, "description"), properties),
            latest_release_at=_maven_time(xml_text(versioning, "lastUpdated")),
            dependencies=_pom_dependencies(pom, properties),
        )


def _pom_properties(pom: ET.Element, group: str, artifact: str, version: str) -> dict[str, str]:
    parent_group = xml_text(pom, "parent/groupId")
    parent_version = xml_text(pom, "parent/version")
    own = {
        "groupId": xml_text(pom, "groupId") or parent_group or group,
        "artifactId": xml_text(pom, "artifactId") or artifact,
        "version": xml_text(pom, "version") or parent_version or version,
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
        scope = (xml_text(dep, "scope") or "compile").lower()
        if scope not in ("compile", "runtime") or (xml_text(dep, "optional") or "") == "true":
            continue
        group = _interpolate(xml_text(dep, "groupId"), properties)
        artifact = _interpolate(xml_text(dep, "artifactId"), properties)
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
