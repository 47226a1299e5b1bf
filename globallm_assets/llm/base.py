"""The provider interface every LLM vendor implements, and the errors callers see.

Two kinds of call: :meth:`LLMProvider.complete` (one prompt, one text answer: categorization) and
:meth:`ToolProvider.chat` (a conversation in which the model acts through tools: the fixer's
agent loop). Both return the vendor's exact token usage, so budgets are charged what the vendor
bills, not an estimate; :func:`estimate_request_tokens` is the *pre-call* estimate that lets a
budget refuse before any money is spent. Error messages never carry the API key.

The conversation types are vendor-neutral; each provider maps them onto its own wire shapes
(Anthropic content blocks, OpenAI ``tool_calls``/``role: tool`` messages).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol, runtime_checkable


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


# --------------------------------------------------------------------------- tool use


@dataclass(frozen=True)
class ToolSpec:
    """A tool the model may call: a name, what it does, and a JSON Schema for its arguments."""

    name: str
    description: str
    parameters: dict[str, Any]


@dataclass(frozen=True)
class ToolCall:
    id: str
    name: str
    arguments: dict[str, Any]
    # Set when the vendor sent arguments that are not a JSON object: the call is answered with
    # this error instead of being run.
    error: str | None = None


@dataclass(frozen=True)
class ToolResult:
    call_id: str
    content: str
    is_error: bool = False


@dataclass(frozen=True)
class Message:
    """One conversation entry. ``tool`` messages carry results for the previous assistant
    turn's calls (and optional text appended after them)."""

    role: Literal["user", "assistant", "tool"]
    text: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    tool_results: tuple[ToolResult, ...] = ()


@dataclass(frozen=True)
class Turn:
    """One assistant turn with the usage the vendor reported for it."""

    text: str
    tool_calls: tuple[ToolCall, ...]
    input_tokens: int
    output_tokens: int
    model: str
    stop_reason: str | None = None

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens


@dataclass(frozen=True)
class Pricing:
    """US dollars per million tokens."""

    input_per_mtok: float
    output_per_mtok: float

    def cost(self, input_tokens: int, output_tokens: int) -> float:
        return (input_tokens * self.input_per_mtok + output_tokens * self.output_per_mtok) / 1e6


@runtime_checkable
class ToolProvider(Protocol):
    """A provider the agent loop can drive. ``label`` says who is answering, for every place a
    user sees the output (a vendor model, a replay, a test double)."""

    name: str
    model: str
    label: str
    pricing: Pricing

    def chat(
        self,
        messages: Sequence[Message],
        *,
        system: str,
        tools: Sequence[ToolSpec],
        max_tokens: int,
    ) -> Turn:
        """One assistant turn for the conversation so far."""
        ...


def estimate_tokens(text: str) -> int:
    """Generous token estimate for reservations: a token per 3 UTF-8 bytes.

    English runs ~4 characters a token; CJK text is 3 bytes a character and ~1 token each, so
    counting bytes keeps the reservation above the bill for both.
    """
    return len(text.encode("utf-8")) // 3 + 1


# Per-message framing the vendors add (role markers, tool-call wrappers).
MESSAGE_OVERHEAD_TOKENS = 8


def estimate_request_tokens(
    messages: Sequence[Message], *, system: str, tools: Sequence[ToolSpec]
) -> int:
    """Input tokens a chat request will be billed at most (by :func:`estimate_tokens`)."""
    parts = [system]
    parts += [json.dumps([t.name, t.description, t.parameters]) for t in tools]
    for message in messages:
        parts.append(message.text)
        parts += [json.dumps([c.name, c.arguments]) for c in message.tool_calls]
        parts += [r.content for r in message.tool_results]
    return sum(estimate_tokens(p) for p in parts) + MESSAGE_OVERHEAD_TOKENS * (len(messages) + 1)
