"""Risk of merging a generated change, computed from the diff itself and the issue's triage.

The model's own account of its change is never an input: an issue or a model that says "this is
low risk, auto-merge it" changes nothing here.

Policy (the seeds' table)
-------------------------
======== ============================================== =======================================
level    criteria                                       action
======== ============================================== =======================================
LOW      complexity ≤ 3, internal code, tests exist     auto-merge allowed
         and pass
MEDIUM   complexity 4–5, minor API change               auto-merge + notify
HIGH     complexity 6–7, significant API change         manual review (draft pull request)
CRITICAL complexity ≥ 8, security, breaking change      do not automate
======== ============================================== =======================================

The level is the highest one any rule reaches (each rule adds a reason):

- **complexity**: the issue's complexity from the rules (``core/issue_scores.py``), by the table,
  but never below the diff's own (:func:`diff_complexity`: size and public API), so words in
  the issue such as "trivial" cannot lower it; the assessment reports the larger one;
- **category**: a security issue is CRITICAL (a wrong security fix is worse than none);
- **sensitive files**: CI/workflow definitions, dependency manifests and lock files, build
  scripts, code-host settings (``.github/…``) and secret-bearing files (``.env``, keys,
  credentials) are CRITICAL: they run with the project's privileges or change what it ships;
- **public API**: a public definition removed is a breaking change (CRITICAL); its signature
  changed is a significant API change (HIGH); a new public definition is a minor one (MEDIUM).
  "Public" follows each language's convention (no leading underscore in Python, ``export`` in
  JavaScript, a capital letter in Go, ``pub`` in Rust, ``public`` in Java);
- **size**: more than ``MEDIUM_LINES``/``MEDIUM_FILES`` changed lines/files outside tests is
  MEDIUM, more than ``HIGH_LINES``/``HIGH_FILES`` is HIGH;
- **tests**: a code change needs a test (added or named by the fix) that failed before and
  passes after, and the existing suite must pass; otherwise HIGH. Removing or weakening
  existing tests (deleted test files, removed lines in test files) is HIGH. A *prose-only*
  change — documentation files, or word edits confined to comments and string literals, such as
  a spelling fix — needs no fail-before test: for it "tests exist and pass" means the existing
  suite still passes;
- **binary or deleted files, mode changes**: HIGH (a reviewer must look).

Secrets: added lines are scanned for token and key patterns and for the configured secret
values; any finding makes the change ``refused`` (level CRITICAL, action ``refuse``): it must
never be pushed, whatever else holds.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import PurePosixPath


class RiskLevel(StrEnum):
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"
    CRITICAL = "CRITICAL"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {RiskLevel.LOW: 0, RiskLevel.MEDIUM: 1, RiskLevel.HIGH: 2, RiskLevel.CRITICAL: 3}


class RiskAction(StrEnum):
    auto_merge = "auto_merge"
    auto_merge_notify = "auto_merge_notify"
    manual_review = "manual_review"  # open as a draft pull request
    do_not_automate = "do_not_automate"
    refuse = "refuse"  # a secret in the diff: nothing may leave the machine


ACTION_BY_LEVEL: dict[RiskLevel, RiskAction] = {
    RiskLevel.LOW: RiskAction.auto_merge,
    RiskLevel.MEDIUM: RiskAction.auto_merge_notify,
    RiskLevel.HIGH: RiskAction.manual_review,
    RiskLevel.CRITICAL: RiskAction.do_not_automate,
}


@dataclass(frozen=True)
class SecretFinding:
    """Where a secret-looking value was added; the value itself is never kept."""

    kind: str
    path: str
    line: int | None


@dataclass(frozen=True)
class RiskAssessment:
    level: RiskLevel
    action: RiskAction
    reasons: tuple[str, ...]
    complexity: int | None = None
    secrets: tuple[SecretFinding, ...] = ()

    @property
    def refused(self) -> bool:
        return self.action is RiskAction.refuse

    @property
    def auto_merge_allowed(self) -> bool:
        return self.action in (RiskAction.auto_merge, RiskAction.auto_merge_notify)

    @property
    def draft(self) -> bool:
        """Everything above LOW opens as a draft (the etiquette rule)."""
        return self.level is not RiskLevel.LOW

    @property
    def may_open_pull_request(self) -> bool:
        return self.action not in (RiskAction.do_not_automate, RiskAction.refuse)

    def as_dict(self) -> dict[str, object]:
        return {
            "level": self.level.value,
            "action": self.action.value,
            "reasons": list(self.reasons),
            "complexity": self.complexity,
            "secrets": [{"kind": s.kind, "path": s.path, "line": s.line} for s in self.secrets],
        }

    @classmethod
    def from_dict(cls, data: dict) -> RiskAssessment:
        return cls(
            level=RiskLevel(data["level"]),
            action=RiskAction(data["action"]),
            reasons=tuple(data.get("reasons", ())),
            complexity=data.get("complexity"),
            secrets=tuple(SecretFinding(**s) for s in data.get("secrets", ())),
        )


# --------------------------------------------------------------------------- thresholds

LOW_MAX_COMPLEXITY = 3
MEDIUM_MAX_COMPLEXITY = 5
HIGH_MAX_COMPLEXITY = 7
# Changed lines / files outside tests. A reviewer reads ~50 lines at a glance; 300 is a
# substantial change that deserves a human even when green.
MEDIUM_LINES = 50
HIGH_LINES = 300
MEDIUM_FILES = 3
HIGH_FILES = 8

# --------------------------------------------------------------------------- paths

_CI_PATTERNS = (
    re.compile(r"^\.github/"),  # workflows, actions, CODEOWNERS, dependabot: code-host settings
    re.compile(r"^\.gitlab-ci\.ya?ml$|^\.gitlab/"),
    re.compile(r"^\.circleci/"),
    re.compile(r"(^|/)\.travis\.ya?ml$"),
    re.compile(r"(^|/)azure-pipelines\.ya?ml$"),
    re.compile(r"(^|/)Jenkinsfile$"),
    re.compile(r"(^|/)\.buildkite/"),
    re.compile(r"(^|/)\.pre-commit-config\.ya?ml$"),
    re.compile(r"(^|/)\.gitattributes$|(^|/)\.gitmodules$"),
)
_MANIFEST_NAMES = frozenset(
    {
        "package.json", "package-lock.json", "npm-shrinkwrap.json", "yarn.lock",
        "pnpm-lock.yaml", "bun.lockb", ".npmrc", ".yarnrc", ".yarnrc.yml",
        "pyproject.toml", "setup.py", "setup.cfg", "requirements.txt", "Pipfile",
        "Pipfile.lock", "poetry.lock", "uv.lock", "pdm.lock", "environment.yml",
        "go.mod", "go.sum", "Cargo.toml", "Cargo.lock",
        "pom.xml", "build.gradle", "build.gradle.kts", "settings.gradle",
        "settings.gradle.kts", "gradle.properties", "gradle-wrapper.properties",
        "Gemfile", "Gemfile.lock", "composer.json", "composer.lock",
    }
)  # fmt: skip
_MANIFEST_PATTERNS = (re.compile(r"(^|/)requirements[-_.\w]*\.(txt|in)$"),)
_BUILD_NAMES = frozenset(
    {
        "Makefile", "makefile", "GNUmakefile", "CMakeLists.txt", "build.rs", "Dockerfile",
        "docker-compose.yml", "docker-compose.yaml", "compose.yml", "compose.yaml",
        "noxfile.py", "tox.ini", "meson.build", "BUILD", "BUILD.bazel", "WORKSPACE",
        "Rakefile", "gradlew", "gradlew.bat", "mvnw", "Justfile", "justfile",
        "MANIFEST.in", "webpack.config.js", "rollup.config.js", "vite.config.js",
        "vite.config.ts", "babel.config.js", "tsconfig.json", ".babelrc",
    }
)  # fmt: skip
_SECRET_FILE_PATTERNS = (
    re.compile(r"(^|/)\.env(\.[^/]*)?$"),
    re.compile(r"\.(pem|key|p12|pfx|jks|keystore|asc|gpg|kdbx)$", re.I),
    re.compile(r"(^|/)id_(rsa|dsa|ecdsa|ed25519)(\.pub)?$"),
    re.compile(r"(^|/)(\.netrc|\.pypirc|\.git-credentials|\.htpasswd)$"),
    re.compile(r"(^|/)[^/]*(credential|secret|password)[^/]*$", re.I),
)
# Test configuration decides which tests run: changing it can hide a failure.
_TEST_CONFIG_NAMES = frozenset(
    {
        "conftest.py", "pytest.ini", ".coveragerc", "jest.config.js", "jest.config.ts",
        "vitest.config.js", "vitest.config.ts", ".mocharc.json", ".mocharc.yml", "karma.conf.js",
    }
)  # fmt: skip
_DOC_SUFFIXES = frozenset({".md", ".markdown", ".rst", ".txt", ".adoc", ".asciidoc", ".rdoc"})
_DOC_DIRS = ("docs/", "doc/", "documentation/")

_TEST_PATH_RES = (
    re.compile(r"(^|/)(tests?|__tests__|spec|specs|testing)/"),
    re.compile(r"(^|/)test_[^/]+\.py$|(^|/)[^/]+_test\.py$"),
    re.compile(r"(^|/)[^/]+\.(test|spec)\.[cm]?[jt]sx?$"),
    re.compile(r"(^|/)[^/]+_test\.go$"),
    re.compile(r"(^|/)src/test/"),
    re.compile(r"(^|/)[^/]+Tests?\.(java|kt)$"),
)


def is_test_path(path: str) -> bool:
    """By each ecosystem's convention: ``tests/``, ``test_*.py``, ``*.test.js``, ``*_test.go`` …"""
    if PurePosixPath(path).name in _TEST_CONFIG_NAMES:
        return False
    return any(pattern.search(path) for pattern in _TEST_PATH_RES)


