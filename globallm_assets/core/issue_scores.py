"""Per-issue scores: solvability, urgency, complexity and cost, and the do-not-touch rules.

Each score keeps every component (``ScoreBreakdown.components``) so analysts can see why an
issue ranks where it does. Counts are normalised with criticality_score's
``capped_log(v, T) = min(1, log(1 + v) / log(1 + T))`` (shared with ``core.health``).

Solvability — can an agent fix this from what the issue says? In [0, 1]::

    evidence    = Σ w_i · c_i / Σ w_i     over the components that apply to the category
    solvability = clip01((1 − CATEGORY_PRIOR_SHARE) · evidence
                         + CATEGORY_PRIOR_SHARE · SOLVABILITY_CATEGORY_PRIOR[category]
                         + label_boost)

- ``reproduction``: 1 for "steps to reproduce" / "minimal example" wording, NUMBERED_STEPS_VALUE
  for a bare numbered list of at least two steps, else 0.
- ``code_blocks``: ``min(1, fenced blocks / CODE_BLOCKS_CAP)``; an unclosed fence counts.
- ``stack_trace``: 1 when a Python traceback, Java/JS ``at foo.bar(`` frame, Go ``panic:`` /
  goroutine dump, Rust ``panicked at`` or ``Exception in thread`` appears, else 0.
- ``expected_actual``: 0.5 for an "expected" section plus 0.5 for an "actual" one.
- ``referenced_files``: ``min(1, distinct source paths / FILES_CAP)`` (``src/x.py``, ``foo.rs:12``).
- ``failing_tests``: 1 when a test is named (``test_parse``, ``ParserTest``, ``tests/…``) or CI is
  said to fail, else 0: a failing test is a ready-made oracle for the fix.
- ``body_length``: measured on *prose*, the body outside code fences and stack-trace blocks, so
  pasting a trace or a log never counts as describing the problem. It rises as
  ``capped_log(prose, BODY_LENGTH_GOOD)`` and, beyond ``BODY_LENGTH_LONG`` characters, is
  multiplied by ``max(LONG_BODY_FLOOR, 1 − LONG_BODY_DECAY · log10(prose / BODY_LENGTH_LONG))``.
  A very short body leaves the agent guessing; a very long one is usually several problems, a
  design debate or a pasted log, and hides the actual request. Both are less solvable.
- ``maintainer_engagement``: ``max(ASSOCIATION_ENGAGEMENT[author_association],
  COMMENT_ENGAGEMENT_MAX · capped_log(comments, ENGAGEMENT_COMMENTS_CAP))``. An issue filed by a
  maintainer is scoped and will be reviewed; comments show someone looked at it, but the REST
  issue record does not say who commented, so they earn less than maintainer authorship.
- ``label_boost``: ``min(LABEL_BOOST_CAP, Σ SOLVABILITY_LABEL_BOOSTS of distinct labels)`` for
  "good first issue", "help wanted", "easy", …: maintainers have pre-judged these as tractable.
- ``w_i`` are ``SOLVABILITY_WEIGHTS``. ``DEFECT_ONLY_COMPONENTS`` (reproduction, stack trace,
  expected vs actual) apply to defects only (``DEFECT_CATEGORIES``: security, bug,
  performance): nobody reproduces a feature request, and their absence must not make one look
  unsolvable. They are still measured and reported, with weight 0.
- The category prior: docs and chores are usually small, self-contained edits; questions want
  an answer rather than a patch.

Presence signals read the title and body; all of them only grow when text is added, and adding
a stack trace leaves the prose length unchanged, so a stack trace never lowers solvability.

Urgency — how much does it matter that this gets fixed soon? In [0, 1]::

    urgency = Σ URGENCY_WEIGHTS[i] · c_i                                  (weights sum to 1)

- ``category``: ``CATEGORY_WEIGHTS[category] / CATEGORY_WEIGHT_SCALE``. The seeds' plan: security
  ×10, bug ×5, feature ×2; performance 3 (a defect users feel, rarely harmful), documentation 1,
  chore 1, question 0.5, and unclassified 0.25 (no cue at all: nothing says it matters).
- ``age``: for defects (security, bug, performance) older means MORE urgent:
  ``capped_log(days open, AGE_CAP_DAYS)``, since a known defect that stays open keeps hurting
  users. For other categories age says nothing (an old feature request is not more pressing)
  and the component is ``NON_DEFECT_AGE_VALUE``. Unknown ``created_at`` gives
  ``MISSING_AGE_VALUE``. Age runs to ``closed_at`` for closed issues, else to ``now``.
- ``reactions``: ``capped_log(reactions, REACTIONS_CAP)``; ``comments``:
  ``capped_log(comments, URGENCY_COMMENTS_CAP)``.
- ``markers``: ``min(1, distinct markers / MARKERS_CAP)`` over regression, crash, data loss,
  segfault, panic, corruption, deadlock, and priority labels (critical, blocker, P0/P1, …).

Complexity — 1..10, how much an agent must read and change, from what the text says::

    complexity = clamp(1, 10, COMPLEXITY_BASE[category]
                       + min(HARD_CUES_CAP, hard cues) − min(EASY_CUES_CAP, easy cues)
                       + spread + min(SCOPE_CAP, scope) + tasks + long_body
                       − min(LOCATED_CAP, located))

The category only sets the starting point; the text moves it. What the reporter *names* is read
from the title and the prose (the body outside code fences and stack traces): a trace lists the
call path, not the places to change.

- hard cues: concurrency, flakiness, memory leaks, platform specifics, redesigns, breaking
  changes, migrations. Easy cues: typo, trivial / one-line, rename, broken link, "easy" labels.
- ``spread``: +1 from ``MANY_FILES`` named source files, +2 from ``VERY_MANY_FILES``; +1 more
  from ``MANY_SYMBOLS`` named functions or methods (``parse()``, ``Client.send(x)``).
- ``scope``: distinct phrases giving the size of the change: "all / every <module, file,
  endpoint …>", "across the codebase", "throughout", "whole / entire <API, project …>",
  "several / many <files, modules …>", "a new <subsystem, backend, protocol …>".
- ``tasks``: +1 for a task list of ``MANY_TASKS`` or more items (``- [ ] …``).
- ``long_body``: +1 beyond ``BODY_LENGTH_LONG`` prose characters.
- ``located`` (defects only: a feature is not smaller for being described precisely): +1 for a
  stack trace (it names the failing line), +1 for reproduction steps (the fix can be checked at
  once), +1 when the text names at most one file and at most two functions and no scope phrase
  (the change sits in one place).

So two bugs differ by their text: a crash with a trace, steps and one named function is small;
a defect "in every module across the codebase" naming six files is large. Adding a stack trace
to a defect never raises its complexity; adding a scope phrase never lowers it.

Cost — ``cost_estimate(complexity) = COST_TOKENS_BY_COMPLEXITY[complexity]`` expected LLM tokens,
and ``cost_penalty(tokens, budget) = min(1, tokens / budget)``: the share of the repository's
token budget one attempt consumes (1 when there is no budget).

Do not touch — see ``do_not_touch`` and ``repository_opt_out``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import yaml

from globallm_assets.core.categorize import Category, CategoryResult, categorize
from globallm_assets.core.health import capped_log
from globallm_assets.core.models import IssueRecord

# --------------------------------------------------------------------------- solvability

SOLVABILITY_WEIGHTS: dict[str, float] = {
    "reproduction": 0.20,
    "code_blocks": 0.10,
    "stack_trace": 0.15,
    "expected_actual": 0.10,
    "referenced_files": 0.10,
    "failing_tests": 0.10,
    "body_length": 0.10,
    "maintainer_engagement": 0.15,
}
DEFECT_CATEGORIES = frozenset({Category.security, Category.bug, Category.performance})
DEFECT_ONLY_COMPONENTS = frozenset({"reproduction", "stack_trace", "expected_actual"})
CATEGORY_PRIOR_SHARE = 0.35
SOLVABILITY_CATEGORY_PRIOR: dict[Category, float] = {
    Category.documentation: 0.9,
    Category.chore: 0.7,
    Category.bug: 0.5,
    Category.feature: 0.4,
    Category.performance: 0.4,
    Category.security: 0.4,
    Category.question: 0.2,
    Category.unclassified: 0.2,
}
NUMBERED_STEPS_VALUE = 0.6
CODE_BLOCKS_CAP = 2
FILES_CAP = 2
# Prose characters: ~600 is a well-written paragraph or three; 5000 is a page and a half.
BODY_LENGTH_GOOD = 600
BODY_LENGTH_LONG = 5000
LONG_BODY_DECAY = 0.5  # per tenfold beyond BODY_LENGTH_LONG
LONG_BODY_FLOOR = 0.3
ASSOCIATION_ENGAGEMENT: dict[str, float] = {
    "OWNER": 1.0,
    "MEMBER": 1.0,
    "COLLABORATOR": 1.0,
    "CONTRIBUTOR": 0.5,
}
COMMENT_ENGAGEMENT_MAX = 0.6
ENGAGEMENT_COMMENTS_CAP = 8
SOLVABILITY_LABEL_BOOSTS: dict[str, float] = {
    "good first issue": 0.15,
    "good first bug": 0.15,
    "first timers only": 0.15,
    "help wanted": 0.10,
    "up for grabs": 0.10,
    "easy": 0.10,
    "e easy": 0.10,
    "difficulty easy": 0.10,
    "beginner": 0.10,
    "beginner friendly": 0.10,
    "starter": 0.10,
    "low hanging fruit": 0.10,
}
LABEL_BOOST_CAP = 0.2

# --------------------------------------------------------------------------- urgency

URGENCY_WEIGHTS: dict[str, float] = {
    "category": 0.45,
    "age": 0.15,
    "reactions": 0.15,
    "comments": 0.10,
    "markers": 0.15,
}
CATEGORY_WEIGHTS: dict[Category, float] = {
    Category.security: 10.0,
    Category.bug: 5.0,
    Category.performance: 3.0,
    Category.feature: 2.0,
    Category.documentation: 1.0,
    Category.chore: 1.0,
    Category.question: 0.5,
    Category.unclassified: 0.25,
}
CATEGORY_WEIGHT_SCALE = 10.0
AGE_CAP_DAYS = 365
NON_DEFECT_AGE_VALUE = 0.0
MISSING_AGE_VALUE = 0.0
REACTIONS_CAP = 50
URGENCY_COMMENTS_CAP = 25
MARKERS_CAP = 2

# --------------------------------------------------------------------------- complexity, cost

COMPLEXITY_BASE: dict[Category, int] = {
    Category.documentation: 2,
    Category.question: 2,
    Category.chore: 3,
    Category.bug: 4,
    Category.feature: 5,
    Category.performance: 6,
    Category.security: 6,
    Category.unclassified: 4,
}
HARD_CUES_CAP = 3
EASY_CUES_CAP = 2
MANY_FILES = 3
VERY_MANY_FILES = 6
MANY_SYMBOLS = 5
SCOPE_CAP = 2
MANY_TASKS = 3
LOCATED_CAP = 2
# Expected tokens of one fix attempt by complexity 1..10. One agent turn with the issue, a few
# files and a patch is ~5k tokens; each step adds files to read and a validation retry, about
# +35% per step, to ~120k for a cross-cutting change.
COST_TOKENS_BY_COMPLEXITY: dict[int, int] = {
    1: 5_000,
    2: 8_000,
    3: 12_000,
    4: 18_000,
    5: 26_000,
    6: 36_000,
    7: 50_000,
    8: 68_000,
    9: 92_000,
    10: 120_000,
}
DEFAULT_BUDGET_PER_REPO = 100_000

# --------------------------------------------------------------------------- do not touch

# Normalised (see _norm_label) labels by which maintainers say "leave this alone".
DO_NOT_TOUCH_LABELS = frozenset(
    {
        "wontfix", "won't fix", "wont fix", "will not fix", "duplicate", "invalid",
        "not planned", "no bots", "no bot", "bot free", "no ai", "no llm", "no agents",
        "no globallm",
    }
)  # fmt: skip
OPT_OUT_TOPICS = frozenset({"no-globallm", "globallm-optout"})
OPT_OUT_CONFIG_PATH = ".github/globallm.yml"
# A config larger than this is not a hand-written opt-out file; refuse to parse it.
CONFIG_MAX_CHARS = 64_000
OPT_OUT_REASON_MAX_CHARS = 200

# --------------------------------------------------------------------------- text cues

_FENCE_RE = re.compile(r"^\s*(?:```|~~~)")
# Lines that start a stack-trace block; the block runs to the next blank line.
_TRACE_START_RE = re.compile(
    r"^\s*(?:Traceback \(most recent call last\)"
    r"|Exception in thread\b"
    r"|panic:"
    r"|thread '[^']*' panicked at"
    r"|goroutine \d+ \["
    r"|at [\w$.<>\[\]/]+ ?\("
    r"|File \".+\", line \d+"
    r"|(?:[\w$]+\.)*(?:[A-Z][\w$]*)?(?:Error|Exception): )"
)
_STACK_TRACE_RE = re.compile(
    r"Traceback \(most recent call last\)"
    r"|^\s*at [\w$.<>\[\]/]+ ?\("
    r"|^\s*at [\w$.<>]+ \(\S+:\d+(?::\d+)?\)"
    r"|^\s*panic: "
    r"|\bpanicked at\b"
    r"|^goroutine \d+ \["
    r"|Exception in thread\b"
    r"|^\s*File \".+\", line \d+",
    re.MULTILINE,
)
_REPRO_RE = re.compile(
    r"\bsteps to reproduce\b|\bto reproduce\b|\breproduc(?:tion|ible|er)\b|\brepro\b"
    r"|\bminimal (?:reproducible |working )?example\b|\b(?:mre|mcve|mwe)\b",
    re.IGNORECASE,
)
_NUMBERED_STEP_RE = re.compile(r"^\s*\d+[.)]\s+\S", re.MULTILINE)
_EXPECTED_RE = re.compile(
    r"\bexpected (?:behaviou?r|result|output|value)\b|\bexpected\s*:|^\W*expected\b"
    r"|\bshould (?:return|be|print|work|produce|raise)\b",
    re.IGNORECASE | re.MULTILINE,
)
_ACTUAL_RE = re.compile(
    r"\b(?:actual|observed|current) (?:behaviou?r|result|output|value)\b|\bactual\s*:"
    r"|^\W*actual\b|\binstead,? (?:it|we|i)\b|\bbut (?:it )?(?:got|gets|returns|raises|throws)\b",
    re.IGNORECASE | re.MULTILINE,
)
_FILE_RE = re.compile(
    r"(?<![\w/.-])(?:[\w.-]+/)*[\w-]+\."
    r"(?:py|pyi|pyx|rs|go|js|mjs|cjs|ts|tsx|jsx|java|kt|kts|scala|c|h|cc|cpp|hpp|cs|rb|php"
    r"|swift|toml|ya?ml|json|cfg|ini|lock|md|rst|txt|sh|gradle|xml|html|css|vue|svelte)"
    r"(?::\d+)?\b"
)
_FAILING_TEST_RE = re.compile(
    r"\btest_\w+|(?-i:\b[A-Z]\w*Tests?\b)|\b(?:tests?|spec|__tests__)/[\w/.-]+"
    r"|\bfail(?:s|ing|ed)? (?:in|on) (?:the )?ci\b|\bci (?:is )?(?:fail\w*|red|broken)\b"
    r"|\bfailing tests?\b|\btests? (?:fail|fails|failing|failed)\b"
    r"|\b(?:pytest|cargo test|go test|npm test|jest|mvn test|gradle test)\b",
    re.IGNORECASE,
)
_MARKERS: dict[str, re.Pattern[str]] = {
    name: re.compile(rx, re.IGNORECASE)
    for name, rx in {
        "regression": r"\bregress(?:ion|ed)\b",
        "crash": r"\bcrash(?:es|ed|ing)?\b",
        "data loss": r"\bdata loss\b|\blos(?:es|t|ing) (?:user |all )?data\b",
        "segfault": r"\bsegfaults?\b|\bsegmentation fault\b",
        "panic": r"\bpanic(?:s|ked)?\b",
        "corruption": r"\bcorrupt(?:s|ed|ion)?\b",
        "deadlock": r"\bdeadlocks?\b",
    }.items()
}
_PRIORITY_LABEL_RE = re.compile(
    r"^(?:critical|blocker|urgent|p0|p1|regression|crash|showstopper|"
    r"(?:priority|prio|severity|sev|p) (?:high|critical|urgent|blocker|0|1|p0|p1))$"
)
_HARD_CUES: dict[str, re.Pattern[str]] = {
    name: re.compile(rx, re.IGNORECASE)
    for name, rx in {
        "concurrency": r"\brace condition\b|\bdeadlock|\bthread[- ]safe|\bconcurren|\bthreads\b",
        "flaky": r"\bintermittent\w*\b|\bflaky\b|\bsometimes\b|\brandomly\b",
        "memory leak": r"\bmemory leak\b|\bleaks? memory\b",
        "platform": r"\bwindows\b|\bmacos\b|\bcross[- ]platform\b|\bnon-ascii\b|\bunicode\b",
        "redesign": r"\bredesign\b|\brewrite\b|\barchitecture\b|\boverhaul\b",
        "breaking": r"\bbreaking change\b|\bbackwards?[- ]incompatible\b",
        "migration": r"\bmigrat(?:e|ion)\b",
    }.items()
}
_EASY_CUES: dict[str, re.Pattern[str]] = {
    name: re.compile(rx, re.IGNORECASE)
    for name, rx in {
        "typo": r"\btypos?\b|\bmisspel\w*\b",
        "trivial": r"\btrivial\b|\bone[- ]line(?:r)?\b|\bsimple fix\b",
        "rename": r"\brename\b",
        "link": r"\b(?:broken|dead) links?\b",
    }.items()
}
# Functions or methods named with a call: ``parse()``, ``Client.send(x)`` (exception classes
# being raised are not places to change).
_SYMBOL_RE = re.compile(r"\b([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)\((?:[^()\n]{0,40})\)")
_SCOPE_CUES: dict[str, re.Pattern[str]] = {
    name: re.compile(rx, re.IGNORECASE)
    for name, rx in {
        "everywhere": r"\b(?:all|every|each)\s+(?:\w+\s+)?(?:modules?|files?|endpoints?|"
        r"functions?|methods?|call(?:ers| sites?)|backends?|platforms?|commands?|places?|"
        r"packages?|components?|handlers?|routes?|plugins?|classes|subclasses)\b",
        "across": r"\bacross (?:the |all )?(?:whole |entire )?(?:code ?base|project|library|"
        r"api|repo(?:sitory)?|modules|packages|services)\b|\bthroughout\b|\beverywhere\b",
        "whole": r"\b(?:whole|entire) (?:code ?base|project|library|api|module|system|pipeline"
        r"|application|stack)\b",
        "many places": r"\b(?:several|many|multiple|numerous|dozens of) (?:files|modules|places"
        r"|components|packages|classes|functions|endpoints|call sites|services|crates)\b",
        "new subsystem": r"\b(?:a |an )?new (?:subsystem|backend|protocol|storage layer|"
        r"plugin system|architecture|public api|abstraction layer)\b",
    }.items()
}
_TASK_RE = re.compile(r"^\s*[-*+] \[[ xX]\] \S", re.MULTILINE)
_EASY_LABELS = frozenset(
    {"good first issue", "good first bug", "easy", "e easy", "difficulty easy", "beginner",
     "beginner friendly", "starter", "low hanging fruit", "first timers only"}
)  # fmt: skip
_LABEL_PREFIX_RE = re.compile(
    r"^(?:status|resolution|closed|triage|state|type|kind|priority|prio) (?=\S)"
)
_LABEL_JUNK_RE = re.compile(r"^[^a-z0-9]+|[^a-z0-9']+$")
_LABEL_SEP_RE = re.compile(r"[\s_/:-]+")


@dataclass(frozen=True, slots=True)
class ScoreBreakdown:
    """A score in [0, 1] with every component that went into it."""

    score: float
    components: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class IssueScores:
    category: CategoryResult
    solvability: ScoreBreakdown
    urgency: ScoreBreakdown
    complexity: int
    cost_estimate: int
    cost_penalty: float
    do_not_touch: str | None

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values, as stored in the ``issues.scores`` column."""
        return {
            "category": self.category.category.value,
            "category_confidence": self.category.confidence,
            "category_source": self.category.source,
            "category_ambiguous": self.category.ambiguous,
            "category_reasons": list(self.category.reasons),
            "solvability": self.solvability.score,
            "solvability_components": dict(self.solvability.components),
            "urgency": self.urgency.score,
            "urgency_components": dict(self.urgency.components),
            "complexity": self.complexity,
            "cost_estimate": self.cost_estimate,
            "cost_penalty": self.cost_penalty,
            "do_not_touch": self.do_not_touch,
        }


