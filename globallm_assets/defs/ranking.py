"""Prioritize assets: issues → issue_categories → issue_rankings (with the redundancy penalty)."""

import dagster as dg

from globallm_assets.defs.analysis import (
    markdown_table,
    range_check,
    repository_verdicts,
    score_summary,
)
from globallm_assets.defs.partitions import language_partitions
from globallm_assets.defs.redundancy import redundancy
from globallm_assets.defs.resources import PostgresResource, SourceResource
from globallm_assets.services import issues as issue_service
from globallm_assets.services.sources import source_now
from globallm_assets.sources.base import SourceError
from globallm_assets.store import repositories as repo_store


@dg.asset(
    partitions_def=language_partitions,
    deps=[repository_verdicts],
    group_name="prioritize",
    kinds={"postgres"},
)
def issues(
    context: dg.AssetExecutionContext, store: PostgresResource, source: SourceResource
) -> dg.MaterializeResult:
    """One row per issue (never a pull request) of the partition's approved repositories,
    fetched incrementally (``since`` the newest update seen); closed upstream → closed here."""
    settings = source.settings()
    repo_source = source.repo_source(store.dsn())
    fetched = closed = opted_out = 0
    with store.connection() as conn:
        approved = repo_store.list_repositories(
            conn, language=context.partition_key, status="approved"
        )
    failed: list[str] = []
    for repo in approved:
        # One transaction per repository: one repository failing (issues disabled: 410,
        # deleted: 404) neither loses nor blocks what the others fetched.
        try:
            with store.connection() as conn:
                report = issue_service.fetch_issues(repo_source, conn, repo)
        except SourceError as exc:
            context.log.warning("%s: issues not fetched: %s", repo.name, exc)
            failed.append(repo.name)
            continue
        fetched += report.fetched
        closed += report.closed
        opted_out += report.opted_out is not None
    return dg.MaterializeResult(
        metadata={
            "repositories": len(approved),
            "fetched": fetched,
            "closed_upstream": closed,
            "opted_out_repositories": opted_out,
            "failed_repositories": dg.MetadataValue.json(failed),
            "source": settings.source.kind,
        }
    )


@dg.asset(
    partitions_def=language_partitions,
    deps=[issues],
    group_name="prioritize",
    kinds={"postgres"},
    check_specs=[
        dg.AssetCheckSpec(
            "scores_in_unit_interval", asset="issue_categories", description="solvability/urgency"
        )
    ],
)
def issue_categories(
    context: dg.AssetExecutionContext, store: PostgresResource, source: SourceResource
) -> dg.MaterializeResult:
    """Per open issue: category (bug, feature, documentation, security, performance, question,
    chore), solvability, urgency, complexity 1–10, expected token cost, and the reason an agent
    must not touch it, if any."""
    settings = source.settings()
    with store.connection() as conn:
        names = [
            r.name
            for r in repo_store.list_repositories(
                conn, language=context.partition_key, status="approved"
            )
        ]
        rows = issue_service.score_repositories(
            settings,
            conn,
            names,
            provider=issue_service.categorization_provider(settings),
            dsn=store.dsn(),
            now=source_now(settings),
        )
    counts: dict[str, int] = {}
    for row in rows:
        counts[row["category"]] = counts.get(row["category"], 0) + 1
    blocked = sum(1 for row in rows if row["do_not_touch_reason"])
    scores = [row["solvability"] for row in rows] + [row["urgency"] for row in rows]
    return dg.MaterializeResult(
        metadata={
            "issues": len(rows),
            "do_not_touch": blocked,
            "categories": dg.MetadataValue.json(dict(sorted(counts.items()))),
        },
        check_results=[range_check("issue_categories", scores)],
    )


@dg.asset(
    partitions_def=language_partitions,
    deps=[issue_categories, redundancy, repository_verdicts],
    group_name="prioritize",
    kinds={"postgres", "polars"},
    check_specs=[
        dg.AssetCheckSpec(
            "priorities_finite", asset="issue_rankings", description="no NaN/inf priority"
        )
    ],
)
def issue_rankings(
    context: dg.AssetExecutionContext, store: PostgresResource, source: SourceResource
) -> dg.MaterializeResult:
    """PriorityScore per open, touchable issue of approved repositories:
    wH·health + wI·impact + wS·solvability + wU·urgency − wR·redundancy − wC·cost,
    with every weighted component stored in ``issues.scores``."""
    import math

    settings = source.settings()
    language = context.partition_key
    with store.connection() as conn:
        ranked = issue_service.rank(settings, conn, language=language)
        written = issue_service.store_ranking(conn, ranked, language=language)
    priorities = ranked["priority"].to_list() if written else []
    top = ranked.head(10).select("repository", "number", "title", "priority").rows()
    return dg.MaterializeResult(
        metadata={
            **score_summary(priorities),
            "ranked": written,
            "top_10": dg.MetadataValue.md(
                markdown_table(
                    ["repository", "#", "title", "priority"],
                    [(r, n, (t or "")[:60].replace("|", "/"), p) for r, n, t, p in top],
                )
            ),
        },
        check_results=[
            dg.AssetCheckResult(
                check_name="priorities_finite",
                passed=all(math.isfinite(p) for p in priorities),
                metadata={"ranked": written},
            )
        ],
    )


ranking_assets = [issues, issue_categories, redundancy, issue_rankings]

ranking_job = dg.define_asset_job(
    "ranking_job",
    selection=dg.AssetSelection.assets(issues, issue_categories, redundancy, issue_rankings),
    partitions_def=language_partitions,
    description="Prioritize one language: issues → categories, redundancy → rankings.",
)


@dg.schedule(job=ranking_job, cron_schedule="0 5 * * *", execution_timezone="UTC")
def daily_ranking(context: dg.ScheduleEvaluationContext):
    """Re-rank every language after the morning analysis; one run per language per day."""
    day = context.scheduled_execution_time.strftime("%Y-%m-%d")
    for language in language_partitions.get_partition_keys():
        yield dg.RunRequest(
            run_key=f"ranking-{day}-{language}",
            partition_key=language,
            tags={"globallm/language": language, "globallm/stage": "ranking"},
        )