def is_doc_path(path: str) -> bool:
    suffix = PurePosixPath(path).suffix.lower()
    name = PurePosixPath(path).name
    if name in _MANIFEST_NAMES or _matches(_MANIFEST_PATTERNS, path):
        return False
    if suffix in _DOC_SUFFIXES:
        return True
    return path.lower().startswith(_DOC_DIRS) and suffix == ""


def sensitive_kind(path: str) -> str | None:
    """Why touching ``path`` is CRITICAL, or None."""
    name = PurePosixPath(path).name
    if _matches(_SECRET_FILE_PATTERNS, path):
        return "secret-bearing file"
    if _matches(_CI_PATTERNS, path):
        return "CI or code-host configuration"
    if name in _MANIFEST_NAMES or _matches(_MANIFEST_PATTERNS, path):
        return "dependency manifest"
    if name in _BUILD_NAMES:
        return "build script"
    return None


def _matches(patterns: Iterable[re.Pattern[str]], path: str) -> bool:
    return any(pattern.search(path) for pattern in patterns)


# --------------------------------------------------------------------------- diff parsing


@dataclass
class FileDiff:
    """One file's part of a unified git diff."""

    path: str
    old_path: str | None = None
    status: str = "modified"  # added | deleted | modified | renamed
    binary: bool = False
    mode_changed: bool = False
    added: list[tuple[int, str]] = field(default_factory=list)  # (new line number, text)
    removed: list[str] = field(default_factory=list)
    # Hunks as (removed lines, added lines) runs, for the prose-only check.
    runs: list[tuple[list[str], list[str]]] = field(default_factory=list)

    @property
    def changed_lines(self) -> int:
        return len(self.added) + len(self.removed)


