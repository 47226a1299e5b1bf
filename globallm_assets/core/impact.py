"""ImpactScore: how much of the ecosystem a fix in this repository would reach.

Graph
-----
Nodes are repositories; an edge ``dependent -> dependency`` says the first uses the second.
Parallel edges (one per ecosystem, say) collapse to one and self-loops are dropped: neither
says anything about who else relies on a repository.

Signals, per repository
-----------------------
- ``direct_dependents``: distinct repositories with an edge to it (in-degree).
- ``transitive_dependents``: distinct other repositories that reach it along edges (its
  downstream reach).
- ``pagerank``: PageRank on ``dependent -> dependency`` edges, so rank flows to what is
  depended upon; alpha ``PAGERANK_ALPHA``, repositories without dependencies (dangling nodes)
  spread their rank uniformly, as networkx does.
- ``betweenness``: shortest-path betweenness (directed, normalised by ``(n-1)(n-2)``,
  endpoints excluded), estimated from ``betweenness_k`` sampled sources with networkx's
  estimator: repositories that bridge otherwise separate parts of the ecosystem.
- ``stars`` and ``forks``.

Normalisation (every component lies in [0, 1])
----------------------------------------------
Counts use criticality_score's log cap ``min(1, log(1+v) / log(1+T))`` with the thresholds
below, so a score means the same thing in every run and partition, and more of a signal never
lowers its component. PageRank is first expressed as a multiple of the uniform share
(``n * pagerank``, 1 = average) and betweenness as the number of ordered (dependent,
dependency) pairs whose shortest paths run through the repository (``b * (n-1)(n-2)``), then
both are log-capped like the counts (``PAGERANK_RATIO_THRESHOLD``,
``BETWEENNESS_PAIRS_THRESHOLD``). Raw fractions would not do: they shrink as the graph grows,
so the same repository would look more central in a small partition than in a large one.

Score
-----
``score = sum(w_i * component_i) / sum(w_i)`` with ``ImpactWeights`` (defaults: direct 0.25,
transitive 0.25, pagerank 0.20, betweenness 0.05, stars 0.15, forks 0.10). Betweenness weighs
little because it is a sampled estimate.

What it adds to a dependents count
----------------------------------
A dependents count treats every dependent alike. Impact weighs them: ``transitive_dependents``
counts everyone a fix reaches through the graph (a library used by two frameworks reaches
everything built on them), ``pagerank`` gives each dependent as much weight as its own
importance, recursively, and ``betweenness`` finds bridges between otherwise separate parts of
an ecosystem. With the default weights these carry half the score against a quarter for the
direct count, so a package depended on by important packages outranks one with more leaf
dependents (``test_depended_on_by_important_packages_beats_more_leaf_dependents``). Stars and
forks (the last quarter) stand for use no registry sees: applications, vendored copies.

One betweenness, two reach counts
---------------------------------
Betweenness is the same estimator at every size: Brandes from ``betweenness_k`` sampled sources
(every node when the graph has no more), vectorised per BFS level on numpy, with networkx's
normalisation; the sources depend only on ``seed`` and the node count, so a graph gets the same
betweenness whichever side of the threshold below it falls.

Transitive dependents are counted exactly on graphs with at most ``SMALL_GRAPH_MAX_EDGES``
distinct edges and ``SMALL_GRAPH_MAX_NODES`` nodes (a reachability bitset pushed through the
graph's strongly connected components in topological order, equal to a reverse BFS from every
node but vectorised; its cost grows as nodes × edges: ~2 s at both limits, 6× the sketch's
time, where networkx betweenness on the old exact path made it 55×). Larger graphs
estimate them with HyperLogLog sketches of ``REACH_SKETCH_REGISTERS`` registers (relative
error about ``1.04 / sqrt(registers)``, ~13 %; linear counting makes small sets nearly exact):
every node's sketch is max-merged into its dependencies in one pass over the same topologically
ordered condensation. The estimate is clipped to ``[direct, n - 1]``. Since the reach component
is a log cap, a 13 % error on a large count moves the score by ~0.003, and a small count off
by one by at most ~0.015: the same graph scored on both paths ranks the same up to swaps of
near-ties (Spearman > 0.999, ``test_both_sides_of_the_threshold_rank_the_same``).

PageRank is the same scipy power iteration on both paths (tested against networkx).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from globallm_assets.core.models import DependencyEdge
from globallm_assets.core.weights import ImpactWeights

# Exact reach costs O(n * m / 64): ~2 s for the whole score at both limits on a loaded core,
# 6x the approximate path (0.36 s), so crossing the threshold costs little either way.
SMALL_GRAPH_MAX_EDGES = 100_000
SMALL_GRAPH_MAX_NODES = 20_000
PAGERANK_ALPHA = 0.85
# criticality_score-style caps: the value at which a component saturates at 1.
DIRECT_DEPENDENTS_THRESHOLD = 5_000
TRANSITIVE_DEPENDENTS_THRESHOLD = 100_000
PAGERANK_RATIO_THRESHOLD = 10_000.0  # n * pagerank: 10,000x the average share saturates
# About TRANSITIVE_DEPENDENTS_THRESHOLD dependents times a hundred dependencies beyond.
BETWEENNESS_PAIRS_THRESHOLD = 10_000_000
STARS_THRESHOLD = 50_000
FORKS_THRESHOLD = 10_000
# HyperLogLog registers per node on the approximate path: 64 bytes per node.
REACH_SKETCH_REGISTERS = 64
# Sampled sources for betweenness at every size (each is a BFS over its reach): ~3.5 s at
# 10^6 nodes / 10^7 edges for 32 sources.
BETWEENNESS_K = 32
# Memory for one chunk of reachability bitsets on the exact path.
_EXACT_BITSET_BYTES = 64 * 2**20
# Memory for the rows gathered at once while merging reach sets along edges.
_PROPAGATE_BYTES = 128 * 2**20

_POPCOUNT8 = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint8)


@dataclass(frozen=True, slots=True)
class RepoNode:
    full_name: str
    stars: int = 0
    forks: int = 0


@dataclass(frozen=True, slots=True)
class ImpactBreakdown:
    """One repository's impact score with every raw signal and normalised component."""

    full_name: str
    score: float
    direct_dependents: int
    transitive_dependents: int
    pagerank: float
    betweenness: float
    stars: int
    forks: int
    direct_component: float
    transitive_component: float
    pagerank_component: float
    betweenness_component: float
    stars_component: float
    forks_component: float
    exact_reach: bool

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# --------------------------------------------------------------------------- edge preparation


