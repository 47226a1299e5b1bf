"""Build the configured sources: GitHub + registries for real work, or the simulated world.

Assets and CLI commands both call these, so they can never disagree about where data comes from.
"""

from __future__ import annotations

import functools

from globallm_assets.settings import Settings
from globallm_assets.sources.base import PackageIndex, RepoSource


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


_REGISTRY_URL_SETTING = {
    "pypi": "pypi_url",
    "npm": "npm_url",
    "crates": "crates_url",
    "go": "go_proxy",
    "maven": "maven_url",
}


def package_index(settings: Settings, ecosystem: str) -> PackageIndex:
    """The package registry for an ecosystem (endpoint from settings or the user's tools)."""
    if settings.source.kind == "simulated":
        world = simulated_world(settings.source.seed, settings.source.repos_per_language)
        return world.package_index(ecosystem)
    from globallm_assets.sources.registries import registry_for

    attr = _REGISTRY_URL_SETTING.get(ecosystem)
    base_url = getattr(settings.registries, attr) if attr else None
    return registry_for(ecosystem, base_url=base_url)


def source_now(settings: Settings):
    """The moment the source's data describes: the simulated world's fixed date, else None
    (meaning the real clock). Ages and recency are measured from it."""
    if settings.source.kind == "simulated":
        return simulated_world(settings.source.seed, settings.source.repos_per_language).now
    return None