_DIFF_HEADER = re.compile(r"^diff --git a/(.+?) b/(.+)$")
_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@")


def parse_diff(diff: str) -> list[FileDiff]:
    """Files of a ``git diff`` (unified, any context size), with added and removed lines."""
    files: list[FileDiff] = []
    current: FileDiff | None = None
    new_line = 0
    in_hunk = False
    run_removed: list[str] = []
    run_added: list[str] = []

    def close_run() -> None:
        nonlocal run_removed, run_added
        if current is not None and (run_removed or run_added):
            current.runs.append((run_removed, run_added))
        run_removed, run_added = [], []

    for line in diff.splitlines():
        header = _DIFF_HEADER.match(line)
        if header:
            close_run()
            current = FileDiff(path=header.group(2), old_path=header.group(1))
            files.append(current)
            in_hunk = False
            continue
        if current is None:
            continue
        if not in_hunk:
            if line.startswith("new file mode"):
                current.status = "added"
            elif line.startswith("deleted file mode"):
                current.status = "deleted"
            elif line.startswith("rename to "):
                current.status = "renamed"
                current.path = line[len("rename to ") :]
            elif line.startswith("rename from "):
                current.old_path = line[len("rename from ") :]
            elif line.startswith(("old mode", "new mode")):
                current.mode_changed = True
            elif line.startswith("Binary files") or line.startswith("GIT binary patch"):
                current.binary = True
        hunk = _HUNK.match(line)
        if hunk:
            close_run()
            in_hunk = True
            new_line = int(hunk.group(1))
            continue
        if not in_hunk:
            continue
        if line.startswith("+"):
            current.added.append((new_line, line[1:]))
            run_added.append(line[1:])
            new_line += 1
        elif line.startswith("-"):
            current.removed.append(line[1:])
            run_removed.append(line[1:])
        elif line.startswith("\\"):
            continue  # "\ No newline at end of file"
        else:
            close_run()
            new_line += 1
    close_run()
    return files


