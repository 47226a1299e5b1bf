"""The redundancy asset: overlapping projects per language, feeding the ranking's penalty."""

import dagster as dg

from globallm_assets.defs.analysis import impact_scores, markdown_table, repository_health
from globallm_assets.defs.partitions import language_partitions
from globallm_assets.defs.resources import PostgresResource, SourceResource
from globallm_assets.services import redundancy as redundancy_service
from globallm_assets.store.redundancy import replace_language


@dg.asset(
    partitions_def=language_partitions,
    deps=[repository_health, impact_scores],
    group_name="prioritize",
    kinds={"postgres", "pytorch"},
)
def redundancy(
    context: dg.AssetExecutionContext, store: PostgresResource, source: SourceResource
) -> dg.MaterializeResult:
    """Per repository of the language: its most similar peer (README + description + topics
    embeddings), its overlap cluster, keep/deprecate/merge advice, and the ranking penalty."""
    settings = source.settings()
    language = context.partition_key
    model = redundancy_service.embedder(settings)
    with store.connection() as conn:
        rows = redundancy_service.language_redundancy(settings, conn, language, model)
        replace_language(conn, language, rows)
    clustered = [r for r in rows if r.cluster_id]
    return dg.MaterializeResult(
        metadata={
            "repositories": len(rows),
            "clusters": len({r.cluster_id for r in clustered}),
            "in_clusters": len(clustered),
            "penalized": sum(1 for r in rows if r.penalty > 0),
            "clusters_sample": dg.MetadataValue.md(
                markdown_table(
                    ["cluster", "repository", "advice", "similarity"],
                    [
                        (r.cluster_id, r.repository, r.recommendation, r.max_similarity)
                        for r in clustered[:15]
                    ],
                )
            ),
        }
    )
