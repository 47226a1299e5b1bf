"""Vectorised generators for scale benchmarks (millions of nodes), where building record
objects would measure the wrong thing."""

from __future__ import annotations

import numpy as np

from globallm_assets.core.models import LANGUAGES
from globallm_assets.sources.simulated.seeding import power_law_stars
from globallm_assets.sources.simulated.world import ARCHIVED_SHARE, FORK_SHARE


def dependency_arrays(n_nodes: int, n_edges: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A preferential-attachment-like DAG as int32 ``(src, dst)``: ``src`` depends on ``dst``.

    Node ids are creation order (0 oldest). Out-degrees are multinomial over lognormal node
    activity, so a few packages declare many dependencies. Each edge's target is
    ``floor(src * u**3)`` for 80% of edges and ``floor(src * u)`` for the rest: the cube favours
    old nodes so in-degree falls off as a power of the node id (roughly ``id ** -2/3``, i.e. a
    degree distribution with exponent about 2.5, like preferential attachment's rich-get-richer
    effect), and ``dst < src`` always, so there are no self loops and no cycles.

    Duplicate ``(src, dst)`` pairs are removed, so slightly fewer than ``n_edges`` edges may be
    returned; the result is sorted by ``(src, dst)``, which is what CSR builders want.
    """
    if n_nodes < 0 or n_edges < 0:
        raise ValueError("n_nodes and n_edges must be non-negative")
    if n_edges and n_nodes < 2:
        raise ValueError("a DAG with edges needs at least two nodes")
    if n_nodes >= 2**31:
        raise ValueError("node ids must fit in int32")
    rng = np.random.default_rng(seed)
    if n_edges == 0:
        empty = np.empty(0, dtype=np.int32)
        return empty, empty.copy()
    activity = rng.lognormal(0.0, 1.0, n_nodes)
    activity[0] = 0.0  # the oldest node has nothing older to depend on
    out_degree = rng.multinomial(n_edges, activity / activity.sum())
    src = np.repeat(np.arange(n_nodes, dtype=np.int64), out_degree)
    del out_degree, activity
    dst = np.empty(n_edges, dtype=np.int64)
    chunk = 1 << 22  # bounds the float64 temporaries to a few tens of MB
    for lo in range(0, n_edges, chunk):
        hi = min(lo + chunk, n_edges)
        u = rng.random(hi - lo)
        u = np.where(rng.random(hi - lo) < 0.8, u * u * u, u)
        part = np.floor(src[lo:hi] * u).astype(np.int64)
        dst[lo:hi] = np.minimum(part, src[lo:hi] - 1)
    # src is already sorted, so a single sort of the combined key both dedupes and orders.
    key = src * n_nodes + dst
    del src, dst
    key.sort()
    keep = np.empty(key.size, dtype=bool)
    keep[0] = True
    np.not_equal(key[1:], key[:-1], out=keep[1:])
    key = key[keep]
    del keep
    src32 = (key // n_nodes).astype(np.int32)
    dst32 = (key % n_nodes).astype(np.int32)
    return src32, dst32


# Rough share of public repositories per language, for the scale arrays.
_LANGUAGE_SHARE = {
    "python": 0.25,
    "javascript": 0.20,
    "typescript": 0.15,
    "go": 0.12,
    "rust": 0.10,
    "java": 0.18,
}


def repo_arrays(n_repos: int, seed: int = 0) -> dict[str, np.ndarray]:
    """Column arrays for benchmarks at 10^5+ repositories, same star law as the world.

    ``language`` holds int8 codes indexing ``LANGUAGES``.
    """
    if n_repos < 0:
        raise ValueError("n_repos must be non-negative")
    rng = np.random.default_rng(seed)
    stars = power_law_stars(rng, n_repos)
    forks = np.floor(stars * rng.lognormal(np.log(0.12), 0.6, n_repos)).astype(np.int64)
    shares = np.array([_LANGUAGE_SHARE[lang] for lang in LANGUAGES])
    language = rng.choice(len(LANGUAGES), size=n_repos, p=shares / shares.sum()).astype(np.int8)
    return {
        "stars": stars,
        "forks": forks,
        "language": language,
        "archived": rng.random(n_repos) < ARCHIVED_SHARE,
        "is_fork": rng.random(n_repos) < FORK_SHARE,
    }
