"""Checks on discovered repositories."""

import dagster as dg

from globallm_assets.defs.metadata import check_spec
from globallm_assets.services.analysis import DiscoveredPartition

NO_DUPLICATES = "no_duplicate_repositories"

no_duplicates_spec = check_spec(
    NO_DUPLICATES,
    "repositories",
    "No two rows name the same repository (GitHub names are case-insensitive).",
    per_language=True,
    blocking=True,
)


def no_duplicates(result: DiscoveredPartition) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        check_name=NO_DUPLICATES,
        passed=not result.duplicate_names,
        metadata={"duplicates": len(result.duplicate_names)},
    )