# --------------------------------------------------------------------------- text helpers


@dataclass(frozen=True, slots=True)
class _Text:
    full: str  # title + body
    prose: str  # body outside fences and trace blocks
    code_blocks: int

    @property
    def named(self) -> str:
        """What the reporter wrote in words: the title and the prose."""
        return f"{self.full.split(chr(10), 1)[0]}\n{self.prose}"


def _read(issue: IssueRecord) -> _Text:
    body = issue.body or ""
    prose_lines: list[str] = []
    code_blocks = 0
    in_fence = False
    in_trace = False
    for line in body.splitlines():
        if _FENCE_RE.match(line):
            in_fence = not in_fence
            in_trace = False
            if in_fence:
                code_blocks += 1
            continue
        if in_fence:
            continue
        if not line.strip():
            in_trace = False
            prose_lines.append(line)
            continue
        if in_trace or _TRACE_START_RE.match(line):
            in_trace = True
            continue
        prose_lines.append(line)
    prose = "\n".join(prose_lines).strip()
    title = " ".join((issue.title or "").split())
    return _Text(full=f"{title}\n\n{body}", prose=prose, code_blocks=code_blocks)


def _label_words(label: str) -> str:
    """``"Priority: P0 🔥"`` -> ``"priority p0"``."""
    return _LABEL_SEP_RE.sub(" ", _LABEL_JUNK_RE.sub("", label.strip().lower())).strip()


