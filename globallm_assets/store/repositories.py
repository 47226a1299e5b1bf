"""The ``repositories``, ``packages`` and ``http_cache`` tables, and the dependency graph by name.

The graph itself lives in ``store/graph.py`` as arrays; ``dependency_edges`` is a view over it.

Every function takes an open connection and runs inside the caller's transaction, so an asset can
rewrite its partition (delete + insert/update) atomically.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from globallm_assets.core.models import DependencyEdge, PackageRecord, RepoMetadata


@dataclass(frozen=True)
class StoredRepository:
    name: str
    language: str
    metadata: RepoMetadata
    stars: int
    forks: int
    health_score: float | None
    impact_score: float | None
    worth_working_on: bool | None
    verdict_reason: str | None
    health: dict[str, Any] | None
    impact: dict[str, Any] | None
    analyzed_at: datetime | None
    is_library: bool | None

    @property
    def license(self) -> str | None:
        return self.metadata.license


_COLUMNS = (
    "name, language, data, stars, forks, health_score, impact_score, worth_working_on, "
    "verdict_reason, health, impact, analyzed_at, is_library"
)


def _row(row: dict[str, Any]) -> StoredRepository:
    return StoredRepository(
        name=row["name"],
        language=row["language"],
        metadata=RepoMetadata.model_validate(row["data"]),
        stars=row["stars"],
        forks=row["forks"],
        health_score=row["health_score"],
        impact_score=row["impact_score"],
        worth_working_on=row["worth_working_on"],
        verdict_reason=row["verdict_reason"],
        health=row["health"],
        impact=row["impact"],
        analyzed_at=row["analyzed_at"],
        is_library=row["is_library"],
    )


def upsert_repositories(
    conn: psycopg.Connection,
    records: Iterable[tuple[RepoMetadata, str]],
    *,
    source: str,
    is_library: dict[str, bool] | None = None,
) -> int:
    """Insert or refresh repositories (metadata only; scores are left as they are)."""
    rows = [
        (
            meta.full_name,
            language,
            Jsonb(meta.model_dump(mode="json")),
            meta.stars,
            meta.forks,
            source,
            (is_library or {}).get(meta.full_name),
        )
        for meta, language in records
    ]
    if not rows:
        return 0
    with conn.cursor() as cur:
        cur.executemany(
            """
            INSERT INTO repositories (name, language, data, stars, forks, source, is_library,
                                      last_seen_at, updated_at)
            VALUES (%s, %s, %s, %s, %s, %s, %s, now(), now())
            ON CONFLICT (name) DO UPDATE SET
                language = EXCLUDED.language,
                data = EXCLUDED.data,
                stars = EXCLUDED.stars,
                forks = EXCLUDED.forks,
                source = EXCLUDED.source,
                is_library = COALESCE(EXCLUDED.is_library, repositories.is_library),
                last_seen_at = now(),
                updated_at = now()
            """,
            rows,
        )
    return len(rows)


def list_repositories(
    conn: psycopg.Connection,
    *,
    language: str | None = None,
    status: str | None = None,
    names: Sequence[str] | None = None,
) -> list[StoredRepository]:
    """Repositories, most-starred first; ``status`` is approved, rejected or unanalyzed."""
    clauses: list[str] = []
    params: list[Any] = []
    if language is not None:
        clauses.append("language = %s")
        params.append(language)
    if names is not None:
        # GitHub names are case-insensitive: Foo/Bar and foo/bar are one repository.
        clauses.append("lower(name) = ANY(%s)")
        params.append([n.lower() for n in names])
    if status == "approved":
        clauses.append("worth_working_on IS TRUE")
    elif status == "rejected":
        clauses.append("worth_working_on IS FALSE")
    elif status == "unanalyzed":
        clauses.append("worth_working_on IS NULL")
    elif status is not None:
        raise ValueError(f"unknown status filter {status!r}")
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(
            f"SELECT {_COLUMNS} FROM repositories {where} ORDER BY stars DESC, name", params
        )
        return [_row(row) for row in cur.fetchall()]


@dataclass(frozen=True)
class RepositorySummary:
    """A repository's list row: its scalar columns, none of the JSON (metadata, components)."""

    name: str
    language: str
    stars: int
    forks: int
    health_score: float | None
    impact_score: float | None
    worth_working_on: bool | None
    verdict_reason: str | None
    analyzed_at: datetime | None
    is_library: bool | None
    license: str | None  # the one metadata field the list shows


_STATUS_CLAUSES = {
    "approved": "worth_working_on IS TRUE",
    "rejected": "worth_working_on IS FALSE",
    "unanalyzed": "worth_working_on IS NULL",
}


