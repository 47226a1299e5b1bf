"""``ScriptedProvider``: a test double for a tool-using model.

It answers each chat call with the next scripted step, a tool call given as ``(name, arguments)``
or a function of the conversation returning one (or a plain text turn as ``("text", "…")``), and
reports usage computed from what it was sent, so budgets and caps see plausible numbers. It says
what it is: ``label`` is "scripted test double".
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from globallm_assets.llm.base import (
    LLMError,
    Message,
    Pricing,
    ToolCall,
    ToolSpec,
    Turn,
    estimate_request_tokens,
)

Step = tuple[str, Any] | Callable[[Sequence[Message]], tuple[str, Any]]


class ScriptedProvider:
    name = "scripted"
    label = "scripted test double"

    def __init__(
        self,
        steps: Sequence[Step],
        *,
        model: str = "scripted-model",
        pricing: Pricing = Pricing(3.0, 15.0),
        output_tokens: int = 80,
    ) -> None:
        self.steps = list(steps)
        self.model = model
        self.pricing = pricing
        self.output_tokens = output_tokens
        self.calls: list[list[Message]] = []
        self.systems: list[str] = []

    def chat(
        self,
        messages: Sequence[Message],
        *,
        system: str,
        tools: Sequence[ToolSpec],
        max_tokens: int,
    ) -> Turn:
        if len(self.calls) >= len(self.steps):
            raise LLMError("scripted provider has no step left")
        step = self.steps[len(self.calls)]
        self.calls.append(list(messages))
        self.systems.append(system)
        name, arguments = step(messages) if callable(step) else step
        # Vendors bill ~4 characters a token; the estimate counts 3 bytes a token.
        used_in = estimate_request_tokens(messages, system=system, tools=tools) * 3 // 4
        calls: tuple[ToolCall, ...] = ()
        text = ""
        if name == "text":
            text = str(arguments)
        elif name == "many":
            calls = tuple(
                ToolCall(f"call_{len(self.calls)}_{i}", n, a) for i, (n, a) in enumerate(arguments)
            )
        else:
            calls = (ToolCall(f"call_{len(self.calls)}", name, dict(arguments)),)
        return Turn(
            text=text,
            tool_calls=calls,
            input_tokens=used_in,
            output_tokens=min(self.output_tokens, max_tokens),
            model=self.model,
            stop_reason="tool_use" if calls else "end_turn",
        )

    def last_observation(self) -> str:
        for message in reversed(self.calls[-1] if self.calls else []):
            if message.role == "tool":
                return "\n".join(r.content for r in message.tool_results)
        return ""
