"""The HTTP base every registry shares: retrying GETs, one-line errors without credentials,
and a bounded-concurrency ``packages`` on top of each registry's ``package``."""

from __future__ import annotations

import re
import time
import xml.etree.ElementTree as ET
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import httpx

from globallm_assets.core.models import PackageRecord
from globallm_assets.core.packages import canonical_name
from globallm_assets.sources.base import NotFoundError, SourceError

# Generous read timeout: full npm packuments of long-lived packages run to tens of megabytes.
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
DEFAULT_ATTEMPTS = 3
DEFAULT_BACKOFF_SECONDS = 0.5
# Registries throttle aggressive clients; eight in flight keeps a batch fast without being rude.
MAX_WORKERS = 8
USER_AGENT = "globallm (package metadata for dependency graphs)"

_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_USERINFO_RE = re.compile(r"//[^/@\s]+@")


def redact(text: str) -> str:
    """Hide ``user:token@`` in URLs so a private mirror's credentials never reach a message."""
    return _USERINFO_RE.sub("//***@", text)


def strip_slash(url: str) -> str:
    return url.strip().rstrip("/")


def parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def xml_root(content: bytes | str) -> ET.Element:
    # Namespaces vary between POM/settings schema versions; dropping them keeps lookups simple.
    # CPython's expat (2.4.1+) refuses entity-expansion bombs, which is what makes parsing
    # untrusted POMs with the standard library acceptable here.
    root = ET.fromstring(content)
    for element in root.iter():
        if isinstance(element.tag, str) and "}" in element.tag:
            element.tag = element.tag.split("}", 1)[1]
    return root


def xml_text(element: ET.Element | None, path: str) -> str | None:
    if element is None:
        return None
    found = element.find(path)
    if found is None or found.text is None:
        return None
    return found.text.strip() or None


class HttpRegistry(ABC):
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
        self.base_url = strip_slash(base_url)
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
        return f"{type(self).__name__}({redact(self.base_url)!r})"

    def __enter__(self) -> HttpRegistry:
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
                    f"{self.ecosystem} registry URL {redact(self.base_url)!r} is not usable"
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
                    f"{self.ecosystem} registry {redact(self.base_url)} answered HTTP {status}"
                    f" for {name!r}"
                )
            return response
        raise SourceError(
            f"{self.ecosystem} registry {redact(self.base_url)} failed for {name!r}"
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
            return xml_root(response.content)
        except ET.ParseError:
            raise SourceError(
                f"{self.ecosystem} registry answered invalid XML for {name!r}"
            ) from None

    # -- the protocol ----------------------------------------------------------------------

    @abstractmethod
    def package(self, name: str) -> PackageRecord:
        """One package's metadata and declared dependencies (each registry's own API)."""

    def all_packages(self) -> None:
        """``None``: a registry answers by name and cannot be enumerated."""
        return None

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
                unique.setdefault(canonical_name(self.ecosystem, name), name)
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
