"""The metadata helpers every asset shares: the histogram plot counts every score once."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from globallm_assets.defs.metadata import bar_chart, histogram, rate_chart, score_summary

unit = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)


@given(st.lists(unit, max_size=200), st.integers(min_value=1, max_value=20))
def test_every_score_lands_in_exactly_one_bin(scores: list[float], bins: int) -> None:
    counts = histogram(scores, bins)
    assert len(counts) == bins and sum(counts) == len(scores)
    for value in scores:
        index = min(int(value * bins), bins - 1)
        assert index / bins <= value <= (index + 1) / bins


def test_nan_is_left_out_and_the_top_score_is_in_the_last_bin() -> None:
    assert histogram([math.nan, 1.0, 0.0, 0.05], 10) == [2, 0, 0, 0, 0, 0, 0, 0, 0, 1]


def test_the_longest_bar_is_the_fullest_bin_and_an_empty_bin_has_none() -> None:
    chart = bar_chart(["a", "bb", "c"], [10, 5, 0], width=20)
    lines = chart.strip("`\n").splitlines()
    assert [line.count("█") for line in lines] == [20, 10, 0]
    assert lines[0].startswith(" a │") and lines[2].endswith(" 0")


def test_the_summary_plots_the_scores_it_summarises() -> None:
    metadata = score_summary([0.1, 0.15, 0.9])
    plot = metadata["histogram"].value
    assert "0.1–0.2 │" in plot and plot.count("█") > 0
    assert metadata["median"].value == 0.15


@given(st.lists(st.tuples(st.integers(0, 50), st.integers(0, 50)), min_size=1, max_size=20))
def test_the_rate_chart_draws_each_period_to_scale(periods: list[tuple[int, int]]) -> None:
    pairs = [(min(a, b), max(a, b)) for a, b in periods]  # hits never exceed the total
    chart = rate_chart([f"w{i}" for i in range(len(pairs))], *zip(*pairs, strict=True), width=20)
    lines = chart.strip("`\n").splitlines()
    assert len(lines) == len(pairs)
    for line, (hit, total) in zip(lines, pairs, strict=True):
        if total:
            assert line.count("█") == round(20 * hit / total)
            assert line.count("█") + line.count("·") == 20
            assert line.endswith(f"({hit:,} of {total:,})")
        else:
            assert "█" not in line and line.endswith("(none decided)")
