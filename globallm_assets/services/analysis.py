"""Discover → analyze use-cases shared by the Dagster assets and the CLI.

Each function reads what it needs from a source or the store, calls the pure scoring code in
``core`` and returns rows; callers decide the transaction. That keeps a CLI ``analyze`` and the
``repository_health`` asset computing exactly the same numbers.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import psycopg

from globallm_assets.core.domains import queries_for
from globallm_assets.core.health import HealthWeights, health_score
from globallm_assets.core.impact import ImpactWeights, RepoNode, impact_scores
from globallm_assets.core.models import (
    ECOSYSTEM_BY_LANGUAGE,
    ActivityStats,
    DependencyEdge,
    PackageRecord,
    RepoMetadata,
)
from globallm_assets.core.selection import (
    archive_recommendation,
    is_library,
    passes_filters,
    verdict,
)
from globallm_assets.settings import Settings
from globallm_assets.sources.base import NotFoundError, PackageIndex, RepoSource, SearchQuery
from globallm_assets.store import repositories as repo_store
from globallm_assets.store.db import transaction

log = logging.getLogger(__name__)

Progress = Callable[[int], None]


def health_weights(settings: Settings) -> HealthWeights:
    return HealthWeights(**settings.health_weights.model_dump())


def impact_weights(settings: Settings) -> ImpactWeights:
    return ImpactWeights(**settings.impact_weights.model_dump())


# --- discovery ------------------------------------------------------------------------------


@dataclass
class DiscoveryReport:
    language: str
    found: int = 0
    kept: list[RepoMetadata] = field(default_factory=list)
    rejected: list[tuple[str, str]] = field(default_factory=list)


def discover(
    settings: Settings,
    source: RepoSource,
    conn: psycopg.Connection,
    *,
    language: str,
    domain: str = "overall",
    max_results: int = 100,
    min_stars: int | None = None,
    min_dependents: int | None = None,
    library_only: bool = False,
    source_name: str | None = None,
) -> DiscoveryReport:
    """Search the source with the domain's curated queries, filter, upsert the keepers."""
    filters = settings.filters
    min_stars = filters.min_stars if min_stars is None else min_stars
    min_dependents = filters.min_dependents if min_dependents is None else min_dependents
    dependents = repo_store.dependents_counts(conn)
    report = DiscoveryReport(language=language)
    seen: set[str] = set()

    def consider(meta: RepoMetadata) -> bool:
        """Filter one candidate into the report; True once enough are kept."""
        report.found += 1
        decision = passes_filters(
            meta,
            dependents=dependents.get(meta.full_name),
            min_stars=min_stars,
            min_dependents=min_dependents,
            exclude_archived=filters.exclude_archived,
            exclude_forks=filters.exclude_forks,
            license_allowlist=filters.license_allowlist,
        )
        if decision.keep and library_only and not is_library(meta):
            decision = decision.__class__(False, "not a library")
        if decision.keep:
            report.kept.append(meta)
        else:
            report.rejected.append((meta.full_name, decision.reason))
        return len(report.kept) >= max_results

    def search() -> None:
        for text in queries_for(domain):
            query = SearchQuery(
                text=text,
                language=language,
                min_stars=min_stars,
                include_forks=not filters.exclude_forks,
                include_archived=not filters.exclude_archived,
            )
            for meta in source.search_repositories(query, max_results):
                if meta.full_name not in seen:
                    seen.add(meta.full_name)
                    if consider(meta):
                        return
        # The OR half of the filter: search goes by stars, so repositories that are depended
        # upon but little starred come from the stored dependency graph instead.
        for meta in _depended_upon(source, dependents, min_dependents, language, seen):
            if consider(meta):
                return

    search()
    repo_store.upsert_repositories(
        conn,
        [(meta, language) for meta in report.kept],
        source=source_name or getattr(source, "name", "unknown"),
        is_library={m.full_name: is_library(m) for m in report.kept},
    )
    return report


def _depended_upon(
    source: RepoSource,
    dependents: dict[str, int],
    min_dependents: int,
    language: str,
    seen: set[str],
) -> list[RepoMetadata]:
    """Repositories of ``language`` with enough dependents in the stored graph, most first."""
    names = sorted(
        (n for n, count in dependents.items() if count >= min_dependents and n not in seen),
        key=lambda n: (-dependents[n], n),
    )
    if not names:
        return []
    found = source.repository_metadata(names)
    metas = [m for m in found.values() if (m.language or "").lower() == language]
    seen.update(m.full_name for m in metas)
    return sorted(metas, key=lambda m: (-dependents.get(m.full_name, 0), m.full_name))