@dataclass(frozen=True, slots=True)
class _Graph:
    """Distinct edges sorted by (dst, src), plus the CSR row pointer over dst."""

    n: int
    src: np.ndarray  # int32, the dependent
    dst: np.ndarray  # int32, the dependency
    indptr_in: np.ndarray  # int32 (int64 beyond 2**31 edges): in-edges of v at [v, v+1)

    @property
    def m(self) -> int:
        return int(self.src.size)


def _prepare(src: np.ndarray, dst: np.ndarray, n: int, *, drop_self_loops: bool) -> _Graph:
    src = np.asarray(src)
    dst = np.asarray(dst)
    if src.shape != dst.shape or src.ndim != 1:
        raise ValueError("src and dst must be 1-d arrays of the same length")
    if n < 0:
        raise ValueError("n_nodes must be non-negative")
    if src.size:
        if not (np.issubdtype(src.dtype, np.integer) and np.issubdtype(dst.dtype, np.integer)):
            raise ValueError("src and dst must hold integer node ids")
        low = min(int(src.min()), int(dst.min()))
        high = max(int(src.max()), int(dst.max()))
        if low < 0 or high >= n:
            raise ValueError(f"node ids must lie in [0, {n}); got [{low}, {high}]")
    if drop_self_loops:
        keep = src != dst
        if not keep.all():
            src, dst = src[keep], dst[keep]
    # One int64 key per edge, sorted in place: dedupes and orders by dependency in one pass.
    key = dst.astype(np.int64) * n
    key += src
    key.sort()
    if key.size > 1:
        distinct = np.empty(key.size, dtype=bool)
        distinct[0] = True
        np.not_equal(key[1:], key[:-1], out=distinct[1:])
        key = key[distinct]
    index_dtype = np.int32 if n < 2**31 else np.int64
    dst_out = (key // n).astype(index_dtype) if n else key.astype(index_dtype)
    key -= dst_out.astype(np.int64) * n
    src_out = key.astype(index_dtype)
    del key
    ptr_dtype = np.int32 if src_out.size < 2**31 else np.int64
    indptr = np.zeros(n + 1, dtype=ptr_dtype)
    np.cumsum(np.bincount(dst_out, minlength=n), out=indptr[1:])
    return _Graph(n=n, src=src_out, dst=dst_out, indptr_in=indptr)


def _ranges(starts: np.ndarray, counts: np.ndarray, total: int) -> np.ndarray:
    """Concatenation of ``arange(s, s + c)`` for each pair, without a Python loop."""
    offsets = np.cumsum(counts) - counts
    return np.arange(total, dtype=np.int64) - np.repeat(offsets - starts, counts)


# --------------------------------------------------------------------------------- PageRank


def pagerank(
    src: np.ndarray,
    dst: np.ndarray,
    n_nodes: int,
    *,
    alpha: float = PAGERANK_ALPHA,
    tol: float = 1e-6,
    max_iter: int = 100,
) -> np.ndarray:
    """PageRank by power iteration on a scipy CSR matrix; edge ``src -> dst`` passes rank to dst.

    The arrays are read as a simple digraph (parallel edges collapse, self-loops stay), like
    ``networkx.DiGraph``. Dangling nodes spread their rank uniformly. Convergence is declared
    when the L1 change of the rank vector drops below ``tol`` (networkx multiplies ``tol`` by
    n, which is meaningless at 10^6 nodes); ``RuntimeError`` if ``max_iter`` is not enough.
    """
    return _pagerank(_prepare(src, dst, n_nodes, drop_self_loops=False), alpha, tol, max_iter)


def _pagerank(graph: _Graph, alpha: float, tol: float, max_iter: int) -> np.ndarray:
    import scipy.sparse as sp

    if not 0 <= alpha < 1:
        raise ValueError("alpha must lie in [0, 1)")
    n = graph.n
    if n == 0:
        return np.zeros(0)
    out_degree = np.bincount(graph.src, minlength=n)
    inverse = np.zeros(n)
    np.divide(1.0, out_degree, out=inverse, where=out_degree > 0)
    # Rows are dependencies, so one product gathers what each node receives. float64 data:
    # float32 sums over a hub's million in-edges drift by more than tol.
    received = sp.csr_array((inverse[graph.src], graph.src, graph.indptr_in), shape=(n, n))
    dangling = np.flatnonzero(out_degree == 0)
    x = np.full(n, 1.0 / n)
    for _ in range(max_iter):
        nxt = received @ x
        nxt += x[dangling].sum() / n
        nxt *= alpha
        nxt += (1.0 - alpha) / n
        err = float(np.abs(nxt - x).sum())
        x = nxt
        if err < tol:
            return x / x.sum()
    raise RuntimeError(f"PageRank did not converge to tol={tol} in {max_iter} iterations")


# ------------------------------------------------------------------------ transitive reach


def _condense(graph: _Graph) -> tuple[_Graph, np.ndarray]:
    """The DAG of strongly connected components, and each node's component.

    Members of one component reach each other, so they share one reach set; a DAG (the usual
    dependency graph) comes back unchanged without a second sort of the edges.
    """
    from scipy.sparse import csr_array
    from scipy.sparse.csgraph import connected_components

    n = graph.n
    pattern = csr_array((np.ones(graph.m, dtype=np.int8), graph.src, graph.indptr_in), shape=(n, n))
    n_comp, label = connected_components(pattern, directed=True, connection="strong")
    del pattern
    if n_comp == n:
        return graph, np.arange(n)
    return _prepare(label[graph.src], label[graph.dst], n_comp, drop_self_loops=True), label


def _levels(dag: _Graph) -> list[np.ndarray]:
    """Node groups in an order where every dependent comes in an earlier group than what it uses.

    Kahn's algorithm run from the repositories with no dependencies, using only the in-edge
    CSR, then reversed.
    """
    remaining = np.bincount(dag.src, minlength=dag.n)
    frontier = np.flatnonzero(remaining == 0)
    levels = []
    placed = 0
    while frontier.size:
        levels.append(frontier)
        placed += frontier.size
        starts = dag.indptr_in[frontier].astype(np.int64)
        counts = dag.indptr_in[frontier + 1] - starts
        total = int(counts.sum())
        if total == 0:
            break
        dependents = dag.src[_ranges(starts, counts, total)]
        np.subtract.at(remaining, dependents, 1)
        frontier = np.unique(dependents[remaining[dependents] == 0])
    if placed != dag.n:
        raise ValueError("graph still has a cycle after condensation")
    levels.reverse()
    return levels


def _propagate(dag: _Graph, levels: list[np.ndarray], state: np.ndarray, merge: np.ufunc) -> None:
    """``state[v] = merge(state[v], state[u] for every dependent u of v)``, dependents first.

    One pass over the edges suffices because ``levels`` puts every dependent before what it
    uses; large levels are cut so the gathered rows stay within a fixed memory budget.
    ``merge`` must be associative and commutative with 0 as its identity (``bitwise_or`` and
    ``maximum`` on unsigned integers are).
    """
    row_bytes = state.shape[1] * state.itemsize
    budget = max(1, _PROPAGATE_BYTES // row_bytes)
    for level in levels:
        starts = dag.indptr_in[level].astype(np.int64)
        counts = dag.indptr_in[level + 1] - starts
        used = counts > 0
        if not used.any():
            continue
        level, starts, counts = level[used], starts[used], counts[used]
        ends = np.cumsum(counts)
        lo = 0
        while lo < level.size:
            # Whole nodes per part; a single node may exceed the budget on its own.
            base = ends[lo - 1] if lo else 0
            hi = max(lo + 1, int(np.searchsorted(ends, base + budget, side="right")))
            targets = level[lo:hi]
            merged = _segment_merge(state, dag.src, starts[lo:hi], counts[lo:hi], merge)
            state[targets] = merge(state[targets], merged)
            lo = hi


def _segment_merge(
    state: np.ndarray, src: np.ndarray, starts: np.ndarray, counts: np.ndarray, merge: np.ufunc
) -> np.ndarray:
    """Row ``i``: ``merge`` of ``state[src[starts[i] : starts[i] + counts[i]]]`` (counts > 0).

    ``merge.reduceat`` over the gathered rows calls its inner loop once per row (~0.6 µs for a
    64-byte sketch: most of the kernel's time). Instead, segments are grouped by their length
    rounded up to a power of two ``D``, gathered into a zero-padded ``(segments, D, width)``
    block and halved ``log2 D`` times, each halving one vectorised ``merge`` over contiguous
    memory: the same values (the merge is exact and order-free), about 4x faster.
    """
    out = np.empty((counts.size, state.shape[1]), dtype=state.dtype)
    bucket = np.zeros(counts.size, dtype=np.int64)
    wide = counts > 1
    # ceil(log2(count)) exactly, from the bit length of count - 1.
    bucket[wide] = np.frexp((counts[wide] - 1).astype(np.float64))[1]
    order = np.argsort(bucket, kind="stable")
    edges = np.searchsorted(bucket[order], np.arange(int(bucket.max()) + 2))
    for k in range(edges.size - 1):
        picked = order[edges[k] : edges[k + 1]]
        if not picked.size:
            continue
        width = 1 << k
        first = starts[picked]
        if width == 1:
            out[picked] = state[src[first]]
            continue
        slots = np.arange(width, dtype=np.int64)
        last = (counts[picked] - 1)[:, None]
        # Padding slots repeat the segment's last edge, then read as 0 (the identity).
        block = state[src[first[:, None] + np.minimum(slots[None, :], last)]]
        block[slots[None, :] > last] = 0
        while width > 1:
            width //= 2
            block = merge(block[:, :width], block[:, width : 2 * width])
        out[picked] = block[:, 0]
    return out


def _popcount_rows(bits: np.ndarray) -> np.ndarray:
    if hasattr(np, "bitwise_count"):  # numpy >= 2.0
        return np.bitwise_count(bits).sum(axis=1, dtype=np.int64)
    return _POPCOUNT8[bits.view(np.uint8)].sum(axis=1, dtype=np.int64)


def _exact_reach(graph: _Graph) -> np.ndarray:
    """Exact number of other nodes that reach each node (its transitive dependents).

    Reach sets are bitsets over nodes, built for ``64 * words`` nodes at a time so memory
    stays bounded; each round is one pass over the condensation's edges.
    """
    n = graph.n
    if graph.m == 0:
        return np.zeros(n, dtype=np.int64)
    dag, label = _condense(graph)
    levels = _levels(dag)
    counts = np.zeros(dag.n, dtype=np.int64)
    words = int(max(1, min(math.ceil(n / 64), _EXACT_BITSET_BYTES // 8 // dag.n)))
    chunk = words * 64
    for first in range(0, n, chunk):
        members = np.arange(first, min(n, first + chunk), dtype=np.int64)
        offset = members - first
        bits = np.zeros((dag.n, words), dtype=np.uint64)
        np.bitwise_or.at(
            bits,
            (label[members], offset // 64),
            np.left_shift(np.uint64(1), (offset % 64).astype(np.uint64)),
        )
        _propagate(dag, levels, bits, np.bitwise_or)
        counts += _popcount_rows(bits)
    # A node's own bit is in its component's set.
    return counts[label] - 1


def _approximate_reach(graph: _Graph, seed: int) -> np.ndarray:
    """HyperLogLog estimate of the number of other nodes that reach each node."""
    n, registers = graph.n, REACH_SKETCH_REGISTERS
    if graph.m == 0:
        return np.zeros(n, dtype=np.int64)
    dag, label = _condense(graph)
    rng = np.random.default_rng(seed)
    # Each node's own element: a random register and a geometric rank (P(rank=r) = 2^-r),
    # what hashing a node id would give, without needing a hash function.
    rank = np.minimum(rng.geometric(0.5, size=n), 64).astype(np.uint8)
    sketch = np.zeros((dag.n, registers), dtype=np.uint8)
    np.maximum.at(sketch, (label, rng.integers(0, registers, size=n)), rank)
    del rank
    _propagate(dag, _levels(dag), sketch, np.maximum)

    alpha_m = 0.7213 / (1 + 1.079 / registers)
    power = np.ldexp(1.0, -np.arange(256))
    estimate = np.empty(dag.n)
    step = 1 << 16
    for lo in range(0, dag.n, step):
        block = sketch[lo : lo + step]
        raw = alpha_m * registers**2 / power[block].sum(axis=1)
        zeros = (block == 0).sum(axis=1)
        # Linear counting is the accurate estimator for small sets (most repositories).
        small = (raw <= 2.5 * registers) & (zeros > 0)
        raw[small] = registers * np.log(registers / zeros[small])
        estimate[lo : lo + block.shape[0]] = raw
    return np.rint(np.maximum(estimate[label] - 1.0, 0.0)).astype(np.int64)


# ----------------------------------------------------------------------------- betweenness


def _betweenness_sampled(graph: _Graph, k: int, seed: int) -> np.ndarray:
    """Brandes from ``k`` random sources, vectorised per BFS level, networkx's estimator.

    Walks edges backwards (dependency -> dependents): reversing every edge reverses every
    shortest path, so betweenness is unchanged and the in-edge CSR we already have suffices.
    """
    n = graph.n
    k = min(k, n)
    if n < 3 or graph.m == 0 or k <= 0:
        return np.zeros(n)
    rng = np.random.default_rng(seed)
    sources = np.arange(n) if k == n else rng.choice(n, size=k, replace=False)
    indptr, neighbours = graph.indptr_in, graph.src
    total = np.zeros(n)
    dist = np.full(n, -1, dtype=np.int32)
    sigma = np.zeros(n)
    delta = np.zeros(n)
    for s in sources.tolist():
        dist[s], sigma[s] = 0, 1.0
        frontier = np.array([s], dtype=np.int64)
        reached = [frontier]
        levels = []
        depth = 0
        while True:
            starts = indptr[frontier].astype(np.int64)
            counts = indptr[frontier + 1] - starts
            size = int(counts.sum())
            if size == 0:
                break
            v = np.repeat(frontier, counts)
            w = neighbours[_ranges(starts, counts, size)]
            fresh = dist[w] < 0
            if not fresh.any():
                break
            v, w = v[fresh], w[fresh]
            new, slot = np.unique(w, return_inverse=True)
            depth += 1
            dist[new] = depth
            sigma[new] = np.bincount(slot, weights=sigma[v], minlength=new.size)
            levels.append((v, w))
            reached.append(new)
            frontier = new
        for v, w in reversed(levels):
            share = sigma[v] / sigma[w] * (1.0 + delta[w])
            parents, slot = np.unique(v, return_inverse=True)
            delta[parents] += np.bincount(slot, weights=share, minlength=parents.size)
        delta[s] = 0.0
        seen = np.concatenate(reached)
        total[seen] += delta[seen]
        dist[seen], sigma[seen], delta[seen] = -1, 0.0, 0.0
    scale = np.full(n, 1.0 / (k * (n - 2)))
    scale[sources] = 1.0 / ((k - 1) * (n - 2)) if k > 1 else 0.0
    return total * scale


# ---------------------------------------------------------------------------------- scoring


def _capped_log(values: np.ndarray, threshold: float) -> np.ndarray:
    return np.minimum(1.0, np.log1p(np.maximum(values, 0)) / math.log1p(threshold))


def impact_scores_arrays(
    n_nodes: int,
    src: np.ndarray,
    dst: np.ndarray,
    stars: np.ndarray,
    forks: np.ndarray,
    weights: ImpactWeights = ImpactWeights(),
    *,
    betweenness_k: int = BETWEENNESS_K,
    seed: int = 0,
    exact: bool | None = None,
) -> dict[str, np.ndarray]:
    """Columnar impact scoring: node ``i`` is row ``i`` of every returned array.

    ``src[j] -> dst[j]`` says node ``src[j]`` depends on ``dst[j]``. ``exact=None`` picks the
    reach count by graph size (``SMALL_GRAPH_MAX_EDGES``, ``SMALL_GRAPH_MAX_NODES``);
    ``exact_reach`` in the result says which one ran. Everything else is one path.
    Returned keys mirror ``ImpactBreakdown``.
    """
    stars = np.asarray(stars)
    forks = np.asarray(forks)
    if stars.shape != (n_nodes,) or forks.shape != (n_nodes,):
        raise ValueError("stars and forks need one entry per node")
    graph = _prepare(src, dst, n_nodes, drop_self_loops=True)
    if exact is None:
        exact = graph.m <= SMALL_GRAPH_MAX_EDGES and n_nodes <= SMALL_GRAPH_MAX_NODES
    direct = np.diff(graph.indptr_in).astype(np.int64)
    rank = _pagerank(graph, PAGERANK_ALPHA, 1e-6, 100) if n_nodes else np.zeros(0)
    if exact:
        reach = _exact_reach(graph)
    else:
        reach = np.clip(_approximate_reach(graph, seed), direct, max(n_nodes - 1, 0))
    between = _betweenness_sampled(graph, betweenness_k, seed)
    del graph

    components = {
        "direct_dependents": _capped_log(direct, DIRECT_DEPENDENTS_THRESHOLD),
        "transitive_dependents": _capped_log(reach, TRANSITIVE_DEPENDENTS_THRESHOLD),
        "pagerank": _capped_log(rank * n_nodes, PAGERANK_RATIO_THRESHOLD),
        "betweenness": _capped_log(
            between * max(n_nodes - 1, 0) * max(n_nodes - 2, 0), BETWEENNESS_PAIRS_THRESHOLD
        ),
        "stars": _capped_log(stars, STARS_THRESHOLD),
        "forks": _capped_log(forks, FORKS_THRESHOLD),
    }
    score = np.zeros(n_nodes)
    for name, weight in weights.normalized().items():
        score += weight * components[name]
    return {
        "score": np.clip(score, 0.0, 1.0),
        "direct_dependents": direct,
        "transitive_dependents": reach,
        "pagerank": rank,
        "betweenness": between,
        "direct_component": components["direct_dependents"],
        "transitive_component": components["transitive_dependents"],
        "pagerank_component": components["pagerank"],
        "betweenness_component": components["betweenness"],
        "stars_component": components["stars"],
        "forks_component": components["forks"],
        "exact_reach": np.array(exact),
    }


def impact_scores(
    repos: Sequence[RepoNode],
    edges: Sequence[DependencyEdge] | tuple[np.ndarray, np.ndarray],
    weights: ImpactWeights = ImpactWeights(),
    *,
    betweenness_k: int = BETWEENNESS_K,
    seed: int = 0,
) -> list[ImpactBreakdown]:
    """Impact of every repository in ``repos`` (same order).

    ``edges`` are ``DependencyEdge`` records, or ``(src, dst)`` index arrays into ``repos``.
    Names match case-insensitively (GitHub's are). A name that appears only in an edge
    becomes an unscored node with no stars or forks: it still counts as a dependent.
    """
    index: dict[str, int] = {}
    for i, repo in enumerate(repos):
        key = repo.full_name.lower()
        if key in index:
            raise ValueError(f"repository listed twice: {repo.full_name}")
        index[key] = i
    n_known = len(repos)
    if isinstance(edges, tuple) and len(edges) == 2 and not isinstance(edges[0], DependencyEdge):
        src, dst = (np.asarray(a, dtype=np.int64) for a in edges)
        n_nodes = n_known
    else:
        pairs = np.empty((len(edges), 2), dtype=np.int64)
        for j, edge in enumerate(edges):
            for side, name in enumerate((edge.dependent, edge.dependency)):
                pairs[j, side] = index.setdefault(name.lower(), len(index))
        src, dst = pairs[:, 0], pairs[:, 1]
        n_nodes = len(index)
    stars = np.zeros(n_nodes, dtype=np.int64)
    forks = np.zeros(n_nodes, dtype=np.int64)
    stars[:n_known] = [r.stars for r in repos]
    forks[:n_known] = [r.forks for r in repos]
    out = impact_scores_arrays(
        n_nodes, src, dst, stars, forks, weights, betweenness_k=betweenness_k, seed=seed
    )
    exact = bool(out["exact_reach"])
    return [
        ImpactBreakdown(
            full_name=repo.full_name,
            score=float(out["score"][i]),
            direct_dependents=int(out["direct_dependents"][i]),
            transitive_dependents=int(out["transitive_dependents"][i]),
            pagerank=float(out["pagerank"][i]),
            betweenness=float(out["betweenness"][i]),
            stars=repo.stars,
            forks=repo.forks,
            direct_component=float(out["direct_component"][i]),
            transitive_component=float(out["transitive_component"][i]),
            pagerank_component=float(out["pagerank_component"][i]),
            betweenness_component=float(out["betweenness_component"][i]),
            stars_component=float(out["stars_component"][i]),
            forks_component=float(out["forks_component"][i]),
            exact_reach=exact,
        )
        for i, repo in enumerate(repos)
    ]
