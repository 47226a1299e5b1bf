"""Redundancy: which repositories of a language do the same job, and which one should survive?

Similarity
----------
Each repository is a sentence embedding of its README text (see ``llm/embeddings.py``). Rows are
L2-normalised here again (a zero row stays zero and is similar to nothing), so the similarity of
two repositories is the cosine ``sim(a, b) = u_a . u_b`` in [-1, 1].

Pairs are found by chunked matrix products: rows are taken ``chunk_rows`` at a time (at most
``CHUNK_ROWS``, fewer when a block would exceed ``BLOCK_ELEMENTS`` floats) and multiplied with
every later row, so only the upper triangle is computed, memory stays bounded, and only pairs with
``sim >= threshold`` are ever turned into Python objects. Cost: ``n^2 / 2 * dim`` multiply-adds
per block of ``n`` rows, in BLAS.

Clusters
--------
Repositories are compared only inside their group (their language): a Python and a Rust library
doing the same thing are not redundant, each serves its own ecosystem. Within a group, every pair
with ``sim >= threshold`` (``DEFAULT_THRESHOLD`` = 0.8) is an edge and a cluster is a connected
component of size >= 2 (union-find), so overlap is transitive: if a~b and b~c, all three are one
cluster even when ``sim(a, c)`` is below the threshold.

Recommendations
---------------
One member per cluster is kept: the first in this order (each key breaks ties of the previous):

1. viable first: health >= ``MIN_KEEP_HEALTH`` (a dead project is never the one to keep while a
   live one exists);
2. more dependents (deprecating a depended-upon project forces every dependent to migrate);
3. higher health, 4. higher impact, 5. more stars, 6. name (alphabetical, for determinism).

Every other member is advised to ``merge`` into the kept one when it is strong, i.e. health >=
``STRONG_HEALTH`` or at least ``STRONG_DEPENDENTS_SHARE`` of the kept member's dependents (its
users and maintainers are worth keeping, its distinct features worth folding in); otherwise to
``deprecate`` (point its users at the kept one). A member without stats counts as health 0,
impact 0, no dependents and no stars, and its reason says the stats were missing.

Penalty
-------
The ranking lowers the priority of issues in redundant repositories::

    penalty = 0                                               if kept, or max_sim < threshold
    penalty = (max_sim - threshold) / (1 - threshold)         otherwise, clipped to [0, 1]

``max_sim`` is the repository's highest similarity within its group. The penalty rises linearly
from 0 at the threshold to 1 for an exact duplicate: fixing a bug in a near-copy helps few
people the kept project would not already serve. A missing (NaN) similarity gives no penalty.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

DEFAULT_THRESHOLD = 0.8
# 2048 rows x 16k columns of float32 is 128 MiB: big enough for BLAS to run at full speed,
# small enough that a 10^5-row block never needs gigabytes.
CHUNK_ROWS = 2048
BLOCK_ELEMENTS = 32 * 1024 * 1024

MIN_KEEP_HEALTH = 0.4
STRONG_HEALTH = 0.6
STRONG_DEPENDENTS_SHARE = 0.25

Action = Literal["keep", "deprecate", "merge"]


@dataclass(frozen=True)
class Cluster:
    """Repositories of one group that overlap; ``similarities`` holds the edges that join them.

    ``members`` are sorted by name. ``similarities`` maps ``(a, b)`` with ``a < b`` to the cosine
    of every within-cluster pair at or above the threshold. ``max_similarity``/``most_similar``
    give each member's nearest neighbour, which is always inside its own cluster.
    """

    group: str
    members: tuple[str, ...]
    similarities: Mapping[tuple[str, str], float]
    max_similarity: Mapping[str, float] = field(default_factory=dict)
    most_similar: Mapping[str, str] = field(default_factory=dict)

    def similarity(self, a: str, b: str) -> float | None:
        """The cosine of an edge of the cluster, or None when ``a`` and ``b`` are not joined."""
        return self.similarities.get((a, b) if a < b else (b, a))


@dataclass(frozen=True)
class RepoStats:
    health: float | None
    impact: float | None
    dependents: int
    stars: int


@dataclass(frozen=True)
class Recommendation:
    repository: str
    action: Action
    reason: str


# --------------------------------------------------------------------------- similarity


def _unit_rows(vectors: np.ndarray) -> np.ndarray:
    array = np.asarray(vectors, dtype=np.float32)
    if array.ndim != 2:
        raise ValueError(f"vectors must be a 2-D array (n, dim), got shape {array.shape}")
    if not np.isfinite(array).all():
        raise ValueError("vectors contain NaN or infinite values")
    norms = np.linalg.norm(array, axis=1, keepdims=True)
    # A zero row (an empty text) would divide by zero; left at zero it matches nothing.
    return array / np.where(norms > 0, norms, 1.0).astype(np.float32)


def _check_names(names: Sequence[str], n: int, what: str = "names") -> None:
    if len(names) != n:
        raise ValueError(f"{what} has {len(names)} entries for {n} vectors")


def _check_threshold(threshold: float) -> None:
    if not -1.0 <= threshold <= 1.0:
        raise ValueError(f"threshold must lie in [-1, 1], got {threshold}")


def _rows_per_chunk(n: int, chunk_rows: int) -> int:
    if chunk_rows < 1:
        raise ValueError("chunk_rows must be at least 1")
    return max(1, min(chunk_rows, BLOCK_ELEMENTS // max(n, 1)))


def _pair_indices(
    unit: np.ndarray, threshold: float, chunk_rows: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Index pairs ``i < j`` of unit rows with cosine >= threshold, and their cosines."""
    n = unit.shape[0]
    step = _rows_per_chunk(n, chunk_rows)
    found_i: list[np.ndarray] = []
    found_j: list[np.ndarray] = []
    found_s: list[np.ndarray] = []
    for start in range(0, n, step):
        stop = min(n, start + step)
        # Columns from ``start`` on: the block's left square holds the diagonal, everything to
        # the right is the upper triangle; rows before ``start`` were paired with it already.
        block = unit[start:stop] @ unit[start:].T
        rows, cols = np.nonzero(block >= threshold)
        upper = cols > rows
        rows, cols = rows[upper], cols[upper]
        found_i.append(rows + start)
        found_j.append(cols + start)
        found_s.append(block[rows, cols])
    if not found_i:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0, dtype=np.float32)
    i, j = np.concatenate(found_i), np.concatenate(found_j)
    sims = np.clip(np.concatenate(found_s), -1.0, 1.0)
    zero = ~unit.any(axis=1)
    if zero.any():  # with a threshold <= 0 a zero row would otherwise join everything
        keep = ~(zero[i] | zero[j])
        i, j, sims = i[keep], j[keep], sims[keep]
    return i, j, sims


