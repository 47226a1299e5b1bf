"""A provider that replays recorded model responses: no live model, and it says so.

It drives the demo's LLM fixes offline. A recording is a JSON file::

    {
      "name": "python-stats-empty-mean",
      "model": "claude-sonnet-4-5",            # the model the responses stand for
      "repository": "planted/textstats",        # optional: which issue it answers
      "issue_number": 1,
      "turns": [
        {"text": "…", "tool": {"name": "view", "arguments": {"path": "textstats/core.py"}},
         "usage": {"input_tokens": 2100, "output_tokens": 60},
         "expect": "def mean_word_length"}      # optional, see below
      ]
    }

Each call to :meth:`ReplayProvider.chat` answers with the next turn, with the recorded usage, so
budgets and cost reports behave as they would have. A replay cannot see what happens: ``expect``
is a text the previous observation must contain, and when it does not (the repository is not
the one recorded) the replay stops with an error instead of acting blindly.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from globallm_assets.llm.base import LLMError, Message, Pricing, ToolCall, ToolSpec, Turn
from globallm_assets.llm.providers import pricing_for


@dataclass(frozen=True)
class RecordedTurn:
    text: str
    tool: str | None
    arguments: dict[str, Any]
    input_tokens: int
    output_tokens: int
    expect: str | None = None


@dataclass(frozen=True)
class Recording:
    name: str
    model: str
    turns: tuple[RecordedTurn, ...]
    repository: str | None = None
    issue_number: int | None = None

    @classmethod
    def load(cls, path: Path) -> Recording:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
            turns = tuple(
                RecordedTurn(
                    text=t.get("text", ""),
                    tool=(t.get("tool") or {}).get("name"),
                    arguments=dict((t.get("tool") or {}).get("arguments") or {}),
                    input_tokens=int(t["usage"]["input_tokens"]),
                    output_tokens=int(t["usage"]["output_tokens"]),
                    expect=t.get("expect"),
                )
                for t in data["turns"]
            )
            return cls(
                name=data["name"],
                model=data["model"],
                turns=turns,
                repository=data.get("repository"),
                issue_number=data.get("issue_number"),
            )
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise LLMError(f"unreadable recording {path}: {type(exc).__name__}: {exc}") from None


def find_recording(directory: Path, repository: str, issue_number: int) -> Recording | None:
    """The recording in ``directory`` made for this issue, if any."""
    for path in sorted(Path(directory).glob("*.json")):
        recording = Recording.load(path)
        if (
            recording.repository
            and recording.repository.lower() == repository.lower()
            and recording.issue_number == issue_number
        ):
            return recording
    return None


class ReplayProvider:
    """Answers each chat call with the next recorded turn (see the module docstring)."""

    name = "replay"

    def __init__(self, recording: Recording, pricing: Pricing | None = None) -> None:
        self.recording = recording
        self.model = recording.model
        self.pricing = pricing or pricing_for(recording.model)
        self.label = f"replay of recorded responses ({recording.name}; not a live model)"
        self._next = 0

    def chat(
        self,
        messages: Sequence[Message],
        *,
        system: str,
        tools: Sequence[ToolSpec],
        max_tokens: int,
    ) -> Turn:
        if self._next >= len(self.recording.turns):
            raise LLMError(f"replay {self.recording.name} has no recorded turn left")
        index = self._next
        turn = self.recording.turns[index]
        if turn.expect is not None:
            last = _last_observation(messages)
            if turn.expect not in last:
                raise LLMError(
                    f"replay {self.recording.name} diverged at turn {index + 1}: the "
                    f"observation does not contain {turn.expect!r}"
                )
        known = {t.name for t in tools}
        if turn.tool is not None and turn.tool not in known:
            raise LLMError(f"replay {self.recording.name} uses unknown tool {turn.tool!r}")
        self._next += 1
        calls = ()
        if turn.tool is not None:
            calls = (ToolCall(f"replay_{index + 1}", turn.tool, dict(turn.arguments)),)
        return Turn(
            text=turn.text,
            tool_calls=calls,
            input_tokens=turn.input_tokens,
            output_tokens=turn.output_tokens,
            model=self.model,
            stop_reason="tool_use" if calls else "end_turn",
        )


def _last_observation(messages: Sequence[Message]) -> str:
    for message in reversed(messages):
        if message.role == "tool":
            return "\n".join(r.content for r in message.tool_results) + message.text
        if message.role == "user":
            return message.text
    return ""
