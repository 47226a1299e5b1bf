"""Fake package registries: payload builders shaped like the real APIs, and a routing transport.

The builders reproduce the documented response shapes field for field (Python index JSON API
project endpoint, npm full packument, crates web API and sparse index, Go module proxy, Maven
repository layout), including fields the client ignores, so a client that reads the wrong field
fails here as it would against the real thing. Hosts are ``*.test`` names that cannot resolve.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

PYTHON_INDEX = "https://python-index.test"
NPM_REGISTRY = "https://npm-registry.test"
CRATES_API = "https://crates-api.test"
CRATES_SPARSE = "https://crates-index.test"
GO_PROXY = "https://go-proxy.test"
MAVEN_REPO = "https://maven-repo.test/maven2"

Handler = Callable[[httpx.Request], httpx.Response]


@dataclass
class FakeRegistry:
    """Routes ``GET path`` to canned answers and records every request it saw.

    A route's answer is a response, a handler, or a list of either, served in turn (the last one
    repeats) so retry behaviour can be scripted. Unknown paths get the registry's usual 404.
    """

    routes: dict[str, Any] = field(default_factory=dict)
    requests: list[httpx.Request] = field(default_factory=list)

    def add(self, path: str, answer: Any) -> FakeRegistry:
        self.routes[path] = list(answer) if isinstance(answer, list) else [answer]
        return self

    def add_json(self, path: str, payload: Any, status: int = 200) -> FakeRegistry:
        return self.add(path, httpx.Response(status, json=payload))

    def add_text(self, path: str, text: str, content_type: str = "text/plain") -> FakeRegistry:
        return self.add(
            path, httpx.Response(200, text=text, headers={"Content-Type": content_type})
        )

    def hits(self, path: str) -> int:
        return sum(1 for r in self.requests if r.url.raw_path.decode() == path)

    def _handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.raw_path.decode()
        answers = self.routes.get(path)
        if not answers:
            return httpx.Response(404, json={"error": "Not found"})
        answer = answers.pop(0) if len(answers) > 1 else answers[0]
        if callable(answer):
            return answer(request)
        # httpx responses are single-use once read; hand out a fresh copy every time.
        return httpx.Response(answer.status_code, headers=answer.headers, content=answer.content)

    def client(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self._handle))


# ------------------------------------------------------------------------------------------
# Python index (JSON API, project endpoint)


def python_file(
    name: str, version: str, *, base: str, uploaded: str, packagetype: str = "bdist_wheel"
) -> dict[str, Any]:
    """One entry of ``urls``/``releases[v]`` as the JSON API lists distribution files."""
    stem = name.replace("-", "_")
    filename = (
        f"{stem}-{version}-py3-none-any.whl"
        if packagetype == "bdist_wheel"
        else f"{stem}-{version}.tar.gz"
    )
    return {
        "comment_text": "",
        "digests": {
            "blake2b_256": "0f" * 32,
            "md5": "ab" * 16,
            "sha256": "cd" * 32,
        },
        "downloads": -1,
        "filename": filename,
        "has_sig": False,
        "md5_digest": "ab" * 16,
        "packagetype": packagetype,
        "python_version": "py3" if packagetype == "bdist_wheel" else "source",
        "requires_python": ">=3.9",
        "size": 64_512,
        "upload_time": uploaded.rstrip("Z").split(".")[0],
        "upload_time_iso_8601": uploaded,
        "url": f"{base}/packages/aa/bb/{filename}",
        "yanked": False,
        "yanked_reason": None,
    }


def python_project(
    name: str,
    version: str,
    *,
    requires_dist: Sequence[str] | None = None,
    project_urls: Mapping[str, str] | None = None,
    home_page: str | None = None,
    summary: str = "A small library.",
    description: str = "# Readme\n\nLong description.",
    uploads: Sequence[str] = ("2024-05-01T12:00:03.123456Z", "2024-05-01T11:59:58.000001Z"),
    older: Mapping[str, str] | None = None,
    base: str = PYTHON_INDEX,
) -> dict[str, Any]:
    """``GET /pypi/{name}/json``: ``info`` of the latest release, its files, all releases."""
    files = [
        python_file(name, version, base=base, uploaded=uploaded, packagetype=kind)
        for uploaded, kind in zip(uploads, ("bdist_wheel", "sdist"), strict=False)
    ]
    releases = {
        old: [python_file(name, old, base=base, uploaded=when)]
        for old, when in (older or {}).items()
    }
    releases[version] = files
    return {
        "info": {
            "author": None,
            "author_email": "Maintainer <maintainer@example.com>",
            "bugtrack_url": None,
            "classifiers": [
                "Programming Language :: Python :: 3",
                "License :: OSI Approved :: MIT License",
            ],
            "description": description,
            "description_content_type": "text/markdown",
            "docs_url": None,
            "download_url": None,
            "downloads": {"last_day": -1, "last_month": -1, "last_week": -1},
            "dynamic": None,
            "home_page": home_page,
            "keywords": None,
            "license": None,
            "license_expression": "MIT",
            "license_files": ["LICENSE"],
            "maintainer": None,
            "maintainer_email": None,
            "name": name,
            "package_url": f"{base}/project/{name}/",
            "platform": None,
            "project_url": f"{base}/project/{name}/",
            "project_urls": dict(project_urls) if project_urls is not None else None,
            "provides_extra": None,
            "release_url": f"{base}/project/{name}/{version}/",
            "requires_dist": list(requires_dist) if requires_dist is not None else None,
            "requires_python": ">=3.9",
            "summary": summary,
            "version": version,
            "yanked": False,
            "yanked_reason": None,
        },
        "last_serial": 24_680_135,
        "releases": releases,
        "urls": files,
        "vulnerabilities": [],
    }


# ------------------------------------------------------------------------------------------
# npm (full packument, ``Accept: application/json``)


def npm_manifest(
    name: str,
    version: str,
    *,
    dependencies: Mapping[str, str] | None = None,
    dev_dependencies: Mapping[str, str] | None = None,
    peer_dependencies: Mapping[str, str] | None = None,
    optional_dependencies: Mapping[str, str] | None = None,
    repository: Any = None,
    homepage: str | None = None,
    bugs: Any = None,
    description: str = "A small module.",
    base: str = NPM_REGISTRY,
) -> dict[str, Any]:
    """One entry of ``versions``: the package.json as published plus registry fields."""
    tarball_name = name.rsplit("/", 1)[-1]
    manifest: dict[str, Any] = {
        "name": name,
        "version": version,
        "description": description,
        "main": "index.js",
        "license": "MIT",
        "engines": {"node": ">= 18"},
        "scripts": {"test": "node --test"},
        "_id": f"{name}@{version}",
        "_nodeVersion": "20.11.1",
        "_npmVersion": "10.2.4",
        "_npmUser": {"name": "maintainer", "email": "maintainer@example.com"},
        "maintainers": [{"name": "maintainer", "email": "maintainer@example.com"}],
        "directories": {},
        "_hasShrinkwrap": False,
        "dist": {
            "shasum": "0123456789abcdef0123456789abcdef01234567",
            "integrity": "sha512-" + "A" * 86 + "==",
            "tarball": f"{base}/{name}/-/{tarball_name}-{version}.tgz",
            "fileCount": 12,
            "unpackedSize": 40_960,
            "signatures": [{"keyid": "SHA256:fake", "sig": "MEUCIQ"}],
        },
    }
    optional = {
        "dependencies": dependencies,
        "devDependencies": dev_dependencies,
        "peerDependencies": peer_dependencies,
        "optionalDependencies": optional_dependencies,
        "repository": repository,
        "homepage": homepage,
        "bugs": bugs,
    }
    manifest.update({k: v for k, v in optional.items() if v is not None})
    return manifest


def npm_packument(
    name: str,
    manifests: Sequence[Mapping[str, Any]],
    *,
    latest: str | None = None,
    times: Mapping[str, str] | None = None,
    readme: str | None = "# Readme\n",
) -> dict[str, Any]:
    """``GET /{name}``: every version's manifest, dist-tags and publish times."""
    versions = {m["version"]: dict(m) for m in manifests}
    latest = latest or manifests[-1]["version"]
    top = versions[latest]
    publish = dict(times or {})
    for index, version in enumerate(versions):
        publish.setdefault(version, f"2023-0{1 + index % 9}-15T10:20:30.456Z")
    doc: dict[str, Any] = {
        "_id": name,
        "_rev": "42-0123456789abcdef0123456789abcdef",
        "name": name,
        "dist-tags": {"latest": latest, "next": latest},
        "versions": versions,
        "time": {"created": "2020-01-01T00:00:00.000Z", "modified": "2024-06-01T00:00:00.000Z"}
        | publish,
        "maintainers": top.get("maintainers", []),
        "description": top.get("description"),
        "license": top.get("license"),
        "readmeFilename": "README.md" if readme else "",
    }
    for key in ("homepage", "repository", "bugs"):
        if key in top:
            doc[key] = top[key]
    if readme is not None:
        doc["readme"] = readme
    return doc


