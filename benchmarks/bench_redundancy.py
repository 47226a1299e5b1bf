"""Redundancy benchmark: README embedding throughput and near-duplicate clustering at scale.

    uv run python benchmarks/bench_redundancy.py            # full run (~5-8 min on 2 cores)
    uv run python benchmarks/bench_redundancy.py --quick    # smaller, for a smoke test

(b) runs first, before torch is imported, so its peak RSS is the clustering's own.

(a) Embedding: >= 2,000 README texts from the simulated world (realistic length, markdown,
    code blocks), through ``embedding_text`` and ``Embedder.encode`` with the packaged
    all-MiniLM-L6-v2 on CPU, torch threads = cores. A sweep of batch size, sequence length and
    precision runs on a subset, then the full set is encoded with the default settings and with
    bfloat16. Target: >= 500 texts/s.
(b) Clustering: 10^5 random unit vectors of dim 384 in 6 language blocks, with planted clusters
    of 2-4 near-duplicates (cosine ~0.85-0.98); ``cluster()`` at the default threshold.
    Target: < 60 s. Also checks that every planted cluster is recovered exactly.
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import statistics
import time

import numpy as np

from globallm_assets.core.redundancy import DEFAULT_THRESHOLD, cluster

EMBED_TARGET_PER_S = 500.0
CLUSTER_TARGET_S = 60.0
LANGUAGES = ("python", "javascript", "typescript", "go", "rust", "java")


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux reports KiB


def _verdict(ok: bool) -> str:
    return "OK" if ok else "MISSED"


# --------------------------------------------------------------------------- (b) clustering


def planted_vectors(
    n: int, dim: int, share: float, seed: int
) -> tuple[np.ndarray, list[str], list[str], list[set[str]]]:
    """Random unit rows; about ``share`` of each language block sits in planted clusters."""
    rng = np.random.default_rng(seed)
    vectors = rng.standard_normal((n, dim), dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    names = [f"org{i % 997}/repo{i}" for i in range(n)]
    groups = [LANGUAGES[i % len(LANGUAGES)] for i in range(n)]
    planted: list[set[str]] = []
    for block in range(len(LANGUAGES)):
        rows = rng.permutation(np.arange(block, n, len(LANGUAGES)))
        taken = 0
        while taken < share * rows.size:
            size = int(rng.integers(2, 5))
            members = rows[taken : taken + size]
            taken += size
            for m in members[1:]:
                # cosine to the original is about 1 / sqrt(1 + noise^2): 0.86-0.98
                noise = rng.uniform(0.2, 0.6)
                w = vectors[members[0]] + noise * rng.standard_normal(dim) / math.sqrt(dim)
                vectors[m] = w / np.linalg.norm(w)
            planted.append({names[m] for m in members})
    return vectors, names, groups, planted


def bench_clustering(n: int, repeat: int) -> None:
    print(f"(b) near-duplicate clustering: {n:,} repositories, dim 384, 6 language blocks")
    rss_before = _rss_mib()
    vectors, names, groups, planted = planted_vectors(n, 384, share=0.03, seed=1)
    times = []
    found = []
    for _ in range(repeat):
        start = time.perf_counter()
        found = cluster(vectors, names, groups, DEFAULT_THRESHOLD)
        times.append(time.perf_counter() - start)
    median = statistics.median(times)
    got = {frozenset(c.members) for c in found}
    exact = sum(1 for p in planted if frozenset(p) in got)
    print(
        f"    planted clusters {len(planted):,}, found {len(found):,}, recovered exactly {exact:,}"
    )
    print(
        f"    cluster(): median {median:.1f} s of {repeat} "
        f"(runs {', '.join(f'{t:.1f}' for t in times)})  target < {CLUSTER_TARGET_S:.0f} s  "
        f"{_verdict(median < CLUSTER_TARGET_S)}"
    )
    print(f"    peak RSS {_rss_mib():,.0f} MiB (before the vectors: {rss_before:,.0f} MiB)")


# --------------------------------------------------------------------------- (a) embedding


def readme_texts(count: int) -> list[str]:
    from globallm_assets.llm.embeddings import embedding_text
    from globallm_assets.sources.simulated import SimulatedWorld

    per_language = math.ceil(count / len(LANGUAGES) * 1.25)  # forks and README-less repos
    world = SimulatedWorld(seed=3, repos_per_language=per_language, languages=LANGUAGES)
    repos = [r for r in world.repositories() if r.readme and not r.is_fork]
    texts = [embedding_text(r.readme, r.description, r.topics) for r in repos[:count]]
    if len(texts) < count:
        raise SystemExit(f"only {len(texts)} README texts generated, wanted {count}")
    return texts


def _rate(embedder, texts: list[str]) -> float:
    start = time.perf_counter()
    embedder.encode(texts)
    return len(texts) / (time.perf_counter() - start)


def bench_embedding(count: int, sweep_size: int, full_bf16: bool) -> None:
    import torch

    from globallm_assets.llm.embeddings import DEFAULT_BATCH_SIZE, DEFAULT_MAX_SEQ_LENGTH, Embedder

    torch.set_num_threads(os.cpu_count() or 1)
    print(f"(a) README embedding: all-MiniLM-L6-v2 on CPU, torch threads {torch.get_num_threads()}")
    texts = readme_texts(count)
    words = [len(t.split()) for t in texts]
    print(
        f"    {len(texts):,} texts, words per text median {statistics.median(words):.0f} "
        f"(max {max(words)}), raw READMEs cut by embedding_text"
    )
    load_start = time.perf_counter()
    default = Embedder()
    default.encode(texts[:8])
    print(
        f"    first load (imports, sha256 check, weights): {time.perf_counter() - load_start:.1f} s"
    )
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()  # counting untruncated pieces warns about the model's limit
    tokenizer = default._load().tokenizer
    tokens = tokenizer(texts[:sweep_size], truncation=False)["input_ids"]
    print(f"    word pieces per text median {statistics.median(len(t) for t in tokens):.0f}")

    subset = texts[:sweep_size]
    print(f"    sweep on {len(subset)} texts (texts/s):")
    configs = [(bs, DEFAULT_MAX_SEQ_LENGTH, "float32") for bs in (16, 32, 64, 128)]
    configs += [(DEFAULT_BATCH_SIZE, 256, "float32"), (DEFAULT_BATCH_SIZE, 64, "float32")]
    configs += [(bs, DEFAULT_MAX_SEQ_LENGTH, "bfloat16") for bs in (32, 64, 128)]
    configs += [(DEFAULT_BATCH_SIZE, 48, "bfloat16"), (DEFAULT_BATCH_SIZE, 32, "bfloat16")]
    for batch_size, seq, precision in configs:
        model = Embedder(batch_size=batch_size, max_seq_length=seq, precision=precision)
        model.encode(subset[:4])  # load outside the timing
        print(
            f"      batch {batch_size:>3}  seq {seq:>3}  {precision:<8}  "
            f"{_rate(model, subset):7.1f}"
        )

    print(f"    full set, {len(texts):,} texts:")
    from globallm_assets.services.redundancy import embedder
    from globallm_assets.settings import load_settings

    # What the project runs with (settings.redundancy): the figure the target is about.
    configured = embedder(load_settings(env_file=None))
    configured.encode(texts[:4])
    runs = [("project settings", configured), ("float32 seq 128", default)]
    if full_bf16:
        bf16 = Embedder(precision="bfloat16")
        bf16.encode(texts[:4])
        runs.append(("bfloat16 seq 128", bf16))
    for label, model in runs:
        rate = _rate(model, texts)
        print(
            f"      {label:<18} batch {model.batch_size} seq {model.max_seq_length}: "
            f"{rate:7.1f} texts/s  target >= {EMBED_TARGET_PER_S:.0f}  "
            f"{_verdict(rate >= EMBED_TARGET_PER_S)}"
        )
    print(f"    peak RSS {_rss_mib():,.0f} MiB (torch, and one model per sweep setting)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, one repeat")
    parser.add_argument("--texts", type=int, default=2000)
    parser.add_argument("--repos", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-bf16", action="store_true", help="skip the full bfloat16 run")
    args = parser.parse_args()
    if args.quick:
        args.texts, args.repos, args.repeat = 200, 20_000, 1
    bench_clustering(args.repos, args.repeat)
    bench_embedding(args.texts, sweep_size=min(256, args.texts), full_bf16=not args.no_bf16)


if __name__ == "__main__":
    main()
