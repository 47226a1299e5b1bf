"""Weight sets: the relative ones (health, impact), validated and normalised by their sum, and
the priority formula's absolute weights (core/priority.py). They live here, free of numpy and the
ranking's dataframe library, so settings (and so every CLI start) can read their defaults cheaply;
core/health.py and core/impact.py re-export theirs."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import ClassVar


@dataclass(frozen=True, slots=True)
class RelativeWeights:
    """Only ratios matter: every weight finite and >= 0, at least one positive."""

    kind: ClassVar[str] = "weights"

    def __post_init__(self) -> None:
        values = [getattr(self, f.name) for f in fields(self)]
        if any(not math.isfinite(v) or v < 0 for v in values):
            raise ValueError(f"{self.kind} must be finite and non-negative")
        if sum(values) <= 0:
            raise ValueError(f"at least one of the {self.kind} must be positive")

    def normalized(self) -> dict[str, float]:
        total = sum(getattr(self, f.name) for f in fields(self))
        return {f.name: getattr(self, f.name) / total for f in fields(self)}


@dataclass(frozen=True, slots=True)
class HealthWeights(RelativeWeights):
    """Relative weights; normalised by their sum, so only ratios matter."""

    kind: ClassVar[str] = "health weights"

    commit_velocity: float = 0.4
    issue_ratio: float = 0.2
    ci_pass_rate: float = 0.2
    contributors: float = 0.2
    issue_resolution: float = 0.0
    maintainer_response: float = 0.0
    recent_activity: float = 0.0
    documentation: float = 0.0


@dataclass(frozen=True, slots=True)
class ImpactWeights(RelativeWeights):
    """Relative weights; normalised by their sum, so only ratios matter."""

    kind: ClassVar[str] = "impact weights"

    direct_dependents: float = 0.25
    transitive_dependents: float = 0.25
    pagerank: float = 0.20
    betweenness: float = 0.05
    stars: float = 0.15
    forks: float = 0.10


@dataclass(frozen=True, slots=True)
class PriorityWeights:
    """Weights of the priority formula; used as given (not normalised)."""

    health: float = 0.15
    impact: float = 0.35
    solvability: float = 0.30
    urgency: float = 0.20
    redundancy: float = 0.20
    cost: float = 0.10
    acceptance: float = 0.20

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
                raise ValueError(f"priority weight {f.name} must be finite and >= 0: {value!r}")

    def as_dict(self) -> dict[str, float]:
        return asdict(self)
