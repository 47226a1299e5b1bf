"""Discovery's job: one language's repositories per run."""

import dagster as dg

discovery_job = dg.define_asset_job(
    "discovery_job",
    selection=dg.AssetSelection.assets("repositories"),
    description="Discover one language's repositories.",
)
