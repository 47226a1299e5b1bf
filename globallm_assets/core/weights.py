"""Shared behaviour of relative weight sets (health, impact): validated, normalised by their sum."""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
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
