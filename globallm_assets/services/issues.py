"""Fetch → categorize/score → prioritize use-cases for issues, shared by assets and the CLI."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import psycopg

from globallm_assets.store import issues as issue_store

if TYPE_CHECKING:
    # Imported where used: `globallm prioritize` reads a stored ranking, and pays for none of
    # the issue scorers (their regular expressions), the LLM layer or the source clients.
    from globallm_assets.core.categorize import Category
    from globallm_assets.llm.base import LLMProvider
    from globallm_assets.settings import Settings
    from globallm_assets.sources.base import RepoSource
    from globallm_assets.store.repositories import StoredRepository

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FetchReport:
    repository: str
    fetched: int
    closed: int
    incremental: bool
    opted_out: str | None


def opt_out_reason(source: RepoSource, repo: StoredRepository) -> str | None:
    """Opt-out by topic (``no-globallm``) or by ``.github/globallm.yml`` with ``enabled: false``
    (a source without files answers ``None`` for the file, and then topics decide)."""
    from globallm_assets.core.issue_scores import OPT_OUT_CONFIG_PATH, repository_opt_out

    text = source.repository_file(repo.name, OPT_OUT_CONFIG_PATH)
    return repository_opt_out(text, repo.metadata.topics)


def fetch_issues(source: RepoSource, dsn: str, repo: StoredRepository) -> FetchReport:
    """Incremental fetch: the first time only open issues, then everything updated since the
    newest ``updated_at`` seen (so issues closed upstream are marked closed, never deleted).

    The source is read between two short transactions (the fetch state, then the issues and
    the new state written together), so no transaction waits on the network."""
    from globallm_assets.store.db import transaction

    with transaction(dsn) as conn:
        state = issue_store.fetch_state(conn, repo.name)
    since = state.last_updated_at if state else None
    records = [
        r
        for r in source.issues(repo.name, state="all" if since else "open", since=since)
        if r.repository.lower() == repo.name.lower()
    ]
    for record in records:
        record.repository = repo.name
    newest = max((r.updated_at for r in records if r.updated_at), default=since)
    reason = opt_out_reason(source, repo)
    with transaction(dsn) as conn:
        issue_store.upsert_issues(conn, records)
        issue_store.save_fetch_state(
            conn, repo.name, newest, opted_out=reason is not None, opt_out_reason=reason
        )
    return FetchReport(
        repository=repo.name,
        fetched=len(records),
        closed=sum(1 for r in records if r.state == "closed"),
        incremental=since is not None,
        opted_out=reason,
    )


def score_rows(
    settings: Settings,
    issues: Sequence[issue_store.OpenIssue],
    *,
    now: datetime | None = None,
    llm_categories: dict[tuple[str, int], Category] | None = None,
) -> list[dict[str, Any]]:
    """Category, solvability, urgency, complexity, cost and do-not-touch for each issue.

    ``llm_categories`` (from ``llm_categorize``) replace the rules' category where present.
    """
    from globallm_assets.core.categorize import CategoryResult
    from globallm_assets.core.issue_scores import score_issue

    moment = now or datetime.now(UTC)
    rows = []
    for item in issues:
        issue, opted_out, reason = item.issue, item.opted_out, item.opt_out_reason
        llm = (llm_categories or {}).get((issue.repository, issue.number))
        override = (
            CategoryResult(
                category=llm, confidence=1.0, source="llm", ambiguous=False, reasons=["llm"]
            )
            if llm is not None
            else None
        )
        scores = score_issue(
            issue,
            now=moment,
            budget_per_repo=settings.budget.max_tokens_per_repo,
            repo_opted_out=opted_out,
            opt_out_reason=reason,
            category=override,
        )
        rows.append(
            {
                "repository": issue.repository,
                "number": issue.number,
                "category": scores.category.category.value,
                "category_source": scores.category.source,
                "solvability": scores.solvability.score,
                "urgency": scores.urgency.score,
                "complexity": scores.complexity,
                "cost_estimate": scores.cost_estimate,
                "do_not_touch_reason": scores.do_not_touch,
                "scores": scores.as_dict(),
            }
        )
    return rows


def categorization_provider(settings: Settings) -> LLMProvider | None:
    """The LLM for ambiguous categories, if enabled and a key is configured (else rules only)."""
    if not settings.llm.categorize_with_llm:
        return None
    from globallm_assets.llm.providers import provider_from_settings

    provider = provider_from_settings(settings)
    if provider is None:
        log.warning("llm.categorize_with_llm is on but no API key is set: rules only")
    return provider


def score_repositories(
    settings: Settings,
    conn: psycopg.Connection,
    repositories: Sequence[str],
    *,
    now: datetime | None = None,
    provider: LLMProvider | None = None,
    dsn: str | None = None,
) -> list[dict[str, Any]]:
    """Score open issues; with ``llm.categorize_with_llm`` and a provider, the ambiguous
    remainder is categorized by the LLM under the weekly token budget."""
    issues = issue_store.open_issues(conn, repositories)
    answers = ask_llm(settings, issues, provider=provider, dsn=dsn)
    return write_scores(settings, conn, issues, answers, now=now)


def _remembered_categories(
    issues: Sequence[issue_store.OpenIssue],
) -> dict[tuple[str, int], Category]:
    """LLM answers stored for the current version of each issue."""
    from globallm_assets.core.categorize import Category

    return {
        (item.issue.repository, item.issue.number): Category(item.llm_category)
        for item in issues
        if item.llm_category in {c.value for c in Category}
    }


def ask_llm(
    settings: Settings,
    issues: Sequence[issue_store.OpenIssue],
    *,
    provider: LLMProvider | None,
    dsn: str | None,
) -> dict[tuple[str, int], Category]:
    """New LLM categories for undecided, touchable issues whose current version the LLM has not
    seen (empty unless ``llm.categorize_with_llm`` and a provider). Holds no transaction: the
    token ledger reserves and settles in short ones of its own."""
    if not (settings.llm.categorize_with_llm and provider is not None and dsn is not None):
        return {}
    from globallm_assets.core.categorize import categorize
    from globallm_assets.core.issue_scores import do_not_touch
    from globallm_assets.services.llm_categorize import categorize_with_llm
    from globallm_assets.store.llm_usage import TokenLedger

    known = _remembered_categories(issues)
    ask = [
        item.issue
        for item in issues
        if (item.issue.repository, item.issue.number) not in known
        and not item.opted_out
        and do_not_touch(item.issue) is None
        and categorize(item.issue).ambiguous
    ]
    ledger = TokenLedger(dsn, settings.budget.weekly_token_budget)
    return categorize_with_llm(provider, ledger, ask)


def write_scores(
    settings: Settings,
    conn: psycopg.Connection,
    issues: Sequence[issue_store.OpenIssue],
    answers: dict[tuple[str, int], Category],
    *,
    now: datetime | None = None,
) -> list[dict[str, Any]]:
    """Remember new LLM answers, score every issue and store the scores."""
    if answers:
        by_key = {(i.issue.repository, i.issue.number): i.issue for i in issues}
        issue_store.remember_llm_categories(
            conn, [(by_key[key], category.value) for key, category in answers.items()]
        )
    categories = {**_remembered_categories(issues), **answers}
    rows = score_rows(settings, issues, now=now, llm_categories=categories)
    issue_store.write_issue_scores(conn, rows)
    return rows


def priority_weights(settings: Settings):
    from globallm_assets.core.weights import PriorityWeights

    return PriorityWeights(**settings.priority_weights.model_dump())


# The ranking input frame (store/issues.py _RANKING_INPUTS, in this column order), with each
# column's polars type by name: the stored-ranking path returns plain rows and imports no polars.
RANKING_INPUT_TYPES: tuple[tuple[str, str], ...] = (
    ("repository", "Utf8"),
    ("number", "Int64"),
    ("title", "Utf8"),
    ("language", "Utf8"),
    ("category", "Utf8"),
    ("health", "Float64"),
    ("impact", "Float64"),
    ("solvability", "Float64"),
    ("urgency", "Float64"),
    ("complexity", "Int64"),
    ("cost_estimate", "Int64"),
    ("redundancy_penalty", "Float64"),
    ("cost_penalty", "Float64"),
    ("do_not_touch", "Boolean"),
    ("do_not_touch_reason", "Utf8"),
    ("acceptance", "Float64"),  # learned from pull-request outcomes; null: neutral
)


def _ranking_schema() -> dict[str, Any]:
    import polars as pl

    return {name: getattr(pl, kind) for name, kind in RANKING_INPUT_TYPES}


def ranking_frame(conn: psycopg.Connection, language: str | None = None):
    """Every ranking input as a polars frame, read through COPY (10^6 rows in about a second,
    where one dict per row took several and gigabytes)."""
    import io

    import polars as pl

    schema = _ranking_schema()
    data = issue_store.ranking_csv(conn, language)
    if not data:
        return pl.DataFrame(schema=schema)
    read = {**schema, "do_not_touch": pl.Int8}
    frame = pl.read_csv(
        io.BytesIO(data), has_header=False, new_columns=list(schema), schema_overrides=read
    )
    return frame.with_columns(pl.col("do_not_touch").cast(pl.Boolean))


def ranking_write_frame(conn: psycopg.Connection, language: str | None = None):
    """The inputs of the priority formula only (``store.issues.ranking_write_csv``): what
    ``rank`` needs to compute the priorities the ranking write stores, without the display
    columns; do-not-touch issues are left out by the read (``do_not_touch`` is false)."""
    import io

    import polars as pl

    from globallm_assets.store.issues import WRITE_ISSUE_COLUMNS, WRITE_REPOSITORY_COLUMNS

    floats = dict.fromkeys((*WRITE_ISSUE_COLUMNS, *WRITE_REPOSITORY_COLUMNS), pl.Float64) | {
        "repository": pl.Utf8,
        "number": pl.Int64,
    }

    def read(data: bytes, columns: Sequence[str]):
        schema = {c: floats[c] for c in columns}
        if not data:
            return pl.DataFrame(schema=schema)
        return pl.read_csv(
            io.BytesIO(data), has_header=False, new_columns=list(columns), schema_overrides=schema
        )

    issues, repositories = issue_store.ranking_write_csv(conn, language)
    frame = read(issues, WRITE_ISSUE_COLUMNS).join(
        read(repositories, WRITE_REPOSITORY_COLUMNS), on="repository", how="inner"
    )
    return frame.with_columns(pl.lit(False).alias("do_not_touch"))


def ranking_frame_rows(conn: psycopg.Connection, language: str | None = None):
    """``ranking_frame`` built the straightforward way (one dict per row): the reference."""
    import polars as pl

    schema = _ranking_schema()
    rows = issue_store.ranking_rows(conn, language)
    return pl.DataFrame(rows, schema=schema, orient="row") if rows else pl.DataFrame(schema=schema)


def rank(
    settings: Settings,
    conn: psycopg.Connection,
    *,
    language: str | None = None,
    top: int | None = None,
    min_priority: float | None = None,
):
    """Priority over open issues of approved repositories, computed now (vectorized)."""
    from globallm_assets.core.priority import rank as rank_frame

    frame = ranking_frame(conn, language)
    return rank_frame(frame, priority_weights(settings), top=top, min_priority=min_priority)


def stored_answers(settings: Settings, conn: psycopg.Connection, language: str | None) -> bool:
    """Whether the stored ranking is this ranking: every language in scope was last ranked with
    the configured weights (then its priorities and order are what ``rank`` would compute from
    the inputs it read)."""
    from dataclasses import asdict

    weights = asdict(priority_weights(settings))
    stored = issue_store.stored_ranking_weights(conn, language)
    return bool(stored) and all(w == weights for w in stored)


def stored_rows(
    conn: psycopg.Connection,
    *,
    language: str | None = None,
    top: int,
    min_priority: float | None = None,
) -> list[dict[str, Any]]:
    """The ``top`` stored priorities, read through their index: one dict per issue with
    ``RANKED_COLUMNS`` (``rank``'s columns and order, the same Python values as its frame's
    ``to_dicts``), without polars."""
    found = issue_store.stored_top(conn, language=language, top=top, min_priority=min_priority)
    return [dict(zip(RANKED_COLUMNS, row, strict=True)) for row in found]


def ranked_frame(rows: list[dict[str, Any]]):
    """Ranked rows (``RANKED_COLUMNS``) as the polars frame ``rank`` returns."""
    import polars as pl

    schema = {**_ranking_schema(), **dict.fromkeys(COMPONENT_COLUMNS, pl.Float64)}
    return pl.DataFrame(rows, schema={**schema, "priority": pl.Float64}, orient="row")


def stored_rank(
    conn: psycopg.Connection,
    *,
    language: str | None = None,
    top: int,
    min_priority: float | None = None,
):
    """``stored_rows`` as a polars frame."""
    return ranked_frame(stored_rows(conn, language=language, top=top, min_priority=min_priority))


def ranked_issues(
    settings: Settings,
    conn: psycopg.Connection,
    *,
    language: str | None = None,
    top: int,
    min_priority: float | None = None,
):
    """The best ``top`` issues: from the stored ranking when it was computed with these weights
    for every language in scope, else computed now."""
    if stored_answers(settings, conn, language):
        return stored_rank(conn, language=language, top=top, min_priority=min_priority)
    return rank(settings, conn, language=language, top=top, min_priority=min_priority)


def ranked_rows(
    settings: Settings,
    conn: psycopg.Connection,
    *,
    language: str | None = None,
    top: int,
    min_priority: float | None = None,
) -> list[dict[str, Any]]:
    """``ranked_issues`` as plain rows: the stored ranking answers without polars (a whole
    ``globallm prioritize`` costs less than importing it); only a ranking computed now uses it."""
    if stored_answers(settings, conn, language):
        return stored_rows(conn, language=language, top=top, min_priority=min_priority)
    ranked = rank(settings, conn, language=language, top=top, min_priority=min_priority)
    return ranked.select(RANKED_COLUMNS).to_dicts()


COMPONENT_COLUMNS = (
    "c_health",
    "c_impact",
    "c_solvability",
    "c_urgency",
    "c_redundancy",
    "c_cost",
    "c_acceptance",
)
# What a ranking returns per issue: its inputs, the components, the priority.
RANKED_COLUMNS: tuple[str, ...] = (
    *(name for name, _ in RANKING_INPUT_TYPES),
    *COMPONENT_COLUMNS,
    "priority",
)


def store_ranking(
    conn: psycopg.Connection,
    ranked,
    *,
    language: str | None = None,
    weights: dict[str, float] | None = None,
) -> issue_store.RankingWrite:
    """Store priorities and components of ``ranked``; issues not in it (do-not-touch, closed,
    rejected) lose theirs. Only changed rows are written."""
    from dataclasses import asdict

    from globallm_assets.core.weights import PriorityWeights

    return issue_store.write_ranking(
        conn, ranked, language=language, weights=weights or asdict(PriorityWeights())
    )


# --- asset stages ---------------------------------------------------------------------------


@dataclass(frozen=True)
class IssueFetchReport:
    language: str
    repositories: int
    fetched: int
    closed: int
    opted_out: int
    failed: list[str]
    open_issues: int  # stored open issues of the language after the fetch


def fetch_partition(source: RepoSource, dsn: str, *, language: str) -> IssueFetchReport:
    """Fetch the issues of the language's approved repositories, one transaction each.

    One repository failing (issues disabled: 410, deleted: 404) neither loses nor blocks what
    the others fetched; it is named in the report.
    """
    from globallm_assets.sources.base import SourceError
    from globallm_assets.store import repositories as repo_store
    from globallm_assets.store.db import transaction

    with transaction(dsn) as conn:
        approved = repo_store.list_repositories(conn, language=language, status="approved")
    fetched = closed = opted_out = 0
    failed: list[str] = []
    for repo in approved:
        try:
            report = fetch_issues(source, dsn, repo)
        except SourceError as exc:
            log.warning("%s: issues not fetched: %s", repo.name, exc)
            failed.append(repo.name)
            continue
        fetched += report.fetched
        closed += report.closed
        opted_out += report.opted_out is not None
    with transaction(dsn) as conn:
        open_issues = issue_store.count_issues(conn, language)
    return IssueFetchReport(
        language=language,
        repositories=len(approved),
        fetched=fetched,
        closed=closed,
        opted_out=opted_out,
        failed=failed,
        open_issues=open_issues,
    )


@dataclass(frozen=True)
class CategorizeReport:
    language: str
    rows: list[dict[str, Any]]

    @property
    def by_category(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for row in self.rows:
            counts[row["category"]] = counts.get(row["category"], 0) + 1
        return dict(sorted(counts.items()))

    @property
    def do_not_touch(self) -> int:
        return sum(1 for row in self.rows if row["do_not_touch_reason"])

    @property
    def scores(self) -> list[float]:
        return [row["solvability"] for row in self.rows] + [row["urgency"] for row in self.rows]


def categorize_partition(
    settings: Settings, dsn: str, *, language: str, now: datetime | None = None
) -> CategorizeReport:
    """Category and scores of every open issue of the language's approved repositories."""
    from globallm_assets.store import repositories as repo_store
    from globallm_assets.store.db import transaction

    with transaction(dsn) as conn:
        names = [
            r.name for r in repo_store.list_repositories(conn, language=language, status="approved")
        ]
        issues = issue_store.open_issues(conn, names)
    # The LLM (when enabled) is asked with no transaction open.
    answers = ask_llm(settings, issues, provider=categorization_provider(settings), dsn=dsn)
    with transaction(dsn) as conn:
        rows = write_scores(settings, conn, issues, answers, now=now)
    return CategorizeReport(language=language, rows=rows)