def npm_unpublished(name: str) -> dict[str, Any]:
    """What the registry keeps for a package whose versions were all unpublished."""
    return {
        "_id": name,
        "name": name,
        "time": {
            "created": "2021-01-01T00:00:00.000Z",
            "modified": "2021-02-01T00:00:00.000Z",
            "unpublished": {"time": "2021-02-01T00:00:00.000Z", "versions": ["1.0.0"]},
        },
    }


# ------------------------------------------------------------------------------------------
# crates (web API and sparse index)


def crates_api_crate(
    name: str,
    versions: Sequence[tuple[str, str]],
    *,
    max_stable: str | None = None,
    repository: str | None = None,
    homepage: str | None = None,
    description: str = "A small crate.",
) -> dict[str, Any]:
    """``GET /api/v1/crates/{name}``; ``versions`` are ``(num, created_at)`` newest first."""
    newest = versions[0][0]
    return {
        "categories": [],
        "crate": {
            "id": name,
            "name": name,
            "badges": [],
            "categories": ["development-tools"],
            "created_at": versions[-1][1],
            "updated_at": versions[0][1],
            "description": description,
            "documentation": None,
            "downloads": 1_234_567,
            "exact_match": False,
            "homepage": homepage,
            "keywords": ["small"],
            "max_stable_version": max_stable or newest,
            "max_version": newest,
            "newest_version": newest,
            "recent_downloads": 54_321,
            "repository": repository,
            "links": {"owners": f"/api/v1/crates/{name}/owners"},
        },
        "keywords": [],
        "versions": [
            {
                "id": 1000 + i,
                "crate": name,
                "num": num,
                "created_at": created,
                "updated_at": created,
                "downloads": 100,
                "yanked": False,
                "license": "MIT OR Apache-2.0",
                "dl_path": f"/api/v1/crates/{name}/{num}/download",
                "readme_path": f"/api/v1/crates/{name}/{num}/readme",
                "features": {},
                "rust_version": None,
            }
            for i, (num, created) in enumerate(versions)
        ],
    }


