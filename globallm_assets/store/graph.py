"""The dependency graph as arrays: ``graph_nodes``, ``graph_edge_blocks`` and ``graph_versions``.

A graph of 3·10^7 edges cannot travel as one Python object per edge (11 GB at 10^7). Node names
are mapped to dense per-ecosystem ids once, when the graph is stored; edges are int4[] blocks of
up to ``BLOCK_EDGES`` and come back by binary fetch straight into numpy, and impact goes back
as columns in one set-based UPDATE that touches only the rows whose scores changed.
``dependency_edges`` stays as a view over these tables for analysts.

Every function takes an open connection and runs inside the caller's transaction.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import psycopg
from psycopg.adapt import Loader
from psycopg.pq import Format

from globallm_assets.core.models import DependencyEdge

BLOCK_EDGES = 1 << 20
_INT4_OID = 23
_INT4_ARRAY_OID = 1007
_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + bytes(8)
_COPY_TRAILER = b"\xff\xff"


class _Int4ArrayLoader(Loader):
    """int4[] in binary form → int32 numpy array, without one Python int per element."""

    format = Format.BINARY

    def load(self, data: bytes | bytearray | memoryview) -> np.ndarray:
        ndim = int.from_bytes(data[0:4], "big")
        if ndim == 0:
            return np.zeros(0, dtype=np.int32)
        if ndim != 1:
            raise ValueError("edge blocks are one-dimensional")
        # Header: ndim, has-null flag, element type, then (length, lower bound) per dimension;
        # each element is its byte length (always 4) followed by the big-endian value.
        pairs = np.frombuffer(data, dtype=">i4", offset=20)
        return pairs[1::2].astype(np.int32)


def _int4_array(values: np.ndarray) -> bytes:
    """One int4[] in PostgreSQL's binary format."""
    header = np.array([1, 0, _INT4_OID, values.size, 1], dtype=">i4").tobytes()
    body = np.empty((values.size, 2), dtype=">i4")
    body[:, 0] = 4
    body[:, 1] = values
    return header + body.tobytes()


def _field(payload: bytes) -> bytes:
    return len(payload).to_bytes(4, "big") + payload


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _escape_copy_text(value: str) -> str:
    return value.translate(_COPY_ESCAPES)


# --------------------------------------------------------------------------------- writing


