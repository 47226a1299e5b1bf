"""Anthropic and OpenAI(-compatible) providers over the vendors' own SDKs.

Both SDKs run on their own HTTP stack (``httpx2``, an httpx fork); an ``http_client`` of that
package can be passed in (tests give one whose transport plays the vendor's server). Retries are
left to the SDKs (they honour Retry-After).
"""

from __future__ import annotations

from typing import Any

from globallm_assets.llm.base import Completion, LLMError, LLMProvider

DEFAULT_MODELS = {"anthropic": "claude-sonnet-4-5", "openai": "gpt-4o-mini"}


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
    ) -> None:
        self.model = model or DEFAULT_MODELS[self.name]
        self._client, self._errors = self._make_client(
            api_key=api_key, base_url=base_url, http_client=http_client, max_retries=max_retries
        )

    def _make_client(self, **options: Any) -> tuple[Any, tuple[type[BaseException], ...]]:
        raise NotImplementedError


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
        try:
            message = self._client.messages.create(**kwargs)
        except self._errors as exc:
            raise LLMError(f"anthropic call failed: {_describe(exc)}") from None
        text = "".join(getattr(block, "text", "") for block in message.content)
        return Completion(
            text=text,
            input_tokens=message.usage.input_tokens,
            output_tokens=message.usage.output_tokens,
            model=message.model,
        )


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
        try:
            response = self._client.chat.completions.create(
                model=self.model, messages=messages, max_tokens=max_tokens
            )
        except self._errors as exc:
            raise LLMError(f"openai call failed: {_describe(exc)}") from None
        usage = response.usage
        return Completion(
            text=response.choices[0].message.content or "",
            input_tokens=usage.prompt_tokens if usage else 0,
            output_tokens=usage.completion_tokens if usage else 0,
            model=response.model,
        )


def _describe(exc: BaseException) -> str:
    """Status and error type only: vendor messages may echo request details."""
    status = getattr(exc, "status_code", None)
    kind = type(exc).__name__
    return f"{kind} (HTTP {status})" if status else kind


def provider_from_settings(settings, *, http_client: Any = None) -> LLMProvider | None:
    """The configured provider, or None when its API key is not set (offline default)."""
    llm = settings.llm
    if llm.provider == "anthropic" and llm.anthropic_api_key is not None:
        return AnthropicProvider(
            llm.anthropic_api_key.get_secret_value(), model=llm.model, http_client=http_client
        )
    if llm.provider == "openai" and llm.openai_api_key is not None:
        return OpenAIProvider(
            llm.openai_api_key.get_secret_value(),
            model=llm.model,
            base_url=llm.openai_base_url,
            http_client=http_client,
        )
    return None
