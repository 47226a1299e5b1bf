"""LLM providers: the vendors' real SDK clients against local servers shaped like their APIs."""

from __future__ import annotations

import json
import logging

import pytest

from globallm_assets.llm.base import (
    LLMError,
    Message,
    ToolCall,
    ToolProvider,
    ToolResult,
    ToolSpec,
    estimate_request_tokens,
)
from globallm_assets.llm.providers import (
    UNKNOWN_MODEL_PRICING,
    AnthropicProvider,
    OpenAIProvider,
    pricing_for,
    provider_from_settings,
)
from globallm_assets.settings import load_settings
from globallm_assets_tests.fakes.llm_vendors import (
    VendorServer,
    anthropic_message,
    anthropic_text,
    anthropic_tool_use,
    openai_completion,
    openai_tool_call,
    rate_limited,
    server_error,
)

KEY = "sk-test-0123456789abcdef0123"
TOOLS = [
    ToolSpec(
        "run",
        "Run a shell command in the sandbox.",
        {"type": "object", "properties": {"command": {"type": "string"}}, "required": ["command"]},
    ),
    ToolSpec("submit", "Finish.", {"type": "object", "properties": {}}),
]
CONVERSATION = [
    Message("user", "Fix the bug."),
    Message("assistant", "Looking.", tool_calls=(ToolCall("call_1", "run", {"command": "ls"}),)),
    Message("tool", tool_results=(ToolResult("call_1", "exit code 0\nsrc tests", False),)),
]


@pytest.fixture
def anthropic_server():
    with VendorServer("anthropic", KEY) as server:
        yield server


@pytest.fixture
def openai_server():
    with VendorServer("openai", KEY) as server:
        yield server


def test_anthropic_completion_and_usage(anthropic_server: VendorServer) -> None:
    anthropic_server.replies.append(
        anthropic_message([anthropic_text("bug")], input_tokens=87, output_tokens=2)
    )
    provider = AnthropicProvider(KEY, model="claude-test", base_url=anthropic_server.url)
    completion = provider.complete("Title: crash", system="classify", max_tokens=5)
    assert (completion.text, completion.total_tokens, completion.model) == (
        "bug",
        89,
        "claude-test",
    )
    seen = anthropic_server.seen[0]
    assert KEY in (seen.headers.get("x-api-key"), seen.headers["authorization"].split()[-1])
    assert seen.body["system"] == "classify" and seen.body["max_tokens"] == 5
    assert seen.body["messages"] == [{"role": "user", "content": "Title: crash"}]


def test_openai_completion_and_usage(openai_server: VendorServer) -> None:
    openai_server.replies.append(
        openai_completion(content="feature", prompt_tokens=64, completion_tokens=1)
    )
    provider = OpenAIProvider(KEY, model="gpt-test", base_url=openai_server.url)
    completion = provider.complete("Title: add flag", system="classify", max_tokens=5)
    assert (completion.text, completion.total_tokens) == ("feature", 65)
    seen = openai_server.seen[0]
    assert seen.path == "/v1/chat/completions"
    assert seen.headers["authorization"] == f"Bearer {KEY}"
    assert seen.body["messages"][0] == {"role": "system", "content": "classify"}


def test_anthropic_tool_use_turn_round_trips_the_conversation(
    anthropic_server: VendorServer,
) -> None:
    anthropic_server.replies.append(
        anthropic_message(
            [anthropic_text("Run the tests."), anthropic_tool_use("run", {"command": "pytest"})],
            input_tokens=1200,
            output_tokens=40,
        )
    )
    provider = AnthropicProvider(KEY, model="claude-sonnet-4-5", base_url=anthropic_server.url)
    assert isinstance(provider, ToolProvider)
    turn = provider.chat(CONVERSATION, system="You fix bugs.", tools=TOOLS, max_tokens=512)
    assert turn.text == "Run the tests."
    assert [(c.name, c.arguments) for c in turn.tool_calls] == [("run", {"command": "pytest"})]
    assert turn.tool_calls[0].id.startswith("toolu_")
    assert (turn.input_tokens, turn.output_tokens, turn.stop_reason) == (1200, 40, "tool_use")
    body = anthropic_server.seen[0].body
    assert body["system"] == "You fix bugs."
    assert body["tools"][0] == {
        "name": "run",
        "description": "Run a shell command in the sandbox.",
        "input_schema": TOOLS[0].parameters,
    }
    assert body["tool_choice"] == {"type": "any", "disable_parallel_tool_use": True}
    # The documented shapes: tool_use blocks in the assistant turn, tool_result in the user one.
    assert body["messages"][1]["content"][1] == {
        "type": "tool_use",
        "id": "call_1",
        "name": "run",
        "input": {"command": "ls"},
    }
    assert body["messages"][2] == {
        "role": "user",
        "content": [
            {
                "type": "tool_result",
                "tool_use_id": "call_1",
                "content": "exit code 0\nsrc tests",
                "is_error": False,
            }
        ],
    }
    # $3 / $15 per million tokens for Sonnet.
    assert provider.pricing.cost(turn.input_tokens, turn.output_tokens) == pytest.approx(0.0042)