# --------------------------------------------------------------------------- prose-only edits

_TOKEN = re.compile(r"\w+|\s+|[^\w\s]")
_HASH_COMMENT_SUFFIXES = frozenset({".py", ".sh", ".rb", ".pl", ".yaml", ".yml", ".toml", ".cfg"})
_SLASH_COMMENT_SUFFIXES = frozenset(
    {".js", ".mjs", ".cjs", ".ts", ".tsx", ".jsx", ".go", ".rs", ".java", ".kt", ".c", ".h",
     ".cc", ".cpp", ".hpp", ".cs", ".swift", ".scala"}
)  # fmt: skip


def _comment_starts(line: str, index: int, suffix: str) -> bool:
    if suffix in _HASH_COMMENT_SUFFIXES:
        return line[index] == "#"
    return suffix in _SLASH_COMMENT_SUFFIXES and line.startswith("//", index)


def prose_mask(line: str, suffix: str) -> list[bool]:
    """Per character: inside a comment or a string literal (a heuristic, per line)."""
    mask = [False] * len(line)
    stripped = line.lstrip()
    if suffix in _SLASH_COMMENT_SUFFIXES and stripped.startswith(("*", "/*")):
        return [True] * len(line)  # a block-comment line
    quote: str | None = None
    index = 0
    while index < len(line):
        char = line[index]
        if quote is not None:
            mask[index] = True
            if char == "\\":
                if index + 1 < len(line):
                    mask[index + 1] = True
                index += 2
                continue
            if char == quote:
                quote = None
        elif char in "\"'`":
            quote = char
            mask[index] = True
        elif _comment_starts(line, index, suffix):
            return mask[:index] + [True] * (len(line) - index)
        index += 1
    # Inside a docstring or multi-line string the line has no quote of its own: treat a line
    # with no code punctuation as prose (a continuation of text).
    if quote is None and not any(mask) and not re.search(r"[=(){}\[\];:]", line):
        return [True] * len(line)
    return mask


