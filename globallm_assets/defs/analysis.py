"""Discover → analyze assets: repositories, health, dependency graph, impact, verdicts."""

import math
import statistics
from collections.abc import Sequence

import dagster as dg

from globallm_assets.core.models import ECOSYSTEM_BY_LANGUAGE
from globallm_assets.defs.partitions import language_partitions
from globallm_assets.defs.resources import PostgresResource, SourceResource
from globallm_assets.services import analysis
from globallm_assets.store import repositories as repo_store

SCORES_IN_RANGE = "scores_in_unit_interval"


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A small markdown table for asset metadata (Dagster renders it in the UI)."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        cells = [f"{c:.3f}" if isinstance(c, float) else str(c) for c in row]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def score_summary(scores: Sequence[float]) -> dict[str, dg.MetadataValue]:
    if not scores:
        return {"rows": dg.MetadataValue.int(0)}
    ordered = sorted(scores)
    buckets = [0] * 5
    for value in ordered:
        if not math.isnan(value):
            buckets[max(0, min(int(value * 5), 4))] += 1
    distribution = ", ".join(f"{i / 5:.1f}–{(i + 1) / 5:.1f}: {n}" for i, n in enumerate(buckets))
    return {
        "rows": dg.MetadataValue.int(len(scores)),
        "min": dg.MetadataValue.float(ordered[0]),
        "median": dg.MetadataValue.float(statistics.median(ordered)),
        "max": dg.MetadataValue.float(ordered[-1]),
        "distribution": dg.MetadataValue.text(distribution),
    }


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


def _range_spec(asset: str) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(SCORES_IN_RANGE, asset=asset, description="scores in [0,1], no NaN")


@dg.asset(
    partitions_def=language_partitions,
    group_name="analysis",
    kinds={"postgres"},
    check_specs=[
        dg.AssetCheckSpec(
            "no_duplicate_repositories",
            asset="repositories",
            description="no two rows name the same repository (names are case-insensitive)",
        )
    ],
)
def repositories(
    context: dg.AssetExecutionContext, store: PostgresResource, source: SourceResource
) -> dg.MaterializeResult:
    """One row per discovered repository of the partition's language that passed the filters
    (stars or dependents, not archived, not a fork, allowed license), upserted by name."""
    settings = source.settings()
    language = context.partition_key
    dsn = store.dsn()
    with store.connection() as conn:
        report = analysis.discover(
            settings,
            source.repo_source(dsn),
            conn,
            language=language,
            max_results=settings.source.max_results,
            source_name=settings.source.kind,
        )
        duplicates = conn.execute(
            "SELECT lower(name), count(*) FROM repositories GROUP BY 1 HAVING count(*) > 1"
        ).fetchall()
        pruned = repo_store.prune_http_cache(conn)
        total = conn.execute(
            "SELECT count(*) FROM repositories WHERE language = %s", (language,)
        ).fetchone()
    top = sorted(report.kept, key=lambda m: m.stars, reverse=True)[:10]
    return dg.MaterializeResult(
        metadata={
            "found": report.found,
            "kept": len(report.kept),
            "rejected": len(report.rejected),
            "rows_in_partition": total[0] if total else 0,
            "http_cache_pruned": pruned,
            "top_10": dg.MetadataValue.md(
                markdown_table(
                    ["repository", "stars", "license"],
                    [(m.full_name, m.stars, m.license) for m in top],
                )
            ),
        },
        check_results=[
            dg.AssetCheckResult(
                check_name="no_duplicate_repositories",
                passed=not duplicates,
                metadata={"duplicates": len(duplicates)},
            )
        ],
    )


@dg.asset(
    partitions_def=language_partitions,
    deps=[repositories],
    group_name="analysis",
    kinds={"postgres"},
    check_specs=[_range_spec("repository_health")],
)
def repository_health(
    context: dg.AssetExecutionContext, store: PostgresResource, source: SourceResource
) -> dg.MaterializeResult:
    """HealthScore in [0,1] per repository (core/health.py), every component kept in
    ``repositories.health``; missing signals are listed, not dropped."""
    settings = source.settings()
    language = context.partition_key
    repo_source = source.repo_source(store.dsn())
    with store.connection() as conn:
        repos = repo_store.list_repositories(conn, language=language)
    # Source calls happen outside the transaction; the partition is then rewritten in one.
    fresh, missing = analysis.refreshed_metadata(repo_source, [r.metadata for r in repos])
    rows = analysis.health_rows(settings, repo_source, fresh)
    scored = {name for name, _, _ in rows}
    gone = missing + [m.full_name for m in fresh if m.full_name not in scored]
    with store.connection() as conn:
        repo_store.upsert_repositories(
            conn, [(m, language) for m in fresh], source=settings.source.kind
        )
        repo_store.write_health(conn, rows)
        # Gone upstream: no stale score may keep a repository approved.
        repo_store.clear_health(conn, gone)
    if gone:
        context.log.warning("%d repositories no longer at the source: health cleared", len(gone))
    scores = [score for _, score, _ in rows]
    top = sorted(rows, key=lambda r: r[1], reverse=True)[:10]
    return dg.MaterializeResult(
        metadata={
            **score_summary(scores),
            "top_10": dg.MetadataValue.md(
                markdown_table(["repository", "health"], [(n, s) for n, s, _ in top])
            ),
            "gone_from_source": len(gone),
        },
        check_results=[range_check("repository_health", scores)],
    )


