"""Metadata and check helpers every domain's assets share."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence

import dagster as dg

SCORES_IN_RANGE = "scores_in_unit_interval"


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A small markdown table for asset metadata (Dagster renders it in the UI)."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        cells = [f"{c:.3f}" if isinstance(c, float) else str(c) for c in row]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def score_summary(scores: Sequence[float]) -> dict[str, dg.MetadataValue]:
    """Count, min/median/max and a five-bucket histogram of scores in [0, 1]."""
    if not scores:
        return {"rows": dg.MetadataValue.int(0)}
    ordered = sorted(scores)
    buckets = [0] * 5
    for value in ordered:
        if not math.isnan(value):
            buckets[max(0, min(int(value * 5), 4))] += 1
    distribution = ", ".join(f"{i / 5:.1f}–{(i + 1) / 5:.1f}: {n}" for i, n in enumerate(buckets))
    return {
        "rows": dg.MetadataValue.int(len(scores)),
        "min": dg.MetadataValue.float(round(ordered[0], 3)),
        "median": dg.MetadataValue.float(round(statistics.median(ordered), 3)),
        "max": dg.MetadataValue.float(round(ordered[-1], 3)),
        "distribution": dg.MetadataValue.text(distribution),
    }


def range_spec(asset: str) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(SCORES_IN_RANGE, asset=asset, description="scores in [0,1], no NaN")


def range_check(asset_key: str, scores: Sequence[float]) -> dg.AssetCheckResult:
    """Every score is a number in [0, 1] (NaN counts as a failure)."""
    bad = [s for s in scores if not (isinstance(s, float | int) and 0.0 <= s <= 1.0)]
    nan = sum(1 for s in scores if isinstance(s, float) and math.isnan(s))
    return dg.AssetCheckResult(
        check_name=SCORES_IN_RANGE,
        asset_key=asset_key,
        passed=not bad,
        metadata={"out_of_range": len(bad) - nan, "nan": nan, "checked": len(scores)},
    )