def _norm_label(label: str) -> str:
    """Label words without a status/type prefix: ``"status: won't fix"`` -> ``"won't fix"``."""
    return _LABEL_PREFIX_RE.sub("", _label_words(label), count=1)


def _clip01(value: float) -> float:
    if math.isnan(value):
        return 0.0
    return min(1.0, max(0.0, value))


def _aware(moment: datetime) -> datetime:
    # GitHub timestamps are UTC; sources may hand over naive ones.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _distinct_files(text: str) -> int:
    return len({m.group(0).split(":")[0] for m in _FILE_RE.finditer(text)})


def body_length_value(prose_chars: int) -> float:
    """The ``body_length`` component for a prose length (module docstring)."""
    rise = capped_log(prose_chars, BODY_LENGTH_GOOD)
    if prose_chars <= BODY_LENGTH_LONG:
        return rise
    fall = 1.0 - LONG_BODY_DECAY * math.log10(prose_chars / BODY_LENGTH_LONG)
    return rise * max(LONG_BODY_FLOOR, fall)


# --------------------------------------------------------------------------- scores


def solvability(issue: IssueRecord, *, category: Category) -> ScoreBreakdown:
    """How well the issue equips an agent to fix it (formula in the module docstring)."""
    text = _read(issue)
    full = text.full
    if _REPRO_RE.search(full):
        reproduction = 1.0
    elif len(_NUMBERED_STEP_RE.findall(issue.body or "")) >= 2:
        reproduction = NUMBERED_STEPS_VALUE
    else:
        reproduction = 0.0
    association = (issue.author_association or "").upper()
    components = {
        "reproduction": reproduction,
        "code_blocks": min(1.0, text.code_blocks / CODE_BLOCKS_CAP),
        "stack_trace": 1.0 if _STACK_TRACE_RE.search(full) else 0.0,
        "expected_actual": 0.5 * bool(_EXPECTED_RE.search(full))
        + 0.5 * bool(_ACTUAL_RE.search(full)),
        "referenced_files": min(1.0, _distinct_files(full) / FILES_CAP),
        "failing_tests": 1.0 if _FAILING_TEST_RE.search(full) else 0.0,
        "body_length": body_length_value(len(text.prose)),
        "maintainer_engagement": max(
            ASSOCIATION_ENGAGEMENT.get(association, 0.0),
            COMMENT_ENGAGEMENT_MAX * capped_log(max(0, issue.comments), ENGAGEMENT_COMMENTS_CAP),
        ),
    }
    weights = {
        name: 0.0
        if category not in DEFECT_CATEGORIES and name in DEFECT_ONLY_COMPONENTS
        else weight
        for name, weight in SOLVABILITY_WEIGHTS.items()
    }
    evidence = sum(weights[name] * components[name] for name in weights) / sum(weights.values())
    boosts = {_norm_label(label) for label in issue.labels}
    label_boost = min(
        LABEL_BOOST_CAP, sum(SOLVABILITY_LABEL_BOOSTS.get(label, 0.0) for label in boosts)
    )
    prior = SOLVABILITY_CATEGORY_PRIOR[category]
    components["category_prior"] = prior
    components["label_boost"] = label_boost
    score = (1 - CATEGORY_PRIOR_SHARE) * evidence + CATEGORY_PRIOR_SHARE * prior + label_boost
    return ScoreBreakdown(score=_clip01(score), components=components)


