from __future__ import annotations

import math

import numpy as np
import pandas as pd
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from globallm_assets.core.priority import (
    COMPONENT_COLUMNS,
    MISSING_VALUES,
    PriorityWeights,
    rank,
    rank_pandas,
)
from globallm_assets.settings import PriorityWeightSettings

COLUMNS = ["health", "impact", "solvability", "urgency", "redundancy_penalty", "cost_penalty"]


def _frame(rows: list[tuple]) -> pl.DataFrame:
    """rows: (repository, number, h, i, s, u, r, c, do_not_touch)."""
    names = ["repository", "number", *COLUMNS, "do_not_touch"]
    return pl.DataFrame(
        [dict(zip(names, row, strict=True)) for row in rows],
        schema={
            "repository": pl.String,
            "number": pl.Int64,
            **dict.fromkeys(COLUMNS, pl.Float64),
            "do_not_touch": pl.Boolean,
        },
        orient="row",
    )


# Default weights: H 0.15, I 0.35, S 0.30, U 0.20, R 0.20, C 0.10.
EXAMPLE = _frame(
    [
        #  repo   no   h    i    s    u    r    c    dnt
        ("a/x", 1, 1.0, 0.8, 0.5, 0.5, 0.0, 0.2, False),
        # .15 + .28 + .15 + .10 - 0 - .02                      = 0.66
        ("b/y", 2, 0.5, 1.0, 0.2, 1.0, 0.5, 0.5, False),
        # .075 + .35 + .06 + .20 - .10 - .05                   = 0.535
        ("c/z", 3, 0.2, 0.4, 1.0, 0.0, 0.0, 0.0, False),
        # .03 + .14 + .30 + 0 - 0 - 0                          = 0.47
        ("a/x", 4, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0, True),
        # would be 1.0, but do_not_touch: dropped
        ("a/x", 5, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0, False),
        # 0 - .20 - .10                                        = -0.3
        ("c/z", 1, 0.2, 0.4, 1.0, 0.0, 0.0, 0.0, False),
        # same as c/z#3 = 0.47; tie broken by number: #1 before #3
        ("b/y", 8, 0.2, 0.4, 1.0, 0.0, 0.0, 0.0, False),
        # same again = 0.47; tie broken by repository: b/y before c/z
    ]
)
EXPECTED_ORDER = [("a/x", 1), ("b/y", 2), ("b/y", 8), ("c/z", 1), ("c/z", 3), ("a/x", 5)]
EXPECTED_PRIORITY = [0.66, 0.535, 0.47, 0.47, 0.47, -0.3]


def _keys(frame: pl.DataFrame) -> list[tuple[str, int]]:
    return list(zip(frame["repository"].to_list(), frame["number"].to_list(), strict=True))


def test_rank_hand_checked_example() -> None:
    ranked = rank(EXAMPLE, PriorityWeights())
    assert _keys(ranked) == EXPECTED_ORDER
    assert ranked["priority"].to_list() == pytest.approx(EXPECTED_PRIORITY)
    first = ranked.row(0, named=True)
    assert [first[c] for c in COMPONENT_COLUMNS] == pytest.approx(
        [0.15, 0.28, 0.15, 0.10, 0.0, -0.02, 0.0]
    )


def test_priority_is_the_sum_of_its_components() -> None:
    ranked = rank(EXAMPLE, PriorityWeights())
    total = ranked.select(pl.sum_horizontal(list(COMPONENT_COLUMNS))).to_series()
    assert ranked["priority"].to_list() == pytest.approx(total.to_list())


def test_article_formula_is_expressible_by_weights() -> None:
    # impact·0.6 + solvability·0.4 − cost
    article = PriorityWeights(
        health=0.0, impact=0.6, solvability=0.4, urgency=0.0, redundancy=0.0, cost=1.0
    )
    ranked = rank(EXAMPLE, article)
    # a/x#1: .48 + .20 - .2 = 0.48      b/y#2: .60 + .08 - .5 = 0.18
    # c/z#3, c/z#1, b/y#8: .24 + .40 - 0 = 0.64        a/x#5: 0 + 0 - 1 = -1.0
    assert _keys(ranked) == [("b/y", 8), ("c/z", 1), ("c/z", 3), ("a/x", 1), ("b/y", 2), ("a/x", 5)]
    assert ranked["priority"].to_list() == pytest.approx([0.64, 0.64, 0.64, 0.48, 0.18, -1.0])


@pytest.mark.parametrize(
    ("top", "expected"),
    [(0, []), (1, EXPECTED_ORDER[:1]), (4, EXPECTED_ORDER[:4]), (100, EXPECTED_ORDER)],
)
def test_top_keeps_the_best_with_deterministic_ties(
    top: int, expected: list[tuple[str, int]]
) -> None:
    assert _keys(rank(EXAMPLE, top=top)) == expected
    assert _pandas_keys(rank_pandas(pd.DataFrame(EXAMPLE.to_dict(as_series=False)), top=top)) == (
        expected
    )


def test_min_priority_filters_before_top() -> None:
    assert _keys(rank(EXAMPLE, min_priority=0.5)) == EXPECTED_ORDER[:2]
    assert _keys(rank(EXAMPLE, min_priority=0.47, top=4)) == EXPECTED_ORDER[:4]


