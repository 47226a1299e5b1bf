"""Discovery's job: one language's repositories per run."""

import dagster as dg

from globallm_assets.defs.partitions import language_partitions

discovery_job = dg.define_asset_job(
    "discovery_job",
    selection=dg.AssetSelection.assets("repositories"),
    partitions_def=language_partitions,
    description="Discover one language's repositories.",
)