# --- health ---------------------------------------------------------------------------------


def activity_for(source: RepoSource, names: Sequence[str]) -> dict[str, ActivityStats]:
    """Activity for many repositories, batched when the source can (GitHub GraphQL)."""
    batch = getattr(source, "activity_batch", None)
    if callable(batch):
        return dict(batch(list(names)))
    found: dict[str, ActivityStats] = {}
    for name in names:
        try:
            found[name] = source.activity(name)
        except NotFoundError:
            log.warning("%s: not found at the source; skipped", name)
    return found


def refreshed_metadata(
    source: RepoSource, repos: Sequence[RepoMetadata]
) -> tuple[list[RepoMetadata], list[str]]:
    """Current metadata from the source's batch call (GraphQL on GitHub), under the stored
    names, and the names the source no longer knows.

    Search results are thin (REST search has no closed-issue count, and its open count includes
    pull requests): scoring fresh batch metadata keeps the assets and ``globallm analyze`` equal.
    """
    found = source.repository_metadata([m.full_name for m in repos])
    by_lower = {name.lower(): meta for name, meta in found.items()}
    fresh: list[RepoMetadata] = []
    missing: list[str] = []
    for meta in repos:
        current = by_lower.get(meta.full_name.lower())
        if current is None:
            missing.append(meta.full_name)
        else:
            fresh.append(current.model_copy(update={"full_name": meta.full_name}))
    return fresh, missing


def health_rows(
    settings: Settings,
    source: RepoSource,
    repos: Sequence[RepoMetadata],
    *,
    now: datetime | None = None,
) -> list[tuple[str, float, dict[str, Any]]]:
    """(name, score, components) for each repository the source still knows."""
    # A source with its own clock (the simulated world is anchored to a fixed date) is scored
    # at that moment, so recency means the same as in the activity counts it reports.
    now = now or getattr(source, "now", None)
    weights = health_weights(settings)
    activity = activity_for(source, [m.full_name for m in repos])
    rows = []
    for meta in repos:
        stats = activity.get(meta.full_name)
        if stats is None:
            continue
        breakdown = health_score(meta, stats, weights, now=now)
        rows.append((meta.full_name, breakdown.score, breakdown.as_dict()))
    return rows


# --- dependency graph -----------------------------------------------------------------------


def package_name_guesses(full_name: str) -> list[str]:
    """Registries are keyed by package name; a repository's name is the usual package name."""
    repo = full_name.split("/", 1)[1]
    guesses = [repo, repo.lower()]
    for prefix in ("python-", "py", "node-", "go-", "rust-"):
        if repo.lower().startswith(prefix) and len(repo) > len(prefix) + 1:
            guesses.append(repo[len(prefix) :].lower())
    return list(dict.fromkeys(guesses))


def ecosystem_graph(
    index: PackageIndex, repositories: Iterable[str], *, max_dependency_fetch: int = 5000
) -> tuple[list[DependencyEdge], list[PackageRecord]]:
    """Repository→repository edges of one ecosystem, mapped from package dependencies.

    An index that can enumerate itself (the simulated world) yields the whole ecosystem's graph,
    so dependents count everywhere. A real registry lists a package's dependencies but not its
    dependents, so there the graph covers the known repositories: fetch each one's package,
    then the packages it depends on (to learn which repository each of those lives in).
    """
    from globallm_assets.sources.registries import dependency_edges

    enumerate_all = getattr(index, "all_packages", None)
    if callable(enumerate_all):
        records = list(enumerate_all())
        packages = [p for p in records if p.repository]
        return dependency_edges(records), packages

    known_spelling = {name.lower(): name for name in repositories}
    known = set(known_spelling)
    wanted: list[str] = []
    for name in sorted(known_spelling.values()):
        wanted += package_name_guesses(name)
    found = {p.name.lower(): p for p in index.packages(wanted)}
    seeds = [p for p in found.values() if p.repository and p.repository.lower() in known]
    deps = sorted({d for p in seeds for d in p.dependencies if d.lower() not in found})
    for record in index.packages(deps[:max_dependency_fetch]):
        found.setdefault(record.name.lower(), record)
    packages = [p for p in found.values() if p.repository]
    edges = [e for e in dependency_edges(found.values()) if e.dependent.lower() in known]
    return edges, packages


# --- impact ---------------------------------------------------------------------------------