def test_missing_values_take_their_documented_effect() -> None:
    frame = _frame(
        [
            ("o/a", 1, None, 0.5, 0.5, 0.5, None, None, False),
            ("o/a", 2, float("nan"), 0.5, 0.5, 0.5, float("nan"), float("nan"), False),
            ("o/a", 3, 7.0, 0.5, 0.5, 0.5, -3.0, 0.0, False),  # clipped to [0, 1]
            ("o/a", 4, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0, None),  # unknown flag: excluded
        ]
    )
    ranked = rank(frame).sort("number")
    assert ranked["number"].to_list() == [1, 2, 3]
    assert MISSING_VALUES["cost_penalty"] == 1.0
    for row in ranked.iter_rows(named=True):
        if row["number"] in (1, 2):
            assert row["c_health"] == 0.0
            assert row["c_redundancy"] == 0.0
            assert row["c_cost"] == pytest.approx(-0.10)
        else:
            assert row["c_health"] == pytest.approx(0.15)
            assert row["c_redundancy"] == 0.0


def test_extra_columns_are_kept_and_input_is_unchanged() -> None:
    frame = EXAMPLE.with_columns(pl.lit("t").alias("title"))
    before = frame.clone()
    ranked = rank(frame)
    assert "title" in ranked.columns
    assert frame.equals(before)
    pdf = pd.DataFrame(frame.to_dict(as_series=False))
    pdf_before = pdf.copy()
    rank_pandas(pdf)
    pd.testing.assert_frame_equal(pdf, pdf_before)


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="cost_penalty"):
        rank(EXAMPLE.drop("cost_penalty"))
    with pytest.raises(ValueError, match="top"):
        rank(EXAMPLE, top=-1)
    with pytest.raises(ValueError, match="redundancy"):
        PriorityWeights(redundancy=-0.1)
    with pytest.raises(ValueError, match="impact"):
        PriorityWeights(impact=math.inf)


def test_settings_map_onto_weights_by_name() -> None:
    weights = PriorityWeights(**PriorityWeightSettings().model_dump())
    assert weights == PriorityWeights()


def _random_columns(seed: int, n: int) -> dict[str, np.ndarray]:
    """Plain numpy columns, so both libraries load them without conversion."""
    rng = np.random.default_rng(seed)
    names = np.array([f"owner{i}/repo{i}" for i in range(50)])
    data = {
        "repository": names[rng.integers(0, 50, n)],
        # (repository, number) identifies an issue, so keys are unique as in real data.
        "number": rng.permutation(n) + 1,
        # Coarse values so that exact ties are common.
        **{c: rng.integers(0, 5, n) / 4 for c in COLUMNS},
        "do_not_touch": rng.random(n) < 0.15,
    }
    data["health"][rng.random(n) < 0.05] = np.nan
    data["cost_penalty"][rng.random(n) < 0.05] = np.nan
    return data


def _pandas_keys(frame: pd.DataFrame) -> list[tuple[str, int]]:
    return list(zip(frame["repository"], frame["number"], strict=True))


@pytest.mark.parametrize(
    ("top", "min_priority"), [(None, None), (25, None), (None, 0.3), (10, 0.2)]
)
def test_polars_and_pandas_agree_on_a_random_frame(
    top: int | None, min_priority: float | None
) -> None:
    data = _random_columns(seed=11, n=2_000)
    weights = PriorityWeights(health=0.1, impact=0.4, solvability=0.3, urgency=0.2)
    by_pandas = rank_pandas(pd.DataFrame(data), weights, top=top, min_priority=min_priority)
    by_polars = rank(pl.DataFrame(data), weights, top=top, min_priority=min_priority)
    assert len(by_polars) == len(by_pandas) > 0
    assert by_polars["repository"].to_list() == by_pandas["repository"].tolist()
    assert by_polars["number"].to_list() == by_pandas["number"].tolist()
    for column in (*COMPONENT_COLUMNS, "priority"):
        assert by_polars[column].to_list() == pytest.approx(by_pandas[column].tolist())


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=0, max_value=10**6), st.integers(min_value=1, max_value=300))
def test_ranking_is_sorted_and_never_returns_untouchable_issues(seed: int, n: int) -> None:
    frame = pl.DataFrame(_random_columns(seed, n)).with_row_index("row")
    ranked = rank(frame)
    untouchable = set(frame.filter(pl.col("do_not_touch"))["row"].to_list())
    assert not untouchable & set(ranked["row"].to_list())
    assert ranked.height == n - len(untouchable)
    priorities = ranked["priority"].to_list()
    assert priorities == sorted(priorities, reverse=True)


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=0, max_value=10**6), st.floats(min_value=0.0, max_value=1.0))
def test_raising_solvability_never_lowers_an_issues_priority(seed: int, delta: float) -> None:
    frame = pl.DataFrame(_random_columns(seed, 50)).with_columns(
        pl.lit(False).alias("do_not_touch"), pl.int_range(pl.len()).alias("number")
    )
    better = frame.with_columns((pl.col("solvability") + delta).alias("solvability"))
    before = rank(frame).sort("number")["priority"].to_list()
    after = rank(better).sort("number")["priority"].to_list()
    assert all(b >= a - 1e-12 for a, b in zip(before, after, strict=True))


def test_empty_input_gives_an_empty_ranking_with_every_column() -> None:
    ranked = rank(EXAMPLE.clear(), top=5)
    assert ranked.is_empty()
    assert [*EXAMPLE.columns, *COMPONENT_COLUMNS, "priority"] == ranked.columns
