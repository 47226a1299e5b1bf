from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from globallm_assets.core.redundancy import (
    DEFAULT_THRESHOLD,
    MIN_KEEP_HEALTH,
    STRONG_HEALTH,
    Cluster,
    RepoStats,
    cluster,
    nearest_neighbors,
    pairwise_table,
    recommend,
    redundancy_penalty,
    similarity_pairs,
)


def _unit(rng: np.random.Generator, n: int, dim: int) -> np.ndarray:
    x = rng.standard_normal((n, dim))
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def _near(rng: np.random.Generator, v: np.ndarray, noise: float) -> np.ndarray:
    """A unit vector close to ``v`` (cosine falls as ``noise`` grows)."""
    w = v + noise * rng.standard_normal(v.shape) / math.sqrt(v.shape[-1])
    return w / np.linalg.norm(w)


def _brute_force(vectors: np.ndarray, threshold: float) -> dict[tuple[int, int], float]:
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    full = unit @ unit.T
    n = len(vectors)
    return {
        (i, j): full[i, j] for i in range(n) for j in range(i + 1, n) if full[i, j] >= threshold
    }


def _planted(seed: int, n: int, dim: int = 16) -> np.ndarray:
    rng = np.random.default_rng(seed)
    vectors = _unit(rng, n, dim)
    for k in range(0, n - 1, 5):  # every fifth row gets a near copy, some chains of three
        vectors[k + 1] = _near(rng, vectors[k], 0.3)
    return vectors


# --------------------------------------------------------------------------- pairs


@pytest.mark.parametrize("chunk_rows", [1, 3, 7, 64, 4096])
@pytest.mark.parametrize("threshold", [0.3, DEFAULT_THRESHOLD, 0.95])
def test_chunked_pairs_equal_brute_force(chunk_rows: int, threshold: float) -> None:
    vectors = _planted(seed=11, n=157)
    names = [f"r{i}" for i in range(len(vectors))]
    expected = _brute_force(vectors, threshold)
    got = similarity_pairs(vectors, names, threshold, chunk_rows=chunk_rows)

    # float32 products may round a pair sitting exactly on the threshold the other way.
    def away(sim: float) -> bool:
        return abs(sim - threshold) > 1e-5

    got_keys = {(int(a[1:]), int(b[1:])) for a, b, s in got if away(s)}
    assert got_keys == {k for k, s in expected.items() if away(s)}
    assert len(got_keys) > 0
    for a, b, sim in got:
        assert sim == pytest.approx(expected.get((int(a[1:]), int(b[1:])), sim), abs=1e-5)


@settings(max_examples=60, deadline=None)
@given(
    vectors=hnp.arrays(
        np.float64,
        st.tuples(st.integers(2, 30), st.integers(1, 6)),
        elements=st.integers(-3, 3).map(float),
    ),
    threshold=st.sampled_from([-0.5, 0.0, 0.5, 0.9]),
    chunk_rows=st.integers(1, 8),
)
def test_pairs_match_brute_force_on_arbitrary_vectors(
    vectors: np.ndarray, threshold: float, chunk_rows: int
) -> None:
    names = [f"r{i}" for i in range(len(vectors))]
    norms = np.linalg.norm(vectors, axis=1)
    unit = vectors / np.where(norms > 0, norms, 1.0)[:, None]
    full = unit @ unit.T
    got = {
        (int(a[1:]), int(b[1:]))
        for a, b, _ in similarity_pairs(vectors, names, threshold, chunk_rows=chunk_rows)
    }
    n = len(vectors)
    for i in range(n):
        for j in range(i + 1, n):
            if abs(full[i, j] - threshold) < 1e-5:
                continue  # on the boundary float32 and float64 may disagree
            # A zero row (empty text) pairs with nothing, whatever the threshold.
            expected = full[i, j] >= threshold and norms[i] > 0 and norms[j] > 0
            assert ((i, j) in got) == expected, (i, j, full[i, j])