def impact_rows(
    settings: Settings,
    repos: Sequence[repo_store.StoredRepository],
    edges: Sequence[DependencyEdge],
    *,
    only: Iterable[str] | None = None,
) -> list[tuple[str, float, dict[str, Any]]]:
    """Impact for ``only`` (default: all ``repos``), computed on the whole ecosystem graph.

    Registries spell repository names their own way (GitHub names are case-insensitive), so
    edge endpoints are mapped onto the stored spelling before the graph is built.
    """
    canon: dict[str, str] = {}
    nodes: dict[str, RepoNode] = {}
    for r in repos:
        if r.name.lower() not in canon:
            canon[r.name.lower()] = r.name
            nodes[r.name] = RepoNode(full_name=r.name, stars=r.stars, forks=r.forks)
    mapped = []
    for edge in edges:
        ends = [canon.setdefault(n.lower(), n) for n in (edge.dependent, edge.dependency)]
        for name in ends:
            nodes.setdefault(name, RepoNode(full_name=name, stars=0, forks=0))
        if ends[0] != ends[1]:
            mapped.append(
                DependencyEdge(dependent=ends[0], dependency=ends[1], ecosystem=edge.ecosystem)
            )
    results = impact_scores(list(nodes.values()), mapped, impact_weights(settings))
    wanted = {n.lower() for n in only} if only is not None else {r.name.lower() for r in repos}
    return [(b.full_name, b.score, b.as_dict()) for b in results if b.full_name.lower() in wanted]


def ecosystem_impact(
    settings: Settings,
    conn: psycopg.Connection,
    language: str,
    *,
    extra: Sequence[repo_store.StoredRepository] = (),
    only: Iterable[str] | None = None,
) -> list[tuple[str, float, dict[str, Any]]]:
    """Impact on the ecosystem of ``language``: every stored repository of the ecosystem's
    languages (plus ``extra`` not yet stored) and its stored edges. The asset, ``analyze`` and
    ``analyze-user`` all go through here, so they cannot disagree."""
    peers = [
        r
        for lang in ecosystem_languages(language)
        for r in repo_store.list_repositories(conn, language=lang)
    ]
    known = {r.name.lower() for r in peers}
    peers += [r for r in extra if r.name.lower() not in known]
    edges = repo_store.load_edges(conn, ECOSYSTEM_BY_LANGUAGE[language])
    return impact_rows(settings, peers, edges, only=only)


def ecosystem_languages(language: str) -> list[str]:
    ecosystem = ECOSYSTEM_BY_LANGUAGE[language]
    return [lang for lang, eco in ECOSYSTEM_BY_LANGUAGE.items() if eco == ecosystem]


# --- verdicts -------------------------------------------------------------------------------


def verdict_rows(
    settings: Settings, repos: Sequence[repo_store.StoredRepository]
) -> list[tuple[str, bool, str]]:
    """(name, worth_working_on, reason); unscored repositories get an explicit refusal."""
    rows = []
    for repo in repos:
        if repo.health_score is None or repo.impact_score is None:
            missing = "health" if repo.health_score is None else "impact"
            rows.append((repo.name, False, f"not analyzed yet ({missing} missing)"))
            continue
        decided = verdict(
            repo.health_score,
            repo.impact_score,
            health_threshold=settings.thresholds.health,
            impact_threshold=settings.thresholds.impact,
        )
        rows.append((repo.name, decided.worth_working_on, decided.reason))
    return rows


# --- one repository / one owner (CLI) ------------------------------------------------------


@dataclass(frozen=True)
class Analysis:
    name: str
    language: str
    health: float
    impact: float
    worth_working_on: bool
    reason: str
    health_parts: dict[str, Any]
    impact_parts: dict[str, Any]


def analyze_repository(
    settings: Settings, source: RepoSource, conn: psycopg.Connection, name: str
) -> Analysis:
    """Fetch, score and store one repository (impact from the stored graph of its ecosystem)."""
    found = source.repository_metadata([name])
    meta = found.get(name) or next(iter(found.values()), None)
    if meta is None:
        raise NotFoundError(f"repository {name} not found at the source")
    language = (meta.language or "").lower()
    if language not in ECOSYSTEM_BY_LANGUAGE:
        stored = repo_store.get_repository(conn, meta.full_name)
        language = stored.language if stored else (language or "unknown")
    repo_store.upsert_repositories(
        conn, [(meta, language)], source=getattr(source, "name", "unknown")
    )
    health = health_rows(settings, source, [meta])
    if not health:
        raise NotFoundError(f"repository {meta.full_name} has no activity data at the source")
    repo_store.write_health(conn, health)
    impact = _impact_of(settings, conn, language, [repo_store.get_repository(conn, meta.full_name)])
    repo_store.write_impact(conn, impact)
    decided = verdict(
        health[0][1],
        impact[0][1],
        health_threshold=settings.thresholds.health,
        impact_threshold=settings.thresholds.impact,
    )
    repo_store.write_verdicts(conn, [(meta.full_name, decided.worth_working_on, decided.reason)])
    return Analysis(
        name=meta.full_name,
        language=language,
        health=health[0][1],
        impact=impact[0][1],
        worth_working_on=decided.worth_working_on,
        reason=decided.reason,
        health_parts=health[0][2],
        impact_parts=impact[0][2],
    )


