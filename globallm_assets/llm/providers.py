"""Anthropic and OpenAI(-compatible) providers over the vendors' own SDKs.

Both SDKs run on their own HTTP stack (``httpx2``, an httpx fork); ``base_url`` points them at
another server (OpenAI-compatible servers such as vLLM, llama.cpp or Ollama; the tests' local
fakes), and an ``http_client`` of that package can be passed in. Retries of 429 and 5xx answers
are left to the SDKs, which honour ``Retry-After``.

Tool use goes through each vendor's native tool-calling API and asks for at most one tool call
per turn (Anthropic ``disable_parallel_tool_use``, OpenAI ``parallel_tool_calls: false``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from globallm_assets.llm.base import (
    Completion,
    LLMError,
    LLMProvider,
    Message,
    Pricing,
    ToolCall,
    ToolSpec,
    Turn,
)

DEFAULT_MODELS = {"anthropic": "claude-sonnet-4-5", "openai": "gpt-4o-mini"}
# Published list prices, US$ per million tokens (input, output). An unknown model is priced
# like the most expensive known one, so a cost cap errs on the side of stopping early.
KNOWN_PRICES: dict[str, Pricing] = {
    "claude-sonnet-4": Pricing(3.0, 15.0),
    "claude-opus-4": Pricing(15.0, 75.0),
    "claude-haiku-4": Pricing(1.0, 5.0),
    "claude-3-5-haiku": Pricing(0.8, 4.0),
    "gpt-4o-mini": Pricing(0.15, 0.60),
    "gpt-4o": Pricing(2.5, 10.0),
    "gpt-4.1-mini": Pricing(0.4, 1.6),
    "gpt-4.1": Pricing(2.0, 8.0),
}
UNKNOWN_MODEL_PRICING = Pricing(15.0, 75.0)


def pricing_for(model: str) -> Pricing:
    """The longest known model-name prefix's price, else the conservative default."""
    for prefix in sorted(KNOWN_PRICES, key=len, reverse=True):
        if model.startswith(prefix):
            return KNOWN_PRICES[prefix]
    return UNKNOWN_MODEL_PRICING


class _SDKProvider:
    """Shared construction: one vendor SDK client, its error base class, a model name."""

    name = ""

    def __init__(
        self,
        api_key: str,
        *,
        model: str | None = None,
        base_url: str | None = None,
        http_client: Any = None,
        max_retries: int = 2,
        pricing: Pricing | None = None,
        timeout: float = 600.0,
    ) -> None:
        self.model = model or DEFAULT_MODELS[self.name]
        self.pricing = pricing or pricing_for(self.model)
        self.base_url = base_url
        self._client, self._errors = self._make_client(
            api_key=api_key,
            base_url=base_url,
            http_client=http_client,
            max_retries=max_retries,
            timeout=timeout,
        )

    @property
    def label(self) -> str:
        where = f" at {self.base_url}" if self.base_url else ""
        return f"{self.name} {self.model}{where}"

    def _make_client(self, **options: Any) -> tuple[Any, tuple[type[BaseException], ...]]:
        raise NotImplementedError

    def _call(self, method: Any, **kwargs: Any) -> Any:
        try:
            return method(**kwargs)
        except self._errors as exc:
            raise LLMError(f"{self.name} call failed: {_describe(exc)}") from None