def _word_edit_in_prose(old: str, new: str, suffix: str) -> bool:
    """``new`` differs from ``old`` only by replaced words lying in comments or strings."""
    old_tokens, new_tokens = _TOKEN.findall(old), _TOKEN.findall(new)
    if len(old_tokens) != len(new_tokens):
        return False
    mask = prose_mask(old, suffix)
    position = 0
    for a, b in zip(old_tokens, new_tokens, strict=True):
        if a != b:
            if not (a.isalpha() and b.isalpha()):
                return False
            if not all(mask[position : position + len(a)]):
                return False
        position += len(a)
    return True


def is_prose_only(file: FileDiff) -> bool:
    """A documentation file, or only word replacements inside comments and strings."""
    if file.binary or file.mode_changed or file.status != "modified":
        return is_doc_path(file.path) and not file.binary and file.status != "deleted"
    if is_doc_path(file.path):
        return True
    suffix = PurePosixPath(file.path).suffix.lower()
    for removed, added in file.runs:
        if len(removed) != len(added):
            return False
        if not all(_word_edit_in_prose(a, b, suffix) for a, b in zip(removed, added, strict=True)):
            return False
    return True


# --------------------------------------------------------------------------- public API

_PUBLIC_DEFS: dict[str, re.Pattern[str]] = {
    ".py": re.compile(r"^\s*(?:async\s+)?(?:def|class)\s+([A-Za-z]\w*)"),
    ".js": re.compile(
        r"^\s*export\s+(?:default\s+)?(?:async\s+)?(?:function\*?|class|const|let|var)\s+"
        r"([A-Za-z_$][\w$]*)|^\s*(?:module\.)?exports\.([A-Za-z_$][\w$]*)\s*="
    ),
    ".go": re.compile(r"^func\s+(?:\([^)]*\)\s*)?([A-Z]\w*)|^type\s+([A-Z]\w*)"),
    ".rs": re.compile(r"^\s*pub\s+(?:async\s+)?(?:fn|struct|enum|trait|type|const|mod)\s+(\w+)"),
    ".java": re.compile(r"^\s*public\s+(?:[\w<>\[\],\s]+\s+)?(\w+)\s*[({]"),
}
for _alias, _base in ((".mjs", ".js"), (".cjs", ".js"), (".ts", ".js"), (".kt", ".java")):
    _PUBLIC_DEFS[_alias] = _PUBLIC_DEFS[_base]
_EXPORT_LISTS = re.compile(r"^\s*(__all__\s*=|module\.exports\s*=|export\s*\{)")


def _public_defs(lines: Iterable[str], suffix: str) -> dict[str, str]:
    pattern = _PUBLIC_DEFS.get(suffix)
    found: dict[str, str] = {}
    if pattern is None:
        return found
    for line in lines:
        match = pattern.match(line)
        if match:
            name = next(g for g in match.groups() if g)
            found[name] = " ".join(line.split())
    return found


@dataclass(frozen=True)
class ApiChanges:
    removed: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    added: tuple[str, ...] = ()


def api_changes(files: Sequence[FileDiff]) -> ApiChanges:
    """Public definitions removed, re-declared differently, or added (tests excluded)."""
    removed: list[str] = []
    changed: list[str] = []
    added: list[str] = []
    for file in files:
        if is_test_path(file.path):
            continue
        suffix = PurePosixPath(file.path).suffix.lower()
        before = _public_defs(file.removed, suffix)
        after = _public_defs((text for _, text in file.added), suffix)
        for name, signature in before.items():
            if name not in after:
                removed.append(f"{file.path}:{name}")
            elif after[name] != signature:
                changed.append(f"{file.path}:{name}")
        added += [f"{file.path}:{name}" for name in after if name not in before]
        touched = [*file.removed, *(text for _, text in file.added)]
        if any(_EXPORT_LISTS.match(text) for text in touched) and not (before or after):
            changed.append(f"{file.path}:exports")
    return ApiChanges(tuple(removed), tuple(changed), tuple(added))


