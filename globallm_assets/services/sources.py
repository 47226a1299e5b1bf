"""Build the configured sources: GitHub + registries for real work, or the simulated world
(and find the store of that world).

Assets and CLI commands both call these, so they can never disagree about where data comes from.
"""

from __future__ import annotations

import functools
import logging

from globallm_assets.settings import Settings
from globallm_assets.sources.base import PackageIndex, RepoSource, SourceError

log = logging.getLogger(__name__)


@functools.lru_cache(maxsize=4)
def simulated_world(seed: int, repos_per_language: int):
    """One synthetic ecosystem per (seed, size) per process: generation is deterministic."""
    from globallm_assets.sources.simulated import SimulatedWorld

    return SimulatedWorld(seed=seed, repos_per_language=repos_per_language)


def repo_source(settings: Settings, *, dsn: str | None = None) -> RepoSource:
    """The repository source; with a DSN, GitHub's ETags and rate-limit state are kept in
    PostgreSQL, shared with every other process using the store."""
    if settings.source.kind == "simulated":
        return simulated_world(settings.source.seed, settings.source.repos_per_language)
    from globallm_assets.sources.github import GitHubSource
    from globallm_assets.store.ratelimit import PostgresRateLimits
    from globallm_assets.store.repositories import PostgresEtagCache

    return GitHubSource(
        settings.github.all_tokens(),
        api_url=settings.github.api_url,
        max_concurrency=settings.github.max_concurrency,
        etag_cache=PostgresEtagCache(dsn) if dsn else None,
        rate_limits=PostgresRateLimits(dsn) if dsn else None,
    )


def package_index(settings: Settings, ecosystem: str) -> PackageIndex:
    """The package registry for an ecosystem (endpoint from settings or the user's tools)."""
    if settings.source.kind == "simulated":
        world = simulated_world(settings.source.seed, settings.source.repos_per_language)
        return world.package_index(ecosystem)
    from globallm_assets.sources.registries import registry_for

    configured = settings.registries
    base_url = {
        "pypi": configured.pypi_url,
        "npm": configured.npm_url,
        "crates": configured.crates_url,
        "go": configured.go_proxy,
        "maven": configured.maven_url,
    }.get(ecosystem)
    return registry_for(ecosystem, base_url=base_url)


def available_package_index(settings: Settings, ecosystem: str) -> PackageIndex | None:
    """The registry when one is configured, else ``None`` with a warning: for evidence that
    other signals can stand in for (``discover --library-only``), not for the graph."""
    try:
        return package_index(settings, ecosystem)
    except SourceError as exc:
        log.warning("%s registry not consulted: %s", ecosystem, exc)
        return None


def store_dsn(settings: Settings) -> str:
    """The database of the settings' world, started and migrated once per process: where a
    command's source caches and its services read and write."""
    from globallm_assets.store.db import prepared

    return prepared(settings).dsn


def source_now(settings: Settings):
    """The moment the source's data describes: the simulated world's fixed date, else None
    (meaning the real clock). Ages and recency are measured from it."""
    if settings.source.kind == "simulated":
        return simulated_world(settings.source.seed, settings.source.repos_per_language).now
    return None
