"""The simulated world: repositories, activity, issues and package graphs, generated lazily."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np

from globallm_assets.core.models import (
    ECOSYSTEM_BY_LANGUAGE,
    LANGUAGES,
    ActivityStats,
    DependencyEdge,
    IssueRecord,
    PackageRecord,
    RepoMetadata,
)
from globallm_assets.sources.base import SearchQuery, repository_not_found
from globallm_assets.sources.simulated.index import SimulatedPackageIndex
from globallm_assets.sources.simulated.seeding import (
    STAR_CAP,
    aware,
    pick_exact,
    power_law_stars,
    py_random,
    seed_sequence,
    word_choice,
)
from globallm_assets.sources.simulated.text import (
    RepoText,
    generate_text,
    issue_text,
    owner_name,
    package_name,
    paraphrase,
    repo_name,
)
from globallm_assets.sources.simulated.vocabulary import (
    ASSOCIATIONS,
    DOMAIN_KEYS,
    DOMAINS,
    ISSUE_KINDS,
    KIND_LABELS,
    LICENSES,
    STYLES,
)

# Fixed so that nothing drifts with the wall clock: every date is relative to this instant.
DEFAULT_NOW = datetime(2026, 1, 1, tzinfo=UTC)

# Planted-case frequencies (per language, counts are rounded and at least 1 when n >= 10).
FORK_SHARE = 0.04
ARCHIVED_SHARE = 0.03
DEAD_SHARE = 0.05
UNKNOWN_FULL_SHARE = 0.02
UNKNOWN_PARTIAL_SHARE = 0.03
APPLICATION_SHARE = 0.18
NO_README_SHARE = 0.03
REPOS_PER_DUPLICATE_CLUSTER = 40

# Issue counts grow sublinearly with stars and are capped so a demo stays small.
MAX_ISSUES_PER_REPO = 300

_DAY = 86_400.0


@dataclass(frozen=True)
class RepoTruth:
    """What the world planted in one repository, for tests and the demo's self-check."""

    full_name: str
    language: str
    domain: str
    kind: str  # "library" publishes a package; "application" only consumes packages
    dead: bool  # no commits in 90 days (archived repositories are dead too)
    archived: bool
    unknown_activity: str | None  # None, "partial" or "full": which signals come back as None
    fork_of: str | None
    duplicate_of: str | None  # the cluster's original when this README is a near-copy
    package: str | None  # package name in the language's ecosystem


@dataclass
class _Identity:
    owner: str
    name: str
    domain: str
    kind: str
    fork_parent: int | None  # index of the parent within the same language


@dataclass
class _LanguageData:
    language: str
    metas: list[RepoMetadata]
    truths: list[RepoTruth]
    index: dict[str, int]
    arrays: dict[str, np.ndarray]
    clusters: list[list[str]]
    activity_cache: dict[int, ActivityStats] = field(default_factory=dict)
    skeleton_cache: dict[int, dict[str, np.ndarray]] = field(default_factory=dict)


@dataclass
class _EcosystemData:
    packages: dict[str, PackageRecord]
    edges: list[DependencyEdge]