def similarity_pairs(
    vectors: np.ndarray,
    names: Sequence[str],
    threshold: float = DEFAULT_THRESHOLD,
    *,
    chunk_rows: int = CHUNK_ROWS,
) -> list[tuple[str, str, float]]:
    """Every pair ``(a, b, cosine)`` with cosine >= threshold, ``a`` before ``b`` in ``names``.

    Sorted by decreasing similarity, then by position, so the output is deterministic.
    """
    unit = _unit_rows(vectors)
    _check_names(names, unit.shape[0])
    _check_threshold(threshold)
    i, j, sims = _pair_indices(unit, threshold, chunk_rows)
    order = np.lexsort((j, i, -sims))
    return [(names[i[k]], names[j[k]], float(sims[k])) for k in order]


def pairwise_table(vectors: np.ndarray, names: Sequence[str]) -> np.ndarray:
    """The full cosine matrix (n x n, float64, symmetric, 1 on the diagonal of non-zero rows).

    For comparing a handful of named repositories; the quadratic matrix is not meant for more.
    """
    unit = _unit_rows(vectors)
    _check_names(names, unit.shape[0])
    unit64 = unit.astype(np.float64)
    return np.clip(unit64 @ unit64.T, -1.0, 1.0)


def nearest_neighbors(
    vectors: np.ndarray,
    names: Sequence[str],
    groups: Sequence[str] | None = None,
    *,
    chunk_rows: int = CHUNK_ROWS,
) -> list[tuple[str | None, float]]:
    """For each row, its most similar other row of the same group and the cosine.

    ``(None, 0.0)`` for a row alone in its group. Ties go to the earlier row in ``names``.
    """
    unit = _unit_rows(vectors)
    n = unit.shape[0]
    _check_names(names, n)
    labels = [""] * n if groups is None else groups
    _check_names(labels, n, "groups")
    result: list[tuple[str | None, float]] = [(None, 0.0)] * n
    for rows in _group_rows(labels):
        if rows.size < 2:
            continue
        block_unit = unit[rows]
        step = _rows_per_chunk(rows.size, chunk_rows)
        for start in range(0, rows.size, step):
            stop = min(rows.size, start + step)
            block = block_unit[start:stop] @ block_unit.T
            block[np.arange(stop - start), np.arange(start, stop)] = -np.inf  # not oneself
            best = np.argmax(block, axis=1)
            for local, col in enumerate(best):
                sim = float(np.clip(block[local, col], -1.0, 1.0))
                result[int(rows[start + local])] = (names[int(rows[col])], sim)
    return result