def issue_age_days(issue: IssueRecord, now: datetime) -> float | None:
    """Days the issue has been open (to ``closed_at`` when closed); None when unknown."""
    if issue.created_at is None:
        return None
    end = issue.closed_at if issue.closed_at is not None else now
    seconds = (_aware(end) - _aware(issue.created_at)).total_seconds()
    return max(0.0, seconds / 86_400)


def urgency_markers(issue: IssueRecord) -> list[str]:
    """Distinct urgency markers in title, body and labels (regression, crash, P0, …)."""
    text = f"{issue.title or ''}\n{issue.body or ''}"
    found = [name for name, pattern in _MARKERS.items() if pattern.search(text)]
    for label in issue.labels:
        words = _label_words(label)
        if _PRIORITY_LABEL_RE.match(words) and f"label:{words}" not in found:
            found.append(f"label:{words}")
    return found


def urgency(issue: IssueRecord, *, category: Category, now: datetime) -> ScoreBreakdown:
    """How pressing a fix is (formula in the module docstring)."""
    age_days = issue_age_days(issue, now)
    if age_days is None:
        age = MISSING_AGE_VALUE
    elif category in DEFECT_CATEGORIES:
        age = capped_log(age_days, AGE_CAP_DAYS)
    else:
        age = NON_DEFECT_AGE_VALUE
    components = {
        "category": CATEGORY_WEIGHTS[category] / CATEGORY_WEIGHT_SCALE,
        "age": age,
        "reactions": capped_log(max(0, issue.reactions), REACTIONS_CAP),
        "comments": capped_log(max(0, issue.comments), URGENCY_COMMENTS_CAP),
        "markers": min(1.0, len(urgency_markers(issue)) / MARKERS_CAP),
    }
    score = sum(URGENCY_WEIGHTS[name] * value for name, value in components.items())
    return ScoreBreakdown(score=_clip01(score), components=components)