# --------------------------------------------------------------------------- secrets

SECRET_PATTERNS: dict[str, re.Pattern[str]] = {
    "GitHub token": re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{30,255}|github_pat_\w{22,255})"),
    "Anthropic API key": re.compile(r"\bsk-ant-[A-Za-z0-9_\-]{20,}"),
    "OpenAI API key": re.compile(r"\bsk-(?!ant-)(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{32,}"),
    "AWS access key": re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    "private key": re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY( BLOCK)?-----"),
    "Slack token": re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}"),
    "Google API key": re.compile(r"\bAIza[0-9A-Za-z_\-]{35}\b"),
    "URL with a password": re.compile(r"\b[a-z][a-z0-9+.\-]*://[^/\s:@]+:[^/\s@]{3,}@", re.I),
}
# Shorter configured values would match ordinary words; real secrets are long.
MIN_KNOWN_SECRET_LENGTH = 8


def scan_secrets(diff: str, known_secrets: Iterable[str] = ()) -> list[SecretFinding]:
    """Secret-looking values on added lines (and configured secret values anywhere added)."""
    known = [s for s in known_secrets if s and len(s) >= MIN_KNOWN_SECRET_LENGTH]
    findings: list[SecretFinding] = []
    files = parse_diff(diff)
    for file in files:
        for number, text in file.added:
            for kind, pattern in SECRET_PATTERNS.items():
                if pattern.search(text):
                    findings.append(SecretFinding(kind, file.path, number))
            if any(secret in text for secret in known):
                findings.append(SecretFinding("configured secret", file.path, number))
    # Text that is not a readable diff is still searched for the known values.
    if not files and any(secret in diff for secret in known):
        findings.append(SecretFinding("configured secret", "?", None))
    return findings


# --------------------------------------------------------------------------- assessment


def level_for_complexity(complexity: int) -> RiskLevel:
    if complexity <= LOW_MAX_COMPLEXITY:
        return RiskLevel.LOW
    if complexity <= MEDIUM_MAX_COMPLEXITY:
        return RiskLevel.MEDIUM
    if complexity <= HIGH_MAX_COMPLEXITY:
        return RiskLevel.HIGH
    return RiskLevel.CRITICAL


def diff_complexity(files: Sequence[FileDiff], api: ApiChanges | None = None) -> int:
    """The change's own complexity on the issue scale (1..10), from the diff alone.

    It is a floor under the issue's complexity: an issue whose text calls the work "trivial" or
    "one line" rates low, but the diff shows what was really changed, and the assessment keeps
    the larger of the two. Non-test files count as in the size rule; the size and public-API
    thresholds map onto the table's rows (MEDIUM from 4, HIGH from 6, CRITICAL from 8).
    """
    api = api if api is not None else api_changes(files)
    code = [f for f in files if not is_test_path(f.path)]
    lines = sum(f.changed_lines for f in code)
    score = 1 + (lines > 10) + (lines > 25) + (len(code) > 1)  # small changes: 1..3
    if lines > MEDIUM_LINES or len(code) > MEDIUM_FILES or api.added:
        score = max(score, 4)
    if lines > (MEDIUM_LINES + HIGH_LINES) // 2:
        score = max(score, 5)
    if lines > HIGH_LINES or len(code) > HIGH_FILES or api.changed:
        score = max(score, 6)
    if api.removed:
        score = max(score, 8)
    return min(10, score)


