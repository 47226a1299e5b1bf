"""Redundancy rows in the store: empty texts match nothing; a repository may change language."""

import numpy as np
import psycopg

from globallm_assets.core.models import RepoMetadata
from globallm_assets.services import redundancy as service
from globallm_assets.settings import load_settings
from globallm_assets.store import repositories as repo_store
from globallm_assets.store.redundancy import RedundancyRow, replace_language


class CountingEncoder:
    """The real interface, deterministic vectors: texts that share words point the same way."""

    model_id = "test-words"

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def encode(self, texts):
        self.calls.append(list(texts))
        out = np.zeros((len(texts), 64), np.float32)
        for i, text in enumerate(texts):
            for word in text.lower().split():
                out[i, hash(word) % 64] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-9)


def _repo(conn, name: str, language: str, text: str | None) -> None:
    meta = RepoMetadata(full_name=name, language=language, description=text, stars=2000)
    repo_store.upsert_repositories(conn, [(meta, language)], source="simulated")


def test_repositories_without_text_are_never_duplicates(dsn):
    settings = load_settings(overrides={"database.url": dsn})
    encoder = CountingEncoder()
    with psycopg.connect(dsn) as conn:
        _repo(conn, "a/empty1", "go", None)
        _repo(conn, "b/empty2", "go", "")
        _repo(conn, "c/yaml", "go", "fast yaml parser for go")
        _repo(conn, "d/yaml2", "go", "fast yaml parser for go")
        rows = {r.repository: r for r in service.language_redundancy(settings, conn, "go", encoder)}
    assert rows["a/empty1"].cluster_id is None and rows["a/empty1"].penalty == 0
    assert rows["b/empty2"].cluster_id is None and rows["b/empty2"].penalty == 0
    assert rows["c/yaml"].cluster_id == rows["d/yaml2"].cluster_id is not None
    assert all("" not in call for call in encoder.calls)  # empty texts are never embedded


def test_a_repository_can_move_to_another_language(dsn):
    row = RedundancyRow("a/x", "python", None, 0.1, None, 0.0, None, None)
    with psycopg.connect(dsn) as conn:
        _repo(conn, "a/x", "python", "thing")
        replace_language(conn, "python", [row])
        moved = RedundancyRow("a/x", "rust", None, 0.2, None, 0.0, None, None)
        replace_language(conn, "rust", [moved])
        assert conn.execute("SELECT repository, language FROM redundancy").fetchall() == [
            ("a/x", "rust")
        ]