def complexity(issue: IssueRecord, *, category: Category) -> int:
    """Expected size of the fix, 1 (a typo) to 10 (a redesign); see the module docstring."""
    return complexity_parts(issue, category=category)["complexity"]


def complexity_parts(issue: IssueRecord, *, category: Category) -> dict[str, int]:
    """Every term of the complexity formula (module docstring), and the clamped total."""
    text = _read(issue)
    named = text.named
    labels = {_norm_label(label) for label in issue.labels}
    hard = sum(1 for pattern in _HARD_CUES.values() if pattern.search(named))
    if "breaking change" in labels:
        hard += 1
    easy = sum(1 for pattern in _EASY_CUES.values() if pattern.search(named))
    if labels & _EASY_LABELS:
        easy += 1
    files = _distinct_files(named)
    symbols = {
        m.group(1)
        for m in _SYMBOL_RE.finditer(named)
        if not re.search(r"(?:Error|Exception)$", m.group(1))
    }
    scope = sum(1 for pattern in _SCOPE_CUES.values() if pattern.search(named))
    spread = (2 if files >= VERY_MANY_FILES else 1 if files >= MANY_FILES else 0) + (
        1 if len(symbols) >= MANY_SYMBOLS else 0
    )
    located = 0
    if category in DEFECT_CATEGORIES:
        located += 1 if _STACK_TRACE_RE.search(text.full) else 0
        located += 1 if _REPRO_RE.search(text.full) else 0
        located += 1 if files <= 1 and len(symbols) <= 2 and not scope else 0
    parts = {
        "base": COMPLEXITY_BASE[category],
        "hard": min(HARD_CUES_CAP, hard),
        "easy": -min(EASY_CUES_CAP, easy),
        "spread": spread,
        "scope": min(SCOPE_CAP, scope),
        "tasks": 1 if len(_TASK_RE.findall(issue.body or "")) >= MANY_TASKS else 0,
        "long_body": 1 if len(text.prose) > BODY_LENGTH_LONG else 0,
        "located": -min(LOCATED_CAP, located),
    }
    parts["complexity"] = min(10, max(1, sum(parts.values())))
    return parts