@dg.asset(
    deps=[repositories],
    group_name="analysis",
    kinds={"postgres"},
    check_specs=[
        dg.AssetCheckSpec(
            "graph_not_empty", asset="dependency_graph", description="at least one edge"
        )
    ],
)
def dependency_graph(
    context: dg.AssetExecutionContext, store: PostgresResource, source: SourceResource
) -> dg.MaterializeResult:
    """Repository→repository dependency edges (``dependency_edges``), one ecosystem at a time,
    mapped from package dependencies in the registries (or the simulated world)."""
    report = analysis.build_dependency_graph(
        source.settings(), store.connection, source.package_index
    )
    for ecosystem, why in report.skipped.items():
        context.log.warning("%s graph not rebuilt: %s", ecosystem, why)
    counts, skipped, total = report.edges, report.skipped, report.total_edges
    return dg.MaterializeResult(
        metadata={
            "edges": total,
            "edges_by_ecosystem": dg.MetadataValue.json(counts),
            "skipped_ecosystems": dg.MetadataValue.json(skipped),
        },
        check_results=[
            dg.AssetCheckResult(
                check_name="graph_not_empty", passed=total > 0, metadata={"edges": total}
            )
        ],
    )


@dg.asset(
    partitions_def=language_partitions,
    deps=[dependency_graph, repositories],
    group_name="analysis",
    kinds={"postgres"},
    check_specs=[_range_spec("impact_scores")],
)
def impact_scores(
    context: dg.AssetExecutionContext, store: PostgresResource, source: SourceResource
) -> dg.MaterializeResult:
    """ImpactScore in [0,1] per repository (core/impact.py): dependents, PageRank, reach,
    betweenness, stars, forks — computed on the ecosystem's whole graph, every component kept."""
    settings = source.settings()
    language = context.partition_key
    ecosystem = ECOSYSTEM_BY_LANGUAGE[language]
    with store.connection() as conn:
        mine = [r.name for r in repo_store.list_repositories(conn, language=language)]
        rows = analysis.ecosystem_impact(settings, conn, language, only=mine)
        repo_store.write_impact(conn, rows)
        edges = conn.execute(
            "SELECT count(*) FROM dependency_edges WHERE ecosystem = %s", (ecosystem,)
        ).fetchone()[0]
    scores = [score for _, score, _ in rows]
    top = sorted(rows, key=lambda r: r[1], reverse=True)[:10]
    return dg.MaterializeResult(
        metadata={
            **score_summary(scores),
            "graph_edges": edges,
            "top_10": dg.MetadataValue.md(
                markdown_table(
                    ["repository", "impact", "direct dependents"],
                    [(n, s, parts.get("direct_dependents")) for n, s, parts in top],
                )
            ),
        },
        check_results=[range_check("impact_scores", scores)],
    )


@dg.asset(
    partitions_def=language_partitions,
    deps=[repository_health, impact_scores],
    group_name="analysis",
    kinds={"postgres"},
)
def repository_verdicts(
    context: dg.AssetExecutionContext, store: PostgresResource, source: SourceResource
) -> dg.MaterializeResult:
    """``worth_working_on`` (health > threshold AND impact > threshold) with a readable reason,
    per repository of the partition's language."""
    settings = source.settings()
    language = context.partition_key
    with store.connection() as conn:
        repos = repo_store.list_repositories(conn, language=language)
        rows = analysis.verdict_rows(settings, repos)
        repo_store.write_verdicts(conn, rows)
    approved = [name for name, worth, _ in rows if worth]
    return dg.MaterializeResult(
        metadata={
            "rows": len(rows),
            "approved": len(approved),
            "rejected": len(rows) - len(approved),
            "approved_sample": dg.MetadataValue.md(
                markdown_table(["repository"], [(n,) for n in approved[:10]])
            ),
        }
    )


analysis_assets = [
    repositories,
    repository_health,
    dependency_graph,
    impact_scores,
    repository_verdicts,
]

analysis_job = dg.define_asset_job(
    "analysis_job",
    selection=dg.AssetSelection.assets(
        repositories, repository_health, impact_scores, repository_verdicts
    ),
    partitions_def=language_partitions,
    description="Discover and analyze one language: repositories → health → impact → verdicts.",
)
graph_job = dg.define_asset_job(
    "dependency_graph_job",
    selection=dg.AssetSelection.assets(dependency_graph),
    description="Rebuild the cross-language dependency graph from the registries.",
)


@dg.schedule(job=graph_job, cron_schedule="0 2 * * *", execution_timezone="UTC")
def daily_dependency_graph(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    """Rebuild the graph before the per-language analysis runs."""
    day = context.scheduled_execution_time.strftime("%Y-%m-%d")
    return dg.RunRequest(run_key=f"graph-{day}")


@dg.schedule(job=analysis_job, cron_schedule="0 3 * * *", execution_timezone="UTC")
def daily_analysis(context: dg.ScheduleEvaluationContext):
    """One run per language each day; deterministic run keys so a re-tick never doubles."""
    day = context.scheduled_execution_time.strftime("%Y-%m-%d")
    for language in language_partitions.get_partition_keys():
        yield dg.RunRequest(
            run_key=f"analysis-{day}-{language}",
            partition_key=language,
            tags={"globallm/language": language, "globallm/stage": "analysis"},
        )
