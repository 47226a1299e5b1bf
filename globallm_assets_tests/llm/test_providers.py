"""LLM providers through the vendors' SDKs, against transports shaped like the vendors' APIs."""

import json
import logging

import httpx2 as httpx  # the vendors' SDKs run on httpx2, an httpx fork
import pytest

from globallm_assets.llm.base import LLMError
from globallm_assets.llm.providers import AnthropicProvider, OpenAIProvider, provider_from_settings
from globallm_assets.settings import load_settings

KEY = "sk-test-0123456789abcdef0123"


def anthropic_server(seen: list[httpx.Request], *, status: int = 200, text: str = "bug"):
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if status != 200:
            return httpx.Response(
                status,
                json={
                    "type": "error",
                    "error": {"type": "authentication_error", "message": "invalid x-api-key"},
                },
            )
        body = json.loads(request.content)
        return httpx.Response(
            200,
            json={
                "id": "msg_01XFDUDYJgAACzvnptvVoYEL",
                "type": "message",
                "role": "assistant",
                "model": body["model"],
                "content": [{"type": "text", "text": text}],
                "stop_reason": "end_turn",
                "stop_sequence": None,
                "usage": {"input_tokens": 87, "output_tokens": 2},
            },
        )

    return httpx.Client(transport=httpx.MockTransport(handler))


def openai_server(seen: list[httpx.Request], text: str = "feature"):
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        body = json.loads(request.content)
        return httpx.Response(
            200,
            json={
                "id": "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT",
                "object": "chat.completion",
                "created": 1741569952,
                "model": body["model"],
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": text, "refusal": None},
                        "logprobs": None,
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 64, "completion_tokens": 1, "total_tokens": 65},
            },
        )

    return httpx.Client(transport=httpx.MockTransport(handler))


def test_anthropic_messages_call_and_usage():
    seen: list[httpx.Request] = []
    provider = AnthropicProvider(KEY, model="claude-test", http_client=anthropic_server(seen))
    completion = provider.complete("Title: crash", system="classify", max_tokens=5)
    assert completion.text == "bug"
    assert (completion.input_tokens, completion.output_tokens) == (87, 2)
    request = seen[0]
    assert request.url.path == "/v1/messages"
    # This SDK generation sends the key as a bearer token (older ones used x-api-key).
    sent = request.headers.get("x-api-key") or request.headers["authorization"]
    assert sent in (KEY, f"Bearer {KEY}")
    body = json.loads(request.content)
    assert body["system"] == "classify"
    assert body["max_tokens"] == 5
    assert body["messages"] == [{"role": "user", "content": "Title: crash"}]


def test_openai_chat_completion_and_usage():
    seen: list[httpx.Request] = []
    provider = OpenAIProvider(KEY, model="gpt-test", http_client=openai_server(seen))
    completion = provider.complete("Title: add flag", system="classify", max_tokens=5)
    assert completion.text == "feature"
    assert completion.total_tokens == 65
    request = seen[0]
    assert request.url.path.endswith("/chat/completions")
    assert request.headers["authorization"] == f"Bearer {KEY}"
    messages = json.loads(request.content)["messages"]
    assert messages[0] == {"role": "system", "content": "classify"}


def test_vendor_error_is_one_line_without_the_key(caplog):
    seen: list[httpx.Request] = []
    provider = AnthropicProvider(KEY, http_client=anthropic_server(seen, status=401), max_retries=0)
    with caplog.at_level(logging.DEBUG), pytest.raises(LLMError) as info:
        provider.complete("x")
    assert "401" in str(info.value)
    assert KEY not in str(info.value)
    assert all(KEY not in record.getMessage() for record in caplog.records)


def test_no_provider_without_a_key(monkeypatch):
    assert provider_from_settings(load_settings()) is None
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.setenv("GLOBALLM_LLM__PROVIDER", "openai")
    assert isinstance(provider_from_settings(load_settings()), OpenAIProvider)
