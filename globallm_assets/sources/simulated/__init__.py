"""A seeded, deterministic synthetic open-source ecosystem.

``SimulatedWorld`` answers the same protocols as the GitHub and registry sources
(``RepoSource`` for repositories, activity and issues; ``PackageIndex`` through
:meth:`SimulatedWorld.package_index`) with the same record types, so the offline demo, the
end-to-end tests and the benchmarks exercise the real pipeline without a network. What makes it
useful rather than merely random:

* stars follow a Pareto law (a few huge projects, a long tail), and forks, contributors, commits,
  issues and dependents are correlated with popularity plus noise;
* every world plants known cases the scoring must handle: dead and archived repositories, activity
  signals the source "could not tell" (``None``), forks, applications that publish no package, and
  small clusters of near-duplicate READMEs (:attr:`SimulatedWorld.duplicate_clusters`); the
  planted facts are queryable through :meth:`SimulatedWorld.truth`;
* the dependency graph grows by preferential attachment inside each ecosystem, edges always point
  from a newer package to an older one, so it is a DAG with a heavy-tailed in-degree.

Determinism: the same ``seed``, ``repos_per_language`` and ``now`` give byte-identical records for a
given NumPy/Python version. A language's repositories do not depend on which other languages are
configured (names are drawn for every known language so they stay globally unique); the npm
graph, shared by JavaScript and TypeScript, is built over whichever of the two are configured.
Everything is generated lazily and cached: a language on first use, activity and issues per
repository on first request.

Modules by concern: :mod:`.vocabulary` (the words), :mod:`.seeding` (keyed randomness),
:mod:`.text` (names, READMEs, issues), :mod:`.world` (the ``RepoSource``), :mod:`.index` (the
``PackageIndex`` views) and :mod:`.scale` (:func:`dependency_arrays` and :func:`repo_arrays`,
vectorised generators for benchmarks at millions of nodes, where building record objects would
measure the wrong thing). This package re-exports the public names.
"""

from __future__ import annotations

from globallm_assets.sources.simulated.index import SimulatedPackageIndex
from globallm_assets.sources.simulated.scale import dependency_arrays, repo_arrays
from globallm_assets.sources.simulated.world import DEFAULT_NOW, RepoTruth, SimulatedWorld

__all__ = [
    "DEFAULT_NOW",
    "RepoTruth",
    "SimulatedPackageIndex",
    "SimulatedWorld",
    "dependency_arrays",
    "repo_arrays",
]