# How many of a ranking's best issues its report names with their titles.
REPORT_TITLES = 20


@dataclass(frozen=True)
class RankingReport:
    language: str
    # polars.DataFrame (polars is imported on first ranking): key, the formula's inputs, the
    # components and the priority, best first; no display columns (see ``titles``).
    ranked: Any
    written: int  # issues ranked
    changed: int = 0  # of those, rows inserted or rewritten (the others were already stored)
    removed: int = 0  # stored priorities removed (no longer ranked)
    # Titles of the best REPORT_TITLES issues.
    titles: dict[tuple[str, int], str | None] = field(default_factory=dict)

    @property
    def priorities(self) -> list[float]:
        return self.ranked["priority"].to_list() if self.written else []

    def top(self, n: int = 10) -> list[tuple[str, int, str | None, float]]:
        """The best ``n`` (repository, number, title, priority); titles past REPORT_TITLES are
        None."""
        rows = self.ranked.head(n).select("repository", "number", "priority").rows()
        return [(r, k, self.titles.get((r, k)), p) for r, k, p in rows]


def rank_partition(settings: Settings, dsn: str, *, language: str) -> RankingReport:
    """Priority of every open, touchable issue of the language's approved repositories, from
    the formula's inputs only (``ranking_write_frame``)."""
    from dataclasses import asdict

    from globallm_assets.core.priority import rank as rank_frame
    from globallm_assets.store.db import transaction

    weights = priority_weights(settings)
    with transaction(dsn) as conn:
        ranked = rank_frame(ranking_write_frame(conn, language), weights)
        write = store_ranking(conn, ranked, language=language, weights=asdict(weights))
        best = ranked.head(REPORT_TITLES).select("repository", "number").rows()
        titles = issue_store.issue_titles(conn, best)
    return RankingReport(
        language=language,
        ranked=ranked,
        written=ranked.height,
        changed=write.changed,
        removed=write.removed,
        titles=titles,
    )