def replace_graph_arrays(
    conn: psycopg.Connection,
    ecosystem: str,
    names: Sequence[str],
    src: np.ndarray,
    dst: np.ndarray,
) -> int:
    """Store an ecosystem's graph: node ``i`` is ``names[i]``, edge ``j`` is ``src[j] → dst[j]``.

    Names must be distinct ignoring case (the unique index says so otherwise). Parallel edges
    and self-loops are dropped, as the edge table's key and check did before. Returns the
    number of edges stored.
    """
    n = len(names)
    src = np.asarray(src, dtype=np.int64)
    dst = np.asarray(dst, dtype=np.int64)
    if src.shape != dst.shape or src.ndim != 1:
        raise ValueError("src and dst must be 1-d arrays of the same length")
    if src.size and (min(src.min(), dst.min()) < 0 or max(src.max(), dst.max()) >= n):
        raise ValueError("edge endpoints must be node ids in [0, len(names))")
    if n >= 2**31:
        raise ValueError("node ids must fit in int32")
    keep = src != dst
    key = np.unique(dst[keep] * n + src[keep])  # sorted by dependency, then dependent
    dst_sorted = (key // max(n, 1)).astype(np.int32)
    src_sorted = (key - dst_sorted.astype(np.int64) * n).astype(np.int32)
    del key, keep
    dependents = np.bincount(dst_sorted, minlength=n).tolist()  # edges are distinct now
    conn.execute("DELETE FROM graph_edge_blocks WHERE ecosystem = %s", (ecosystem,))
    conn.execute("DELETE FROM graph_nodes WHERE ecosystem = %s", (ecosystem,))
    with conn.cursor() as cur:
        with cur.copy("COPY graph_nodes (ecosystem, id, name, dependents) FROM STDIN") as copy:
            prefix = _escape_copy_text(ecosystem) + "\t"
            step = 1 << 16
            for lo in range(0, n, step):
                lines = [
                    f"{prefix}{i}\t{_escape_copy_text(name)}\t{dependents[i]}\n"
                    for i, name in enumerate(names[lo : lo + step], start=lo)
                ]
                copy.write("".join(lines))
        with cur.copy(
            "COPY graph_edge_blocks (ecosystem, block, src, dst) FROM STDIN (FORMAT binary)"
        ) as copy:
            copy.write(_COPY_HEADER)
            eco = _field(ecosystem.encode())
            for block, lo in enumerate(range(0, src_sorted.size, BLOCK_EDGES)):
                hi = lo + BLOCK_EDGES
                copy.write(
                    b"".join(
                        [
                            (4).to_bytes(2, "big"),
                            eco,
                            _field(block.to_bytes(4, "big")),
                            _field(_int4_array(src_sorted[lo:hi])),
                            _field(_int4_array(dst_sorted[lo:hi])),
                        ]
                    )
                )
            copy.write(_COPY_TRAILER)
    _bump_version(conn, ecosystem, nodes=n, edges=int(src_sorted.size))
    return int(src_sorted.size)


def replace_graph_edges(
    conn: psycopg.Connection, ecosystem: str, edges: Iterable[DependencyEdge]
) -> int:
    """Store edges given by name (the registry path): names are mapped to ids once, here."""
    ids: dict[str, int] = {}
    spelling: list[str] = []
    pairs: list[tuple[int, int]] = []
    for edge in edges:
        ends = []
        for name in (edge.dependent, edge.dependency):
            key = name.lower()
            node = ids.get(key)
            if node is None:
                node = ids[key] = len(spelling)
                spelling.append(name)
            ends.append(node)
        pairs.append((ends[0], ends[1]))
    array = np.array(pairs, dtype=np.int64).reshape(-1, 2)
    return replace_graph_arrays(conn, ecosystem, spelling, array[:, 0], array[:, 1])


def _bump_version(conn: psycopg.Connection, ecosystem: str, *, nodes: int, edges: int) -> None:
    conn.execute(
        "INSERT INTO graph_versions (ecosystem, nodes, edges) VALUES (%s, %s, %s) "
        "ON CONFLICT (ecosystem) DO UPDATE SET version = graph_versions.version + 1, "
        "nodes = EXCLUDED.nodes, edges = EXCLUDED.edges, built_at = now(), "
        "impact_fingerprint = NULL",
        (ecosystem, nodes, edges),
    )


def remove_node(conn: psycopg.Connection, name: str) -> int:
    """Drop every edge touching ``name`` (any spelling) in every ecosystem; edges removed."""
    rows = conn.execute(
        "SELECT ecosystem, id FROM graph_nodes WHERE lower(name) = lower(%s)", (name,)
    ).fetchall()
    removed = 0
    for ecosystem, node in rows:
        before = conn.execute(
            "SELECT coalesce(sum(cardinality(src)), 0) FROM graph_edge_blocks "
            "WHERE ecosystem = %s AND (%s = ANY(src) OR %s = ANY(dst))",
            (ecosystem, node, node),
        ).fetchone()
        if not before or not before[0]:
            continue
        # Edges are distinct: each dependency of the node loses one dependent, the node all.
        conn.execute(
            """
            UPDATE graph_nodes SET dependents = dependents - 1
            WHERE ecosystem = %(eco)s AND id IN (
                SELECT e.d FROM graph_edge_blocks b
                CROSS JOIN LATERAL unnest(b.src, b.dst) AS e (s, d)
                WHERE b.ecosystem = %(eco)s AND %(node)s = ANY(b.src) AND e.s = %(node)s)
            """,
            {"node": node, "eco": ecosystem},
        )
        conn.execute(
            "UPDATE graph_nodes SET dependents = 0 WHERE ecosystem = %s AND id = %s",
            (ecosystem, node),
        )
        conn.execute(
            """
            UPDATE graph_edge_blocks b
            SET src = coalesce((SELECT array_agg(e.s ORDER BY e.ord) FROM {kept}), '{{}}'),
                dst = coalesce((SELECT array_agg(e.d ORDER BY e.ord) FROM {kept}), '{{}}')
            WHERE b.ecosystem = %(eco)s AND (%(node)s = ANY(b.src) OR %(node)s = ANY(b.dst))
            """.format(
                kept="unnest(b.src, b.dst) WITH ORDINALITY AS e (s, d, ord) "
                "WHERE e.s <> %(node)s AND e.d <> %(node)s"
            ),
            {"node": node, "eco": ecosystem},
        )
        total = conn.execute(
            "SELECT coalesce(sum(cardinality(src)), 0) FROM graph_edge_blocks WHERE ecosystem = %s",
            (ecosystem,),
        ).fetchone()
        edges = int(total[0]) if total else 0
        previous = count_edges(conn, ecosystem)
        removed += previous - edges
        nodes = conn.execute(
            "SELECT count(*) FROM graph_nodes WHERE ecosystem = %s", (ecosystem,)
        ).fetchone()
        _bump_version(conn, ecosystem, nodes=int(nodes[0]) if nodes else 0, edges=edges)
    return removed


# --------------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class StoredGraph:
    """An ecosystem's edges as graph_nodes ids; ``n_ids`` bounds them (ids may have gaps)."""

    ecosystem: str
    version: int
    n_ids: int
    src: np.ndarray  # int32, the dependent
    dst: np.ndarray  # int32, the dependency


def load_graph(conn: psycopg.Connection, ecosystem: str) -> StoredGraph:
    """The ecosystem's edges by binary fetch of its int4[] blocks (no per-edge objects)."""
    head = conn.execute(
        "SELECT version, edges, "
        "(SELECT coalesce(max(id) + 1, 0) FROM graph_nodes WHERE ecosystem = %s) "
        "FROM graph_versions WHERE ecosystem = %s",
        (ecosystem, ecosystem),
    ).fetchone()
    if head is None:
        empty = np.zeros(0, dtype=np.int32)
        return StoredGraph(ecosystem, 0, 0, empty, empty.copy())
    version, total, n_ids = int(head[0]), int(head[1]), int(head[2])
    src = np.empty(total, dtype=np.int32)
    dst = np.empty(total, dtype=np.int32)
    filled = 0
    with conn.cursor(binary=True) as cur:
        cur.adapters.register_loader(_INT4_ARRAY_OID, _Int4ArrayLoader)
        cur.execute(
            "SELECT src, dst FROM graph_edge_blocks WHERE ecosystem = %s ORDER BY block",
            (ecosystem,),
        )
        for block_src, block_dst in cur:
            size = block_src.size
            if filled + size > total:  # the stored count is stale: grow rather than fail
                src = np.concatenate([src[:filled], np.empty(size, dtype=np.int32)])
                dst = np.concatenate([dst[:filled], np.empty(size, dtype=np.int32)])
                total = filled + size
            src[filled : filled + size] = block_src
            dst[filled : filled + size] = block_dst
            filled += size
    return StoredGraph(ecosystem, version, n_ids, src[:filled], dst[:filled])


@dataclass(frozen=True)
class EcosystemRepositories:
    """The stored repositories of an ecosystem's languages, one per name ignoring case (the
    most-starred spelling), with their graph node id (-1: not in the graph)."""

    names: list[str]
    languages: list[str]
    stars: np.ndarray  # int64
    forks: np.ndarray  # int64
    node: np.ndarray  # int64


def ecosystem_repositories(
    conn: psycopg.Connection, ecosystem: str, languages: Sequence[str]
) -> EcosystemRepositories:
    rows = conn.execute(
        """
        SELECT DISTINCT ON (lower(r.name)) r.name, r.language, r.stars, r.forks,
               -- One index probe per repository: the graph may hold 30x more names.
               coalesce((SELECT g.id FROM graph_nodes g
                         WHERE g.ecosystem = %s AND lower(g.name) = lower(r.name)), -1)
        FROM repositories r
        WHERE r.language = ANY(%s)
        ORDER BY lower(r.name), r.stars DESC, r.name
        """,
        (ecosystem, list(languages)),
    ).fetchall()
    columns = list(zip(*rows, strict=True)) if rows else [[], [], [], [], []]
    return EcosystemRepositories(
        names=list(columns[0]),
        languages=list(columns[1]),
        stars=np.array(columns[2], dtype=np.int64),
        forks=np.array(columns[3], dtype=np.int64),
        node=np.array(columns[4], dtype=np.int64),
    )


def dependents_counts(conn: psycopg.Connection) -> dict[str, int]:
    """Distinct direct dependents of every graph node that has any, keyed by its stored name,
    over all ecosystems: what grouping ``dependency_edges`` by dependency gives.

    Read from ``graph_nodes.dependents``; only a name depended upon in more than one
    ecosystem needs its dependents' names (a dependent in two ecosystems counts once), and
    only those blocks that hold it are unpacked.
    """
    counts: dict[str, int] = {}
    shared: set[str] = set()
    for name, dependents in conn.execute(
        "SELECT name, dependents FROM graph_nodes WHERE dependents > 0"
    ):
        if name in counts:
            shared.add(name)
        counts[name] = dependents
    if shared:
        rows = conn.execute(
            """
            SELECT d.name, count(DISTINCT s.name)
            FROM graph_nodes d
            JOIN graph_edge_blocks b ON b.ecosystem = d.ecosystem AND d.id = ANY(b.dst)
            CROSS JOIN LATERAL unnest(b.src, b.dst) AS e (src, dst)
            JOIN graph_nodes s ON s.ecosystem = b.ecosystem AND s.id = e.src
            WHERE d.name = ANY(%s) AND d.dependents > 0 AND e.dst = d.id
            GROUP BY d.name
            """,
            (sorted(shared),),
        )
        counts.update(dict(rows))
    return counts


def node_ids(conn: psycopg.Connection, ecosystem: str, names: Sequence[str]) -> dict[str, int]:
    """graph_nodes ids of these names (keyed by lower-case name); absent names are left out."""
    rows = conn.execute(
        "SELECT lower(name), id FROM graph_nodes WHERE ecosystem = %s AND lower(name) = ANY(%s)",
        (ecosystem, [n.lower() for n in names]),
    ).fetchall()
    return {name: node for name, node in rows}


def count_edges(conn: psycopg.Connection, ecosystem: str | None = None) -> int:
    if ecosystem is None:
        row = conn.execute("SELECT coalesce(sum(edges), 0) FROM graph_versions").fetchone()
    else:
        row = conn.execute(
            "SELECT edges FROM graph_versions WHERE ecosystem = %s", (ecosystem,)
        ).fetchone()
    return int(row[0]) if row else 0


def graph_version(conn: psycopg.Connection, ecosystem: str) -> int:
    row = conn.execute(
        "SELECT version FROM graph_versions WHERE ecosystem = %s", (ecosystem,)
    ).fetchone()
    return int(row[0]) if row else 0


# ------------------------------------------------------------------------- impact write-back


def bulk_settings(conn: psycopg.Connection) -> None:
    """Settings for the rest of the transaction's whole-ecosystem statements: no JIT (it
    compiled for ~3 s of CPU per large statement, more than the statements ran) and room
    to sort 10^5 repositories in memory rather than on disk."""
    conn.execute("SET LOCAL jit = off")
    conn.execute("SET LOCAL work_mem = '64MB'")


def lock_impact(conn: psycopg.Connection, ecosystem: str) -> None:
    """Serialise impact scoring of one ecosystem until the transaction ends: a second language
    partition of the ecosystem waits, then finds it scored."""
    conn.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended('globallm.impact.' || %s, 0))",
        (ecosystem,),
    )


