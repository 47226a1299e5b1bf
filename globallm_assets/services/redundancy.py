"""Redundancy use-cases: embed README texts (cached in PostgreSQL), cluster, recommend."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import psycopg

from globallm_assets.settings import Settings
from globallm_assets.store import repositories as repo_store
from globallm_assets.store.redundancy import RedundancyRow


def embedder(settings: Settings):
    """The configured sentence-transformers model (loaded lazily, offline)."""
    import os

    # Progress bars from the model loader would interleave with our own output and logs.
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    from globallm_assets.llm.embeddings import Embedder

    return Embedder(
        settings.redundancy.model,
        device=settings.redundancy.device,
        batch_size=settings.redundancy.batch_size,
        max_seq_length=settings.redundancy.max_seq_length,
        precision=settings.redundancy.precision,
        verify=settings.redundancy.verify_weights,
        expected_sha256=settings.redundancy.expected_sha256,
    )


def repository_vectors(
    conn: psycopg.Connection, model, repos: Sequence[repo_store.StoredRepository]
) -> np.ndarray:
    """One unit vector per repository, re-embedding only READMEs whose content changed."""
    from globallm_assets.llm.embeddings import embedding_text
    from globallm_assets.store.embeddings import embed_with_cache

    texts = {
        r.name: embedding_text(r.metadata.readme, r.metadata.description, r.metadata.topics)
        for r in repos
    }
    # A repository with no text at all says nothing about what it does: a zero row is similar
    # to nothing (the model would embed "" like any other text and match all empty ones).
    vectors = embed_with_cache(conn, model, {k: t for k, t in texts.items() if t.strip()})
    if not repos:
        return np.zeros((0, 1), np.float32)
    dim = next(iter(vectors.values())).shape[0] if vectors else 1
    zero = np.zeros(dim, np.float32)
    return np.stack([vectors.get(r.name, zero) for r in repos])


def _stats(repo: repo_store.StoredRepository):
    from globallm_assets.core.redundancy import RepoStats

    impact = repo.impact or {}
    return RepoStats(
        health=repo.health_score or 0.0,
        impact=repo.impact_score or 0.0,
        dependents=int(impact.get("direct_dependents") or 0),
        stars=repo.stars,
    )


def language_redundancy(
    settings: Settings, conn: psycopg.Connection, language: str, model
) -> list[RedundancyRow]:
    """Clusters of functionally overlapping repositories of one language, with advice."""
    from globallm_assets.core.redundancy import (
        cluster,
        nearest_neighbors,
        recommend,
        redundancy_penalty,
    )

    threshold = settings.redundancy.threshold
    repos = repo_store.list_repositories(conn, language=language)
    if not repos:
        return []
    names = [r.name for r in repos]
    vectors = repository_vectors(conn, model, repos)
    nearest = dict(zip(names, nearest_neighbors(vectors, names), strict=True))
    by_name = {r.name: r for r in repos}
    advice: dict[str, tuple[str, str, str]] = {}
    for index, group in enumerate(cluster(vectors, names, [language] * len(names), threshold)):
        cluster_id = f"{language}-{index + 1}"
        members = list(group.members)
        for item in recommend(group, {m: _stats(by_name[m]) for m in members}):
            advice[item.repository] = (cluster_id, item.action, item.reason)
    rows = []
    for repo in repos:
        other, similarity = nearest[repo.name]
        cluster_id, action, reason = advice.get(repo.name, (None, None, None))
        penalty = redundancy_penalty(similarity, action == "keep" or cluster_id is None, threshold)
        rows.append(
            RedundancyRow(
                repository=repo.name,
                language=language,
                cluster_id=cluster_id,
                max_similarity=max(-1.0, min(1.0, similarity)),
                most_similar=other,
                penalty=penalty,
                recommendation=action,
                reason=reason,
            )
        )
    return rows


@dataclass(frozen=True)
class Comparison:
    names: list[str]
    matrix: np.ndarray
    threshold: float

    def verdicts(self) -> list[tuple[str, str, float, bool]]:
        out = []
        for i in range(len(self.names)):
            for j in range(i + 1, len(self.names)):
                sim = float(self.matrix[i, j])
                out.append((self.names[i], self.names[j], sim, sim >= self.threshold))
        return out


def compare(
    conn: psycopg.Connection,
    model,
    repos: Sequence[repo_store.StoredRepository],
    threshold: float,
) -> Comparison:
    from globallm_assets.core.redundancy import pairwise_table

    vectors = repository_vectors(conn, model, repos)
    return Comparison(
        [r.name for r in repos], pairwise_table(vectors, [r.name for r in repos]), threshold
    )


def resolve_repositories(
    conn: psycopg.Connection, source, names: Sequence[str]
) -> list[repo_store.StoredRepository]:
    """Stored repositories by name; others are fetched from the source (not stored)."""
    from globallm_assets.services.analysis import transient_repository
    from globallm_assets.sources.base import repository_not_found

    stored = {r.name.lower(): r for r in repo_store.list_repositories(conn, names=list(names))}
    missing = [n for n in names if n.lower() not in stored]
    fetched = source.repository_metadata(missing) if missing else {}
    by_lower = {k.lower(): v for k, v in fetched.items()}
    result = []
    for name in names:
        if name.lower() in stored:
            result.append(stored[name.lower()])
        elif name.lower() in by_lower:
            result.append(transient_repository(by_lower[name.lower()]))
        else:
            raise repository_not_found(name, source.name)
    return result


_embedders: dict[str, Any] = {}
_embedders_lock = threading.Lock()


def shared_embedder(settings: Settings):
    """The configured model, loaded at most once per process (≈10 s and 1.2 GB each time):
    every language partition of a run, and every run of a long-lived worker, shares it."""
    key = settings.redundancy.model_dump_json()
    with _embedders_lock:
        if key not in _embedders:
            _embedders[key] = embedder(settings)
        return _embedders[key]


@dataclass(frozen=True)
class RedundancyReport:
    language: str
    rows: list[RedundancyRow]

    @property
    def clustered(self) -> list[RedundancyRow]:
        return [r for r in self.rows if r.cluster_id]


def redundancy_partition(settings: Settings, dsn: str, *, language: str) -> RedundancyReport:
    """Overlap clusters and advice for the language's repositories, rewritten in one go."""
    return _rewrite_language(settings, dsn, language, shared_embedder(settings))


