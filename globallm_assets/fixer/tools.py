"""The agent's four tools: run a command in the sandbox, view a file, replace text, submit.

``run`` is the only tool that executes anything, and it executes inside the sandbox
(``fixer/sandbox.py``): a shell there is the agent's instrument, never one on the host. ``view``
and ``replace`` run in this process, so they accept only paths that resolve inside the workspace,
never follow a symlink out of it, and never touch ``.git``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from globallm_assets.fixer.sandbox import SandboxLimits, run_sandboxed
from globallm_assets.llm.base import ToolCall, ToolResult, ToolSpec
from globallm_assets.llm.prompts import numbered, observation, truncate_middle

MAX_COMMAND_CHARS = 10_000
MAX_VIEW_LINES = 400
MAX_FILE_BYTES = 1_000_000
MAX_TESTS = 20

TOOLS: tuple[ToolSpec, ...] = (
    ToolSpec(
        "run",
        "Run a shell command in the repository root inside the sandbox (no network, no "
        "credentials, only the repository writable). Returns the exit code and the output "
        "(long output is cut in the middle).",
        {
            "type": "object",
            "properties": {"command": {"type": "string", "description": "e.g. `ls tests`"}},
            "required": ["command"],
        },
    ),
    ToolSpec(
        "view",
        "Show a file with line numbers (optionally only start_line..end_line), or list a "
        "directory.",
        {
            "type": "object",
            "properties": {
                "path": {"type": "string", "description": "relative to the repository root"},
                "start_line": {"type": "integer", "minimum": 1},
                "end_line": {"type": "integer", "minimum": 1},
            },
            "required": ["path"],
        },
    ),
    ToolSpec(
        "replace",
        "Replace old_text with new_text in a file. old_text must occur exactly once (include "
        "enough surrounding lines to make it unique). With an empty old_text, create a new file "
        "holding new_text.",
        {
            "type": "object",
            "properties": {
                "path": {"type": "string"},
                "old_text": {"type": "string"},
                "new_text": {"type": "string"},
            },
            "required": ["path", "old_text", "new_text"],
        },
    ),
    ToolSpec(
        "submit",
        "Finish: summarise the fix and name the tests that fail without it and pass with it "
        "(file paths or test ids).",
        {
            "type": "object",
            "properties": {
                "summary": {"type": "string"},
                "tests": {"type": "array", "items": {"type": "string"}},
            },
            "required": ["summary", "tests"],
        },
    ),
)


@dataclass(frozen=True)
class Submission:
    summary: str
    tests: tuple[str, ...]


class ToolError(ValueError):
    """A tool call that cannot be carried out (the message goes back to the model)."""


class ToolBox:
    """Executes tool calls against one workspace."""

    def __init__(
        self,
        root: Path,
        *,
        limits: SandboxLimits,
        required: bool = True,
        env: Mapping[str, str] | None = None,
        observation_chars: int = 6000,
    ) -> None:
        self.root = root.resolve()
        self.limits = limits
        self.required = required
        self.env = dict(env or {})
        self.observation_chars = observation_chars

    def execute(
        self, call: ToolCall, *, wall_seconds: float | None = None
    ) -> tuple[ToolResult, Submission | None]:
        """Run one call; errors become an ``is_error`` result the model can react to."""
        if call.error:
            return ToolResult(call.id, f"error: {call.error}", True), None
        try:
            if call.name == "run":
                return ToolResult(call.id, self._run(call.arguments, wall_seconds)), None
            if call.name == "view":
                return ToolResult(call.id, self._view(call.arguments)), None
            if call.name == "replace":
                return ToolResult(call.id, self._replace(call.arguments)), None
            if call.name == "submit":
                submission = self._submit(call.arguments)
                return ToolResult(call.id, "submitted; validating"), submission
        except ToolError as exc:
            return ToolResult(call.id, f"error: {exc}", True), None
        return ToolResult(call.id, f"error: unknown tool {call.name!r}", True), None

    # ------------------------------------------------------------------ tools

    def _run(self, arguments: dict[str, Any], wall_seconds: float | None) -> str:
        command = _string(arguments, "command")
        if not command.strip():
            raise ToolError("command is empty")
        if len(command) > MAX_COMMAND_CHARS:
            raise ToolError(f"command longer than {MAX_COMMAND_CHARS} characters")
        limits = self.limits
        if wall_seconds is not None:
            limits = replace(limits, wall_seconds=max(1.0, min(limits.wall_seconds, wall_seconds)))
        result = run_sandboxed(
            self.root,
            ["/bin/sh", "-c", command],
            limits=limits,
            env=self.env,
            required=self.required,
        )
        return observation(
            result.exit_code, result.output, limit=self.observation_chars, killed=result.killed
        )

    def _view(self, arguments: dict[str, Any]) -> str:
        path = self.resolve(_string(arguments, "path"))
        if path.is_dir():
            entries = sorted(
                p.name + ("/" if p.is_dir() else "") for p in path.iterdir() if p.name != ".git"
            )
            return "\n".join(entries) or "(empty directory)"
        text = self._read(path)
        lines = text.splitlines()
        start = _int(arguments, "start_line", 1)
        end = _int(arguments, "end_line", min(len(lines), start + MAX_VIEW_LINES - 1))
        if start > max(len(lines), 1):
            raise ToolError(f"start_line {start} is past the end ({len(lines)} lines)")
        end = min(end, len(lines), start + MAX_VIEW_LINES - 1)
        shown = numbered("\n".join(lines[start - 1 : end]), start)
        footer = f"\n[lines {start}-{end} of {len(lines)}]" if end < len(lines) else ""
        return truncate_middle(shown, self.observation_chars) + footer

    def _replace(self, arguments: dict[str, Any]) -> str:
        raw = _string(arguments, "path")
        old = _string(arguments, "old_text", allow_empty=True)
        new = _string(arguments, "new_text", allow_empty=True)
        path = self.resolve(raw, for_write=True)
        if old == "":
            if path.exists():
                raise ToolError(f"{raw} exists; give old_text to change it")
            path.parent.mkdir(parents=True, exist_ok=True)
            _write(path, new)
            return f"created {raw} ({new.count(chr(10)) + 1} lines)"
        text = self._read(path)
        count = text.count(old)
        if count == 0:
            hint = " (check whitespace and indentation)" if old.strip() in text else ""
            raise ToolError(f"old_text not found in {raw}{hint}")
        if count > 1:
            raise ToolError(f"old_text occurs {count} times in {raw}; include more context")
        updated = text.replace(old, new, 1)
        _write(path, updated)
        first = text[: text.index(old)].count("\n") + 1
        lines = updated.splitlines()
        last = first + new.count("\n")
        window = "\n".join(lines[max(0, first - 3) : last + 2])
        return f"replaced in {raw}:\n" + numbered(window, max(1, first - 2))

    @staticmethod
    def _submit(arguments: dict[str, Any]) -> Submission:
        summary = _string(arguments, "summary", allow_empty=True)[:4000]
        tests = arguments.get("tests") or []
        if not isinstance(tests, list) or not all(isinstance(t, str) for t in tests):
            raise ToolError("tests must be a list of strings")
        return Submission(summary, tuple(t.strip() for t in tests if t.strip())[:MAX_TESTS])

    # ------------------------------------------------------------------ paths

    def resolve(self, raw: str, *, for_write: bool = False) -> Path:
        """``raw`` inside the workspace, or :class:`ToolError` (no escape, no ``.git``)."""
        relative = Path(raw.strip())
        if relative.is_absolute():
            try:
                relative = relative.relative_to(self.root)
            except ValueError:
                raise ToolError(f"{raw} is outside the repository") from None
        if ".git" in relative.parts:
            raise ToolError("the .git directory is off limits")
        candidate = self.root / relative
        resolved = candidate.resolve()
        if resolved != self.root and self.root not in resolved.parents:
            raise ToolError(f"{raw} is outside the repository")
        if for_write and candidate.is_symlink():
            raise ToolError(f"{raw} is a symlink; edit its target instead")
        return resolved

    @staticmethod
    def _read(path: Path) -> str:
        if not path.is_file():
            raise ToolError(f"{path.name} does not exist")
        if path.stat().st_size > MAX_FILE_BYTES:
            raise ToolError(f"{path.name} is larger than {MAX_FILE_BYTES} bytes; use run")
        data = path.read_bytes()
        if b"\0" in data[:8192]:
            raise ToolError(f"{path.name} is a binary file")
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            raise ToolError(f"{path.name} is not UTF-8 text; use run") from None


def _string(arguments: dict[str, Any], key: str, *, allow_empty: bool = False) -> str:
    value = arguments.get(key)
    if not isinstance(value, str) or (not allow_empty and not value):
        raise ToolError(
            f"{key} must be a non-empty string" if not allow_empty else f"{key} must be a string"
        )
    return value


def _int(arguments: dict[str, Any], key: str, default: int) -> int:
    value = arguments.get(key, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ToolError(f"{key} must be a positive integer")
    return value


def _write(path: Path, text: str) -> None:
    """Keep the file's mode; write via a temp file so a crash leaves the old content."""
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    tmp = path.with_name(f".{path.name}.globallm-tmp")
    tmp.write_text(text, encoding="utf-8")
    os.chmod(tmp, mode)
    os.replace(tmp, path)