def cost_estimate(complexity: int) -> int:
    """Expected LLM tokens of one fix attempt (``COST_TOKENS_BY_COMPLEXITY``)."""
    if complexity not in COST_TOKENS_BY_COMPLEXITY:
        raise ValueError(f"complexity must be an integer from 1 to 10, not {complexity!r}")
    return COST_TOKENS_BY_COMPLEXITY[complexity]


def cost_penalty(tokens: int, budget_per_repo: int) -> float:
    """Share of the repository's token budget one attempt consumes, in [0, 1].

    No budget (≤ 0) means nothing is affordable: penalty 1.
    """
    if budget_per_repo <= 0:
        return 1.0
    return _clip01(max(0, tokens) / budget_per_repo)


# --------------------------------------------------------------------------- do not touch


def do_not_touch(
    issue: IssueRecord, *, repo_opted_out: bool = False, opt_out_reason: str | None = None
) -> str | None:
    """Why an agent must leave this issue alone, or None when it may work on it.

    Checked in this order, first hit wins: the repository opted out; the issue is closed (there
    is nothing to fix); locked (maintainers stopped the conversation); a label by which
    maintainers decline the work or bots (``DO_NOT_TOUCH_LABELS``); someone is assigned (a human
    has claimed it, and duplicate work is the fastest way to annoy a maintainer); a pull request
    is already linked.
    """
    if repo_opted_out:
        return f"repository opted out: {opt_out_reason or 'maintainers asked not to be contacted'}"
    if issue.state.lower() != "open":
        return f"issue is {issue.state.lower() or 'not open'}"
    if issue.locked:
        return "issue is locked"
    for label in issue.labels:
        if _norm_label(label) in DO_NOT_TOUCH_LABELS:
            return f"labelled {label!r}"
    if issue.assignees:
        return "assigned to " + ", ".join(f"@{name}" for name in issue.assignees)
    if issue.linked_pull_requests > 0:
        count = issue.linked_pull_requests
        return f"{count} linked pull request{'s' if count != 1 else ''} already open"
    return None


