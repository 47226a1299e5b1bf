"""Ranking: issues of approved repositories, their categories, redundancy and priorities."""

import dagster as dg

from globallm_assets.defs.ranking.assets import (
    issue_categories,
    issue_rankings,
    issues,
    redundancy,
)
from globallm_assets.defs.ranking.jobs import ranking_job, redundancy_job

defs = dg.Definitions(
    assets=[issues, issue_categories, redundancy, issue_rankings],
    jobs=[ranking_job, redundancy_job],
)