def test_pairs_sorted_by_similarity_and_ignore_scale() -> None:
    rng = np.random.default_rng(3)
    base = _unit(rng, 4, 8)
    vectors = np.vstack([base, 5.0 * base[0], _near(rng, base[1], 0.2)])  # scaled copy, near copy
    pairs = similarity_pairs(vectors, list("abcdef"), 0.9)
    assert [(a, b) for a, b, _ in pairs[:1]] == [("a", "e")]
    assert pairs[0][2] == pytest.approx(1.0, abs=1e-6)
    assert ("b", "f") in {(a, b) for a, b, _ in pairs}
    sims = [s for _, _, s in pairs]
    assert sims == sorted(sims, reverse=True)


def test_zero_vector_is_similar_to_nothing() -> None:
    vectors = np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 0.0]])
    for threshold in (0.0, -1.0):
        pairs = similarity_pairs(vectors, ["z", "x", "y"], threshold)
        assert [(a, b) for a, b, _ in pairs] == [("x", "y")]


def test_pairs_reject_bad_input() -> None:
    with pytest.raises(ValueError, match="names"):
        similarity_pairs(np.eye(3), ["a", "b"], 0.8)
    with pytest.raises(ValueError, match="2-D"):
        similarity_pairs(np.ones(3), ["a", "b", "c"], 0.8)
    with pytest.raises(ValueError, match="NaN"):
        similarity_pairs(np.array([[np.nan, 1.0], [1.0, 0.0]]), ["a", "b"], 0.8)
    with pytest.raises(ValueError, match="threshold"):
        similarity_pairs(np.eye(2), ["a", "b"], 1.5)


def test_empty_input_gives_nothing() -> None:
    assert similarity_pairs(np.zeros((0, 4)), [], 0.8) == []
    assert cluster(np.zeros((0, 4)), [], [], 0.8) == []
    assert pairwise_table(np.zeros((0, 4)), []).shape == (0, 0)


def test_pairwise_table_is_the_cosine_matrix() -> None:
    rng = np.random.default_rng(5)
    vectors = rng.standard_normal((4, 6)) * np.array([[1.0], [2.0], [0.5], [3.0]])
    table = pairwise_table(vectors, list("abcd"))
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    np.testing.assert_allclose(table, unit @ unit.T, atol=1e-6)
    np.testing.assert_allclose(np.diag(table), 1.0, atol=1e-6)
    np.testing.assert_array_equal(table, table.T)


def test_nearest_neighbors_within_group_match_brute_force() -> None:
    vectors = _planted(seed=2, n=40, dim=8)
    names = [f"r{i}" for i in range(40)]
    groups = ["python" if i % 3 else "rust" for i in range(40)]
    got = nearest_neighbors(vectors, names, groups, chunk_rows=7)
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    full = unit @ unit.T
    for i, (other, sim) in enumerate(got):
        same = [j for j in range(40) if j != i and groups[j] == groups[i]]
        best = max(same, key=lambda j: full[i, j])
        assert sim == pytest.approx(full[i, best], abs=1e-5)
        assert other is not None and groups[int(other[1:])] == groups[i]
    assert nearest_neighbors(vectors[:1], ["solo"], ["go"]) == [(None, 0.0)]


# --------------------------------------------------------------------------- clusters


def test_clusters_never_cross_groups() -> None:
    rng = np.random.default_rng(8)
    v = _unit(rng, 1, 16)[0]
    # Four copies of one vector: two in Python, two in Rust; plus two unrelated rows.
    vectors = np.vstack([v, v, v, v, *_unit(rng, 2, 16)])
    names = ["py-a", "rs-a", "py-b", "rs-b", "py-c", "rs-c"]
    groups = ["python", "rust", "python", "rust", "python", "rust"]
    found = cluster(vectors, names, groups, 0.8)
    assert [(c.group, c.members) for c in found] == [
        ("python", ("py-a", "py-b")),
        ("rust", ("rs-a", "rs-b")),
    ]
    assert found[0].max_similarity["py-a"] == pytest.approx(1.0, abs=1e-6)
    assert found[0].most_similar == {"py-a": "py-b", "py-b": "py-a"}


