"""The provider interface every LLM vendor implements, and the errors callers see.

Callers get text plus exact token usage from the vendor's response, so budgets are charged what
the vendor bills, not an estimate. Error messages never carry the API key.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable


class LLMError(RuntimeError):
    """A provider call failed (message is safe to log: no keys, no prompt)."""


@dataclass(frozen=True)
class Completion:
    text: str
    input_tokens: int
    output_tokens: int
    model: str

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens


@runtime_checkable
class LLMProvider(Protocol):
    name: str
    model: str

    def complete(
        self, prompt: str, *, system: str | None = None, max_tokens: int = 256
    ) -> Completion:
        """One user turn in, one assistant text out."""
        ...


def estimate_tokens(text: str) -> int:
    """Generous token estimate for reservations: a token per 3 UTF-8 bytes.

    English runs ~4 characters a token; CJK text is 3 bytes a character and ~1 token each, so
    counting bytes keeps the reservation above the bill for both.
    """
    return len(text.encode("utf-8")) // 3 + 1