def assess(
    diff: str,
    *,
    category: str,
    complexity: int | None,
    tests_named: Sequence[str] = (),
    failed_before_passed_after: bool,
    suite_passed: bool,
    known_secrets: Iterable[str] = (),
) -> RiskAssessment:
    """Risk of ``diff`` by the policy table (module docstring). Pure: the same inputs always
    give the same assessment."""
    reasons: list[str] = []
    level = RiskLevel.LOW

    def raise_to(target: RiskLevel, reason: str) -> None:
        nonlocal level
        reasons.append(f"{target.value}: {reason}")
        if target.rank > level.rank:
            level = target

    secrets = scan_secrets(diff, known_secrets)
    files = parse_diff(diff)
    if not files:
        raise_to(RiskLevel.CRITICAL, "the diff is empty or unreadable")

    api = api_changes(files)
    if complexity is not None:
        raise_to(level_for_complexity(complexity), f"issue complexity {complexity}")
    if files:
        # The issue's wording cannot make the change smaller than the diff shows.
        shown = diff_complexity(files, api)
        issue_level = level_for_complexity(complexity or 1)
        if shown > (complexity or 0):
            if level_for_complexity(shown).rank > issue_level.rank:
                raise_to(
                    level_for_complexity(shown),
                    f"the diff's own complexity is {shown}"
                    + (f" (the issue's text suggests {complexity})" if complexity else ""),
                )
            complexity = shown
    if category == "security":
        raise_to(RiskLevel.CRITICAL, "security issue: a human must own the fix")

    for file in files:
        for path in {file.path, file.old_path or file.path}:
            kind = sensitive_kind(path)
            if kind:
                raise_to(RiskLevel.CRITICAL, f"touches a {kind}: {path}")
        if PurePosixPath(file.path).name in _TEST_CONFIG_NAMES:
            raise_to(RiskLevel.HIGH, f"changes test configuration: {file.path}")
        if file.binary:
            raise_to(RiskLevel.HIGH, f"binary file: {file.path}")
        if file.mode_changed:
            raise_to(RiskLevel.HIGH, f"file mode changed: {file.path}")
        if file.status == "deleted" and not is_test_path(file.path):
            raise_to(RiskLevel.HIGH, f"deletes {file.path}")
        if is_test_path(file.path) and (file.status == "deleted" or file.removed):
            raise_to(RiskLevel.HIGH, f"removes or rewrites existing test lines: {file.path}")

    if api.removed:
        raise_to(RiskLevel.CRITICAL, "breaking change, public API removed: " + _few(api.removed))
    if api.changed:
        raise_to(RiskLevel.HIGH, "public API signature changed: " + _few(api.changed))
    if api.added:
        raise_to(RiskLevel.MEDIUM, "public API added: " + _few(api.added))

    code = [f for f in files if not is_test_path(f.path)]
    lines = sum(f.changed_lines for f in code)
    if lines > HIGH_LINES or len(code) > HIGH_FILES:
        raise_to(RiskLevel.HIGH, f"large change: {lines} lines in {len(code)} files")
    elif lines > MEDIUM_LINES or len(code) > MEDIUM_FILES:
        raise_to(RiskLevel.MEDIUM, f"sizeable change: {lines} lines in {len(code)} files")

    prose_only = bool(files) and all(is_prose_only(f) for f in files)
    if not suite_passed:
        raise_to(RiskLevel.HIGH, "the existing test suite did not pass")
    if prose_only:
        reasons.append("prose-only change (docs, comments, strings): the suite passing suffices")
    else:
        has_tests = any(is_test_path(f.path) for f in files) or bool(tests_named)
        if not has_tests:
            raise_to(RiskLevel.HIGH, "no test covers the change")
        elif not failed_before_passed_after:
            raise_to(RiskLevel.HIGH, "no test failed before and passed after")

    if secrets:
        where = ", ".join(f"{s.kind} in {s.path}:{s.line}" for s in secrets[:3])
        reasons.append(f"REFUSED: secret in the diff ({where})")
        return RiskAssessment(
            RiskLevel.CRITICAL, RiskAction.refuse, tuple(reasons), complexity, tuple(secrets)
        )
    if level is RiskLevel.LOW:
        reasons.append("LOW: small internal change, tests exist and pass")
    return RiskAssessment(level, ACTION_BY_LEVEL[level], tuple(reasons), complexity)


def _few(items: Sequence[str], limit: int = 3) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" (+{len(items) - limit} more)" if len(items) > limit else "")