def impact_fingerprint(
    conn: psycopg.Connection, ecosystem: str, languages: Sequence[str], parameters: str
) -> str:
    """What an ecosystem's impact depends on: its graph version, its repositories with stars
    and forks, and ``parameters`` (weights, kernel settings)."""
    row = conn.execute(
        """
        SELECT (SELECT coalesce(max(version), 0) FROM graph_versions WHERE ecosystem = %s),
               md5(coalesce(string_agg(name || '/' || stars || '/' || forks, ','
                                       ORDER BY name), ''))
        FROM repositories WHERE language = ANY(%s)
        """,
        (ecosystem, list(languages)),
    ).fetchone()
    version, repos = (row[0], row[1]) if row else (0, "")
    return hashlib.sha256(f"{version}|{repos}|{parameters}".encode()).hexdigest()


def stored_fingerprint(conn: psycopg.Connection, ecosystem: str) -> str | None:
    row = conn.execute(
        "SELECT impact_fingerprint FROM graph_versions WHERE ecosystem = %s", (ecosystem,)
    ).fetchone()
    return row[0] if row else None


def set_fingerprint(conn: psycopg.Connection, ecosystem: str, fingerprint: str) -> None:
    conn.execute(
        "INSERT INTO graph_versions (ecosystem, impact_fingerprint, impact_at) "
        "VALUES (%s, %s, now()) ON CONFLICT (ecosystem) DO UPDATE SET "
        "impact_fingerprint = EXCLUDED.impact_fingerprint, impact_at = now()",
        (ecosystem, fingerprint),
    )