def crates_api_dependencies(deps: Iterable[tuple[str, str, bool]]) -> dict[str, Any]:
    """``GET /api/v1/crates/{name}/{version}/dependencies``; ``deps``: (crate, kind, optional)."""
    return {
        "dependencies": [
            {
                "id": 5000 + i,
                "version_id": 1000,
                "crate_id": crate,
                "req": "^1",
                "optional": optional,
                "default_features": True,
                "features": [],
                "target": None,
                "kind": kind,
                "downloads": 0,
            }
            for i, (crate, kind, optional) in enumerate(deps)
        ]
    }


def crates_index_entry(
    name: str, vers: str, deps: Iterable[Mapping[str, Any]] = (), *, yanked: bool = False
) -> str:
    """One line of a sparse index file (index format v2)."""
    return json.dumps(
        {
            "name": name,
            "vers": vers,
            "deps": [
                {
                    "name": d["name"],
                    "req": d.get("req", "^1"),
                    "features": [],
                    "optional": d.get("optional", False),
                    "default_features": True,
                    "target": d.get("target"),
                    "kind": d.get("kind", "normal"),
                    **({"package": d["package"]} if "package" in d else {}),
                }
                for d in deps
            ],
            "cksum": "ef" * 32,
            "features": {},
            "yanked": yanked,
            "links": None,
            "v": 2,
            "features2": {},
            "rust_version": "1.70",
        }
    )


# ------------------------------------------------------------------------------------------
# Go module proxy


