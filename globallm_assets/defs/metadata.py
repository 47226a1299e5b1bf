"""Metadata and check helpers every domain's assets share."""

from __future__ import annotations

import math
import statistics
import warnings
from collections.abc import Sequence

import dagster as dg

from globallm_assets.defs.partitions import language_partitions

SCORES_IN_RANGE = "scores_in_unit_interval"


def check_spec(
    name: str, asset: str, description: str, *, per_language: bool, blocking: bool = False
) -> dg.AssetCheckSpec:
    """A check of ``asset``; on a per-language asset it is partitioned the same way, so the UI
    shows one result per language instead of whichever language ran last."""
    with warnings.catch_warnings():
        # Partitioned checks are a preview API in Dagster 1.13; it is what the UI needs.
        warnings.simplefilter("ignore", dg.PreviewWarning)
        return dg.AssetCheckSpec(
            name,
            asset=asset,
            description=description,
            blocking=blocking,
            partitions_def=language_partitions if per_language else None,
        )


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
    """Scores in [0, 1]; blocking, so a broken score never reaches the assets downstream."""
    return check_spec(
        SCORES_IN_RANGE,
        asset,
        "Every score is a number in [0, 1] (NaN fails).",
        per_language=True,
        blocking=True,
    )


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
