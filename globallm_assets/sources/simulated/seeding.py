"""Deterministic randomness: every draw is keyed by the seed plus a purpose and a name, so one
repository's records never depend on how many others were generated before it."""

from __future__ import annotations

import random
import zlib
from collections.abc import Sequence
from datetime import UTC, datetime

import numpy as np

# Pareto tail index and scale for stars. alpha < 1 gives an infinite-mean law, which is what
# GitHub looks like: the median repository has a few dozen stars while the top 1% hold a large
# share of all of them. With these values about 5% of repositories pass 1000 stars.
STAR_ALPHA = 0.7
STAR_SCALE = 15.0
STAR_CAP = 400_000


def stable_int(text: str) -> int:
    return zlib.crc32(text.encode())


def seed_sequence(seed: int, *keys: str) -> np.random.SeedSequence:
    return np.random.SeedSequence([seed, *(stable_int(k) for k in keys)])


def py_random(seed: int, *keys: str) -> random.Random:
    state = seed_sequence(seed, *keys).generate_state(2, dtype=np.uint64)
    return random.Random(int(state[0]) << 64 | int(state[1]))


def power_law_stars(rng: np.random.Generator, n: int) -> np.ndarray:
    """Pareto-distributed star counts (int64), shared by the world and the scale arrays."""
    u = 1.0 - rng.random(n)  # in (0, 1] so the power never divides by zero
    stars = STAR_SCALE * u ** (-1.0 / STAR_ALPHA) - STAR_SCALE
    return np.minimum(stars, STAR_CAP).astype(np.int64)


def pick_exact(rng: np.random.Generator, pool: np.ndarray, share: float, n: int) -> np.ndarray:
    """Pick ``round(share * n)`` members of ``pool`` (at least one when n >= 10)."""
    count = round(share * n)
    if n >= 10:
        count = max(count, 1)
    count = min(count, pool.size)
    if count == 0:
        return np.empty(0, dtype=np.int64)
    return np.sort(rng.choice(pool, size=count, replace=False))


def aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def word_choice(rnd: random.Random, weighted: Sequence[tuple[object, float]]) -> object:
    items = [item for item, _ in weighted]
    weights = [w for _, w in weighted]
    return rnd.choices(items, weights)[0]