def test_overlap_is_transitive_through_a_chain() -> None:
    # a~b and b~c above 0.8, a~c below: union-find puts all three together.
    angle = math.radians(30)  # cos 30° = 0.866, cos 60° = 0.5
    vectors = np.array(
        [[1.0, 0.0], [math.cos(angle), math.sin(angle)], [math.cos(2 * angle), math.sin(2 * angle)]]
    )
    (only,) = cluster(vectors, ["a", "b", "c"], ["go"] * 3, 0.8)
    assert only.members == ("a", "b", "c")
    assert only.similarity("a", "c") is None
    assert only.similarity("c", "b") == pytest.approx(math.cos(angle), abs=1e-6)
    assert only.most_similar["b"] == "a"  # tie between a and c goes to the earlier row


def test_cluster_recovers_planted_groups_among_random_vectors() -> None:
    rng = np.random.default_rng(21)
    n, dim = 600, 64
    vectors = _unit(rng, n, dim)
    groups = [("python", "go", "java")[i % 3] for i in range(n)]
    planted: list[set[int]] = []
    for start in range(0, 90, 9):  # rows start, start+3, start+6 share a group (i % 3)
        members = {start, start + 3, start + 6}
        for m in (start + 3, start + 6):
            vectors[m] = _near(rng, vectors[start], 0.2)
        planted.append(members)
    names = [f"r{i}" for i in range(n)]
    found = cluster(vectors, names, groups, DEFAULT_THRESHOLD, chunk_rows=50)
    assert sorted(tuple(sorted(int(m[1:]) for m in c.members)) for c in found) == sorted(
        tuple(sorted(p)) for p in planted
    )
    assert all(len({groups[int(m[1:])] for m in c.members}) == 1 for c in found)


def test_cluster_rejects_duplicate_names() -> None:
    with pytest.raises(ValueError, match="unique"):
        cluster(np.eye(2), ["a", "a"], ["go", "go"])
    with pytest.raises(ValueError, match="groups"):
        cluster(np.eye(2), ["a", "b"], ["go"])


# --------------------------------------------------------------------------- advice


def _cluster_of(*members: str, sim: float = 0.9) -> Cluster:
    ordered = tuple(sorted(members))
    pairs = {(a, b): sim for i, a in enumerate(ordered) for b in ordered[i + 1 :]}
    return Cluster(group="python", members=ordered, similarities=pairs)


def test_keep_prefers_viable_then_dependents_then_health() -> None:
    stats = {
        "dead-but-popular": RepoStats(health=0.1, impact=0.9, dependents=900, stars=50_000),
        "healthy-few-users": RepoStats(health=0.9, impact=0.2, dependents=3, stars=100),
        "fine-many-users": RepoStats(health=0.5, impact=0.5, dependents=40, stars=900),
        "weak": RepoStats(health=0.45, impact=0.1, dependents=0, stars=5),
    }
    advice = recommend(_cluster_of(*stats), stats)
    assert [a.repository for a in advice] == [
        "fine-many-users",  # viable and most depended upon among the viable
        "healthy-few-users",
        "weak",
        "dead-but-popular",  # below MIN_KEEP_HEALTH: ranked after every viable member
    ]
    assert advice[0].action == "keep"
    actions = {a.repository: a.action for a in advice}
    assert actions["healthy-few-users"] == "merge"  # health >= STRONG_HEALTH
    assert actions["weak"] == "deprecate"
    # Far more dependents than a quarter of the kept member's: strong enough to merge.
    assert actions["dead-but-popular"] == "merge"
    assert all(a.reason for a in advice)
    assert "fine-many-users" in advice[1].reason and "0.90" in advice[1].reason


