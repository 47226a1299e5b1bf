"""The `repositories` asset: one row per discovered repository that passed the filters."""

from typing import Any

import dagster as dg

from globallm_assets.defs.automation import DAILY_DISCOVERY
from globallm_assets.defs.discovery import checks
from globallm_assets.defs.metadata import postgres_table, row_count, top_table
from globallm_assets.defs.partitions import language_partitions
from globallm_assets.defs.resources import GITHUB_POOL, SourceResource, StoreResource
from globallm_assets.services import analysis
from globallm_assets.services.analysis import DiscoveredPartition

OWNERS = ["team:discovery"]
TAGS = {"globallm/domain": "discovery", "globallm/calls": "github"}

REPOSITORY_COLUMNS = postgres_table(
    "repositories",
    [
        ("name", "text", "owner/repo, the primary key (GitHub names ignore case)"),
        ("language", "text", "the language partition"),
        ("data", "jsonb", "the source's metadata record"),
        ("stars", "integer", "stargazers when last seen"),
        ("forks", "integer", "forks when last seen"),
        ("source", "text", "github or simulated"),
        ("is_library", "boolean", "publishes a package (or looks like a library)"),
        ("last_seen_at", "timestamptz", "when discovery or analysis last saw it"),
    ],
)


def discovery_metadata(result: DiscoveredPartition) -> dict[str, Any]:
    report = result.report
    top = sorted(report.kept, key=lambda m: m.stars, reverse=True)[:10]
    return {
        **row_count(result.rows_in_partition),
        "found": report.found,
        "kept": len(report.kept),
        "rejected": len(report.rejected),
        "http_cache_pruned": result.http_cache_pruned,
        "top_10": top_table(
            [("repository", "string"), ("stars", "int"), ("license", "string")],
            [(m.full_name, m.stars, m.license) for m in top],
        ),
    }


@dg.asset(
    partitions_def=language_partitions,
    automation_condition=DAILY_DISCOVERY,
    pool=GITHUB_POOL,
    group_name="discovery",
    kinds={"postgres"},
    owners=OWNERS,
    tags=TAGS,
    code_version="1",
    metadata=REPOSITORY_COLUMNS,
    check_specs=[checks.no_duplicates_spec],
)
def repositories(
    context: dg.AssetExecutionContext, store: StoreResource, source: SourceResource
) -> dg.MaterializeResult:
    """One row per repository of the partition's language that passed the filters: at least
    `filters.min_stars` stars **or** `filters.min_dependents` dependents in the stored graph, not
    archived, not a fork, an allowed license. Rows are upserted by name."""
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
