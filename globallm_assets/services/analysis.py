"""Discover → analyze use-cases shared by the Dagster assets and the CLI.

Each function reads what it needs from a source or the store, calls the pure scoring code in
``core`` and returns rows; callers decide the transaction. That keeps a CLI ``analyze`` and the
``repository_health`` asset computing exactly the same numbers.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import psycopg

from globallm_assets.core.domains import queries_for
from globallm_assets.core.health import HealthWeights, health_score
from globallm_assets.core.impact import (
    BETWEENNESS_K,
    ImpactWeights,
    RepoNode,
    impact_scores,
    impact_scores_arrays,
)
from globallm_assets.core.models import (
    ECOSYSTEM_BY_LANGUAGE,
    ActivityStats,
    DependencyEdge,
    PackageRecord,
    RepoMetadata,
)
from globallm_assets.core.packages import candidate_names, canonical_name, dependency_edges
from globallm_assets.core.selection import (
    LibraryEvidence,
    archive_recommendation,
    library_evidence,
    passes_filters,
    verdict,
)
from globallm_assets.settings import Settings
from globallm_assets.sources.base import (
    NotFoundError,
    PackageIndex,
    RepoSource,
    SearchQuery,
    SourceError,
    repository_not_found,
)
from globallm_assets.store import graph as graph_store
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
    # Why each keeper passed (stars or dependents), and whether it counts as a library and why.
    why_kept: dict[str, str] = field(default_factory=dict)
    library: dict[str, LibraryEvidence] = field(default_factory=dict)


# Candidates looked at per kept repository before a search gives up: ``--max-results N`` keeps N
# when the source holds them, but a filter that rejects almost everything must not page forever.
SCAN_PER_KEPT = 20
MIN_SCAN = 1000
# Library evidence is gathered for this many candidates at once (one GraphQL batch on GitHub).
EVIDENCE_BATCH = 25


def discover(
    settings: Settings,
    source: RepoSource,
    dsn: str,
    *,
    language: str,
    domain: str = "overall",
    max_results: int = 100,
    min_stars: int | None = None,
    min_dependents: int | None = None,
    library_only: bool = False,
    index: PackageIndex | None = None,
    source_name: str | None = None,
) -> DiscoveryReport:
    """Search the source with the domain's curated queries, filter, upsert the keepers.

    ``max_results`` is the number kept (not the number looked at): the search goes on until that
    many pass the filters, the source runs out, or ``SCAN_PER_KEPT`` candidates per wanted
    keeper were seen. With ``library_only``, candidates are judged by
    :func:`~globallm_assets.core.selection.library_evidence`: the stored ``packages`` table and
    ``index`` (the ecosystem's registry) first, then the README and topics of fresh batch
    metadata (search results carry no README).

    The store is read before the search and written after it, each in a short transaction:
    the keepers of one call are stored together or not at all.
    """
    filters = settings.filters
    min_stars = filters.min_stars if min_stars is None else min_stars
    min_dependents = filters.min_dependents if min_dependents is None else min_dependents
    ecosystem = ECOSYSTEM_BY_LANGUAGE.get(language)
    with transaction(dsn) as conn:
        dependents = repo_store.dependents_counts(conn)
        published = repo_store.package_aliases(conn, ecosystem) if ecosystem else {}
    evidence = _PublishingEvidence(index, ecosystem, published)
    report = DiscoveryReport(language=language)
    seen: set[str] = set()
    pending: list[tuple[RepoMetadata, str]] = []
    budget = max(MIN_SCAN, SCAN_PER_KEPT * max_results)

    def full() -> bool:
        return len(report.kept) >= max_results

    def judge(batch: list[tuple[RepoMetadata, str]]) -> None:
        """Keep or reject candidates that passed the filters, by their library evidence."""
        names = [meta.full_name for meta, _ in batch]
        fresh = source.repository_metadata(names) if library_only else {}
        for meta, why in batch:
            current = fresh.get(meta.full_name, meta) if library_only else meta
            verdict = library_evidence(current, ecosystem=ecosystem, **evidence.of(current))
            if library_only and not verdict.is_library:
                report.rejected.append((meta.full_name, f"not a library: {verdict.reason}"))
            elif not full():
                report.kept.append(meta)
                report.why_kept[meta.full_name] = why
                report.library[meta.full_name] = verdict

    def consider(meta: RepoMetadata) -> bool:
        """Filter one candidate; True once enough are kept."""
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
        if not decision.keep:
            report.rejected.append((meta.full_name, decision.reason))
            return False
        pending.append((meta, decision.reason))
        if len(pending) >= (EVIDENCE_BATCH if library_only else 1):
            judge(pending)
            pending.clear()
        return full()

    def candidates() -> Iterator[RepoMetadata]:
        for text in queries_for(domain):
            query = SearchQuery(
                text=text,
                language=language,
                min_stars=min_stars,
                include_forks=not filters.exclude_forks,
                include_archived=not filters.exclude_archived,
            )
            yield from source.search_repositories(query, budget)
        # The OR half of the filter: search goes by stars, so repositories that are depended
        # upon but little starred come from the stored dependency graph instead.
        yield from _depended_upon(source, dependents, min_dependents, language, seen)

    for meta in candidates():
        if meta.full_name in seen:
            continue
        seen.add(meta.full_name)
        if consider(meta) or report.found >= budget:
            break
    if pending and not full():
        judge(pending)
    with transaction(dsn) as conn:
        repo_store.upsert_repositories(
            conn,
            [(meta, language) for meta in report.kept],
            source=source_name or source.name,
            is_library={name: v.is_library for name, v in report.library.items()},
        )
    return report


class _PublishingEvidence:
    """Whether a repository publishes a package: the stored ``packages`` table (names the
    registry linked to it when the graph was built), then the registry itself: exactly for a
    closed world that lists every package, by candidate names for a real registry (where a miss
    proves nothing, so it answers "unknown"). A failing registry is asked no more."""

    def __init__(
        self, index: PackageIndex | None, ecosystem: str | None, published: dict[str, list[str]]
    ) -> None:
        self._index = index
        self._ecosystem = ecosystem
        self._published = dict(published)
        self._complete = False
        if index is not None:
            everything = index.all_packages()
            if everything is not None:
                self._complete = True
                for record in everything:
                    if record.repository:
                        self._published.setdefault(record.repository.lower(), [record.name])

    def of(self, meta: RepoMetadata) -> dict[str, Any]:
        key = meta.full_name.lower()
        if key in self._published:
            return {"publishes": True, "package": self._published[key][0]}
        if self._complete:
            return {"publishes": False}
        if self._index is None or self._ecosystem is None:
            return {"publishes": None}
        names = candidate_names(self._ecosystem, meta.full_name, readme=meta.readme)
        try:
            for record in self._index.packages(names):
                if (record.repository or "").lower() == key:
                    self._published[key] = [record.name]
                    return {"publishes": True, "package": record.name}
        except SourceError as exc:
            log.warning("%s registry not consulted for library evidence: %s", self._ecosystem, exc)
            self._index = None
        return {"publishes": None}


def _depended_upon(
    source: RepoSource,
    dependents: dict[str, int],
    min_dependents: int,
    language: str,
    seen: set[str],
) -> list[RepoMetadata]:
    """Repositories of ``language`` with enough dependents in the stored graph and not in
    ``seen`` (the search found them already), most depended upon first."""
    names = sorted(
        (n for n, count in dependents.items() if count >= min_dependents and n not in seen),
        key=lambda n: (-dependents[n], n),
    )
    if not names:
        return []
    found = source.repository_metadata(names)
    metas = [m for m in found.values() if (m.language or "").lower() == language]
    return sorted(metas, key=lambda m: (-dependents.get(m.full_name, 0), m.full_name))


# --- health ---------------------------------------------------------------------------------


def activity_for(source: RepoSource, names: Sequence[str]) -> dict[str, ActivityStats]:
    """Activity for many repositories in the source's batches (GraphQL on GitHub); repositories
    the source does not know are logged and left out."""
    found = source.activity_batch(list(names))
    for name in names:
        if name not in found:
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
    # Scored at the source's moment (the simulated world is anchored to a fixed date), so
    # recency means the same as in the activity counts it reports.
    now = now or source.now
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


def ecosystem_graph(
    index: PackageIndex,
    repositories: Iterable[str],
    *,
    readmes: Mapping[str, str | None] | None = None,
    aliases: Mapping[str, Sequence[str]] | None = None,
    max_fetch: int = 5000,
) -> tuple[list[DependencyEdge], list[PackageRecord]]:
    """Repository→repository edges of one ecosystem, mapped from package dependencies.

    An index that can enumerate itself (the simulated world) yields the whole ecosystem's graph,
    so dependents count everywhere. A real registry lists a package's dependencies but not its
    dependents, so there the graph covers the known repositories. Each repository's packages are
    looked up under :func:`~globallm_assets.core.packages.candidate_names` (names the registry
    linked to it before — ``aliases``, keyed by lower-case repository name — names its README
    installs, then its own name's spellings) and count only when the registry links them back.
    Then the packages they depend on are fetched, to learn which repository each lives in; a
    dependency that turns out to be published from a known repository is that repository's
    package too (the registry's own data names it), so its dependencies are fetched in turn.
    ``max_fetch`` bounds the dependency look-ups.
    """
    records = index.all_packages()
    if records is not None:
        packages = [p for p in records if p.repository]
        return dependency_edges(records), packages

    ecosystem = index.ecosystem
    known_spelling = {name.lower(): name for name in repositories}
    known = set(known_spelling)
    wanted: list[str] = []
    for lower, name in sorted(known_spelling.items()):
        wanted += candidate_names(
            ecosystem,
            name,
            readme=(readmes or {}).get(name),
            known=(aliases or {}).get(lower, ()),
        )
    found: dict[str, PackageRecord] = {}

    def add(batch: Iterable[PackageRecord]) -> list[PackageRecord]:
        fresh = []
        for record in batch:
            key = canonical_name(ecosystem, record.name)
            if key not in found:
                found[key] = record
                fresh.append(record)
        return fresh

    frontier = [p for p in add(index.packages(wanted)) if (p.repository or "").lower() in known]
    fetched = 0
    while frontier and fetched < max_fetch:
        deps = sorted(
            {
                d
                for p in frontier
                for d in p.dependencies
                if canonical_name(ecosystem, d) not in found
            }
        )[: max_fetch - fetched]
        fetched += len(deps)
        frontier = [p for p in add(index.packages(deps)) if (p.repository or "").lower() in known]
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


# What an ecosystem's stored impact was computed with, besides its graph and repositories:
# changing any of it (or the kernel below) scores the ecosystem again.
IMPACT_KERNEL = f"impact-arrays-1/betweenness_k={BETWEENNESS_K}/seed=0"


@dataclass(frozen=True)
class EcosystemImpact:
    """Impact of an ecosystem's repositories as columns: entry ``i`` of every array belongs to
    ``names[i]``. Keys of ``columns`` are ``ImpactBreakdown``'s numeric fields."""

    ecosystem: str
    names: list[str]
    languages: list[str]
    columns: dict[str, np.ndarray]
    exact_reach: bool

    def for_store(self) -> dict[str, Any]:
        return {
            **self.columns,
            "full_name": self.names,
            "exact_reach": [self.exact_reach] * len(self.names),
        }

    def rows(self, only: Iterable[str] | None = None) -> list[tuple[str, float, dict[str, Any]]]:
        """(name, score, components) of ``only`` (default: every repository), as
        ``ImpactBreakdown.as_dict`` spells them."""
        wanted = None if only is None else {n.lower() for n in only}
        rows = []
        for i, name in enumerate(self.names):
            if wanted is not None and name.lower() not in wanted:
                continue
            parts: dict[str, Any] = {"full_name": name}
            for key, values in self.columns.items():
                parts[key] = values[i].item()
            parts["exact_reach"] = self.exact_reach
            rows.append((name, parts["score"], parts))
        return rows


def score_ecosystem(
    settings: Settings,
    conn: psycopg.Connection,
    ecosystem: str,
    *,
    extra: Sequence[repo_store.StoredRepository] = (),
) -> EcosystemImpact:
    """Impact of every stored repository of the ecosystem's languages (plus ``extra`` not yet
    stored) on the ecosystem's stored graph, array in, array out.

    The graph's nodes are the stored repositories and every name on an edge (a name only on
    an edge is a dependent with no stars or forks), exactly as :func:`impact_rows` builds
    them from records; here the edges arrive as int32 ids and names never enter Python.
    """
    graph_store.bulk_settings(conn)
    repos = graph_store.ecosystem_repositories(conn, ecosystem, ecosystem_languages_of(ecosystem))
    graph = graph_store.load_graph(conn, ecosystem)
    names, languages = list(repos.names), list(repos.languages)
    stars, forks, node = repos.stars, repos.forks, repos.node
    known = {name.lower() for name in names}
    fresh: dict[str, repo_store.StoredRepository] = {}
    for r in extra:
        if r.name.lower() not in known:
            fresh.setdefault(r.name.lower(), r)
    if fresh:
        ids = graph_store.node_ids(conn, ecosystem, [r.name for r in fresh.values()])
        names += [r.name for r in fresh.values()]
        languages += [r.language for r in fresh.values()]
        stars = np.concatenate([stars, [r.stars for r in fresh.values()]]).astype(np.int64)
        forks = np.concatenate([forks, [r.forks for r in fresh.values()]]).astype(np.int64)
        node = np.concatenate([node, [ids.get(key, -1) for key in fresh]]).astype(np.int64)

    # Graph nodes that touch an edge or are a repository, renumbered densely; repositories
    # outside the graph come after them.
    active = np.zeros(graph.n_ids, dtype=bool)
    active[graph.src] = True
    active[graph.dst] = True
    in_graph = node >= 0
    active[node[in_graph]] = True
    remap = np.full(graph.n_ids, -1, dtype=np.int32)
    in_use = int(active.sum())
    remap[active] = np.arange(in_use, dtype=np.int32)
    del active
    position = np.empty(len(names), dtype=np.int64)
    position[in_graph] = remap[node[in_graph]]
    outside = int((~in_graph).sum())
    position[~in_graph] = in_use + np.arange(outside)
    n_nodes = in_use + outside
    node_stars = np.zeros(n_nodes, dtype=np.int64)
    node_forks = np.zeros(n_nodes, dtype=np.int64)
    node_stars[position] = stars
    node_forks[position] = forks
    src, dst = remap[graph.src], remap[graph.dst]
    del graph, remap
    out = impact_scores_arrays(
        n_nodes, src, dst, node_stars, node_forks, impact_weights(settings), seed=0
    )
    del src, dst
    columns = {
        key: out[key][position]
        for key in (
            "score",
            "direct_dependents",
            "transitive_dependents",
            "pagerank",
            "betweenness",
            "direct_component",
            "transitive_component",
            "pagerank_component",
            "betweenness_component",
            "stars_component",
            "forks_component",
        )
    }
    columns["stars"] = stars
    columns["forks"] = forks
    return EcosystemImpact(
        ecosystem=ecosystem,
        names=names,
        languages=languages,
        columns=columns,
        exact_reach=bool(out["exact_reach"]),
    )


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
    ``analyze-user`` all go through :func:`score_ecosystem`, so they cannot disagree."""
    scored = score_ecosystem(settings, conn, ECOSYSTEM_BY_LANGUAGE[language], extra=extra)
    return scored.rows(only)


def ecosystem_languages(language: str) -> list[str]:
    """The languages sharing ``language``'s ecosystem (JavaScript and TypeScript share npm)."""
    return ecosystem_languages_of(ECOSYSTEM_BY_LANGUAGE[language])


def ecosystem_languages_of(ecosystem: str) -> list[str]:
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


def lookup_repository(source: RepoSource, name: str) -> RepoMetadata:
    """Current metadata of one repository under the source's canonical spelling, or the one
    ``NotFoundError`` every command reports the same way."""
    found = source.repository_metadata([name])
    meta = found.get(name) or next(iter(found.values()), None)
    if meta is None:
        raise repository_not_found(name, source.name)
    return meta


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
    # Edges stored for the repository's ecosystem: none means impact saw no dependents at all.
    graph_edges: int = 0


def analyze_repository(settings: Settings, source: RepoSource, dsn: str, name: str) -> Analysis:
    """Fetch, score and store one repository (impact from the stored graph of its ecosystem)
    (``globallm analyze OWNER/REPO``). The source is read first; everything is then written in
    one transaction."""
    meta = lookup_repository(source, name)
    health = health_rows(settings, source, [meta])
    if not health:
        raise NotFoundError(f"repository {meta.full_name} has no activity data at the source")
    language = (meta.language or "").lower()
    with transaction(dsn) as conn:
        if language not in ECOSYSTEM_BY_LANGUAGE:
            stored = repo_store.get_repository(conn, meta.full_name)
            language = stored.language if stored else (language or "unknown")
        repo_store.upsert_repositories(conn, [(meta, language)], source=source.name)
        repo_store.write_health(conn, health)
        current = [repo_store.get_repository(conn, meta.full_name)]
        impact = _impact_of(settings, conn, language, current)
        repo_store.write_impact(conn, impact)
        decided = verdict(
            health[0][1],
            impact[0][1],
            health_threshold=settings.thresholds.health,
            impact_threshold=settings.thresholds.impact,
        )
        repo_store.write_verdicts(
            conn, [(meta.full_name, decided.worth_working_on, decided.reason)]
        )
        edges = (
            repo_store.count_edges(conn, ECOSYSTEM_BY_LANGUAGE[language])
            if language in ECOSYSTEM_BY_LANGUAGE
            else 0
        )
    return Analysis(
        name=meta.full_name,
        language=language,
        health=health[0][1],
        impact=impact[0][1],
        worth_working_on=decided.worth_working_on,
        reason=decided.reason,
        health_parts=health[0][2],
        impact_parts=impact[0][2],
        graph_edges=edges,
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
    dsn: str,
    owner: str,
    *,
    min_stars: int = 0,
    include_forks: bool = False,
    max_results: int = 100,
    now: datetime | None = None,
) -> list[OwnerRepository]:
    """Score every repository of one owner, with keep/archive advice (``globallm analyze-user``;
    nothing is stored). The source is read before the store."""
    query = SearchQuery(
        owner=owner, min_stars=min_stars, include_forks=include_forks, include_archived=True
    )
    metas, _ = refreshed_metadata(source, list(source.search_repositories(query, max_results)))
    health = {name: score for name, score, _ in health_rows(settings, source, metas, now=now)}
    impact: dict[str, float] = {}
    with transaction(dsn) as conn:
        stored = {
            r.name.lower(): r
            for r in repo_store.list_repositories(conn, names=[m.full_name for m in metas])
        }
        nodes = [stored.get(m.full_name.lower()) or transient_repository(m) for m in metas]
        by_language: dict[str, list[repo_store.StoredRepository]] = {}
        for node in nodes:
            by_language.setdefault(node.language, []).append(node)
        for language, group in by_language.items():
            for name, score, _ in _impact_of(settings, conn, language, group):
                impact[name] = score
    moment = now or source.now
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
    report = discover(
        settings,
        source,
        dsn,
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
    skipped: dict[str, str]  # ecosystem → why it kept its previous edges
    repositories: dict[str, int] = field(default_factory=dict)  # known ones per ecosystem

    @property
    def edges(self) -> int:
        return sum(self.edges_by_ecosystem.values())


def build_graph(
    settings: Settings,
    index_for: Callable[[str], PackageIndex],
    dsn: str,
    *,
    languages: Sequence[str] | None = None,
    on_ecosystem: Callable[[str], None] | None = None,
) -> GraphReport:
    """Rebuild the dependency edges of the ecosystems of ``languages`` (default: the configured
    ones), one ecosystem at a time; the ``dependency_graph`` asset and ``globallm graph build``
    both run this.

    Each repository's packages are looked up under the names the registry linked to it before
    (the stored ``packages`` table), the names its README installs, and its own name's
    spellings (:func:`ecosystem_graph`). Registry calls happen between short transactions, never
    inside one. An unreachable or unconfigured registry keeps its previous edges and does not
    stop the other ecosystems.
    """
    chosen = languages or [lang.value for lang in settings.languages]
    counts: dict[str, int] = {}
    skipped: dict[str, str] = {}
    known: dict[str, int] = {}
    for ecosystem in sorted({ECOSYSTEM_BY_LANGUAGE[lang] for lang in chosen}):
        if on_ecosystem:
            on_ecosystem(ecosystem)
        with transaction(dsn) as conn:
            repos = [
                r
                for lang in ecosystem_languages_of(ecosystem)
                for r in repo_store.list_repositories(conn, language=lang)
            ]
            aliases = repo_store.package_aliases(conn, ecosystem)
        known[ecosystem] = len(repos)
        if not repos:
            counts[ecosystem] = 0
            continue
        try:
            edges, packages = ecosystem_graph(
                index_for(ecosystem),
                [r.name for r in repos],
                readmes={r.name: r.metadata.readme for r in repos},
                aliases=aliases,
            )
        except SourceError as exc:
            log.warning("%s graph not rebuilt: %s", ecosystem, exc)
            skipped[ecosystem] = str(exc)
            continue
        with transaction(dsn) as conn:
            counts[ecosystem] = repo_store.replace_graph(conn, ecosystem, edges, packages)
        log.info("%s: %d edges among %d repositories", ecosystem, counts[ecosystem], len(repos))
    return GraphReport(edges_by_ecosystem=counts, skipped=skipped, repositories=known)


@dataclass(frozen=True)
class ImpactReport:
    language: str
    scores: list[float]  # every scored repository of the language
    top: list[tuple[str, float, dict[str, Any]]]  # the ten highest, with their components
    graph_edges: int
    # False when the ecosystem's inputs had not changed since it was last scored (the other
    # language of npm, a re-run): the stored scores stand.
    scored_now: bool = True
    rows_changed: int = 0


def impact_parameters(settings: Settings) -> str:
    weights = impact_weights(settings).normalized()
    return f"{IMPACT_KERNEL}/" + ",".join(f"{k}={v!r}" for k, v in sorted(weights.items()))


def score_impact(settings: Settings, dsn: str, *, language: str) -> ImpactReport:
    """Impact of the language's repositories on their ecosystem's whole stored graph.

    The ecosystem is scored once for all its languages (JavaScript and TypeScript share npm):
    under a per-ecosystem lock, a partition whose ecosystem was already scored from the same
    graph version, repositories, stars, forks and weights keeps the stored scores. Scores go
    back in one statement that rewrites only the rows that changed.
    """
    ecosystem = ECOSYSTEM_BY_LANGUAGE[language]
    with transaction(dsn) as conn:
        graph_store.bulk_settings(conn)
        graph_store.lock_impact(conn, ecosystem)
        fingerprint = graph_store.impact_fingerprint(
            conn, ecosystem, ecosystem_languages_of(ecosystem), impact_parameters(settings)
        )
        scored_now = fingerprint != graph_store.stored_fingerprint(conn, ecosystem)
        changed = 0
        if scored_now:
            scored = score_ecosystem(settings, conn, ecosystem)
            changed = graph_store.write_impact_columns(conn, scored.for_store())
            del scored
            graph_store.set_fingerprint(conn, ecosystem, fingerprint)
        scores, top = repo_store.impact_summary(conn, language)
        edges = repo_store.count_edges(conn, ecosystem)
    return ImpactReport(
        language=language,
        scores=scores,
        top=top,
        graph_edges=edges,
        scored_now=scored_now,
        rows_changed=changed,
    )


@dataclass(frozen=True)
class VerdictReport:
    language: str
    rows: list[tuple[str, bool, str]]
    # Stored verdicts that disagree with the stored scores and the thresholds (a check).
    inconsistent: list[str]

    @property
    def approved(self) -> list[str]:
        return [name for name, worth, _ in self.rows if worth]


def decide_verdicts(settings: Settings, dsn: str, *, language: str) -> VerdictReport:
    """``worth_working_on`` with its reason for every repository of the language."""
    health, impact = settings.thresholds.health, settings.thresholds.impact
    with transaction(dsn) as conn:
        rows = verdict_rows(settings, repo_store.list_repositories(conn, language=language))
        repo_store.write_verdicts(conn, rows)
        stored = repo_store.list_repositories(conn, language=language)
    inconsistent = [
        r.name
        for r in stored
        if r.worth_working_on
        is not (
            r.health_score is not None
            and r.impact_score is not None
            and r.health_score > health
            and r.impact_score > impact
        )
    ]
    return VerdictReport(language=language, rows=rows, inconsistent=inconsistent)


# --- CLI flows ------------------------------------------------------------------------------
# The commands' use-cases, on the same functions as the assets, each committing what it writes
# in one transaction.


def discover_languages(
    settings: Settings,
    source: RepoSource,
    dsn: str,
    *,
    languages: Sequence[str],
    domain: str = "overall",
    max_results: int | None = None,
    min_stars: int | None = None,
    min_dependents: int | None = None,
    library_only: bool = False,
    index_for: Callable[[str], PackageIndex | None] | None = None,
    on_language: Callable[[str], None] | None = None,
) -> list[DiscoveryReport]:
    """``globallm discover``: each language's keepers, stored together or not at all."""
    reports = []
    for language in languages:
        if on_language:
            on_language(language)
        index = index_for(ECOSYSTEM_BY_LANGUAGE[language]) if index_for else None
        reports.append(
            discover(
                settings,
                source,
                dsn,
                language=language,
                domain=domain,
                max_results=max_results or settings.source.max_results,
                min_stars=min_stars,
                min_dependents=min_dependents,
                library_only=library_only,
                index=index,
                source_name=settings.source.kind,
            )
        )
    return reports


@dataclass(frozen=True)
class LanguagesAnalysis:
    graph: GraphReport
    health: list[HealthReport]
    impact: list[ImpactReport]
    verdicts: list[VerdictReport]


def analyze_languages(
    settings: Settings,
    source: RepoSource,
    index_for: Callable[[str], PackageIndex],
    dsn: str,
    *,
    languages: Sequence[str],
    on_step: Callable[[str], None] | None = None,
) -> LanguagesAnalysis:
    """``globallm analyze --language L`` / ``--all``: the analysis assets' stages in their
    order: the dependency graph of the languages' ecosystems, then per language health,
    impact (on that graph) and verdicts."""

    def step(text: str) -> None:
        if on_step:
            on_step(text)

    graph = build_graph(
        settings,
        index_for,
        dsn,
        languages=languages,
        on_ecosystem=lambda eco: step(f"dependency graph: {eco}"),
    )
    health, impact, verdicts = [], [], []
    for language in languages:
        step(f"health: {language}")
        health.append(score_health(settings, source, dsn, language=language))
        step(f"impact: {language}")
        impact.append(score_impact(settings, dsn, language=language))
        step(f"verdicts: {language}")
        verdicts.append(decide_verdicts(settings, dsn, language=language))
    return LanguagesAnalysis(graph=graph, health=health, impact=impact, verdicts=verdicts)
