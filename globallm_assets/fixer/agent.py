"""The agent loop: the model acts through the tools, one action per turn, until it submits or a
cap stops it.

Before every model call the loop checks the attempt's caps (turns, tokens, cost, wall time)
against the call's *estimated* size, then reserves that estimate from the token budget; a
refusal stops the loop before anything is spent. After the call the reservation is settled with
the usage the vendor reported and the call is recorded. Every observation goes back to the model
truncated and with its exit code; extra tool calls in one turn are answered "not run".
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from globallm_assets.fixer.tools import TOOLS, Submission, ToolBox
from globallm_assets.llm.base import LLMError, Message, ToolProvider, ToolResult, Turn
from globallm_assets.llm.base import estimate_request_tokens as estimate_input
from globallm_assets.llm.prompts import NO_TOOL_NUDGE, ONE_ACTION_ONLY
from globallm_assets.observability import current_operation_id

log = logging.getLogger(__name__)


class Budget(Protocol):
    """Reserve-then-settle spending (``services.fix.LedgerBudget`` over the token ledger)."""

    def reserve(self, tokens: int) -> Any:
        """A reservation handle, or None when the budget refuses."""
        ...

    def settle(self, reservation: Any, used_tokens: int, *, cost_usd: float = 0.0) -> None: ...

    def record(self, **usage: Any) -> None: ...


@dataclass(frozen=True)
class AgentCaps:
    max_turns: int = 40
    max_tokens: int = 300_000
    max_cost_usd: float = 2.0
    max_wall_seconds: float = 1800.0
    max_output_tokens: int = 4096


@dataclass
class AgentRun:
    """How one attempt's conversation ended, and what it cost."""

    stop: str  # submitted | turns | tokens | cost | wall | budget | provider_error
    reason: str
    submission: Submission | None = None
    turns: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    duration_s: float = 0.0
    model: str = ""
    transcript: list[Message] = field(default_factory=list)


def run_agent(
    provider: ToolProvider,
    *,
    system: str,
    task: str,
    toolbox: ToolBox,
    caps: AgentCaps,
    budget: Budget,
    repository: str | None = None,
    on_turn: Callable[[int, Turn], None] | None = None,
) -> AgentRun:
    """Drive ``provider`` through the tools until it submits or a cap/budget stops it."""
    started = time.monotonic()
    run = AgentRun(stop="", reason="", transcript=[Message("user", task)])
    messages = run.transcript

    def stop(kind: str, reason: str) -> AgentRun:
        run.stop, run.reason = kind, reason
        run.duration_s = time.monotonic() - started
        return run

    while True:
        elapsed = time.monotonic() - started
        if run.turns >= caps.max_turns:
            return stop("turns", f"reached the cap of {caps.max_turns} turns")
        if elapsed >= caps.max_wall_seconds:
            return stop("wall", f"reached the wall-clock cap of {caps.max_wall_seconds:.0f} s")
        estimated_input = estimate_input(messages, system=system, tools=TOOLS)
        estimate = estimated_input + caps.max_output_tokens
        used = run.input_tokens + run.output_tokens
        if used + estimate > caps.max_tokens:
            return stop(
                "tokens",
                f"the next call (≤{estimate} tokens) would pass the cap of {caps.max_tokens} "
                f"tokens ({used} used)",
            )
        projected = provider.pricing.cost(estimated_input, caps.max_output_tokens)
        if run.cost_usd + projected > caps.max_cost_usd:
            return stop(
                "cost",
                f"the next call (≤${projected:.4f}) would pass the cap of "
                f"${caps.max_cost_usd:.2f} (${run.cost_usd:.4f} spent)",
            )
        reservation = budget.reserve(estimate)
        if reservation is None:
            return stop("budget", f"the token budget refused a reservation of {estimate} tokens")
        try:
            turn = provider.chat(
                messages, system=system, tools=TOOLS, max_tokens=caps.max_output_tokens
            )
        except LLMError as exc:
            budget.settle(reservation, 0)
            return stop("provider_error", str(exc))
        except BaseException:
            budget.settle(reservation, 0)  # never leave a reservation behind
            raise
        cost = provider.pricing.cost(turn.input_tokens, turn.output_tokens)
        budget.settle(reservation, turn.total_tokens, cost_usd=cost)
        budget.record(
            purpose="fix",
            provider=provider.name,
            model=turn.model,
            input_tokens=turn.input_tokens,
            output_tokens=turn.output_tokens,
            repository=repository,
            operation_id=current_operation_id(),
        )
        run.turns += 1
        run.input_tokens += turn.input_tokens
        run.output_tokens += turn.output_tokens
        run.cost_usd += cost
        run.model = turn.model
        if on_turn is not None:
            on_turn(run.turns, turn)
        messages.append(Message("assistant", turn.text, tool_calls=turn.tool_calls))
        if not turn.tool_calls:
            messages.append(Message("user", NO_TOOL_NUDGE))
            continue
        first, *extra = turn.tool_calls
        remaining = caps.max_wall_seconds - (time.monotonic() - started)
        result, submission = toolbox.execute(first, wall_seconds=remaining)
        results = [result] + [ToolResult(c.id, ONE_ACTION_ONLY, True) for c in extra]
        messages.append(Message("tool", tool_results=tuple(results)))
        log.debug("turn %d: %s -> %s", run.turns, first.name, result.content[:200])
        if submission is not None:
            run.submission = submission
            return stop("submitted", "the agent submitted its fix")