def redundancy_languages(
    settings: Settings, dsn: str, languages: Sequence[str]
) -> list[RedundancyReport]:
    """:func:`redundancy_partition` for several languages with one model: the redundancy asset
    materializes every requested language in one run, so a run worker loads the model (≈10 s,
    1.2 GB) once instead of once per language. Each language is rewritten in its own
    transaction, as a single-language run would."""
    model = shared_embedder(settings)
    return [_rewrite_language(settings, dsn, language, model) for language in languages]


def _rewrite_language(settings: Settings, dsn: str, language: str, model) -> RedundancyReport:
    from globallm_assets.store.db import transaction
    from globallm_assets.store.redundancy import replace_language

    with transaction(dsn) as conn:
        rows = language_redundancy(settings, conn, language, model)
        replace_language(conn, language, rows)
    return RedundancyReport(language=language, rows=rows)


def explore_language(settings: Settings, dsn: str, *, language: str) -> list[RedundancyRow]:
    """Clusters at the settings' (possibly ad-hoc) threshold, not stored: exploring a threshold
    must not re-rank everybody's issues (``globallm redundancy --language L --threshold T``)."""
    from globallm_assets.store.db import transaction

    model = shared_embedder(settings)
    with transaction(dsn) as conn:
        return language_redundancy(settings, conn, language, model)


def compare_named(settings: Settings, source, dsn: str, names: Sequence[str]) -> Comparison:
    """Pairwise README similarity of named repositories, stored or fetched from the source
    (``globallm redundancy R1 R2 …``); nothing but the embedding cache is written."""
    from globallm_assets.store.db import transaction

    model = shared_embedder(settings)
    with transaction(dsn) as conn:
        repos = resolve_repositories(conn, source, names)
        return compare(conn, model, repos, settings.redundancy.threshold)
