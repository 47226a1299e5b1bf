"""Every source implements every capability of its protocol explicitly (no probing with getattr),
and says so in its answer when it cannot do something."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from globallm_assets.sources.base import PackageIndex, RepoSource
from globallm_assets.sources.github import GitHubSource
from globallm_assets.sources.registries import registry_for
from globallm_assets.sources.registries.crates import CratesIndex
from globallm_assets.sources.registries.go import GoProxy
from globallm_assets.sources.registries.maven import MavenRepository
from globallm_assets.sources.registries.npm import NpmRegistry
from globallm_assets.sources.registries.python import PythonIndex
from globallm_assets.sources.simulated import SimulatedPackageIndex, SimulatedWorld


def _members(protocol: type) -> set[str]:
    own = set(vars(protocol)) | set(getattr(protocol, "__annotations__", {}))
    return {name for name in own if not name.startswith("_")}


@pytest.mark.parametrize("implementation", [GitHubSource, SimulatedWorld])
def test_repo_sources_define_every_capability(implementation: type) -> None:
    missing = [
        name
        for name in _members(RepoSource)
        if not any(name in vars(klass) for klass in implementation.__mro__[:-1])
        and name != "now"  # the simulated world's clock is an instance attribute
    ]
    assert missing == []


@pytest.mark.parametrize(
    "implementation",
    [PythonIndex, NpmRegistry, CratesIndex, GoProxy, MavenRepository, SimulatedPackageIndex],
)
def test_package_indexes_define_every_capability(implementation: type) -> None:
    missing = [
        name
        for name in _members(PackageIndex) - {"ecosystem"}
        if not any(name in vars(klass) for klass in implementation.__mro__[:-1])
    ]
    assert missing == []


def test_a_registry_says_it_cannot_be_enumerated() -> None:
    index = registry_for("npm", base_url="http://127.0.0.1:9")
    assert isinstance(index, PackageIndex)
    assert index.all_packages() is None


def test_the_simulated_world_answers_every_capability() -> None:
    world = SimulatedWorld(seed=3, repos_per_language=12, languages=["python"])
    assert isinstance(world, RepoSource)
    name = world.repositories("python")[0].full_name
    assert world.now == datetime(2026, 1, 1, tzinfo=UTC)
    assert world.repository_file(name, ".github/globallm.yml") is None
    batch = world.activity_batch([name, "nobody/nothing"])
    assert set(batch) == {name}
    assert batch[name] == world.activity(name)
    index = world.package_index("pypi")
    everything = index.all_packages()
    assert everything and {p.name for p in everything} == {p.name for p in world.packages("pypi")}


def test_github_source_clock_is_its_now() -> None:
    source = GitHubSource(["t0ken-for-tests"], api_url="http://127.0.0.1:9", clock=lambda: 1e9)
    try:
        assert isinstance(source, RepoSource)
        assert source.now == datetime.fromtimestamp(1e9, UTC)
    finally:
        source.close()