# --- CLI flows ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RepositoryIssues:
    repository: StoredRepository
    fetch: FetchReport
    rows: list[dict[str, Any]]


def repository_issues(
    settings: Settings,
    source: RepoSource,
    dsn: str,
    name: str,
    *,
    state: str = "open",
    category: str | None = None,
    sort: str = "priority",
    limit: int = 30,
) -> RepositoryIssues:
    """Fetch one repository's issues incrementally, score them, and list them (``globallm
    issues``). A repository not stored yet is looked up at the source and stored first; one
    the source does not know is the shared ``NotFoundError``."""
    from globallm_assets.services.analysis import lookup_repository
    from globallm_assets.store import repositories as repo_store
    from globallm_assets.store.db import transaction

    with transaction(dsn) as conn:
        stored = repo_store.get_repository(conn, name)
    if stored is None:
        meta = lookup_repository(source, name)
        with transaction(dsn) as conn:
            repo_store.upsert_repositories(
                conn, [(meta, (meta.language or "unknown").lower())], source=source.name
            )
            stored = repo_store.get_repository(conn, meta.full_name)
    assert stored is not None
    report = fetch_issues(source, dsn, stored)
    with transaction(dsn) as conn:
        score_repositories(
            settings,
            conn,
            [stored.name],
            provider=categorization_provider(settings),
            dsn=dsn,
            now=source.now,
        )
        rows = issue_store.list_issues(
            conn, stored.name, state=state, category=category, sort=sort, limit=limit
        )
    return RepositoryIssues(repository=stored, fetch=report, rows=rows)