@dataclass(frozen=True)
class OwnerRepository:
    name: str
    stars: int
    health: float
    impact: float
    recommendation: str
    reason: str


def analyze_owner(
    settings: Settings,
    source: RepoSource,
    conn: psycopg.Connection,
    owner: str,
    *,
    min_stars: int = 0,
    include_forks: bool = False,
    max_results: int = 100,
    now: datetime | None = None,
) -> list[OwnerRepository]:
    """Score every repository of one owner, with keep/archive advice (nothing is stored)."""
    query = SearchQuery(
        owner=owner, min_stars=min_stars, include_forks=include_forks, include_archived=True
    )
    metas, _ = refreshed_metadata(source, list(source.search_repositories(query, max_results)))
    health = {name: score for name, score, _ in health_rows(settings, source, metas, now=now)}
    stored = {
        r.name.lower(): r
        for r in repo_store.list_repositories(conn, names=[m.full_name for m in metas])
    }
    nodes = [stored.get(m.full_name.lower()) or transient_repository(m) for m in metas]
    by_language: dict[str, list[repo_store.StoredRepository]] = {}
    for node in nodes:
        by_language.setdefault(node.language, []).append(node)
    impact: dict[str, float] = {}
    for language, group in by_language.items():
        for name, score, _ in _impact_of(settings, conn, language, group):
            impact[name] = score
    moment = now or getattr(source, "now", None) or datetime.now(UTC)
    rows = []
    for meta in metas:
        h, i = health.get(meta.full_name, 0.0), impact.get(meta.full_name, 0.0)
        days = (moment - meta.pushed_at).days if meta.pushed_at else None
        advice, why = archive_recommendation(meta, h, i, days_since_push=days)
        rows.append(OwnerRepository(meta.full_name, meta.stars, h, i, advice, why))
    return rows


def _impact_of(
    settings: Settings,
    conn: psycopg.Connection,
    language: str,
    repos: Sequence[repo_store.StoredRepository | None],
) -> list[tuple[str, float, dict[str, Any]]]:
    """Impact of these repositories within their language's ecosystem (stars/forks only when
    GlobaLLM does not partition that language)."""
    present = [r for r in repos if r is not None]
    names = [r.name for r in present]
    if language in ECOSYSTEM_BY_LANGUAGE:
        return ecosystem_impact(settings, conn, language, extra=present, only=names)
    return impact_rows(settings, present, [], only=names)


def transient_repository(meta: RepoMetadata) -> repo_store.StoredRepository:
    return repo_store.StoredRepository(
        name=meta.full_name,
        language=(meta.language or "").lower(),
        metadata=meta,
        stars=meta.stars,
        forks=meta.forks,
        health_score=None,
        impact_score=None,
        worth_working_on=None,
        verdict_reason=None,
        health=None,
        impact=None,
        analyzed_at=None,
        is_library=None,
    )


# --- asset stages ---------------------------------------------------------------------------
# One call per asset: each reads and writes the store in short transactions of its own (none
# stays open across a source call) and returns a typed report the asset turns into metadata.


@dataclass(frozen=True)
class DiscoveredPartition:
    report: DiscoveryReport
    rows_in_partition: int
    duplicate_names: list[str]
    http_cache_pruned: int


def discover_partition(
    settings: Settings,
    source: RepoSource,
    dsn: str,
    *,
    language: str,
    max_results: int | None = None,
) -> DiscoveredPartition:
    """Discover one language's repositories with the configured filters and store the keepers."""
    with transaction(dsn) as conn:
        report = discover(
            settings,
            source,
            conn,
            language=language,
            max_results=max_results or settings.source.max_results,
            source_name=settings.source.kind,
        )
    with transaction(dsn) as conn:
        return DiscoveredPartition(
            report=report,
            rows_in_partition=repo_store.count_repositories(conn, language=language),
            duplicate_names=repo_store.duplicate_names(conn),
            http_cache_pruned=repo_store.prune_http_cache(conn),
        )