class AnthropicProvider(_SDKProvider):
    name = "anthropic"

    def _make_client(self, **options: Any) -> tuple[Any, tuple[type[BaseException], ...]]:
        import anthropic

        return anthropic.Anthropic(**options), (anthropic.APIError,)

    def complete(
        self, prompt: str, *, system: str | None = None, max_tokens: int = 256
    ) -> Completion:
        kwargs: dict[str, Any] = {
            "model": self.model,
            "max_tokens": max_tokens,
            "messages": [{"role": "user", "content": prompt}],
        }
        if system:
            kwargs["system"] = system
        message = self._call(self._client.messages.create, **kwargs)
        text = "".join(getattr(block, "text", "") for block in message.content)
        return Completion(
            text=text,
            input_tokens=_anthropic_input_tokens(message.usage),
            output_tokens=message.usage.output_tokens,
            model=message.model,
        )

    def chat(
        self,
        messages: Sequence[Message],
        *,
        system: str,
        tools: Sequence[ToolSpec],
        max_tokens: int,
    ) -> Turn:
        kwargs: dict[str, Any] = {
            "model": self.model,
            "max_tokens": max_tokens,
            "system": system,
            "messages": anthropic_messages(messages),
        }
        if tools:
            kwargs["tools"] = [
                {"name": t.name, "description": t.description, "input_schema": t.parameters}
                for t in tools
            ]
            kwargs["tool_choice"] = {"type": "any", "disable_parallel_tool_use": True}
        message = self._call(self._client.messages.create, **kwargs)
        text_parts: list[str] = []
        calls: list[ToolCall] = []
        for block in message.content:
            if block.type == "text":
                text_parts.append(block.text)
            elif block.type == "tool_use":
                arguments = block.input if isinstance(block.input, dict) else None
                calls.append(
                    ToolCall(
                        id=block.id,
                        name=block.name,
                        arguments=arguments or {},
                        error=None if arguments is not None else "arguments must be an object",
                    )
                )
        return Turn(
            text="".join(text_parts),
            tool_calls=tuple(calls),
            input_tokens=_anthropic_input_tokens(message.usage),
            output_tokens=message.usage.output_tokens,
            model=message.model,
            stop_reason=message.stop_reason,
        )


def _anthropic_input_tokens(usage: Any) -> int:
    """Every billed input token: uncached, written to and read from the prompt cache."""
    return (
        usage.input_tokens
        + (getattr(usage, "cache_creation_input_tokens", None) or 0)
        + (getattr(usage, "cache_read_input_tokens", None) or 0)
    )


def anthropic_messages(messages: Sequence[Message]) -> list[dict[str, Any]]:
    """Neutral messages → Anthropic Messages API ``messages`` (content blocks)."""
    out: list[dict[str, Any]] = []
    for message in messages:
        if message.role == "user":
            out.append({"role": "user", "content": message.text})
        elif message.role == "assistant":
            blocks: list[dict[str, Any]] = []
            if message.text:
                blocks.append({"type": "text", "text": message.text})
            blocks += [
                {"type": "tool_use", "id": c.id, "name": c.name, "input": c.arguments}
                for c in message.tool_calls
            ]
            out.append({"role": "assistant", "content": blocks or message.text})
        else:
            blocks = [
                {
                    "type": "tool_result",
                    "tool_use_id": r.call_id,
                    "content": r.content,
                    "is_error": r.is_error,
                }
                for r in message.tool_results
            ]
            if message.text:
                blocks.append({"type": "text", "text": message.text})
            out.append({"role": "user", "content": blocks})
    return out


