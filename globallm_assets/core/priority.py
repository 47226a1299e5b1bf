"""PriorityScore: which issues agents should work on first, across repositories.

Formula
-------
::

    priority = wH·health + wI·impact + wS·solvability + wU·urgency
               − wR·redundancy_penalty − wC·cost_penalty + wA·(2·acceptance − 1)

with the weights of ``PriorityWeights`` (defaults wH 0.15, wI 0.35, wS 0.30, wU 0.20, wR 0.20,
wC 0.10, wA 0.20). The weights are used as given, not normalised: the penalties must be able to
pull a score down, and a weight of 0 removes a term. Each term is returned as its own column
(``c_health``, ``c_impact``, ``c_solvability``, ``c_urgency``, the negative ``c_redundancy``
and ``c_cost``, and the signed ``c_acceptance``), and ``priority`` is exactly their sum, so
analysts see why an issue ranks where it does.

``acceptance`` is the repository's learned willingness to merge automated pull requests
(``core/learning.py``): 0.5 is neutral (no evidence, or as much as the prior expects), so the
term lies in [−wA, +wA] and is 0 for every repository GlobaLLM has not contributed to yet. It is
the one centred term: a repository that merges is lifted, one that rejects is pushed down.

The article's simpler rule ``impact·0.6 + solvability·0.4 − cost`` is this formula with
``PriorityWeights(health=0, impact=0.6, solvability=0.4, urgency=0, redundancy=0, cost=1)``.

Inputs
------
``health``, ``impact``, ``solvability``, ``urgency``, ``redundancy_penalty``, ``cost_penalty``
and ``acceptance`` are expected in [0, 1] and are clipped to it, so one bad upstream value cannot
dominate the ranking. ``acceptance`` is optional: a frame without it ranks as if every repository
were neutral. A missing value (null or NaN) takes ``MISSING_VALUES[column]``: no credit
for an unknown benefit (0), no penalty for unknown redundancy (0, as the ``issue_priorities``
view does: most repositories overlap with nothing), and the full penalty for an unknown cost (1),
so an issue whose cost was never estimated cannot beat a cheap one; unknown acceptance is
neutral (``ACCEPTANCE_NEUTRAL``).

Rows with ``do_not_touch`` true or null are dropped: an agent touches an issue only when we
positively know it may. The result is sorted by
``priority`` descending, then ``repository`` and ``number`` ascending, so ties always come out in
the same order (``repository``, ``number`` identify an issue and are assumed unique).

``rank`` is vectorised with polars expressions (one lazy query, with ``top_k`` when ``top`` is
given). ``rank_pandas`` computes the same thing with pandas and exists for the benchmark's
comparison and as an executable second reading of the formula.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from globallm_assets.core.weights import PriorityWeights

if TYPE_CHECKING:
    import pandas as pd

# (input column, PriorityWeights field, output column, sign)
TERMS: tuple[tuple[str, str, str, float], ...] = (
    ("health", "health", "c_health", 1.0),
    ("impact", "impact", "c_impact", 1.0),
    ("solvability", "solvability", "c_solvability", 1.0),
    ("urgency", "urgency", "c_urgency", 1.0),
    ("redundancy_penalty", "redundancy", "c_redundancy", -1.0),
    ("cost_penalty", "cost", "c_cost", -1.0),
)
MISSING_VALUES: dict[str, float] = {
    "health": 0.0,
    "impact": 0.0,
    "solvability": 0.0,
    "urgency": 0.0,
    "redundancy_penalty": 0.0,
    "cost_penalty": 1.0,
}
# The centred term: input column, PriorityWeights field, output column.
ACCEPTANCE_TERM = ("acceptance", "acceptance", "c_acceptance")
ACCEPTANCE_NEUTRAL = 0.5
REQUIRED_COLUMNS: tuple[str, ...] = (
    "repository",
    "number",
    *(column for column, *_ in TERMS),
    "do_not_touch",
)
COMPONENT_COLUMNS: tuple[str, ...] = (*(out for _, _, out, _ in TERMS), ACCEPTANCE_TERM[2])
SORT_COLUMNS = ("priority", "repository", "number")


def _check(columns: list[str], top: int | None) -> None:
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise ValueError(f"ranking input lacks column(s): {', '.join(missing)}")
    if top is not None and top < 0:
        raise ValueError(f"top must be >= 0, not {top}")


def priority_expressions(weights: PriorityWeights, *, acceptance: bool = True) -> list[pl.Expr]:
    """The ``c_*`` component columns, as polars expressions (``acceptance``: whether the frame
    has that column; without it the term is neutral)."""
    parts: list[pl.Expr] = []
    for column, weight_name, out, sign in TERMS:
        value = (
            pl.col(column)
            .cast(pl.Float64)
            .fill_nan(None)
            .fill_null(MISSING_VALUES[column])
            .clip(0.0, 1.0)
        )
        parts.append((value * (sign * getattr(weights, weight_name))).alias(out))
    column, weight_name, out = ACCEPTANCE_TERM
    if acceptance:
        value = (
            pl.col(column)
            .cast(pl.Float64)
            .fill_nan(None)
            .fill_null(ACCEPTANCE_NEUTRAL)
            .clip(0.0, 1.0)
        )
    else:
        value = pl.lit(ACCEPTANCE_NEUTRAL, dtype=pl.Float64)
    parts.append(((value * 2.0 - 1.0) * getattr(weights, weight_name)).alias(out))
    return parts


def rank(
    frame: pl.DataFrame,
    weights: PriorityWeights = PriorityWeights(),
    *,
    top: int | None = None,
    min_priority: float | None = None,
) -> pl.DataFrame:
    """Score and order issues (formula in the module docstring).

    Returns ``frame``'s columns plus ``c_*`` and ``priority``, without do-not-touch rows, sorted
    by priority (ties: repository, number); only the ``top`` best when given, and only rows with
    ``priority >= min_priority`` when given.
    """
    _check(frame.columns, top)
    # Summed left to right in TERMS order, like rank_pandas, so both give identical floats.
    priority = pl.col(COMPONENT_COLUMNS[0])
    for out in COMPONENT_COLUMNS[1:]:
        priority = priority + pl.col(out)
    query = (
        frame.lazy()
        .filter(pl.col("do_not_touch").fill_null(True).not_())
        .with_columns(priority_expressions(weights, acceptance=ACCEPTANCE_TERM[0] in frame.columns))
        .with_columns(priority.alias("priority"))
    )
    if min_priority is not None:
        query = query.filter(pl.col("priority") >= min_priority)
    if top is not None:
        # Largest priority, then smallest repository and number: the same order as the sort.
        query = query.top_k(top, by=list(SORT_COLUMNS), reverse=[False, True, True])
    query = query.sort(list(SORT_COLUMNS), descending=[True, False, False])
    return query.collect()


def rank_pandas(
    df: pd.DataFrame,
    weights: PriorityWeights = PriorityWeights(),
    *,
    top: int | None = None,
    min_priority: float | None = None,
) -> pd.DataFrame:
    """``rank`` with plain pandas operations (same columns, order and values)."""
    _check(list(df.columns), top)
    keep = ~df["do_not_touch"].astype("boolean").fillna(True).to_numpy(dtype=bool)
    out = df.loc[keep].copy()
    for column, weight_name, name, sign in TERMS:
        value = out[column].astype("float64").fillna(MISSING_VALUES[column]).clip(0.0, 1.0)
        out[name] = value * (sign * getattr(weights, weight_name))
    column, weight_name, name = ACCEPTANCE_TERM
    value = (
        out[column].astype("float64").fillna(ACCEPTANCE_NEUTRAL).clip(0.0, 1.0)
        if column in out.columns
        else ACCEPTANCE_NEUTRAL
    )
    out[name] = (value * 2.0 - 1.0) * getattr(weights, weight_name)
    priority = out[COMPONENT_COLUMNS[0]]
    for name in COMPONENT_COLUMNS[1:]:
        priority = priority + out[name]
    out["priority"] = priority
    if min_priority is not None:
        out = out.loc[out["priority"] >= min_priority]
    out = out.sort_values(list(SORT_COLUMNS), ascending=[False, True, True], kind="stable")
    if top is not None:
        out = out.head(top)
    return out.reset_index(drop=True)