# Columns of ``repositories.impact`` in ImpactBreakdown's order, with their SQL array types.
IMPACT_COLUMNS = (
    ("full_name", "text"),
    ("score", "float8"),
    ("direct_dependents", "int8"),
    ("transitive_dependents", "int8"),
    ("pagerank", "float8"),
    ("betweenness", "float8"),
    ("stars", "int8"),
    ("forks", "int8"),
    ("direct_component", "float8"),
    ("transitive_component", "float8"),
    ("pagerank_component", "float8"),
    ("betweenness_component", "float8"),
    ("stars_component", "float8"),
    ("forks_component", "float8"),
    ("exact_reach", "bool"),
)

_NUMERIC = [(name, kind) for name, kind in IMPACT_COLUMNS if kind in ("float8", "int8")]
_STAGE = "CREATE TEMP TABLE impact_in ({}, exact_reach boolean, full_name text)".format(
    ", ".join(f"{name} {kind}" for name, kind in _NUMERIC)
)
_WRITE_IMPACT = """
UPDATE repositories r
SET impact_score = t.score, impact = t.parts, impact_at = now(), analyzed_at = now()
FROM (SELECT u.full_name, u.score, jsonb_build_object({pairs}) AS parts FROM impact_in u) AS t
WHERE r.name = t.full_name
  AND (r.impact_score IS DISTINCT FROM t.score OR r.impact IS DISTINCT FROM t.parts)
""".format(pairs=", ".join(f"'{name}', u.{name}" for name, _ in IMPACT_COLUMNS))


