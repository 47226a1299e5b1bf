"""The agent loop: one action per turn, caps per attempt, the budget reserved before each call."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from globallm_assets.fixer.agent import AgentCaps, run_agent
from globallm_assets.fixer.sandbox import SandboxLimits
from globallm_assets.fixer.tools import ToolBox
from globallm_assets.llm.base import LLMError, Pricing
from globallm_assets.llm.prompts import NO_TOOL_NUDGE, ONE_ACTION_ONLY
from globallm_assets.services.fix import LedgerBudget
from globallm_assets.store import llm_usage
from globallm_assets.store.llm_usage import TokenLedger
from globallm_assets_tests.fakes.scripted_provider import ScriptedProvider

CAPS = AgentCaps(max_turns=10, max_tokens=100_000, max_cost_usd=5.0, max_output_tokens=500)
VIEW = ("view", {"path": "a.txt"})


@pytest.fixture
def box(tmp_path: Path) -> ToolBox:
    (tmp_path / "a.txt").write_text("hello\n")
    return ToolBox(tmp_path, limits=SandboxLimits(wall_seconds=30))


@pytest.fixture
def ledger(dsn: str) -> LedgerBudget:
    return LedgerBudget(TokenLedger(dsn, weekly_limit=1_000_000))


def test_submitting_ends_the_loop_with_usage_totals(box: ToolBox, ledger: LedgerBudget) -> None:
    provider = ScriptedProvider([VIEW, ("submit", {"summary": "s", "tests": ["t.py"]})])
    run = run_agent(provider, system="sys", task="task", toolbox=box, caps=CAPS, budget=ledger)
    assert run.stop == "submitted" and run.submission is not None
    assert run.submission.tests == ("t.py",)
    assert run.turns == 2 and run.output_tokens == 160
    assert run.cost_usd == pytest.approx(Pricing(3.0, 15.0).cost(run.input_tokens, 160))
    # The second call saw the first observation, truncated and fed back as a tool result.
    second = provider.calls[1]
    assert second[-1].role == "tool" and "hello" in second[-1].tool_results[0].content


def test_extra_calls_in_a_turn_are_not_run_and_text_turns_are_nudged(
    box: ToolBox, ledger: LedgerBudget
) -> None:
    many = (
        "many",
        [
            ("replace", {"path": "b.txt", "old_text": "", "new_text": "1"}),
            ("replace", {"path": "c.txt", "old_text": "", "new_text": "2"}),
        ],
    )
    provider = ScriptedProvider(
        [many, ("text", "I think I am done."), ("submit", {"summary": "", "tests": []})]
    )
    run_agent(provider, system="s", task="t", toolbox=box, caps=CAPS, budget=ledger)
    results = provider.calls[1][-1].tool_results
    assert [r.is_error for r in results] == [False, True]
    assert results[1].content == ONE_ACTION_ONLY
    assert (box.root / "b.txt").exists() and not (box.root / "c.txt").exists()
    assert provider.calls[2][-1].text == NO_TOOL_NUDGE


@pytest.mark.parametrize(
    ("caps", "stop"),
    [
        (AgentCaps(max_turns=3, max_output_tokens=100), "turns"),
        (AgentCaps(max_tokens=3000, max_output_tokens=1000), "tokens"),
        (AgentCaps(max_cost_usd=0.01, max_output_tokens=500), "cost"),
        (AgentCaps(max_wall_seconds=0.0), "wall"),
    ],
)
def test_each_cap_stops_the_attempt_cleanly(
    box: ToolBox, ledger: LedgerBudget, caps: AgentCaps, stop: str, dsn: str
) -> None:
    provider = ScriptedProvider([VIEW] * 50)
    run = run_agent(provider, system="s", task="t", toolbox=box, caps=caps, budget=ledger)
    assert run.stop == stop, run.reason
    assert run.submission is None
    assert run.input_tokens + run.output_tokens <= caps.max_tokens
    assert run.cost_usd <= caps.max_cost_usd
    with psycopg.connect(dsn) as conn:
        assert llm_usage.reserved_this_week(conn) == run.input_tokens + run.output_tokens


def test_budget_refusal_stops_before_the_call(box: ToolBox, dsn: str) -> None:
    provider = ScriptedProvider([VIEW] * 10)
    small = LedgerBudget(TokenLedger(dsn, weekly_limit=2500))
    run = run_agent(
        provider,
        system="s",
        task="t",
        toolbox=box,
        caps=AgentCaps(max_output_tokens=1000),
        budget=small,
    )
    assert run.stop == "budget"
    assert len(provider.calls) == run.turns >= 1
    with psycopg.connect(dsn) as conn:
        assert llm_usage.reserved_this_week(conn) == run.input_tokens + run.output_tokens <= 2500
        recorded = conn.execute("SELECT count(*) FROM llm_usage WHERE purpose = 'fix'").fetchone()
    assert recorded == (run.turns,)


def test_a_provider_error_gives_the_reservation_back(box: ToolBox, dsn: str) -> None:
    class Failing(ScriptedProvider):
        def chat(self, *args, **kwargs):
            raise LLMError("anthropic call failed: RateLimitError (HTTP 429)")

    ledger = LedgerBudget(TokenLedger(dsn, weekly_limit=1_000_000))
    run = run_agent(Failing([]), system="s", task="t", toolbox=box, caps=CAPS, budget=ledger)
    assert run.stop == "provider_error" and "429" in run.reason
    with psycopg.connect(dsn) as conn:
        assert llm_usage.reserved_this_week(conn) == 0


@pytest.mark.parametrize("vendor", ["anthropic", "openai"])
def test_the_loop_drives_the_real_sdks_through_tool_turns(
    box: ToolBox, ledger: LedgerBudget, vendor: str, dsn: str
) -> None:
    from globallm_assets.llm.providers import AnthropicProvider, OpenAIProvider
    from globallm_assets_tests.fakes.llm_vendors import (
        VendorServer,
        anthropic_message,
        anthropic_tool_use,
        openai_completion,
        openai_tool_call,
        rate_limited,
    )

    key = "sk-test-agent-0123456789abcdef"
    with VendorServer(vendor, key) as server:
        if vendor == "anthropic":
            provider = AnthropicProvider(key, base_url=server.url)
            replies = [
                anthropic_message(
                    [anthropic_tool_use("view", {"path": "a.txt"})],
                    input_tokens=1500,
                    output_tokens=30,
                ),
                anthropic_message(
                    [anthropic_tool_use("submit", {"summary": "s", "tests": []})],
                    input_tokens=1700,
                    output_tokens=25,
                ),
            ]
        else:
            provider = OpenAIProvider(key, base_url=server.url)
            replies = [
                openai_completion(
                    tool_calls=[openai_tool_call("view", {"path": "a.txt"})],
                    prompt_tokens=1500,
                    completion_tokens=30,
                ),
                openai_completion(
                    tool_calls=[openai_tool_call("submit", {"summary": "s", "tests": []})],
                    prompt_tokens=1700,
                    completion_tokens=25,
                ),
            ]
        server.replies += [replies[0], rate_limited(vendor), replies[1]]
        run = run_agent(
            provider,
            system="sys",
            task="fix it",
            toolbox=box,
            caps=CAPS,
            budget=ledger,
            repository="o/r",
        )
        bodies = [seen.body for seen in server.seen]
    assert run.stop == "submitted" and run.turns == 2
    assert (run.input_tokens, run.output_tokens) == (3200, 55)  # exactly what the vendor billed
    # The second request carried the first call's result in the vendor's own shape.
    last = bodies[-1]["messages"][-1]
    if vendor == "anthropic":
        assert last["content"][0]["type"] == "tool_result"
        assert "hello" in last["content"][0]["content"]
    else:
        assert last["role"] == "tool" and "hello" in last["content"]
    with psycopg.connect(dsn) as conn:
        assert llm_usage.reserved_this_week(conn) == 3255


def test_ledger_budget_settles_reservation_objects_as_well_as_weeks() -> None:
    """The adapter keeps to the ledger's public reserve/settle: a ledger that hands out
    reservation objects (the fleet's) gets the same object back with the cost."""

    class ReservingLedger:
        def __init__(self) -> None:
            self.settled: list[tuple] = []

        def reserve(self, tokens: int) -> object:
            return ("reservation", tokens)

        def settle(self, reservation: object, used: int, *, cost_usd: float = 0.0) -> None:
            self.settled.append((reservation, used, cost_usd))

    ledger = ReservingLedger()
    budget = LedgerBudget(ledger)
    handle = budget.reserve(500)
    budget.settle(handle, 321, cost_usd=0.25)
    assert ledger.settled == [(("reservation", 500), 321, 0.25)]
