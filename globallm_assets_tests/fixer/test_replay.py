"""The ReplayProvider and the planted repositories' recordings (the demo's offline LLM fixes)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from globallm_assets.fixer.engine import FixTarget, solve
from globallm_assets.fixer.models import Outcome
from globallm_assets.fixer.tools import TOOLS
from globallm_assets.llm.base import LLMError, Message, ToolResult
from globallm_assets.llm.replay import Recording, ReplayProvider, find_recording
from globallm_assets.sources import planted
from globallm_assets.sources.planted import RECORDINGS
from globallm_assets_tests.fixer.conftest import needs_sandbox


def recording(tmp_path: Path, turns: list[dict]) -> Recording:
    path = tmp_path / "r.json"
    path.write_text(json.dumps({"name": "r", "model": "claude-sonnet-4-5", "turns": turns}))
    return Recording.load(path)


def turn(tool: str, expect: str | None = None, **arguments) -> dict:
    data = {
        "tool": {"name": tool, "arguments": arguments},
        "usage": {"input_tokens": 100, "output_tokens": 10},
    }
    if expect is not None:
        data["expect"] = expect
    return data


def test_replay_answers_in_order_with_recorded_usage_and_says_what_it_is(tmp_path: Path) -> None:
    provider = ReplayProvider(recording(tmp_path, [turn("view", path="a"), turn("submit")]))
    assert "replay" in provider.label and "not a live model" in provider.label
    first = provider.chat([Message("user", "go")], system="s", tools=TOOLS, max_tokens=10)
    assert first.tool_calls[0].name == "view" and first.tool_calls[0].arguments == {"path": "a"}
    assert (first.input_tokens, first.output_tokens) == (100, 10)
    provider.chat([Message("user", "go")], system="s", tools=TOOLS, max_tokens=10)
    with pytest.raises(LLMError, match="no recorded turn left"):
        provider.chat([Message("user", "go")], system="s", tools=TOOLS, max_tokens=10)


def test_replay_stops_when_the_world_differs_from_the_recording(tmp_path: Path) -> None:
    provider = ReplayProvider(
        recording(tmp_path, [turn("run", command="x"), turn("submit", expect="3 passed")])
    )
    provider.chat([Message("user", "go")], system="s", tools=TOOLS, max_tokens=10)
    seen = [Message("tool", tool_results=(ToolResult("replay_1", "exit code 1\n2 failed"),))]
    with pytest.raises(LLMError, match="diverged at turn 2"):
        provider.chat(seen, system="s", tools=TOOLS, max_tokens=10)
    unknown = ReplayProvider(recording(tmp_path, [turn("format_disk")]))
    with pytest.raises(LLMError, match="unknown tool"):
        unknown.chat([], system="s", tools=TOOLS, max_tokens=10)


def test_unreadable_recordings_are_one_line_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(LLMError, match="unreadable recording"):
        Recording.load(bad)


def test_recordings_are_found_by_issue() -> None:
    found = find_recording(RECORDINGS, "Planted/TextStats", 12)
    assert found is not None and found.name == "textstats-empty-mean"
    assert find_recording(RECORDINGS, "planted/textstats", 13) is None


@needs_sandbox
@pytest.mark.parametrize("name", ["textstats", "slugkit"])
def test_the_recorded_responses_fix_the_planted_bugs(
    name: str, make_planted, workspace_for, engine_config, budget
) -> None:
    if name == "slugkit" and shutil.which("node") is None:
        pytest.skip("node is not installed")
    repo = make_planted(name)
    assert repo.recording is not None
    provider = ReplayProvider(Recording.load(repo.recording))
    workspace = workspace_for(repo)
    result = solve(
        FixTarget(repo.issue, "bug", 3, repo.spec.language),
        workspace,
        provider=provider,
        budget=budget,
        config=engine_config,
    )
    assert result.outcome is Outcome.validated, result.reason
    assert result.provider == provider.label
    assert result.before is not None and result.before.failed
    assert result.after is not None and result.after.ok
    assert result.turns == len(provider.recording.turns)
    assert result.input_tokens == sum(t.input_tokens for t in provider.recording.turns)
    assert workspace.head() == result.head_sha


def test_planted_repositories_are_deterministic_real_repositories(tmp_path: Path) -> None:
    first = planted.create_all(tmp_path / "a")
    second = planted.create_all(tmp_path / "b", bare=True)

    for one, two in zip(first, second, strict=True):
        heads = [
            subprocess.run(
                ["git", "rev-parse", "HEAD"], cwd=p, capture_output=True, text=True, check=True
            ).stdout.strip()
            for p in (one.path, two.path)
        ]
        assert heads[0] == heads[1]  # fixed authors and dates: the same commits every time
        assert one.issue.repository == f"planted/{one.spec.name}"
    kinds = {r.spec.name: r.spec.kind for r in first}
    assert kinds == {"textstats": "bug", "slugkit": "bug", "configlite": "misspelling"}
    assert first[2].recording is None  # the misspelling needs no model