@dataclass(frozen=True)
class Prioritized:
    rows: list[dict[str, Any]]  # best first, one dict of RANKED_COLUMNS per issue
    refreshed: list[tuple[IssueFetchReport, RankingReport]]
    # Why the ranking is empty and which command fills it (None when it is not empty).
    hint: str | None

    @property
    def ranked(self):
        """The rows as the polars frame ``rank`` returns (built on demand: imports polars)."""
        return ranked_frame(self.rows)


def prioritize(
    settings: Settings,
    dsn: str,
    *,
    language: str | None = None,
    top: int = 20,
    min_priority: float | None = None,
    refresh_from: RepoSource | None = None,
    on_step: Callable[[str], None] | None = None,
) -> Prioritized:
    """Rank open issues of approved repositories (``globallm prioritize``).

    The stored ranking answers through its index when it was computed with the configured
    weights for every language in scope; otherwise (weights changed, a language never ranked)
    the ranking is computed now from the stored inputs, without writing it.

    With ``refresh_from``, first fetch, score and rank the issues of every approved repository
    of ``language`` (default: the configured languages) through the same stage functions the
    ``issues``, ``issue_categories`` and ``issue_rankings`` assets run.
    """
    from globallm_assets.services.repositories import next_step
    from globallm_assets.store.db import transaction

    refreshed: list[tuple[IssueFetchReport, RankingReport]] = []
    if refresh_from is not None:
        languages = [language] if language else [lang.value for lang in settings.languages]
        for lang in languages:
            if on_step:
                on_step(f"fetching issues of approved {lang} repositories")
            fetched = fetch_partition(refresh_from, dsn, language=lang)
            if on_step:
                on_step(f"scoring and ranking {lang} issues")
            categorize_partition(settings, dsn, language=lang, now=refresh_from.now)
            refreshed.append((fetched, rank_partition(settings, dsn, language=lang)))
    with transaction(dsn) as conn:
        rows = ranked_rows(settings, conn, language=language, top=top, min_priority=min_priority)
    hint = None
    if not rows:
        hint = next_step(dsn, language=language, wanted="ranking")
        if hint is None and min_priority is not None:
            with transaction(dsn) as conn:
                best = ranked_rows(settings, conn, language=language, top=1)
            highest = f" (the highest is {best[0]['priority']:.3f})" if best else ""
            hint = f"no issue has priority ≥ {min_priority:g}{highest}"
    return Prioritized(rows=rows, refreshed=refreshed, hint=hint)