def test_openai_tool_call_turn_round_trips_the_conversation(openai_server: VendorServer) -> None:
    openai_server.replies.append(
        openai_completion(
            tool_calls=[openai_tool_call("run", {"command": "node --test"})],
            prompt_tokens=900,
            completion_tokens=25,
        )
    )
    provider = OpenAIProvider(KEY, model="gpt-4o-mini", base_url=openai_server.url)
    turn = provider.chat(CONVERSATION, system="You fix bugs.", tools=TOOLS, max_tokens=256)
    assert [(c.name, c.arguments, c.error) for c in turn.tool_calls] == [
        ("run", {"command": "node --test"}, None)
    ]
    assert (turn.input_tokens, turn.output_tokens, turn.stop_reason) == (900, 25, "tool_calls")
    body = openai_server.seen[0].body
    assert body["parallel_tool_calls"] is False
    assert body["tools"][0]["type"] == "function"
    assert body["tools"][0]["function"]["parameters"] == TOOLS[0].parameters
    messages = body["messages"]
    assert messages[0] == {"role": "system", "content": "You fix bugs."}
    assert messages[2]["tool_calls"][0]["function"] == {
        "name": "run",
        "arguments": json.dumps({"command": "ls"}),
    }
    assert messages[3] == {
        "role": "tool",
        "tool_call_id": "call_1",
        "content": "exit code 0\nsrc tests",
    }


def test_openai_malformed_tool_arguments_become_a_call_error(openai_server: VendorServer) -> None:
    openai_server.replies.append(
        openai_completion(
            tool_calls=[openai_tool_call("run", '{"command": "ls"')],
            prompt_tokens=10,
            completion_tokens=5,
        )
    )
    provider = OpenAIProvider(KEY, base_url=openai_server.url)
    turn = provider.chat(CONVERSATION, system="s", tools=TOOLS, max_tokens=64)
    assert turn.tool_calls[0].error and "not JSON" in turn.tool_calls[0].error


@pytest.mark.parametrize("vendor", ["anthropic", "openai"])
def test_rate_limit_and_server_error_are_retried_by_the_sdk(vendor: str) -> None:
    with VendorServer(vendor, KEY) as server:
        if vendor == "anthropic":
            ok = anthropic_message(
                [anthropic_tool_use("submit", {})], input_tokens=50, output_tokens=7
            )
            provider = AnthropicProvider(KEY, base_url=server.url, max_retries=2)
        else:
            ok = openai_completion(
                tool_calls=[openai_tool_call("submit", {})], prompt_tokens=50, completion_tokens=7
            )
            provider = OpenAIProvider(KEY, base_url=server.url, max_retries=2)
        server.replies += [rate_limited(vendor), server_error(vendor), ok]
        turn = provider.chat(CONVERSATION, system="s", tools=TOOLS, max_tokens=64)
        assert turn.tool_calls[0].name == "submit"
        assert (turn.input_tokens, turn.output_tokens) == (50, 7)
        assert len(server.seen) == 3


@pytest.mark.parametrize("vendor", ["anthropic", "openai"])
def test_exhausted_retries_raise_one_line_without_the_key(vendor: str, caplog) -> None:
    with VendorServer(vendor, KEY) as server:
        server.replies += [rate_limited(vendor), rate_limited(vendor)]
        cls = AnthropicProvider if vendor == "anthropic" else OpenAIProvider
        provider = cls(KEY, base_url=server.url, max_retries=1)
        with caplog.at_level(logging.DEBUG), pytest.raises(LLMError) as info:
            provider.chat(CONVERSATION, system="s", tools=TOOLS, max_tokens=64)
    assert "429" in str(info.value) and "\n" not in str(info.value)
    assert KEY not in str(info.value)
    assert all(KEY not in record.getMessage() for record in caplog.records)


def test_wrong_key_is_a_401_error_without_the_key(anthropic_server: VendorServer) -> None:
    provider = AnthropicProvider("sk-wrong-key-000000000000", base_url=anthropic_server.url)
    with pytest.raises(LLMError) as info:
        provider.complete("x")
    assert "401" in str(info.value) and "sk-wrong" not in str(info.value)


def test_pre_call_estimate_covers_the_billed_input() -> None:
    # The estimate counts a token per 3 bytes; vendors bill ~4 characters a token for English.
    estimate = estimate_request_tokens(CONVERSATION, system="You fix bugs.", tools=TOOLS)
    text = (
        json.dumps([m.text for m in CONVERSATION])
        + "You fix bugs."
        + json.dumps([t.parameters for t in TOOLS])
    )
    assert estimate >= len(text) / 4
    longer = [*CONVERSATION, Message("user", "x" * 3000)]
    assert estimate_request_tokens(longer, system="", tools=TOOLS) >= estimate + 1000 - 20


def test_prices_by_model_prefix_and_conservative_default() -> None:
    assert pricing_for("claude-sonnet-4-5-20250929").input_per_mtok == 3.0
    assert pricing_for("gpt-4o-mini-2024-07-18").output_per_mtok == 0.60
    assert pricing_for("gpt-4o-2024-08-06").input_per_mtok == 2.5
    assert pricing_for("my-local-llama") == UNKNOWN_MODEL_PRICING


def test_no_provider_without_a_key(monkeypatch: pytest.MonkeyPatch) -> None:
    assert provider_from_settings(load_settings()) is None
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.setenv("GLOBALLM_LLM__PROVIDER", "openai")
    monkeypatch.setenv("GLOBALLM_LLM__INPUT_USD_PER_MTOK", "1")
    monkeypatch.setenv("GLOBALLM_LLM__OUTPUT_USD_PER_MTOK", "2")
    provider = provider_from_settings(load_settings())
    assert isinstance(provider, OpenAIProvider)
    assert provider.pricing.cost(1_000_000, 1_000_000) == 3.0