def repository_opt_out(config_text: str | None, topics: Sequence[str] = ()) -> str | None:
    """Why a repository's maintainers opted out of GlobaLLM, or None.

    Two conventions, either suffices:

    - a repository topic ``no-globallm`` or ``globallm-optout`` (case-insensitive); topics are
      cheap for maintainers to set and come with the repository metadata we already fetch;
    - a ``.github/globallm.yml`` whose top-level mapping has ``enabled: false`` (also ``no``,
      ``off``, ``"false"``, ``0``), optionally with ``reason: <text>`` which is quoted back.

    ``config_text`` None or blank means there is no file. A file that is present but cannot be
    read as a YAML mapping (syntax error, a list, larger than ``CONFIG_MAX_CHARS``) counts as an
    opt-out: someone wrote a GlobaLLM config, we cannot tell what they meant, and wrongly
    leaving a repository alone costs far less than wrongly contacting maintainers who said no.
    """
    for topic in topics:
        if topic.strip().lower() in OPT_OUT_TOPICS:
            return f"repository topic {topic.strip().lower()!r}"
    if config_text is None or not config_text.strip():
        return None
    unreadable = f"{OPT_OUT_CONFIG_PATH} is not a readable YAML mapping; treated as opted out"
    if len(config_text) > CONFIG_MAX_CHARS:
        return unreadable
    try:
        parsed = yaml.safe_load(config_text)
    except yaml.YAMLError:
        return unreadable
    if parsed is None:  # only comments
        return None
    if not isinstance(parsed, Mapping):
        return unreadable
    settings = {str(key).strip().lower(): value for key, value in parsed.items()}
    if "enabled" not in settings or not _is_false(settings["enabled"]):
        return None
    reason = f"{OPT_OUT_CONFIG_PATH} sets enabled: false"
    given = settings.get("reason")
    if isinstance(given, str) and given.strip():
        text = " ".join(given.split())
        if len(text) > OPT_OUT_REASON_MAX_CHARS:
            text = text[: OPT_OUT_REASON_MAX_CHARS - 1] + "…"
        reason += f" ({text})"
    return reason


def _is_false(value: object) -> bool:
    if isinstance(value, bool):
        return value is False
    if isinstance(value, int | float):
        return value == 0
    if isinstance(value, str):
        return value.strip().lower() in {"false", "no", "off", "0", "n"}
    return False


# --------------------------------------------------------------------------- bundle


def score_issue(
    issue: IssueRecord,
    *,
    now: datetime,
    budget_per_repo: int = DEFAULT_BUDGET_PER_REPO,
    repo_opted_out: bool = False,
    opt_out_reason: str | None = None,
    category: CategoryResult | None = None,
) -> IssueScores:
    """Every per-issue score, from the given category (an LLM's) or the one the rules assign."""
    category = category or categorize(issue)
    size = complexity(issue, category=category.category)
    tokens = cost_estimate(size)
    return IssueScores(
        category=category,
        solvability=solvability(issue, category=category.category),
        urgency=urgency(issue, category=category.category, now=now),
        complexity=size,
        cost_estimate=tokens,
        cost_penalty=cost_penalty(tokens, budget_per_repo),
        do_not_touch=do_not_touch(
            issue, repo_opted_out=repo_opted_out, opt_out_reason=opt_out_reason
        ),
    )
