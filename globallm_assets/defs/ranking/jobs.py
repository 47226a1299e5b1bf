"""The ranking job."""

import dagster as dg

from globallm_assets.defs.partitions import language_partitions

ranking_job = dg.define_asset_job(
    "ranking_job",
    selection=dg.AssetSelection.assets(
        "issues", "issue_categories", "redundancy", "issue_rankings"
    ),
    partitions_def=language_partitions,
    description="Prioritize one language: issues → categories, redundancy → rankings.",
)