def repository_page(
    conn: psycopg.Connection,
    *,
    language: str | None = None,
    status: str | None = None,
    limit: int | None = None,
) -> tuple[list[RepositorySummary], int]:
    """The ``limit`` most-starred repositories matching the filters, and how many match: the
    filter, order and limit run in SQL and no JSON column is read."""
    clauses: list[str] = []
    params: list[Any] = []
    if language is not None:
        clauses.append("language = %s")
        params.append(language)
    if status is not None:
        if status not in _STATUS_CLAUSES:
            raise ValueError(f"unknown status filter {status!r}")
        clauses.append(_STATUS_CLAUSES[status])
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    fields = ", ".join(RepositorySummary.__dataclass_fields__).replace(
        "license", "data ->> 'license'"
    )
    rows = conn.execute(
        f"SELECT {fields} FROM repositories {where} ORDER BY stars DESC, name LIMIT %s",
        [*params, limit],
    ).fetchall()
    total = conn.execute(f"SELECT count(*) FROM repositories {where}", params).fetchone()
    return [RepositorySummary(*row) for row in rows], int(total[0]) if total else 0


def get_repository(conn: psycopg.Connection, name: str) -> StoredRepository | None:
    found = list_repositories(conn, names=[name])
    return found[0] if found else None


def remove_repository(conn: psycopg.Connection, name: str) -> bool:
    """Delete a repository (any spelling of its name); refuses while an issue is claimed."""
    row = conn.execute(
        "SELECT name FROM repositories WHERE lower(name) = lower(%s) FOR UPDATE", (name,)
    ).fetchone()
    if row is None:
        return False
    name = row[0]
    # Lock the repository's issue rows first: a claim committed between the count and the
    # delete would otherwise be cascaded away under an agent's feet.
    claimed = conn.execute(
        "SELECT count(*) FILTER (WHERE assignment_status = 'assigned') FROM "
        "(SELECT assignment_status FROM issues WHERE repository = %s FOR UPDATE) AS locked",
        (name,),
    ).fetchone()
    if claimed and claimed[0]:
        raise ValueError(f"{name} has {claimed[0]} issue(s) claimed by agents; release them first")
    from globallm_assets.store import graph  # numpy: not loaded by the CLI's reading commands

    graph.remove_node(conn, name)
    conn.execute("DELETE FROM issue_rankings WHERE repository = %s", (name,))
    return conn.execute("DELETE FROM repositories WHERE name = %s", (name,)).rowcount > 0


def write_health(
    conn: psycopg.Connection, rows: Iterable[tuple[str, float, dict[str, Any]]]
) -> int:
    data = [(score, Jsonb(parts), name) for name, score, parts in rows]
    with conn.cursor() as cur:
        cur.executemany(
            "UPDATE repositories SET health_score = %s, health = %s, health_at = now(), "
            "analyzed_at = now() WHERE name = %s",
            data,
        )
    return len(data)


def clear_health(conn: psycopg.Connection, names: Iterable[str]) -> int:
    """Forget the health of repositories the source no longer knows (deleted, made private)."""
    names = list(names)
    if not names:
        return 0
    return conn.execute(
        "UPDATE repositories SET health_score = NULL, health = NULL, health_at = now() "
        "WHERE name = ANY(%s)",
        (names,),
    ).rowcount


def write_impact(
    conn: psycopg.Connection, rows: Iterable[tuple[str, float, dict[str, Any]]]
) -> int:
    data = [(score, Jsonb(parts), name) for name, score, parts in rows]
    with conn.cursor() as cur:
        cur.executemany(
            "UPDATE repositories SET impact_score = %s, impact = %s, impact_at = now(), "
            "analyzed_at = now() WHERE name = %s",
            data,
        )
    return len(data)


def impact_summary(
    conn: psycopg.Connection, language: str, *, top: int = 10
) -> tuple[list[float], list[tuple[str, float, dict[str, Any]]]]:
    """Every stored impact score of the language, and the ``top`` highest with components."""
    scores = conn.execute(
        "SELECT impact_score FROM repositories WHERE language = %s AND impact_score IS NOT NULL",
        (language,),
    ).fetchall()
    best = conn.execute(
        "SELECT name, impact_score, impact FROM repositories "
        "WHERE language = %s AND impact_score IS NOT NULL "
        "ORDER BY impact_score DESC, name LIMIT %s",
        (language, top),
    ).fetchall()
    return [row[0] for row in scores], [(n, s, parts or {}) for n, s, parts in best]


def write_verdicts(conn: psycopg.Connection, rows: Iterable[tuple[str, bool, str]]) -> int:
    data = [(worth, reason, name) for name, worth, reason in rows]
    with conn.cursor() as cur:
        cur.executemany(
            "UPDATE repositories SET worth_working_on = %s, verdict_reason = %s, "
            "analyzed_at = now() WHERE name = %s",
            data,
        )
    return len(data)