@pytest.mark.parametrize(
    ("a", "b", "kept"),
    [
        (RepoStats(0.8, 0.1, 5, 10), RepoStats(0.7, 0.9, 5, 10), "a"),  # same dependents: health
        (RepoStats(0.8, 0.1, 5, 10), RepoStats(0.8, 0.9, 5, 10), "b"),  # then impact
        (RepoStats(0.8, 0.5, 5, 10), RepoStats(0.8, 0.5, 5, 99), "b"),  # then stars
        (RepoStats(0.8, 0.5, 5, 10), RepoStats(0.8, 0.5, 5, 10), "a"),  # then name
        (RepoStats(None, None, 0, 0), RepoStats(0.5, None, 0, 0), "b"),  # None health is 0
    ],
)
def test_keep_tie_break_order(a: RepoStats, b: RepoStats, kept: str) -> None:
    advice = recommend(_cluster_of("a", "b"), {"a": a, "b": b})
    assert advice[0].repository == kept and advice[0].action == "keep"


def test_member_without_stats_is_deprecated_with_a_reason() -> None:
    stats = {"known": RepoStats(health=MIN_KEEP_HEALTH, impact=0.3, dependents=2, stars=10)}
    advice = recommend(_cluster_of("known", "unknown"), stats)
    assert [(a.repository, a.action) for a in advice] == [
        ("known", "keep"),
        ("unknown", "deprecate"),
    ]
    assert "no stats" in advice[1].reason


def test_weak_member_joined_only_through_others_says_so() -> None:
    chain = Cluster(
        group="go",
        members=("a", "b", "c"),
        similarities={("a", "b"): 0.85, ("b", "c"): 0.82},
    )
    stats = {
        "a": RepoStats(0.9, 0.9, 50, 1000),
        "b": RepoStats(STRONG_HEALTH - 0.1, 0.2, 1, 10),
        "c": RepoStats(0.2, 0.0, 0, 1),
    }
    advice = {r.repository: r for r in recommend(chain, stats)}
    assert advice["b"].action == "deprecate" and "similarity 0.85" in advice["b"].reason
    assert advice["c"].action == "deprecate" and "through other members" in advice["c"].reason


# --------------------------------------------------------------------------- penalty


def test_penalty_endpoints() -> None:
    assert redundancy_penalty(0.99, is_kept=True) == 0.0
    assert redundancy_penalty(0.79, is_kept=False) == 0.0
    assert redundancy_penalty(DEFAULT_THRESHOLD, is_kept=False) == 0.0
    assert redundancy_penalty(0.9, is_kept=False) == pytest.approx(0.5)
    assert redundancy_penalty(1.0, is_kept=False) == pytest.approx(1.0)
    assert redundancy_penalty(float("nan"), is_kept=False) == 0.0
    assert redundancy_penalty(1.0, is_kept=False, threshold=1.0) == 1.0
    assert redundancy_penalty(0.999, is_kept=False, threshold=1.0) == 0.0


sims = st.floats(min_value=-1.0, max_value=1.0)
thresholds = st.floats(min_value=-1.0, max_value=0.99)


@given(a=sims, b=sims, threshold=thresholds, kept=st.booleans())
def test_penalty_is_bounded_and_monotone(a: float, b: float, threshold: float, kept: bool) -> None:
    low, high = sorted((a, b))
    p_low = redundancy_penalty(low, kept, threshold)
    p_high = redundancy_penalty(high, kept, threshold)
    assert 0.0 <= p_low <= p_high <= 1.0
    if kept or high < threshold:
        assert p_high == 0.0


def test_penalty_rejects_threshold_out_of_range() -> None:
    with pytest.raises(ValueError):
        redundancy_penalty(0.9, False, threshold=2.0)