class SimulatedWorld:
    """A synthetic ecosystem implementing ``RepoSource`` plus per-ecosystem package indexes."""

    name = "simulated"

    def __init__(
        self,
        seed: int = 7,
        repos_per_language: int = 200,
        languages: Sequence[str] = LANGUAGES,
        now: datetime | None = None,
    ) -> None:
        if seed < 0:
            raise ValueError("seed must be a non-negative integer")
        if repos_per_language < 1:
            raise ValueError("repos_per_language must be at least 1")
        unknown = [lang for lang in languages if lang not in LANGUAGES]
        if unknown:
            raise ValueError(f"unknown languages {unknown}; expected some of {list(LANGUAGES)}")
        self.seed = seed
        self.repos_per_language = repos_per_language
        self.languages: tuple[str, ...] = tuple(dict.fromkeys(languages))
        self.now = aware(now) if now is not None else DEFAULT_NOW
        self._identities: dict[str, list[_Identity]] | None = None
        self._packages_by_lang: dict[str, list[str | None]] | None = None
        self._name_to_language: dict[str, tuple[str, int]] = {}
        self._lang_cache: dict[str, _LanguageData] = {}
        self._eco_cache: dict[str, _EcosystemData] = {}
        # Languages and ecosystems are built under one re-entrant lock so threaded executors can
        # share a world; per-repository caches need none (a race recomputes the same value).
        self._lock = threading.RLock()

    def __repr__(self) -> str:
        return (
            f"SimulatedWorld(seed={self.seed}, repos_per_language={self.repos_per_language}, "
            f"languages={list(self.languages)})"
        )

    # ----------------------------------------------------------------- RepoSource

    def search_repositories(self, query: SearchQuery, max_results: int) -> Iterator[RepoMetadata]:
        """Filter like GitHub's search: ``created_after`` inclusive, ``created_before`` exclusive.

        The half-open date range lets callers slice a query into adjacent windows (the way one
        works around GitHub's 1000-result cap) without counting a repository twice.
        """
        if max_results <= 0:
            return iter(())
        if query.language is not None:
            lang = query.language.lower()
            languages = (lang,) if lang in self.languages else ()
        else:
            languages = self.languages
        words = query.text.lower().split()
        # GitHub's `topic:NAME` qualifier matches a topic exactly; other words match text.
        wanted_topics = {w[len("topic:") :] for w in words if w.startswith("topic:")}
        terms = [w for w in words if not w.startswith("topic:")]
        owner = query.owner.lower() if query.owner else None
        after = aware(query.created_after) if query.created_after else None
        before = aware(query.created_before) if query.created_before else None
        hits: list[RepoMetadata] = []
        for lang in languages:
            for meta in self._language(lang).metas:
                if meta.stars < query.min_stars:
                    continue
                if query.max_stars is not None and meta.stars > query.max_stars:
                    continue
                if (meta.is_fork and not query.include_forks) or (
                    meta.archived and not query.include_archived
                ):
                    continue
                if owner is not None and meta.full_name.split("/")[0] != owner:
                    continue
                assert meta.created_at is not None
                if after is not None and meta.created_at < after:
                    continue
                if before is not None and meta.created_at >= before:
                    continue
                if wanted_topics and not wanted_topics <= {t.lower() for t in meta.topics}:
                    continue
                if terms:
                    haystack = " ".join(
                        [meta.full_name.split("/")[1], meta.description or "", *meta.topics]
                    ).lower()
                    if not all(term in haystack for term in terms):
                        continue
                hits.append(meta)
        hits.sort(key=lambda m: (-m.stars, m.full_name))
        return (meta.model_copy(deep=True) for meta in hits[:max_results])

    def repository_metadata(self, full_names: Sequence[str]) -> dict[str, RepoMetadata]:
        """Known repositories keyed by canonical ``owner/name``; unknown names are omitted."""
        result: dict[str, RepoMetadata] = {}
        for requested in full_names:
            found = self._locate(requested)
            if found is not None:
                data, i = found
                meta = data.metas[i]
                result[meta.full_name] = meta.model_copy(deep=True)
        return result

    def activity(self, full_name: str) -> ActivityStats:
        data, i = self._require(full_name)
        stats = data.activity_cache.get(i)
        if stats is None:
            stats = self._build_activity(data, i)
            data.activity_cache[i] = stats
        return stats.model_copy()

    def activity_batch(self, full_names: Sequence[str]) -> dict[str, ActivityStats]:
        """Activity of the known repositories among ``full_names`` (unknown ones are absent)."""
        found: dict[str, ActivityStats] = {}
        for name in full_names:
            if self._locate(name) is not None:
                found[name] = self.activity(name)
        return found

    def repository_file(self, full_name: str, path: str) -> str | None:
        """Always ``None``: the world generates no files (opt-outs would be planted as topics).
        ``NotFoundError`` for an unknown repository, like every per-repository call."""
        self._require(full_name)
        return None

    def issues(
        self, full_name: str, *, state: str = "open", since: datetime | None = None
    ) -> Iterator[IssueRecord]:
        """Issues newest first; ``since`` keeps those updated at or after it (GitHub's rule)."""
        if state not in ("open", "closed", "all"):
            raise ValueError(f"state must be 'open', 'closed' or 'all', not {state!r}")
        data, i = self._require(full_name)
        since_ts = aware(since).timestamp() if since is not None else None
        return self._iter_issues(data, i, state, since_ts)

    # ----------------------------------------------------------------- extras

    def repositories(self, language: str | None = None) -> list[RepoMetadata]:
        """Every repository (forks and archived included), most-starred first."""
        languages = self.languages if language is None else self._checked_language(language)
        metas = [m for lang in languages for m in self._language(lang).metas]
        metas.sort(key=lambda m: (-m.stars, m.full_name))
        return [m.model_copy(deep=True) for m in metas]

    def truth(self, full_name: str) -> RepoTruth:
        data, i = self._require(full_name)
        return data.truths[i]

    def truths(self, language: str | None = None) -> list[RepoTruth]:
        languages = self.languages if language is None else self._checked_language(language)
        return [t for lang in languages for t in self._language(lang).truths]

    @property
    def duplicate_clusters(self) -> list[list[str]]:
        """Near-duplicate README clusters, original first; forks (exact copies) are not listed."""
        return [list(c) for lang in self.languages for c in self._language(lang).clusters]

    def packages(self, ecosystem: str) -> list[PackageRecord]:
        """Every package of ``ecosystem`` built from the configured languages, sorted by name."""
        data = self._ecosystem(ecosystem)
        return [data.packages[name].model_copy(deep=True) for name in sorted(data.packages)]

    def package_index(self, ecosystem: str) -> SimulatedPackageIndex:
        return SimulatedPackageIndex(ecosystem, self._ecosystem(ecosystem).packages)

    def dependency_edges(self, language: str | None = None) -> list[DependencyEdge]:
        """Repository-level edges; with ``language``, those with either end in that language.

        Either end, because impact scoring of a language needs the edges pointing *into* its
        repositories while dependents may be written in a sibling language of the ecosystem
        (TypeScript packages depending on JavaScript ones).
        """
        if language is None:
            ecosystems = dict.fromkeys(ECOSYSTEM_BY_LANGUAGE[lang] for lang in self.languages)
            return [e.model_copy() for eco in ecosystems for e in self._ecosystem(eco).edges]
        self._checked_language(language)
        edges = self._ecosystem(ECOSYSTEM_BY_LANGUAGE[language]).edges
        return [
            e.model_copy()
            for e in edges
            if self._name_to_language[e.dependent][0] == language
            or self._name_to_language[e.dependency][0] == language
        ]

    # ----------------------------------------------------------------- lookup

    def _checked_language(self, language: str) -> tuple[str]:
        if language not in self.languages:
            raise ValueError(f"language {language!r} is not part of this world")
        return (language,)

    def _locate(self, full_name: str) -> tuple[_LanguageData, int] | None:
        self._ensure_identities()
        found = self._name_to_language.get(full_name.strip().lower())
        if found is None or found[0] not in self.languages:
            return None
        return self._language(found[0]), found[1]

    def _require(self, full_name: str) -> tuple[_LanguageData, int]:
        found = self._locate(full_name)
        if found is None:
            raise repository_not_found(full_name, self.name)
        return found

    # ----------------------------------------------------------------- generation: names

    def _ensure_identities(self) -> dict[str, list[_Identity]]:
        """Names, domains, kinds and package names for every known language.

        Drawn for all of ``LANGUAGES`` (cheap: strings only) so names are globally unique and a
        language's repositories never depend on which other languages the caller configured.
        """
        with self._lock:
            if self._identities is None:
                self._identities = self._draw_identities()
            return self._identities

    def _draw_identities(self) -> dict[str, list[_Identity]]:
        n = self.repos_per_language
        owner_rnd = py_random(self.seed, "owners")
        owners: list[str] = []
        seen_owners: set[str] = set()
        while len(owners) < max(30, n * len(LANGUAGES) // 3):
            candidate = owner_name(owner_rnd)
            if candidate not in seen_owners:
                seen_owners.add(candidate)
                owners.append(candidate)
        # Zipf-like: a few organisations own many repositories.
        owner_weights = [1.0 / (rank + 1) ** 0.8 for rank in range(len(owners))]

        identities: dict[str, list[_Identity]] = {}
        packages: dict[str, list[str | None]] = {}
        taken_full: set[str] = set()
        taken_pkgs: dict[str, set[str]] = {}
        for lang in LANGUAGES:
            rng = np.random.default_rng(seed_sequence(self.seed, "identity", lang))
            rnd = py_random(self.seed, "names", lang)
            forks = set(pick_exact(rng, np.arange(n), FORK_SHARE, n).tolist()) if n > 1 else set()
            non_forks = np.array([i for i in range(n) if i not in forks])
            apps = set(pick_exact(rng, non_forks, APPLICATION_SHARE, n).tolist())
            domains = rng.choice(len(DOMAIN_KEYS), size=n)
            rows: list[_Identity | None] = [None] * n
            for i in range(n):
                if i in forks:
                    continue
                kind = "application" if i in apps else "library"
                domain = DOMAIN_KEYS[int(domains[i])]
                for attempt in range(100):
                    owner = rnd.choices(owners, owner_weights)[0]
                    name = repo_name(rnd, lang, DOMAINS[domain], kind)
                    if attempt > 20:
                        name = f"{name}{attempt}"
                    if f"{owner}/{name}" not in taken_full:
                        break
                taken_full.add(f"{owner}/{name}")
                rows[i] = _Identity(owner, name, domain, kind, None)
            for i in sorted(forks):
                parent = int(rng.choice(non_forks))
                pid = rows[parent]
                assert pid is not None
                owner = pid.owner
                while f"{owner}/{pid.name}" in taken_full:
                    owner = owner_name(rnd)
                taken_full.add(f"{owner}/{pid.name}")
                rows[i] = _Identity(owner, pid.name, pid.domain, pid.kind, parent)
            done = [row for row in rows if row is not None]
            identities[lang] = done
            eco = ECOSYSTEM_BY_LANGUAGE[lang]
            taken = taken_pkgs.setdefault(eco, set())
            packages[lang] = [
                package_name(rnd, eco, ident.owner, ident.name, taken)
                if ident.kind == "library" and ident.fork_parent is None
                else None
                for ident in done
            ]
            for i, ident in enumerate(done):
                self._name_to_language[f"{ident.owner}/{ident.name}"] = (lang, i)
        self._packages_by_lang = packages
        return identities

    # ----------------------------------------------------------------- generation: a language

    def _language(self, language: str) -> _LanguageData:
        with self._lock:
            cached = self._lang_cache.get(language)
            if cached is None:
                cached = self._build_language(language)
                self._lang_cache[language] = cached
            return cached

    def _build_language(self, lang: str) -> _LanguageData:
        idents = self._ensure_identities()[lang]
        assert self._packages_by_lang is not None
        pkgs = self._packages_by_lang[lang]
        n = len(idents)
        rng = np.random.default_rng(seed_sequence(self.seed, "repos", lang))
        is_fork = np.array([ident.fork_parent is not None for ident in idents])
        parents = np.array(
            [
                i if ident.fork_parent is None else ident.fork_parent
                for i, ident in enumerate(idents)
            ]
        )
        everyone = np.arange(n)
        originals = everyone[~is_fork]

        archived = np.zeros(n, dtype=bool)
        archived[pick_exact(rng, originals, ARCHIVED_SHARE, n)] = True
        dead = archived.copy()
        dead[pick_exact(rng, everyone[~is_fork & ~archived], DEAD_SHARE, n)] = True
        unknown = np.zeros(n, dtype=np.int8)  # 0 known, 1 partial, 2 full
        live = everyone[~archived]
        full_unknown = pick_exact(rng, live, UNKNOWN_FULL_SHARE, n)
        unknown[full_unknown] = 2
        partial_pool = np.setdiff1d(live, full_unknown)
        unknown[pick_exact(rng, partial_pool, UNKNOWN_PARTIAL_SHARE, n)] = 1
        no_readme = np.zeros(n, dtype=bool)
        no_readme[pick_exact(rng, originals, NO_README_SHARE, n)] = True
        no_readme = no_readme[parents]  # a fork mirrors its parent's README, or lack of one

        age = 30.0 + 4600.0 * rng.random(n) ** 0.85
        age[dead] = np.maximum(age[dead], 400.0)
        age = np.where(is_fork, age[parents] * rng.uniform(0.05, 0.95, n), age)
        base = power_law_stars(rng, n).astype(float)
        # Older projects had longer to collect stars; a mild effect keeps the law heavy-tailed.
        stars = base * (0.6 + 0.8 * np.minimum(age / 2000.0, 1.0))
        stars = np.where(is_fork, np.floor(stars / 30.0), stars)
        stars = np.minimum(stars, STAR_CAP).astype(np.int64)
        forks = np.floor(stars * rng.lognormal(np.log(0.12), 0.6, n)).astype(np.int64)
        pop = np.log10(stars + 1.0)
        level = rng.lognormal(0.0, 0.6, n) * (0.5 + 0.25 * pop)
        level[is_fork] *= 0.1

        # Dead repositories were last pushed 120+ days ago (their age is at least 400 days);
        # living ones within the last 80, so a 90-day window always sees their commits.
        idle_days = np.where(
            dead,
            120.0 + rng.random(n) * np.maximum(age - 150.0, 1.0),
            np.minimum(rng.exponential(6.0, n), 80.0),
        )
        idle_days = np.minimum(idle_days, np.maximum(age - 1.0, 0.0))

        contributors = 1 + np.floor(stars**0.6 * rng.lognormal(-0.5, 0.6, n)).astype(np.int64)
        contributors = np.minimum(contributors, 3000)
        commits = np.maximum(1, rng.poisson(level * (3.0 + 4.0 * np.sqrt(contributors))))
        commits[dead] = 0
        share = np.clip(0.9 * contributors**-0.25 * rng.lognormal(0.0, 0.25, n), 0.05, 1.0)
        share = np.maximum(share, 1.0 / contributors)
        share[contributors == 1] = 1.0
        has_ci = rng.random(n) < 0.7 + 0.05 * pop
        ci_total = np.where(has_ci, rng.poisson(commits * 1.4 + 2.0), 0)
        ci_passed = rng.binomial(ci_total, rng.beta(20.0, 2.0, n))
        # Dead but not archived: scheduled workflows keep running against rotting code and fail.
        dead_ci = dead & ~archived
        ci_total[dead_ci] = 1 + rng.poisson(6.0, int(dead_ci.sum()))
        ci_passed[dead_ci] = rng.binomial(ci_total[dead_ci], 0.1)
        ci_total[archived] = 0
        ci_passed[archived] = 0
        responsiveness = np.clip(rng.beta(3.0, 2.0, n) * (0.4 + 0.15 * pop), 0.02, 0.98)
        responsiveness[dead] = 0.0
        has_contributing = rng.random(n) < 0.2 + 0.12 * pop
        releases = np.where(dead, 0, rng.poisson(level * (0.5 + pop)))

        n_issues = np.floor(1.0 + 1.2 * stars**0.55 * rng.lognormal(0.0, 0.5, n))
        n_issues = np.minimum(n_issues, MAX_ISSUES_PER_REPO).astype(np.int64)
        n_issues[is_fork] = 0  # GitHub disables issues on forks by default
        open_frac = np.where(dead, rng.beta(5.0, 2.0, n), rng.beta(2.0, 5.0, n))
        n_open = np.round(n_issues * open_frac).astype(np.int64)

        license_rnd = py_random(self.seed, "licenses", lang)
        drawn = [word_choice(license_rnd, LICENSES) for _ in range(n)]
        licenses = [drawn[int(parents[i])] for i in range(n)]
        created = [self.now - timedelta(days=float(a)) for a in age]
        pushed = [self.now - timedelta(days=float(d)) for d in idle_days]
        secondary = STYLES[lang].secondary

        # Near-duplicate clusters: an original plus 1-3 paraphrases, preferring the same domain.
        dup_rnd = py_random(self.seed, "duplicates", lang)
        candidates = [i for i in originals.tolist() if not no_readme[i]]
        duplicate_of: dict[int, int] = {}
        clusters_idx: list[list[int]] = []
        n_clusters = n // REPOS_PER_DUPLICATE_CLUSTER if n >= 8 else 0
        if n >= 8:
            n_clusters = max(1, n_clusters)
        free = set(candidates)
        for _ in range(n_clusters):
            pool = sorted(free)
            if len(pool) < 2:
                break
            weights = [float(stars[i]) ** 0.5 + 1.0 for i in pool]
            original = dup_rnd.choices(pool, weights)[0]
            free.discard(original)
            same = [i for i in sorted(free) if idents[i].domain == idents[original].domain]
            others = same if len(same) >= 1 else sorted(free)
            size = min(dup_rnd.randint(1, 3), len(others))
            members = dup_rnd.sample(others, size)
            for m in members:
                free.discard(m)
                duplicate_of[m] = original
            clusters_idx.append([original, *members])

        full_names = [f"{ident.owner}/{ident.name}" for ident in idents]
        texts: dict[int, RepoText] = {}
        # Originals first so paraphrases and forks can copy them.
        order = [i for i in range(n) if i not in duplicate_of and not is_fork[i]]
        order += [i for i in range(n) if i in duplicate_of] + [i for i in range(n) if is_fork[i]]
        for i in order:
            ident = idents[i]
            rnd = py_random(self.seed, "text", full_names[i])
            if i in duplicate_of:
                src = duplicate_of[i]
                orig = texts[src]
                level_p = 0.15 if rnd.random() < 0.3 else 0.6  # near copies and paraphrases
                old, new = idents[src].name, ident.name
                texts[i] = RepoText(
                    description=paraphrase(rnd, orig.description, old, new, level_p),
                    topics=list(orig.topics),
                    readme=paraphrase(rnd, orig.readme, old, new, level_p),
                )
            elif is_fork[i]:
                texts[i] = texts[int(parents[i])]
            else:
                pkg = pkgs[i] or ident.name
                texts[i] = generate_text(rnd, lang, ident.domain, ident.kind, full_names[i], pkg)

        metas: list[RepoMetadata] = []
        truths: list[RepoTruth] = []
        index: dict[str, int] = {}
        for i, ident in enumerate(idents):
            rnd = py_random(self.seed, "meta", full_names[i])
            text = texts[i]
            extra = rnd.sample(secondary, rnd.randint(0, min(2, len(secondary))))
            metas.append(
                RepoMetadata(
                    full_name=full_names[i],
                    language=lang,
                    description=text.description,
                    stars=int(stars[i]),
                    forks=int(forks[i]),
                    archived=bool(archived[i]),
                    is_fork=bool(is_fork[i]),
                    license=licenses[i],
                    default_branch="main" if rnd.random() < 0.75 else "master",
                    created_at=created[i],
                    pushed_at=pushed[i],
                    open_issues=int(n_open[i]),
                    closed_issues=int(n_issues[i] - n_open[i]),
                    releases_last_year=None if unknown[i] == 2 else int(releases[i]),
                    languages=[lang, *extra],
                    topics=list(text.topics),
                    homepage=(
                        f"https://{ident.owner}.github.io/{ident.name}"
                        if rnd.random() < 0.3
                        else None
                    ),
                    readme=None if no_readme[i] else text.readme,
                )
            )
            parent = ident.fork_parent
            truths.append(
                RepoTruth(
                    full_name=full_names[i],
                    language=lang,
                    domain=ident.domain,
                    kind=ident.kind,
                    dead=bool(dead[i]),
                    archived=bool(archived[i]),
                    unknown_activity=(None, "partial", "full")[int(unknown[i])],
                    fork_of=full_names[parent] if parent is not None else None,
                    duplicate_of=full_names[duplicate_of[i]] if i in duplicate_of else None,
                    package=pkgs[i],
                )
            )
            index[full_names[i]] = i
        arrays = {
            "created": np.array([c.timestamp() for c in created]),
            "pushed": np.array([p.timestamp() for p in pushed]),
            "dead": dead,
            "unknown": unknown,
            "commits": commits,
            "contributors": contributors,
            "share": share,
            "ci_total": ci_total,
            "ci_passed": ci_passed,
            "responsiveness": responsiveness,
            "has_contributing": has_contributing,
            "has_readme": ~no_readme,
            "n_issues": n_issues,
            "n_open": n_open,
            "stars": stars,
        }
        clusters = [[full_names[i] for i in c] for c in clusters_idx]
        return _LanguageData(lang, metas, truths, index, arrays, clusters)

    # ----------------------------------------------------------------- generation: activity

    def _build_activity(self, data: _LanguageData, i: int) -> ActivityStats:
        a = data.arrays
        mode = int(a["unknown"][i])
        if mode == 2:
            return ActivityStats()
        skel = self._skeleton(data, i)
        window = self.now.timestamp() - 90 * _DAY
        opened = int((skel["created"] >= window).sum())
        closed = int(((skel["closed"] >= window) & skel["is_closed"]).sum())
        rng = np.random.default_rng(seed_sequence(self.seed, "responses", data.metas[i].full_name))
        responses = int(rng.binomial(opened, float(a["responsiveness"][i])))
        partial = mode == 1
        return ActivityStats(
            commits_90d=int(a["commits"][i]),
            contributors=int(a["contributors"][i]),
            top_contributor_share=None if partial else round(float(a["share"][i]), 3),
            ci_runs_total=None if partial else int(a["ci_total"][i]),
            ci_runs_passed=None if partial else int(a["ci_passed"][i]),
            issues_opened_90d=opened,
            issues_closed_90d=closed,
            maintainer_responses_90d=None if partial else responses,
            has_readme=bool(a["has_readme"][i]),
            has_contributing=bool(a["has_contributing"][i]),
        )

    # ----------------------------------------------------------------- generation: issues

    def _skeleton(self, data: _LanguageData, i: int) -> dict[str, np.ndarray]:
        """Issue timing and state (numbers only) so activity can count without writing text."""
        cached = data.skeleton_cache.get(i)
        if cached is not None:
            return cached
        a = data.arrays
        full_name = data.metas[i].full_name
        rng = np.random.default_rng(seed_sequence(self.seed, "issues", full_name))
        total, n_open = int(a["n_issues"][i]), int(a["n_open"][i])
        now = self.now.timestamp()
        start = float(a["created"][i])
        last = float(a["pushed"][i]) if a["dead"][i] else now
        is_closed = np.zeros(total, dtype=bool)
        is_closed[n_open:] = True
        # Reports cluster in the recent past for living projects; closed ones predate the last
        # maintainer activity.
        end = np.where(is_closed, last, now)
        created = end - (end - start) * rng.random(total) ** 1.8
        lag = rng.exponential(15.0 / max(float(a["responsiveness"][i]), 0.05), total) * _DAY
        closed_at = np.minimum(created + lag, last)
        # A fifth of closed issues get a late comment after closing.
        late = rng.exponential(1.0, total) * _DAY * (rng.random(total) < 0.2)
        updated = np.where(
            is_closed,
            np.minimum(closed_at + late, now),
            created + (now - created) * rng.beta(1.0, 3.0, total),
        )
        order = np.argsort(created, kind="stable")
        # Pull requests share the number sequence, hence the gaps.
        numbers = np.cumsum(rng.geometric(0.55, total))
        kinds = rng.choice(len(ISSUE_KINDS), size=total, p=[w for _, w in ISSUE_KINDS])
        skel = {
            "number": numbers,
            "created": created[order],
            "updated": updated[order],
            "closed": closed_at[order],
            "is_closed": is_closed[order],
            "kind": kinds,
        }
        data.skeleton_cache[i] = skel
        return skel

    def _iter_issues(
        self, data: _LanguageData, i: int, state: str, since_ts: float | None
    ) -> Iterator[IssueRecord]:
        skel = self._skeleton(data, i)
        meta = data.metas[i]
        truth = data.truths[i]
        full_name = meta.full_name
        pop = float(np.log10(meta.stars + 1.0))
        dead = truth.dead
        repo_rnd = py_random(self.seed, "issue-style", full_name)
        label_style = repo_rnd.randrange(3)
        unlabeled_rate = repo_rnd.uniform(0.1, 0.6)
        maintainers = [truth.full_name.split("/")[0]] + [
            f"{owner_name(repo_rnd)}" for _ in range(repo_rnd.randint(1, 4))
        ]
        version = f"{repo_rnd.randint(0, 4)}.{repo_rnd.randint(0, 20)}.{repo_rnd.randint(0, 9)}"
        for j in range(len(skel["number"]) - 1, -1, -1):
            is_closed = bool(skel["is_closed"][j])
            if (state == "open" and is_closed) or (state == "closed" and not is_closed):
                continue
            updated = float(skel["updated"][j])
            if since_ts is not None and updated < since_ts:
                continue
            number = int(skel["number"][j])
            rnd = py_random(self.seed, "issue", full_name, str(number))
            kind = ISSUE_KINDS[int(skel["kind"][j])][0]
            title, body, easy = issue_text(
                rnd, kind, truth.language, full_name, truth.domain, version
            )
            labels: list[str] = []
            if rnd.random() > unlabeled_rate:
                labels.append(KIND_LABELS[kind][label_style])
                if easy and rnd.random() < 0.6:
                    labels.append("good first issue")
                if rnd.random() < 0.08:
                    labels.append("help wanted")
                if is_closed and kind in ("feature", "question") and rnd.random() < 0.25:
                    labels.append("wontfix")
                if is_closed and rnd.random() < 0.04:
                    labels.append("duplicate")
                if kind == "feature" and rnd.random() < 0.08:
                    labels.append("breaking change")
            elif rnd.random() < 0.3:
                labels.append("needs triage")
            assignees: list[str] = []
            if not dead and rnd.random() < 0.1 + 0.05 * pop:
                assignees = rnd.sample(maintainers, rnd.choice((1, 1, 1, 2)))
            linked = 0
            if is_closed and kind in ("bug", "performance", "security", "docs", "chore"):
                linked = rnd.choice((0, 1, 1, 1, 2))
            elif not is_closed and rnd.random() < 0.12:
                linked = 1
            reactions = int(rnd.paretovariate(1.5) * (0.3 + pop)) - 1
            yield IssueRecord(
                repository=full_name,
                number=number,
                title=title,
                body=body or None,
                state="closed" if is_closed else "open",
                labels=labels,
                created_at=datetime.fromtimestamp(float(skel["created"][j]), UTC),
                updated_at=datetime.fromtimestamp(updated, UTC),
                closed_at=(
                    datetime.fromtimestamp(float(skel["closed"][j]), UTC) if is_closed else None
                ),
                comments=int(rnd.expovariate(1.0 / (1.0 + pop))),
                reactions=max(0, reactions),
                author_association=str(word_choice(rnd, ASSOCIATIONS)),
                assignees=assignees,
                locked=rnd.random() < (0.06 if is_closed else 0.01),
                linked_pull_requests=linked,
            )

    # ----------------------------------------------------------------- generation: packages

    def _ecosystem(self, ecosystem: str) -> _EcosystemData:
        if ecosystem not in set(ECOSYSTEM_BY_LANGUAGE.values()):
            raise ValueError(f"unknown ecosystem {ecosystem!r}")
        with self._lock:
            cached = self._eco_cache.get(ecosystem)
            if cached is None:
                cached = self._build_ecosystem(ecosystem)
                self._eco_cache[ecosystem] = cached
            return cached

    def _build_ecosystem(self, ecosystem: str) -> _EcosystemData:
        """Grow the graph by preferential attachment in creation order (so it is a DAG).

        A library picks its dependencies among older libraries with weight
        ``(dependents + 1) * (stars + 10) ** 0.5``: popular packages attract more dependents,
        which gives the heavy-tailed in-degree seen in real registries. Applications only
        consume; forks neither publish nor consume.
        """
        langs = [lang for lang in self.languages if ECOSYSTEM_BY_LANGUAGE[lang] == ecosystem]
        nodes: list[tuple[float, str, _LanguageData, int]] = []
        for lang in langs:
            data = self._language(lang)
            for i, (meta, truth) in enumerate(zip(data.metas, data.truths, strict=True)):
                if truth.fork_of is None:
                    nodes.append((float(data.arrays["created"][i]), meta.full_name, data, i))
        nodes.sort(key=lambda node: (node[0], node[1]))
        rng = np.random.default_rng(seed_sequence(self.seed, "graph", ecosystem))
        lib_pos: list[int] = []  # positions (in ``nodes``) of libraries seen so far
        fitness: list[float] = []
        in_degree: list[int] = []
        deps_of: dict[int, list[int]] = {}
        for pos, (_, _, data, i) in enumerate(nodes):
            truth = data.truths[i]
            if lib_pos:
                mean = 6.0 if truth.kind == "application" else 2.5
                k = min(len(lib_pos), int(rng.poisson(mean)))
                if k:
                    w = (np.asarray(in_degree, dtype=float) + 1.0) * np.asarray(fitness)
                    picks = rng.choice(len(lib_pos), size=k, replace=False, p=w / w.sum())
                    deps_of[pos] = sorted(int(p) for p in picks)
                    for p in picks:
                        in_degree[int(p)] += 1
            if truth.kind == "library":
                lib_pos.append(pos)
                fitness.append((float(data.arrays["stars"][i]) + 10.0) ** 0.5)
                in_degree.append(0)

        packages: dict[str, PackageRecord] = {}
        edges: list[DependencyEdge] = []
        for pos, (_, full_name, data, i) in enumerate(nodes):
            dep_nodes = [nodes[lib_pos[p]] for p in deps_of.get(pos, [])]
            for _, dep_name, _, _ in dep_nodes:
                edges.append(
                    DependencyEdge(dependent=full_name, dependency=dep_name, ecosystem=ecosystem)
                )
            truth = data.truths[i]
            if truth.package is None:
                continue
            meta = data.metas[i]
            assert meta.created_at is not None and meta.pushed_at is not None
            age_years = (self.now - meta.created_at).days / 365.0
            prng = py_random(self.seed, "package", full_name)
            major = 0 if age_years < 2 or prng.random() < 0.3 else prng.randint(1, 6)
            released = (
                None
                if prng.random() < 0.05
                else meta.pushed_at - timedelta(days=prng.random() * 20)
            )
            packages[truth.package] = PackageRecord(
                ecosystem=ecosystem,
                name=truth.package,
                version=f"{major}.{prng.randint(0, 30)}.{prng.randint(0, 12)}",
                repository=full_name,
                description=meta.description,
                readme=meta.readme,
                latest_release_at=max(released, meta.created_at) if released else None,
                dependencies=sorted(str(d[2].truths[d[3]].package) for d in dep_nodes),
            )
        return _EcosystemData(packages=packages, edges=edges)
