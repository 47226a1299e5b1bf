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
    """A check of `asset`; on a per-language asset it is partitioned the same way, so the UI
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


# Round scores shown in the UI: three decimals separate any two repositories worth telling apart.
DIGITS = 3

Column = tuple[str, str]  # (name, type shown in the UI)


def rounded(value: object) -> object:
    return round(value, DIGITS) if isinstance(value, float) else value


def postgres_table(table: str, columns: Sequence[tuple[str, str, str]]) -> dict[str, object]:
    """Definition metadata: the PostgreSQL table behind an asset and the columns it writes
    (name, type, meaning), so the UI shows where to query the asset."""
    return {
        "dagster/table_name": f"public.{table}",
        "dagster/column_schema": dg.TableSchema(
            columns=[dg.TableColumn(name, kind, description=text) for name, kind, text in columns]
        ),
    }


def row_count(rows: int) -> dict[str, dg.MetadataValue]:
    return {"dagster/row_count": dg.MetadataValue.int(rows)}


def top_table(columns: Sequence[Column], rows: Sequence[Sequence[object]]) -> dg.MetadataValue:
    """A small sortable table (the best N rows) with its schema, numbers rounded."""
    schema = dg.TableSchema(columns=[dg.TableColumn(name, kind) for name, kind in columns])
    records = [
        dg.TableRecord(
            {name: rounded(value) for (name, _), value in zip(columns, row, strict=True)}
        )
        for row in rows
    ]
    return dg.MetadataValue.table(records, schema=schema)


HISTOGRAM_BINS = 10
BAR_WIDTH = 40


def histogram(scores: Sequence[float], bins: int = HISTOGRAM_BINS) -> list[int]:
    """Counts of scores in [0, 1] per equal-width bin (1.0 falls in the last; NaN nowhere)."""
    counts = [0] * bins
    for value in scores:
        if not math.isnan(value):
            counts[max(0, min(int(value * bins), bins - 1))] += 1
    return counts


def bar_chart(labels: Sequence[str], counts: Sequence[int], width: int = BAR_WIDTH) -> str:
    """A horizontal bar chart as Markdown (a fenced block the UI shows as it is): the shape of
    a distribution reads at a glance where a table of numbers does not."""
    top = max(counts, default=0)
    pad = max((len(label) for label in labels), default=0)
    lines = [
        f"{label:>{pad}} │{'█' * (round(width * n / top) if top else 0)} {n:,}"
        for label, n in zip(labels, counts, strict=True)
    ]
    return "```\n" + "\n".join(lines) + "\n```"


def rate_chart(
    labels: Sequence[str], hits: Sequence[int], totals: Sequence[int], width: int = BAR_WIDTH
) -> str:
    """A rate over time as Markdown bars on a fixed 0–100 % scale (so weeks compare by length),
    each with its counts; a period with nothing to divide says so instead of showing 0 %."""
    pad = max((len(label) for label in labels), default=0)
    lines = []
    for label, hit, total in zip(labels, hits, totals, strict=True):
        if total:
            filled = round(width * hit / total)
            bar = "█" * filled + "·" * (width - filled)
            lines.append(f"{label:>{pad}} │{bar} {hit / total:4.0%} ({hit:,} of {total:,})")
        else:
            lines.append(f"{label:>{pad}} │{' ' * width}    — (none decided)")
    return "```\n" + "\n".join(lines) + "\n```"


def score_summary(scores: Sequence[float]) -> dict[str, dg.MetadataValue]:
    """Min/median/max, a sortable five-bucket table and a ten-bin histogram plot of scores in
    [0, 1] (the row count is reported apart, as `dagster/row_count`)."""
    if not scores:
        return {}
    ordered = sorted(scores)
    coarse = histogram(ordered, 5)
    fine = histogram(ordered)
    step = 1 / HISTOGRAM_BINS
    return {
        "min": dg.MetadataValue.float(round(ordered[0], DIGITS)),
        "median": dg.MetadataValue.float(round(statistics.median(ordered), DIGITS)),
        "max": dg.MetadataValue.float(round(ordered[-1], DIGITS)),
        "distribution": top_table(
            [("bucket", "string"), ("rows", "int")],
            [(f"{i / 5:.1f}–{(i + 1) / 5:.1f}", n) for i, n in enumerate(coarse)],
        ),
        "histogram": dg.MetadataValue.md(
            bar_chart([f"{i * step:.1f}–{(i + 1) * step:.1f}" for i in range(len(fine))], fine)
        ),
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
