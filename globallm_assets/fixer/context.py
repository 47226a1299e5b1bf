"""What the agent starts from: the issue (fenced as untrusted data), the repository's files, the
files most likely involved and their recent history, and how the tests run.

Files are ranked by evidence in the issue text, strongest first::

    score = FRAME_SCORE      · [a stack-trace frame points into the file]
          + PATH_SCORE       · [the text names the file's path]
          + DEFINITION_SCORE · [a name from the text is defined there]   (per name, capped)
          + GREP_SCORE       · [a name from the text occurs there]       (per name, capped)

and the tests of a ranked file follow it (``tests/test_<stem>.py``, ``<stem>.test.js`` …).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from globallm_assets.core.models import IssueRecord
from globallm_assets.core.risk import is_test_path
from globallm_assets.fixer.toolchains import Detection, TestPlan, detect_test_plan
from globallm_assets.fixer.workspace import Workspace
from globallm_assets.llm.prompts import FileBrief, TaskBrief

FRAME_SCORE = 6.0
PATH_SCORE = 5.0
DEFINITION_SCORE = 3.0
GREP_SCORE = 1.0
GREP_CAP_PER_NAME = 3
MAX_NAMES = 12
MAX_FILES = 8
EXCERPT_FILES = 3
EXCERPT_LINES = 80
FRAME_WINDOW = 25
HISTORY_FILES = 5
HISTORY_COMMITS = 3
MAX_FILE_BYTES = 200_000

_FRAME_PATTERNS = (
    re.compile(r'File "([^"]+)", line (\d+)'),  # Python
    re.compile(r"((?:[A-Za-z]:)?[\w./\\@-]+\.(?:[cm]?[jt]sx?|go|rs|rb|php|c|cc|cpp|h)):(\d+)"),
    re.compile(r"\(([\w$]+\.(?:java|kt|scala)):(\d+)\)"),  # Java: at pkg.Cls.m(File.java:12)
)
_PATH_TOKEN = re.compile(r"[\w./-]*\w\.[A-Za-z]{1,10}\b|[\w.-]+/[\w./-]+")
_CODE_SPAN = re.compile(r"`([^`\n]{1,200})`")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{2,}")
_DEFINITION = r"(?:def|class|function|func|fn|interface|struct|enum|type|const|let|var)\s+{}\b"
# Words too common in prose or code to point anywhere.
_STOPWORDS = frozenset(
    {
        "the", "and", "for", "with", "this", "that", "from", "when", "then", "than", "what",
        "which", "while", "into", "have", "has", "had", "not", "but", "are", "was", "were", "will",
        "would", "should", "could", "can", "may", "might", "must", "been", "being", "does", "did",
        "done", "none", "true", "false", "null", "undefined", "self", "return", "import", "export",
        "require", "const", "function", "def", "class", "print", "error", "errors", "line", "file",
        "files", "test", "tests", "expected", "actual", "python", "node", "npm", "pip", "install",
        "traceback", "most", "recent", "call", "last", "module", "string", "value", "values",
        "issue", "bug", "crash", "steps", "reproduce", "version",
    }
)  # fmt: skip


def stack_frames(text: str) -> list[tuple[str, int]]:
    """(path as written, line) of every stack-trace frame in ``text``, in order."""
    frames: list[tuple[str, int]] = []
    for pattern in _FRAME_PATTERNS:
        for match in pattern.finditer(text):
            frames.append((match.group(1).replace("\\", "/"), int(match.group(2))))
    return frames


def match_path(written: str, tree: Sequence[str]) -> str | None:
    """The repository file a path from elsewhere refers to: the longest suffix match."""
    written = written.lstrip("./")
    best: str | None = None
    for path in tree:
        if (written == path or written.endswith("/" + path)) and (
            best is None or len(path) > len(best)
        ):
            best = path
    if best is None and "/" not in written:
        named = [p for p in tree if PurePosixPath(p).name == written]
        if len(named) == 1:
            best = named[0]
    return best


def names_in(text: str) -> list[str]:
    """Identifiers worth searching for: code spans first, then snake_case/camelCase words."""
    found: list[str] = []
    for span in _CODE_SPAN.findall(text):
        found += _NAME.findall(span)
    for word in _NAME.findall(text):
        if "_" in word.strip("_") or re.search(r"[a-z][A-Z]", word):
            found.append(word)
    unique = [n for n in dict.fromkeys(found) if n.lower() not in _STOPWORDS and not n.isupper()]
    return unique[:MAX_NAMES]


@dataclass
class _Evidence:
    score: float = 0.0
    reasons: list[str] | None = None
    line: int | None = None

    def add(self, score: float, reason: str, line: int | None = None) -> None:
        self.score += score
        self.reasons = [*(self.reasons or []), reason]
        if line is not None and self.line is None:
            self.line = line


def rank_files(issue: IssueRecord, workspace: Workspace, tree: Sequence[str]) -> list[FileBrief]:
    """Files most likely involved, best first (the module docstring's score)."""
    text = f"{issue.title}\n{issue.body or ''}"
    evidence: dict[str, _Evidence] = defaultdict(_Evidence)
    for written, line in stack_frames(text):
        path = match_path(written, tree)
        if path and "stack frame" not in " ".join(evidence[path].reasons or []):
            evidence[path].add(FRAME_SCORE, f"stack frame, line {line}", line)
    for token in dict.fromkeys(_PATH_TOKEN.findall(text)):
        path = match_path(token, tree)
        if path and not evidence[path].reasons:
            evidence[path].add(PATH_SCORE, "named in the issue")
    for name in names_in(text):
        hits = workspace.grep(name, limit=50)
        per_file: dict[str, int] = defaultdict(int)
        for path, line in hits:
            if path not in evidence or per_file[path] < GREP_CAP_PER_NAME:
                per_file[path] += 1
                source = _read_line(workspace.path / path, line)
                if source and re.search(_DEFINITION.format(re.escape(name)), source):
                    evidence[path].add(DEFINITION_SCORE, f"defines {name}", line)
        for path, count in per_file.items():
            evidence[path].add(GREP_SCORE * min(count, GREP_CAP_PER_NAME), f"mentions {name}")
    ranked = sorted(evidence.items(), key=lambda kv: (-kv[1].score, kv[0]))
    ordered: list[str] = []
    for path, _ in ranked:
        ordered.append(path)
        ordered += [t for t in _tests_of(path, tree) if t not in evidence]
    briefs: list[FileBrief] = []
    for index, path in enumerate(dict.fromkeys(ordered)):
        if len(briefs) >= MAX_FILES:
            break
        found = evidence.get(path)
        reasons = tuple(dict.fromkeys(found.reasons or ())) if found else ("its tests",)
        excerpt, start = "", 1
        if index < EXCERPT_FILES:
            excerpt, start = _excerpt(workspace.path / path, found.line if found else None)
        history = tuple(workspace.history(path, HISTORY_COMMITS)) if index < HISTORY_FILES else ()
        briefs.append(FileBrief(path, reasons, excerpt, start, history))
    return briefs


def _tests_of(path: str, tree: Sequence[str]) -> list[str]:
    if is_test_path(path):
        return []
    stem = PurePosixPath(path).stem
    patterns = (f"test_{stem}.", f"{stem}_test.", f"{stem}.test.", f"{stem}.spec.")
    return [p for p in tree if is_test_path(p) and PurePosixPath(p).name.startswith(patterns)]


def _read_text(path: Path) -> str | None:
    try:
        if path.is_symlink() or path.stat().st_size > MAX_FILE_BYTES:
            return None
        data = path.read_bytes()
    except OSError:
        return None
    if b"\0" in data[:8192]:
        return None
    return data.decode("utf-8", errors="replace")


def _read_line(path: Path, number: int) -> str | None:
    text = _read_text(path)
    if text is None:
        return None
    lines = text.splitlines()
    return lines[number - 1] if 0 < number <= len(lines) else None


def _excerpt(path: Path, line: int | None) -> tuple[str, int]:
    text = _read_text(path)
    if not text:
        return "", 1
    lines = text.splitlines()
    if line is None:
        return "\n".join(lines[:EXCERPT_LINES]), 1
    start = max(1, line - FRAME_WINDOW)
    return "\n".join(lines[start - 1 : line + FRAME_WINDOW]), start


@dataclass(frozen=True)
class FixContext:
    brief: TaskBrief
    detection: Detection

    @property
    def plan(self) -> TestPlan | None:
        return self.detection.plan


def build_context(
    issue: IssueRecord,
    workspace: Workspace,
    *,
    language_hint: str | None = None,
    test_command: str | None = None,
) -> FixContext:
    """The task brief for ``issue`` in ``workspace`` and the detected test plan."""
    tree = workspace.tree()
    detection = detect_test_plan(
        workspace.path, tree, override=test_command, language_hint=language_hint
    )
    notes = [f"Not available on this machine: {line}." for line in detection.skipped]
    plan = detection.plan
    brief = TaskBrief(
        repository=issue.repository,
        issue_number=issue.number,
        title=issue.title,
        body=issue.body,
        labels=tuple(issue.labels),
        language=plan.language if plan else language_hint,
        test_command=_display_command(plan) if plan else None,
        tree=tuple(tree),
        files=tuple(rank_files(issue, workspace, tree)),
        notes=tuple(notes),
    )
    return FixContext(brief, detection)


def _display_command(plan: TestPlan) -> str:
    """The test command as the agent types it in the sandbox (interpreter by name)."""
    command = list(plan.command)
    if plan.runner == "pytest":
        command[0] = "python"
    return " ".join(command)