class OpenAIProvider(_SDKProvider):
    """OpenAI's chat completions API, or any server that speaks it (``base_url``)."""

    name = "openai"

    def _make_client(self, **options: Any) -> tuple[Any, tuple[type[BaseException], ...]]:
        import openai

        return openai.OpenAI(**options), (openai.APIError,)

    def complete(
        self, prompt: str, *, system: str | None = None, max_tokens: int = 256
    ) -> Completion:
        messages: list[dict[str, str]] = []
        if system:
            messages.append({"role": "system", "content": system})
        messages.append({"role": "user", "content": prompt})
        response = self._call(
            self._client.chat.completions.create,
            model=self.model,
            messages=messages,
            max_tokens=max_tokens,
        )
        usage = response.usage
        return Completion(
            text=response.choices[0].message.content or "",
            input_tokens=usage.prompt_tokens if usage else 0,
            output_tokens=usage.completion_tokens if usage else 0,
            model=response.model,
        )

    def chat(
        self,
        messages: Sequence[Message],
        *,
        system: str,
        tools: Sequence[ToolSpec],
        max_tokens: int,
    ) -> Turn:
        kwargs: dict[str, Any] = {
            "model": self.model,
            "max_tokens": max_tokens,
            "messages": [{"role": "system", "content": system}, *openai_messages(messages)],
        }
        if tools:
            kwargs["tools"] = [
                {
                    "type": "function",
                    "function": {
                        "name": t.name,
                        "description": t.description,
                        "parameters": t.parameters,
                    },
                }
                for t in tools
            ]
            kwargs["parallel_tool_calls"] = False
            # "required" is OpenAI's; compatible servers do not all implement it.
            kwargs["tool_choice"] = "auto" if self.base_url else "required"
        response = self._call(self._client.chat.completions.create, **kwargs)
        if not response.choices:
            raise LLMError("openai call failed: the response has no choices")
        choice = response.choices[0]
        calls = tuple(_openai_call(c) for c in choice.message.tool_calls or ())
        usage = response.usage
        if usage is None:
            raise LLMError("openai call failed: the response reports no usage")
        return Turn(
            text=choice.message.content or "",
            tool_calls=calls,
            input_tokens=usage.prompt_tokens,
            output_tokens=usage.completion_tokens,
            model=response.model,
            stop_reason=choice.finish_reason,
        )


def _openai_call(call: Any) -> ToolCall:
    raw = call.function.arguments or "{}"
    try:
        arguments = json.loads(raw)
    except json.JSONDecodeError as exc:
        return ToolCall(call.id, call.function.name, {}, error=f"arguments are not JSON: {exc}")
    if not isinstance(arguments, dict):
        return ToolCall(call.id, call.function.name, {}, error="arguments must be an object")
    return ToolCall(call.id, call.function.name, arguments)


def openai_messages(messages: Sequence[Message]) -> list[dict[str, Any]]:
    """Neutral messages → Chat Completions ``messages`` (``tool_calls``, ``role: tool``)."""
    out: list[dict[str, Any]] = []
    for message in messages:
        if message.role == "user":
            out.append({"role": "user", "content": message.text})
        elif message.role == "assistant":
            entry: dict[str, Any] = {"role": "assistant", "content": message.text or None}
            if message.tool_calls:
                entry["tool_calls"] = [
                    {
                        "id": c.id,
                        "type": "function",
                        "function": {"name": c.name, "arguments": json.dumps(c.arguments)},
                    }
                    for c in message.tool_calls
                ]
            out.append(entry)
        else:
            out += [
                {"role": "tool", "tool_call_id": r.call_id, "content": r.content}
                for r in message.tool_results
            ]
            if message.text:
                out.append({"role": "user", "content": message.text})
    return out


def _describe(exc: BaseException) -> str:
    """Status and error type only: vendor messages may echo request details."""
    status = getattr(exc, "status_code", None)
    kind = type(exc).__name__
    return f"{kind} (HTTP {status})" if status else kind


def provider_from_settings(settings, *, http_client: Any = None) -> LLMProvider | None:
    """The configured provider, or None when its API key is not set (offline default)."""
    llm = settings.llm
    pricing = None
    if llm.input_usd_per_mtok is not None and llm.output_usd_per_mtok is not None:
        pricing = Pricing(llm.input_usd_per_mtok, llm.output_usd_per_mtok)
    if llm.provider == "anthropic" and llm.anthropic_api_key is not None:
        return AnthropicProvider(
            llm.anthropic_api_key.get_secret_value(),
            model=llm.model,
            base_url=llm.anthropic_base_url,
            http_client=http_client,
            pricing=pricing,
        )
    if llm.provider == "openai" and llm.openai_api_key is not None:
        return OpenAIProvider(
            llm.openai_api_key.get_secret_value(),
            model=llm.model,
            base_url=llm.openai_base_url,
            http_client=http_client,
            pricing=pricing,
        )
    return None
