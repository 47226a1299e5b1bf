"""A Rust registry: sparse index or web API."""

from __future__ import annotations

import contextlib
import json
import re
import threading
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from globallm_assets.core.models import PackageRecord
from globallm_assets.core.packages import first_repository
from globallm_assets.sources.base import NotFoundError, SourceError
from globallm_assets.sources.registries.http import HttpRegistry, parse_time, strip_slash


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


class CratesIndex(HttpRegistry):
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

    def _api_base(self) -> str | None:
        with self._api_lock:
            if not self._api_known:
                try:
                    config = self._get_json(f"{self.base_url}/config.json", "config.json")
                except NotFoundError:
                    config = {}
                api = config.get("api") if isinstance(config, dict) else None
                self._api = strip_slash(api) if isinstance(api, str) and api else None
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
            repository=first_repository([crate.get("repository"), crate.get("homepage")]),
            description=(crate.get("description") or "").strip() or None,
            latest_release_at=parse_time(released),
            dependencies=list(dict.fromkeys(dependencies)),
        )