def go_latest(version: str, time: str, origin_url: str | None = None) -> dict[str, Any]:
    """``GET /{module}/@latest`` (the ``.info`` shape, with the optional ``Origin``)."""
    info: dict[str, Any] = {"Version": version, "Time": time}
    if origin_url:
        info["Origin"] = {
            "VCS": "git",
            "URL": origin_url,
            "Ref": f"refs/tags/{version}",
            "Hash": "0123456789abcdef0123456789abcdef01234567",
        }
    return info


def go_mod(
    module: str, requires: Sequence[str], indirect: Sequence[str] = (), *, go: str = "1.21"
) -> str:
    """A go.mod as the proxy serves it from ``/@v/{version}.mod``."""
    direct = "\n".join(f"\t{m} v1.2.3" for m in requires)
    transitive = "\n".join(f"\t{m} v0.4.5 // indirect" for m in indirect)
    return (
        f"module {module}\n\ngo {go}\n\ntoolchain go1.22.1\n\n"
        f"require (\n{direct}\n)\n\n"
        f"require (\n{transitive}\n)\n\n"
        "replace example.test/old => example.test/new v1.0.0\n\n"
        "retract (\n\tv1.0.1 // published by mistake\n)\n"
    )


# ------------------------------------------------------------------------------------------
# Maven repository (default layout)


def maven_metadata(
    group: str, artifact: str, versions: Sequence[str], *, release: str, last_updated: str
) -> str:
    """``{group path}/{artifact}/maven-metadata.xml``."""
    listed = "".join(f"\n      <version>{v}</version>" for v in versions)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<metadata>
  <groupId>{group}</groupId>
  <artifactId>{artifact}</artifactId>
  <versioning>
    <latest>{versions[-1]}</latest>
    <release>{release}</release>
    <versions>{listed}
    </versions>
    <lastUpdated>{last_updated}</lastUpdated>
  </versioning>
</metadata>
"""


def maven_pom(
    group: str | None,
    artifact: str,
    version: str,
    *,
    dependencies: Sequence[Mapping[str, str]] = (),
    managed: Sequence[Mapping[str, str]] = (),
    scm_url: str | None = None,
    scm_connection: str | None = None,
    parent: tuple[str, str, str] | None = None,
    properties: Mapping[str, str] | None = None,
    description: str = "A small library.",
) -> str:
    """``{artifact}-{version}.pom`` in the published layout, namespaced like real POMs."""

    def dep_xml(dep: Mapping[str, str]) -> str:
        return (
            "\n    <dependency>"
            + "".join(f"\n      <{k}>{v}</{k}>" for k, v in dep.items())
            + "\n    </dependency>"
        )

    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        # Real POMs carry the POM 4.0.0 namespace; any namespace exercises the same stripping.
        '<project xmlns="urn:test:maven-pom"'
        ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
        ' xsi:schemaLocation="urn:test:maven-pom maven-4.0.0.xsd">',
        "  <modelVersion>4.0.0</modelVersion>",
    ]
    if parent:
        parts.append(
            f"  <parent>\n    <groupId>{parent[0]}</groupId>\n    <artifactId>{parent[1]}"
            f"</artifactId>\n    <version>{parent[2]}</version>\n  </parent>"
        )
    if group:
        parts.append(f"  <groupId>{group}</groupId>")
    parts += [
        f"  <artifactId>{artifact}</artifactId>",
        f"  <version>{version}</version>",
        "  <packaging>jar</packaging>",
        f"  <description>\n    {description}\n  </description>",
    ]
    if properties:
        parts.append(
            "  <properties>"
            + "".join(f"\n    <{k}>{v}</{k}>" for k, v in properties.items())
            + "\n  </properties>"
        )
    if scm_url or scm_connection:
        parts.append(
            "  <scm>"
            + (f"\n    <connection>{scm_connection}</connection>" if scm_connection else "")
            + (f"\n    <url>{scm_url}</url>" if scm_url else "")
            + "\n  </scm>"
        )
    if managed:
        parts.append(
            "  <dependencyManagement>\n    <dependencies>"
            + "".join(dep_xml(d) for d in managed)
            + "\n    </dependencies>\n  </dependencyManagement>"
        )
    parts.append(
        "  <dependencies>" + "".join(dep_xml(d) for d in dependencies) + "\n  </dependencies>"
    )
    parts.append("</project>")
    return "\n".join(parts) + "\n"