@dataclass(frozen=True)
class HealthReport:
    language: str
    rows: list[tuple[str, float, dict[str, Any]]]
    gone: list[str]

    @property
    def scores(self) -> list[float]:
        return [score for _, score, _ in self.rows]


def score_health(
    settings: Settings, source: RepoSource, dsn: str, *, language: str
) -> HealthReport:
    """Health of every stored repository of the language, from fresh batch metadata.

    Repositories the source no longer knows lose their score: no stale health may keep a
    repository approved.
    """
    with transaction(dsn) as conn:
        repos = repo_store.list_repositories(conn, language=language)
    fresh, missing = refreshed_metadata(source, [r.metadata for r in repos])
    rows = health_rows(settings, source, fresh)
    scored = {name for name, _, _ in rows}
    gone = missing + [m.full_name for m in fresh if m.full_name not in scored]
    with transaction(dsn) as conn:
        repo_store.upsert_repositories(
            conn, [(m, language) for m in fresh], source=settings.source.kind
        )
        repo_store.write_health(conn, rows)
        repo_store.clear_health(conn, gone)
    if gone:
        log.warning("%d repositories no longer at the source: health cleared", len(gone))
    return HealthReport(language=language, rows=rows, gone=gone)


@dataclass(frozen=True)
class GraphReport:
    edges_by_ecosystem: dict[str, int]
    skipped: dict[str, str]

    @property
    def edges(self) -> int:
        return sum(self.edges_by_ecosystem.values())


def build_graph(
    settings: Settings, index_for: Callable[[str], PackageIndex], dsn: str
) -> GraphReport:
    """Rebuild the dependency edges of every configured ecosystem, one ecosystem at a time.

    An unreachable or unconfigured registry keeps its previous edges and does not stop the
    other ecosystems.
    """
    from globallm_assets.sources.base import SourceError

    counts: dict[str, int] = {}
    skipped: dict[str, str] = {}
    for ecosystem in sorted({ECOSYSTEM_BY_LANGUAGE[lang.value] for lang in settings.languages}):
        languages = [lang for lang, eco in ECOSYSTEM_BY_LANGUAGE.items() if eco == ecosystem]
        with transaction(dsn) as conn:
            names = [
                r.name
                for lang in languages
                for r in repo_store.list_repositories(conn, language=lang)
            ]
        if not names:
            counts[ecosystem] = 0
            continue
        try:
            edges, packages = ecosystem_graph(index_for(ecosystem), names)
        except SourceError as exc:
            log.warning("%s graph not rebuilt: %s", ecosystem, exc)
            skipped[ecosystem] = str(exc)
            continue
        with transaction(dsn) as conn:
            counts[ecosystem] = repo_store.replace_graph(conn, ecosystem, edges, packages)
        log.info("%s: %d edges among %d repositories", ecosystem, counts[ecosystem], len(names))
    return GraphReport(edges_by_ecosystem=counts, skipped=skipped)


@dataclass(frozen=True)
class ImpactReport:
    language: str
    rows: list[tuple[str, float, dict[str, Any]]]
    graph_edges: int

    @property
    def scores(self) -> list[float]:
        return [score for _, score, _ in self.rows]


def score_impact(settings: Settings, dsn: str, *, language: str) -> ImpactReport:
    """Impact of the language's repositories on their ecosystem's whole stored graph."""
    with transaction(dsn) as conn:
        mine = [r.name for r in repo_store.list_repositories(conn, language=language)]
        rows = ecosystem_impact(settings, conn, language, only=mine)
        repo_store.write_impact(conn, rows)
        edges = repo_store.count_edges(conn, ECOSYSTEM_BY_LANGUAGE[language])
    return ImpactReport(language=language, rows=rows, graph_edges=edges)


@dataclass(frozen=True)
class VerdictReport:
    language: str
    rows: list[tuple[str, bool, str]]

    @property
    def approved(self) -> list[str]:
        return [name for name, worth, _ in self.rows if worth]


def decide_verdicts(settings: Settings, dsn: str, *, language: str) -> VerdictReport:
    """``worth_working_on`` with its reason for every repository of the language."""
    with transaction(dsn) as conn:
        rows = verdict_rows(settings, repo_store.list_repositories(conn, language=language))
        repo_store.write_verdicts(conn, rows)
    return VerdictReport(language=language, rows=rows)