def replace_graph(
    conn: psycopg.Connection,
    ecosystem: str,
    edges: Iterable[DependencyEdge],
    packages: Iterable[PackageRecord] = (),
) -> int:
    """Rewrite one ecosystem's edges and packages (call inside a transaction)."""
    from globallm_assets.store import graph

    conn.execute("DELETE FROM packages WHERE ecosystem = %s", (ecosystem,))
    stored = graph.replace_graph_edges(conn, ecosystem, edges)
    with conn.cursor() as cur:
        package_rows = {
            p.name: (
                ecosystem,
                p.name,
                p.repository,
                p.version,
                Jsonb(p.model_dump(mode="json", exclude={"readme"})),
            )
            for p in packages
        }
        cur.executemany(
            "INSERT INTO packages (ecosystem, name, repository, version, data) "
            "VALUES (%s, %s, %s, %s, %s)",
            list(package_rows.values()),
        )
    return stored


def package_aliases(conn: psycopg.Connection, ecosystem: str) -> dict[str, list[str]]:
    """Package names the registry linked to each repository when the graph was last built,
    keyed by lower-case repository name: next time they are looked up first."""
    rows = conn.execute(
        "SELECT lower(repository), name FROM packages "
        "WHERE ecosystem = %s AND repository IS NOT NULL ORDER BY name",
        (ecosystem,),
    ).fetchall()
    aliases: dict[str, list[str]] = {}
    for repository, name in rows:
        aliases.setdefault(repository, []).append(name)
    return aliases


def load_edges(conn: psycopg.Connection, ecosystem: str | None = None) -> list[DependencyEdge]:
    if ecosystem is None:
        rows = conn.execute(
            "SELECT ecosystem, dependent, dependency FROM dependency_edges"
        ).fetchall()
    else:
        rows = conn.execute(
            "SELECT ecosystem, dependent, dependency FROM dependency_edges WHERE ecosystem = %s",
            (ecosystem,),
        ).fetchall()
    return [DependencyEdge(ecosystem=e, dependent=a, dependency=b) for e, a, b in rows]


def count_repositories(conn: psycopg.Connection, *, language: str | None = None) -> int:
    if language is None:
        row = conn.execute("SELECT count(*) FROM repositories").fetchone()
    else:
        row = conn.execute(
            "SELECT count(*) FROM repositories WHERE language = %s", (language,)
        ).fetchone()
    return row[0] if row else 0


def duplicate_names(conn: psycopg.Connection) -> list[str]:
    """Names stored more than once under different spellings (GitHub names ignore case)."""
    rows = conn.execute(
        "SELECT lower(name) FROM repositories GROUP BY 1 HAVING count(*) > 1 ORDER BY 1"
    ).fetchall()
    return [row[0] for row in rows]


def count_edges(conn: psycopg.Connection, ecosystem: str | None = None) -> int:
    from globallm_assets.store import graph

    return graph.count_edges(conn, ecosystem)


def dependents_counts(conn: psycopg.Connection) -> dict[str, int]:
    """Distinct direct dependents per depended-upon repository name, over every ecosystem."""
    from globallm_assets.store import graph

    return graph.dependents_counts(conn)


HTTP_CACHE_MAX_AGE_DAYS = 30  # bodies older than this are refetched anyway: snapshots live a day


def prune_http_cache(conn: psycopg.Connection, max_age_days: int = HTTP_CACHE_MAX_AGE_DAYS) -> int:
    """Drop cached GitHub responses not refreshed for ``max_age_days`` (bounded table)."""
    return conn.execute(
        "DELETE FROM http_cache WHERE updated_at < now() - make_interval(days => %s)",
        (max_age_days,),
    ).rowcount


class PostgresEtagCache:
    """The GitHub source's ETag cache, kept in ``http_cache`` so every process shares it."""

    def __init__(self, dsn: str) -> None:
        self._dsn = dsn

    def _pool(self):
        from globallm_assets.store.db import pool

        return pool(self._dsn)

    def get(self, key: str) -> tuple[str, bytes] | None:
        with self._pool().connection() as conn:
            row = conn.execute(
                "SELECT etag, body FROM http_cache WHERE key = %s", (key,)
            ).fetchone()
        return (row[0], bytes(row[1])) if row else None

    def put(self, key: str, etag: str, body: bytes) -> None:
        with self._pool().connection() as conn:
            conn.execute(
                "INSERT INTO http_cache (key, etag, body) VALUES (%s, %s, %s) "
                "ON CONFLICT (key) DO UPDATE SET etag = EXCLUDED.etag, body = EXCLUDED.body, "
                "updated_at = now()",
                (key, etag, body),
            )
