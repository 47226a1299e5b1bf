"""The ranking jobs."""

import dagster as dg

ranking_job = dg.define_asset_job(
    "ranking_job",
    selection=dg.AssetSelection.assets("issues", "issue_categories", "issue_rankings"),
    description="Prioritize one language: issues → categories → rankings (redundancy runs "
    "before it, in `redundancy_job`).",
)
redundancy_job = dg.define_asset_job(
    "redundancy_job",
    selection=dg.AssetSelection.assets("redundancy"),
    description="README-overlap clusters for a range of languages in one run, so the embedding "
    "model is loaded once for all of them (launch it over a partition range).",
)