def _impact_copy(columns: Mapping[str, Sequence]) -> bytes:
    """The rows of ``impact_in`` in COPY's binary format, numeric fields laid out by numpy."""
    names = [str(n).encode() for n in columns["full_name"]]
    rows = len(names)
    layout = [("fields", ">i2")]
    for name, kind in _NUMERIC:
        layout += [(f"{name}_len", ">i4"), (name, ">f8" if kind == "float8" else ">i8")]
    layout += [("exact_len", ">i4"), ("exact", "u1")]
    fixed = np.zeros(rows, dtype=np.dtype(layout))
    fixed["fields"] = len(_NUMERIC) + 2
    for name, _ in _NUMERIC:
        fixed[f"{name}_len"] = 8
        fixed[name] = np.asarray(columns[name])
    fixed["exact_len"] = 1
    fixed["exact"] = np.asarray(columns["exact_reach"], dtype=bool)
    width = fixed.dtype.itemsize
    raw = fixed.tobytes()
    parts = [_COPY_HEADER]
    for i, name in enumerate(names):
        parts.append(raw[i * width : (i + 1) * width])
        parts.append(len(name).to_bytes(4, "big") + name)
    parts.append(_COPY_TRAILER)
    return b"".join(parts)


def write_impact_columns(conn: psycopg.Connection, columns: Mapping[str, Sequence]) -> int:
    """Write impact given as columns (``IMPACT_COLUMNS`` keys, one entry per repository): one
    binary COPY into a temporary table, then one UPDATE that builds the JSON in the database
    and rewrites only rows whose score or components changed; returns the rows changed."""
    if not len(columns["full_name"]):
        return 0
    conn.execute(_STAGE)
    with conn.cursor() as cur, cur.copy("COPY impact_in FROM STDIN (FORMAT binary)") as copy:
        copy.write(_impact_copy(columns))
    conn.execute("ANALYZE impact_in")
    changed = conn.execute(_WRITE_IMPACT).rowcount
    conn.execute("DROP TABLE impact_in")
    return changed
