"""The ``readme_embeddings`` table: README vectors cached by (content hash, model id).

Vectors are stored as float32 little-endian bytes with their dimension, so any reader (an
analyst's SQL, another host) can decode them without knowing the model. Rows are immutable: a
hash names one text and a model id names one set of weights, so the vector for a key never
changes and inserts use ``ON CONFLICT DO NOTHING`` (concurrent writers race harmlessly).

Every function runs inside the caller's transaction, like the other store modules.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol

import numpy as np
import psycopg

_DTYPE = np.dtype("<f4")
# Texts encoded per round trip: bounds memory, and each stored batch is work not redone if a
# later batch fails within a caller that commits in between.
ENCODE_CHUNK = 512


class TextEncoder(Protocol):
    """What :func:`embed_with_cache` needs from an embedder (``llm.embeddings.Embedder``)."""

    @property
    def model_id(self) -> str: ...

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


def _content_hash(text: str) -> str:
    # Same definition as llm.embeddings.content_hash (tested); the store sits below llm and
    # must not import it.
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _to_bytes(vector: np.ndarray) -> bytes:
    array = np.asarray(vector)
    if array.ndim != 1 or array.size == 0:
        raise ValueError(f"an embedding must be a non-empty 1-D vector, got shape {array.shape}")
    if not np.isfinite(array).all():
        raise ValueError("an embedding contains NaN or infinite values")
    return array.astype(_DTYPE).tobytes()


def get_many(conn: psycopg.Connection, hashes: Iterable[str], model: str) -> dict[str, np.ndarray]:
    """Cached vectors for the given content hashes under ``model``; unknown hashes are omitted."""
    wanted = sorted(set(hashes))
    if not wanted:
        return {}
    rows = conn.execute(
        "SELECT content_hash, dim, embedding FROM readme_embeddings "
        "WHERE model = %s AND content_hash = ANY(%s)",
        (model, wanted),
    ).fetchall()
    found: dict[str, np.ndarray] = {}
    for key, dim, blob in rows:
        vector = np.frombuffer(bytes(blob), dtype=_DTYPE)
        if vector.size != dim:
            raise ValueError(
                f"readme_embeddings row ({key}, {model}) holds {vector.size} floats, not {dim}"
            )
        found[key] = vector.astype(np.float32)  # native-endian, writable copy
    return found


def put_many(conn: psycopg.Connection, items: Mapping[str, np.ndarray], model: str) -> int:
    """Store vectors by content hash; existing rows are kept. Returns the number inserted."""
    if not items:
        return 0
    keys = list(items)
    blobs = [_to_bytes(items[k]) for k in keys]
    dims = [len(b) // _DTYPE.itemsize for b in blobs]
    cursor = conn.execute(
        "INSERT INTO readme_embeddings (content_hash, model, dim, embedding) "
        "SELECT h, %s, d, e FROM unnest(%s::text[], %s::int[], %s::bytea[]) AS t(h, d, e) "
        "ON CONFLICT (content_hash, model) DO NOTHING",
        (model, keys, dims, blobs),
    )
    return cursor.rowcount


def embed_with_cache(
    conn: psycopg.Connection,
    embedder: TextEncoder,
    texts_by_key: Mapping[str, str],
    *,
    chunk_size: int = ENCODE_CHUNK,
) -> dict[str, np.ndarray]:
    """Vector per key, encoding only texts whose (hash, model) is not cached yet.

    Identical texts (forks, mirrors) are encoded once. New vectors are stored in the caller's
    transaction, ``chunk_size`` texts at a time.
    """
    if chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")
    hash_of = {key: _content_hash(text) for key, text in texts_by_key.items()}
    if not hash_of:
        return {}
    model = embedder.model_id
    vectors = get_many(conn, hash_of.values(), model)
    missing: dict[str, str] = {}
    for key, digest in hash_of.items():
        if digest not in vectors and digest not in missing:
            missing[digest] = texts_by_key[key]
    pending = list(missing.items())
    for start in range(0, len(pending), chunk_size):
        batch = pending[start : start + chunk_size]
        encoded = np.asarray(embedder.encode([text for _, text in batch]), dtype=np.float32)
        if encoded.shape[0] != len(batch):
            raise ValueError(f"encoder returned {encoded.shape[0]} vectors for {len(batch)} texts")
        fresh = {digest: encoded[i] for i, (digest, _) in enumerate(batch)}
        put_many(conn, fresh, model)
        vectors.update(fresh)
    return {key: vectors[digest] for key, digest in hash_of.items()}