# --------------------------------------------------------------------------- clusters


def _group_rows(groups: Sequence[str]) -> list[np.ndarray]:
    """Row indices of each group, groups in sorted order, rows ascending."""
    keys, inverse = np.unique(np.asarray(groups, dtype=object).astype(str), return_inverse=True)
    order = np.argsort(inverse, kind="stable")
    bounds = np.searchsorted(inverse[order], np.arange(len(keys) + 1))
    return [order[bounds[k] : bounds[k + 1]] for k in range(len(keys))]


def _find(parent: list[int], x: int) -> int:
    root = x
    while parent[root] != root:
        root = parent[root]
    while parent[x] != root:  # path compression keeps later finds near O(1)
        parent[x], x = root, parent[x]
    return root


def cluster(
    vectors: np.ndarray,
    names: Sequence[str],
    groups: Sequence[str],
    threshold: float = DEFAULT_THRESHOLD,
    *,
    chunk_rows: int = CHUNK_ROWS,
) -> list[Cluster]:
    """Connected components (size >= 2) of the above-threshold graph, within each group.

    Clusters come sorted by group, then largest first, then by first member name, so an index
    into the list is a stable identifier for the same input.
    """
    unit = _unit_rows(vectors)
    n = unit.shape[0]
    _check_names(names, n)
    _check_names(groups, n, "groups")
    _check_threshold(threshold)
    if len(set(names)) != n:
        raise ValueError("names must be unique")
    clusters: list[Cluster] = []
    for rows in _group_rows(groups):
        if rows.size < 2:
            continue
        i_local, j_local, sims = _pair_indices(unit[rows], threshold, chunk_rows)
        if not sims.size:
            continue
        ii, jj = rows[i_local].tolist(), rows[j_local].tolist()
        parent = list(range(rows.size))
        for a, b in zip(i_local.tolist(), j_local.tolist(), strict=True):
            ra, rb = _find(parent, a), _find(parent, b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
        root_of = {g: _find(parent, int(local)) for local, g in zip(i_local, ii, strict=True)}
        root_of.update({g: _find(parent, int(local)) for local, g in zip(j_local, jj, strict=True)})
        components: dict[int, list[int]] = {}
        for g, root in root_of.items():
            components.setdefault(root, []).append(g)
        edges: dict[int, dict[tuple[str, str], float]] = {}
        best: dict[int, tuple[float, int]] = {}
        for a, b, sim in zip(ii, jj, sims.tolist(), strict=True):
            na, nb = names[a], names[b]
            edges.setdefault(root_of[a], {})[(na, nb) if na < nb else (nb, na)] = sim
            for one, other in ((a, b), (b, a)):
                # Pairs arrive in index order, so ">" leaves ties to the earlier neighbour.
                if sim > best.get(one, (-2.0, -1))[0]:
                    best[one] = (sim, other)
        group = str(groups[int(rows[0])])
        found = [
            Cluster(
                group=group,
                members=tuple(sorted(names[m] for m in members)),
                similarities=edges[root],
                max_similarity={names[m]: best[m][0] for m in members},
                most_similar={names[m]: names[best[m][1]] for m in members},
            )
            for root, members in components.items()
        ]
        found.sort(key=lambda c: (-len(c.members), c.members[0]))
        clusters.extend(found)
    return clusters


# --------------------------------------------------------------------------- advice


def _value(x: float | None) -> float:
    return 0.0 if x is None or not math.isfinite(x) else float(x)


def _keep_order(name: str, stats: RepoStats | None) -> tuple[bool, int, float, float, int, str]:
    if stats is None:
        return (True, 0, 0.0, 0.0, 0, name)
    health = _value(stats.health)
    return (
        health < MIN_KEEP_HEALTH,  # False sorts first: viable members lead
        -stats.dependents,
        -health,
        -_value(stats.impact),
        -stats.stars,
        name,
    )


def _describe(stats: RepoStats | None) -> str:
    if stats is None:
        return "no stats recorded"
    return (
        f"health {_value(stats.health):.2f}, {stats.dependents} dependents, "
        f"impact {_value(stats.impact):.2f}, {stats.stars} stars"
    )


def recommend(cluster: Cluster, stats: Mapping[str, RepoStats]) -> list[Recommendation]:
    """Keep one member, advise merge or deprecate for the others (kept member first).

    The order and the strength test are documented in the module docstring.
    """
    ranked = sorted(cluster.members, key=lambda m: _keep_order(m, stats.get(m)))
    if not ranked:
        return []
    kept = ranked[0]
    kept_stats = stats.get(kept)
    kept_dependents = kept_stats.dependents if kept_stats else 0
    others = len(ranked) - 1
    advice = [
        Recommendation(
            kept,
            "keep",
            f"keep: the strongest of {others + 1} overlapping repositories "
            f"({_describe(kept_stats)})",
        )
    ]
    for member in ranked[1:]:
        member_stats = stats.get(member)
        sim = cluster.similarity(member, kept)
        overlap = (
            f"overlaps with {kept} (similarity {sim:.2f})"
            if sim is not None
            else f"overlaps with {kept} through other members of its cluster"
        )
        health = _value(member_stats.health) if member_stats else 0.0
        dependents = member_stats.dependents if member_stats else 0
        strong = health >= STRONG_HEALTH or (
            dependents > 0 and dependents >= STRONG_DEPENDENTS_SHARE * kept_dependents
        )
        if strong:
            advice.append(
                Recommendation(
                    member,
                    "merge",
                    f"merge into {kept}: {overlap}, but is itself strong "
                    f"({_describe(member_stats)}); fold its distinct features and users into "
                    f"{kept} rather than abandon them",
                )
            )
        else:
            advice.append(
                Recommendation(
                    member,
                    "deprecate",
                    f"deprecate in favour of {kept}: {overlap} and is weaker "
                    f"({_describe(member_stats)} vs {_describe(kept_stats)})",
                )
            )
    return advice


def redundancy_penalty(
    max_similarity: float, is_kept: bool, threshold: float = DEFAULT_THRESHOLD
) -> float:
    """Priority penalty in [0, 1] for a repository's issues (formula in the module docstring)."""
    _check_threshold(threshold)
    if is_kept or not math.isfinite(max_similarity) or max_similarity < threshold:
        return 0.0
    if threshold >= 1.0:
        return 1.0  # only exact duplicates reach a threshold of 1
    return min(1.0, max(0.0, (max_similarity - threshold) / (1.0 - threshold)))
