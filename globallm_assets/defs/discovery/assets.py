"""The ``repositories`` asset: one row per discovered repository that passed the filters."""

from typing import Any

import dagster as dg

from globallm_assets.defs.discovery import checks
from globallm_assets.defs.metadata import markdown_table
from globallm_assets.defs.partitions import language_partitions
from globallm_assets.defs.resources import SourceResource, StoreResource
from globallm_assets.services import analysis
from globallm_assets.services.analysis import DiscoveredPartition


def discovery_metadata(result: DiscoveredPartition) -> dict[str, Any]:
    report = result.report
    top = sorted(report.kept, key=lambda m: m.stars, reverse=True)[:10]
    return {
        "found": report.found,
        "kept": len(report.kept),
        "rejected": len(report.rejected),
        "rows_in_partition": result.rows_in_partition,
        "http_cache_pruned": result.http_cache_pruned,
        "top_10": dg.MetadataValue.md(
            markdown_table(
                ["repository", "stars", "license"],
                [(m.full_name, m.stars, m.license) for m in top],
            )
        ),
    }


@dg.asset(
    partitions_def=language_partitions,
    group_name="discovery",
    kinds={"postgres"},
    check_specs=[checks.no_duplicates_spec],
)
def repositories(
    context: dg.AssetExecutionContext, store: StoreResource, source: SourceResource
) -> dg.MaterializeResult:
    """One row per repository of the partition's language that passed the filters (stars or
    dependents, not archived, not a fork, allowed license), upserted by name."""
    result = analysis.discover_partition(
        store.settings(),
        source.repositories(),
        store.dsn(),
        language=context.partition_key,
        max_results=source.max_results,
    )
    return dg.MaterializeResult(
        metadata=discovery_metadata(result), check_results=[checks.no_duplicates(result)]
    )
