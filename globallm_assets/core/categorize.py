"""IssueCategory: what kind of work an issue asks for, from labels and text cues.

Formula
-------
Every category ``k`` collects evidence from three places; the largest total wins::

    evidence_k = LABEL_WEIGHT         · [a type label of k]         (AREA/PARTIAL labels weigh less)
               + min(TITLE_CAP,    Σ weights of distinct title cues of k)
               + min(BODY_CAP,     BODY_FACTOR · Σ weights of distinct body cues of k)
               + min(TEMPLATE_CAP, TEMPLATE_WEIGHT · distinct issue-template headings of k)

    winner      = argmax_k evidence_k        (ties: PRECEDENCE order)
    winner      = security      if winner ∈ SECURITY_BEATS
                                  and evidence_security ≥ SECURITY_OVERRIDE_MIN
    strength    = 1 − exp(−E / EVIDENCE_SCALE)
    margin      = (E − evidence_runner_up) / E                                      (0 on a tie)
    confidence  = strength · (MARGIN_FLOOR + (1 − MARGIN_FLOOR) · margin)
    ambiguous   = confidence < AMBIGUOUS_BELOW

One maintainer-applied type label (3.0) alone gives confidence ≈ 0.86: labels are the project's
own triage and beat any wording heuristic. Title cues count more than body cues because a title
is a summary, while a body mentions many things in passing ("I could not find it in the docs").
Each cue counts once however often it repeats, and each source is capped, so a long body full of
keywords cannot outvote a label.

Precedence, for ties and several type labels: security > performance > documentation > bug >
feature > chore > question (> unclassified, which has no cues). Subject categories (security,
performance, documentation) are more specific than generic types: a "bug" + "documentation"
issue is fixed by editing docs.

Here ``E = evidence_winner``, except for security, where bug and performance cues describe the
same defect and so support the verdict instead of competing with it: ``E = evidence_security +
max(evidence_bug, evidence_performance)`` and the runner-up is the best other category.

Security beats bug (and performance) whenever a security cue or label of weight at least
``SECURITY_OVERRIDE_MIN`` is present: a crash that is also an exploitable overflow must be
handled as a security issue, and misfiling one that way costs far less than the reverse.

No evidence at all yields ``DEFAULT_CATEGORY``, ``unclassified``: a category of its own, with
the lowest urgency weight (an issue nobody can read never outranks a classified one) and
neither a question's nor a bug's assumptions; confidence 0 and ``ambiguous=True``, for a later
stage (an LLM) to decide. No cue ever points at it, so it never wins with evidence.

Labels are normalised before lookup: lower case, emoji and punctuation at the ends dropped, type
prefixes removed (``type:``, ``kind/``, ``C-``, ``T-``, ``category:``, …), and ``- _ / : .``
read as spaces. Area prefixes (``area/``, ``A-``, ``component:``) say where, not what, and so
weigh ``AREA_LABEL_WEIGHT``. A label that merely contains a type word ("bug: confirmed") weighs
``PARTIAL_LABEL_WEIGHT``; negated ones ("not a bug") are ignored.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any, Literal

from globallm_assets.core.models import IssueRecord


class Category(StrEnum):
    bug = "bug"
    feature = "feature"
    documentation = "documentation"
    security = "security"
    performance = "performance"
    question = "question"
    chore = "chore"  # maintenance: refactors, dependencies, CI, tooling
    unclassified = "unclassified"  # no label or text cue at all


LABEL_WEIGHT = 3.0
AREA_LABEL_WEIGHT = 1.5
PARTIAL_LABEL_WEIGHT = 1.5
TITLE_CAP = 3.0
BODY_FACTOR = 0.5
BODY_CAP = 1.5
TEMPLATE_WEIGHT = 1.5
TEMPLATE_CAP = 3.0
# Evidence at which strength reaches 1 − 1/e ≈ 0.63: one strong title cue (2.0) gives 0.74.
EVIDENCE_SCALE = 1.5
# Share of the strength kept when the runner-up ties the winner.
MARGIN_FLOOR = 0.5
AMBIGUOUS_BELOW = 0.5
DEFAULT_CATEGORY = Category.unclassified

PRECEDENCE: tuple[Category, ...] = (
    Category.security,
    Category.performance,
    Category.documentation,
    Category.bug,
    Category.feature,
    Category.chore,
    Category.question,
    Category.unclassified,
)
SECURITY_BEATS = frozenset({Category.bug, Category.performance})
# Security evidence needed to take over from bug/performance: one NORMAL title cue, a security
# label, or one STRONG body cue; a passing "security policy" mention in a body is not enough.
SECURITY_OVERRIDE_MIN = 1.0

STRONG = 2.0
NORMAL = 1.0
WEAK = 0.5

# Normalised label -> category. Only exact matches count at LABEL_WEIGHT.
TYPE_LABELS: dict[str, Category] = {
    **dict.fromkeys(
        (
            "bug", "bugs", "defect", "bug report", "confirmed bug", "crash", "regression",
            "bugfix", "bug fix", "broken", "error", "fix",
        ),
        Category.bug,
    ),
    **dict.fromkeys(
        (
            "enhancement", "enhancements", "feature", "features", "feature request", "feat",
            "new feature", "improvement", "proposal", "rfc", "idea", "suggestion", "request",
            "api change",
        ),
        Category.feature,
    ),
    **dict.fromkeys(
        (
            "doc", "docs", "documentation", "readme", "typo", "examples", "tutorial",
            "docs needed", "website",
        ),
        Category.documentation,
    ),
    **dict.fromkeys(
        (
            "security", "vulnerability", "security issue", "security fix", "cve", "vuln",
            "security vulnerability",
        ),
        Category.security,
    ),
    **dict.fromkeys(
        ("performance", "perf", "slow", "speed", "optimization", "optimisation", "memory usage"),
        Category.performance,
    ),
    **dict.fromkeys(
        (
            "question", "questions", "support", "usage", "usage question", "user question",
            "discussion", "how to", "howto", "help request", "q&a",
        ),
        Category.question,
    ),
    **dict.fromkeys(
        (
            "chore", "chores", "maintenance", "refactor", "refactoring", "dependencies",
            "dependency", "deps", "ci", "ci cd", "build", "cleanup", "clean up", "tech debt",
            "technical debt", "infrastructure", "infra", "tooling", "housekeeping", "test",
            "tests", "testing", "github actions", "lint", "linting", "code quality", "internal",
            "dependabot", "renovate", "release", "packaging",
        ),
        Category.chore,
    ),
}  # fmt: skip
# Words that make a longer label ("bug: confirmed", "needs docs") count at PARTIAL_LABEL_WEIGHT.
LABEL_HEAD_WORDS: dict[str, Category] = {
    "bug": Category.bug,
    "crash": Category.bug,
    "regression": Category.bug,
    "enhancement": Category.feature,
    "feature": Category.feature,
    "docs": Category.documentation,
    "documentation": Category.documentation,
    "security": Category.security,
    "vulnerability": Category.security,
    "performance": Category.performance,
    "perf": Category.performance,
    "question": Category.question,
    "chore": Category.chore,
    "refactor": Category.chore,
    "dependencies": Category.chore,
}

_TYPE_PREFIX_RE = re.compile(
    r"^(?:type|kind|t|c|cat|category|issue type|is|class)\s*[:/-]\s*", re.IGNORECASE
)
_AREA_PREFIX_RE = re.compile(r"^(?:area|a|component|comp|topic|scope)\s*[:/-]\s*", re.IGNORECASE)
_EDGE_JUNK_RE = re.compile(r"^[^a-z0-9]+|[^a-z0-9&?]+$")
_SEPARATORS_RE = re.compile(r"[\s_/.:-]+")
_NEGATED_RE = re.compile(r"^(?:not|no|non)\b")


@dataclass(frozen=True, slots=True)
class _Cue:
    pattern: re.Pattern[str]
    weight: float


# A cue is (weight, alternative, alternative, …); the alternatives are one regex joined by "|"
# and count once together.
_CueSpec = tuple[Any, ...]


def _cues(specs: dict[Category, list[_CueSpec]], flags: int = 0) -> dict[Category, list[_Cue]]:
    return {
        category: [
            _Cue(re.compile("|".join(spec[1:]), re.IGNORECASE | flags), float(spec[0]))
            for spec in category_specs
        ]
        for category, category_specs in specs.items()
    }


# Injection only in its security senses: "dependency injection" is a design pattern.
_INJECTION = (
    r"\b(?:sql|code|command|shell|os command|header|template|ldap|xpath|xml|crlf|log)\s+injection\b"
)
# Exception class names are case-sensitive: "terror" is not a TerrorError.
_EXCEPTION_NAME = r"(?-i:\b[A-Z]\w*(?:Error|Exception)\b)"


def _prefix(*words: str) -> str:
    """A title prefix such as ``[Bug]``, ``Bug:``, ``chore(deps):``."""
    return r"^\W*\[?(?:" + "|".join(words) + r")\]?(?:\([^)]*\))?\s*[:\]-]"


TITLE_CUES = _cues(
    {
        Category.security: [
            (STRONG, r"\bCVE-\d{4}-\d{3,}", r"\bGHSA(?:-[a-z0-9]{4}){3}\b"),
            (STRONG, r"\bvulnerab(?:le|ility|ilities)\b", _prefix("security")),
            (NORMAL, r"\bsecurity\b"),
            (STRONG, r"\b(?:xss|csrf|ssrf|xxe|rce|redos)\b", r"\bcross[- ]site\b", _INJECTION),
            (STRONG, r"\b(?:remote|arbitrary) code execution\b", r"\bprivilege escalation\b"),
            (STRONG, r"\b(?:path|directory) traversal\b", r"\bzip slip\b"),
            (STRONG, r"\bdenial[- ]of[- ]service\b", r"(?-i:\bDoS\b)"),
            (STRONG, r"\b(?:auth|authentication) bypass\b", r"\bprototype pollution\b"),
            (STRONG, r"\b(?:buffer|heap|stack|integer) overflow\b", r"\buse[- ]after[- ]free\b"),
            (STRONG, r"\bout[- ]of[- ]bounds (?:read|write)\b", r"\bopen redirect\b"),
            (
                STRONG,
                r"\b(?:leaks?|exposes?|logs?) (?:the )?(?:credentials|secrets?|tokens?|passwords?)",
                r"\btiming attack\b",
            ),
            (NORMAL, r"\buntrusted (?:input|data)\b", r"\binsecure\b", r"\bunsaniti[sz]ed\b"),
        ],
        Category.bug: [
            (STRONG, _prefix("bug", "bug report", "defect")),
            (STRONG, r"\bcrash(?:es|ed|ing)?\b", r"\bsegfaults?\b", r"\bsegmentation fault\b"),
            (STRONG, r"\bpanic(?:s|ked)?\b", r"\btraceback\b", r"\bstack ?trace\b"),
            (STRONG, _EXCEPTION_NAME),
            (STRONG, r"\bmemory leak\b", r"\bleaks memory\b", r"\bdeadlocks?\b"),
            (STRONG, r"\brace condition\b", r"\bdata loss\b", r"\bcorrupt(?:s|ed|ion)?\b"),
            (STRONG, r"\bregression\b", r"\bno longer works?\b", r"\bstopped working\b"),
            (
                STRONG,
                r"\b(?:does ?n[o']t|do ?n[o']t|not|won'?t|cannot|can'?t) "
                r"(?:work|load|start|compile|build|run|install|import)",
            ),
            (NORMAL, r"\bbroken\b", r"\bfail(?:s|ing|ure)?\b", r"\bhangs?\b", r"\bfreezes?\b"),
            (NORMAL, r"\b(?:wrong|incorrect|unexpected|invalid)\b", r"\berrors?\b"),
            (NORMAL, r"\b(?:raises|throws|returns none|returns null)\b", r"\bexception\b"),
        ],
        Category.feature: [
            (
                STRONG,
                _prefix("feature", "feat", "feature request", "enhancement", "rfe", "proposal"),
                r"\bfeature request\b",
            ),
            (NORMAL, r"^\W*(?:add|support|allow|implement|provide|expose|introduce)\b"),
            (
                NORMAL,
                r"\badd(?:ing)? (?:an? )?(?:option|flag|setting|parameter|argument|ability|hook)",
                r"\bsupport (?:for|of)\b",
                r"\bability to\b",
                r"\bplease add\b",
            ),
            (
                NORMAL,
                r"\bwould be (?:nice|great|useful|helpful)\b",
                r"\b(?:new|optional) (?:option|feature|api|method|command|parameter)\b",
            ),
        ],
        Category.documentation: [
            (STRONG, _prefix("docs?", "documentation")),
            (STRONG, r"\bdocs\b", r"\bdocumentation\b", r"\bdocstrings?\b", r"\breadme\b"),
            (STRONG, r"\btypos?\b", r"\bmisspel\w*\b", r"\b(?:broken|dead) links?\b"),
            (STRONG, r"^\W*document\b", r"\bundocumented\b", r"\bnot documented\b"),
            (
                NORMAL,
                r"\b(?:examples?|tutorial|guide|changelog|instructions|api reference)\b",
            ),
            (WEAK, r"\boutdated\b", r"\bclarify\b"),
        ],
        Category.performance: [
            (STRONG, _prefix("perf", "performance")),
            (STRONG, r"\bperformance\b", r"\bslow(?:er|ly|ness|down)?\b", r"\blatency\b"),
            (STRONG, r"\b(?:high|excessive|huge|large) (?:memory|cpu|ram) (?:usage|consumption)"),
            (STRONG, r"\b(?:quadratic|exponential) (?:time|complexity)\b", r"\bO\(n\^?2\)"),
            (NORMAL, r"\bspeed ?up\b", r"\bfaster\b", r"\boptimi[sz](?:e|ation)\b"),
            (NORMAL, r"\bthroughput\b", r"\bbottleneck\b", r"\bexpensive\b"),
            (
                NORMAL,
                r"\ballocat(?:es|ions?)\b",
                r"\bbenchmarks?\b",
                r"\btakes \d+ ?(?:ms|s|sec|seconds|minutes)\b",
            ),
        ],
        Category.question: [
            (STRONG, _prefix("question", "q", "help", "support", "usage")),
            (STRONG, r"\bhow (?:do|can|should|would) (?:i|we|you|one)\b", r"^\W*how to\b"),
            (
                STRONG,
                r"\bis (?:it|there) (?:possible|a way)\b",
                r"\bwhat is the (?:recommended|best|right|correct) way\b",
            ),
            (
                NORMAL,
                r"^\W*(?:how|what|why|where|when|which|is|are|can|could|should|does|do|will)\b"
                r"[^?]*\?\s*$",
            ),
            (WEAK, r"\?\s*$"),
        ],
        Category.chore: [
            (
                STRONG,
                _prefix("chore", "ci", "build", "deps", "refactor", "maint", "maintenance"),
                _prefix("test", "tests", "style"),
            ),
            (STRONG, r"\bbump\w*\b", r"\bdependabot\b", r"\brenovate\b"),
            (
                STRONG,
                r"\b(?:update|upgrade|pin|unpin) (?:\w+ ){0,2}"
                r"(?:dependenc(?:y|ies)|deps|packages?|requirements|lockfile)\b",
            ),
            (STRONG, r"\brefactor\w*\b", r"\bclean ?up\b", r"\btech(?:nical)? debt\b"),
            (STRONG, r"\blint(?:ing|er)?\b", r"\bmypy\b", r"\bpre-commit\b", r"\btype hints\b"),
            (STRONG, r"\bdeprecat(?:ed|ion)\b", r"\bdrop (?:support|python|node|java|go)\b"),
            (NORMAL, r"\bci\b", r"\bgithub actions\b", r"\bworkflows?\b", r"\brunner image\b"),
            (NORMAL, r"\bmigrat(?:e|ion)\b", r"\bflaky tests?\b", r"\btest coverage\b"),
            (NORMAL, r"\badd (?:unit |integration |more )?tests\b", r"\bhousekeeping\b"),
        ],
    }
)

# Body patterns anchored with ^ refer to the start of a line ("Expected:", template headings).
BODY_CUES = _cues(
    {
        Category.security: [
            (STRONG, r"\bCVE-\d{4}-\d{3,}", r"\bvulnerab(?:le|ility|ilities)\b"),
            (STRONG, r"\bexploit\w*\b", r"\battacker\b", _INJECTION),
            (STRONG, r"\b(?:xss|csrf|ssrf|xxe|rce|redos)\b", r"\bcross[- ]site\b"),
            (STRONG, r"\b(?:path|directory) traversal\b", r"\bdenial[- ]of[- ]service\b"),
            (STRONG, r"\bcrafted (?:payload|input|request|file)\b", r"\bcoordinated (?:fix|disc)"),
            (NORMAL, r"\bresponsible disclosure\b", r"\bsecurity (?:advisory|policy|issue|fix)\b"),
        ],
        Category.bug: [
            (STRONG, r"\bsteps to reproduce\b", r"\bto reproduce\b", r"\breproduc(?:e|ible|tion)"),
            (
                NORMAL,
                r"\b(?:expected|actual|observed) (?:behaviou?r|result|output)\b",
                r"^\s*(?:expected|actual)\s*:",
            ),
            (
                STRONG,
                r"\btraceback \(most recent call last\)",
                r"\bexception in thread\b",
                r"^panic:",
                r"\bpanicked at\b",
            ),
            (NORMAL, _EXCEPTION_NAME, r"\bcrash(?:es|ed|ing)?\b", r"\bsegfault\b"),
            (NORMAL, r"\bregression\b", r"\bmisbehaves?\b"),
        ],
        Category.feature: [
            (NORMAL, r"\bwould be (?:nice|great|useful|helpful|good)\b", r"\bwould love\b"),
            (NORMAL, r"\bproposed (?:api|solution|change)\b", r"\bproposal\b", r"\buse case\b"),
            (WEAK, r"\bwork ?around\b", r"\bcurrently (?:there is no|it is not possible)\b"),
        ],
        Category.documentation: [
            (NORMAL, r"\bdocumentation\b", r"\bdocs\b", r"\bdocstrings?\b", r"\breadme\b"),
            (NORMAL, r"\btypos?\b", r"\bbroken link\b", r"\bcorrected example\b"),
        ],
        Category.performance: [
            (NORMAL, r"\bprofil(?:e|ing|er)\b", r"\bflame ?graph\b", r"\bbenchmark\w*\b"),
            (
                NORMAL,
                r"\btakes \d[\d,.]* ?(?:ms|s|sec|seconds|minutes)\b",
                r"\b\d+x (?:slower|faster)\b",
            ),
            (NORMAL, r"\bslow(?:er|ly|ness)?\b", r"\bperformance\b", r"\bmemory usage\b"),
        ],
        Category.question: [
            (
                NORMAL,
                r"\bhow (?:do|can|should) (?:i|we)\b",
                r"\bis (?:it|there) (?:possible|a way)",
            ),
            (NORMAL, r"\bi could ?n[o']t find\b", r"\bany (?:help|advice|hints?|pointers)\b"),
            (WEAK, r"\bplease advise\b", r"\bi'?m (?:new to|trying to understand)\b"),
        ],
        Category.chore: [
            (
                STRONG,
                r"\bno (?:behaviou?r|functional|user[- ]facing) changes?\b",
                r"\bhousekeeping\b",
            ),
            (NORMAL, r"\bmaintenance\b", r"\brefactor\w*\b", r"\bdependabot\b", r"\bci\b"),
        ],
    },
    re.MULTILINE,
)

# Headings of GitHub's default issue forms and common templates (markdown `###`, `##` or bold).
_HEADING = r"^\s*(?:#{1,6}\s*|\*\*\s*)"
TEMPLATE_HEADINGS = _cues(
    {
        Category.bug: [
            (TEMPLATE_WEIGHT, _HEADING + r"(?:describe the bug|bug (?:report|description))"),
            (TEMPLATE_WEIGHT, _HEADING + r"(?:steps to reproduce|to reproduce|reproduction)"),
            (TEMPLATE_WEIGHT, _HEADING + r"(?:expected|actual|current) behaviou?r"),
        ],
        Category.feature: [
            (TEMPLATE_WEIGHT, _HEADING + r"is your feature request related to a problem"),
            (TEMPLATE_WEIGHT, _HEADING + r"describe the solution you'?d like"),
            (
                TEMPLATE_WEIGHT,
                _HEADING + r"(?:describe alternatives you'?ve considered|proposed solution)",
            ),
        ],
        Category.documentation: [
            (TEMPLATE_WEIGHT, _HEADING + r"(?:documentation (?:link|page)|which (?:docs|page))"),
        ],
        Category.security: [
            (TEMPLATE_WEIGHT, _HEADING + r"(?:vulnerability|security) (?:details|report)"),
        ],
        Category.question: [
            (TEMPLATE_WEIGHT, _HEADING + r"(?:your )?question\b"),
        ],
    },
    re.MULTILINE,
)


@dataclass(frozen=True, slots=True)
class CategoryResult:
    category: Category
    confidence: float
    source: Literal["labels", "rules", "llm"]
    ambiguous: bool
    reasons: list[str] = field(default_factory=list)
    evidence: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["category"] = self.category.value
        return out


def normalize_label(label: str) -> tuple[str, bool]:
    """Lower-cased label without type/area prefix; the flag says whether it was an area label."""
    text = _EDGE_JUNK_RE.sub("", label.strip().lower())
    stripped = _TYPE_PREFIX_RE.sub("", text, count=1)
    is_area = False
    if stripped == text:
        stripped = _AREA_PREFIX_RE.sub("", text, count=1)
        is_area = stripped != text
    stripped = _EDGE_JUNK_RE.sub("", stripped)
    return _SEPARATORS_RE.sub(" ", stripped).strip(), is_area


def label_category(label: str) -> tuple[Category, float] | None:
    """The category a single label names, with its evidence weight, or None."""
    text, is_area = normalize_label(label)
    if not text or _NEGATED_RE.match(text):
        return None
    found = TYPE_LABELS.get(text)
    if found is not None:
        return found, AREA_LABEL_WEIGHT if is_area else LABEL_WEIGHT
    for word in text.split(" "):
        head = LABEL_HEAD_WORDS.get(word)
        if head is not None:
            return head, PARTIAL_LABEL_WEIGHT
    return None


def _match_cues(
    text: str, cues: dict[Category, list[_Cue]], where: str, reasons: dict[Category, list[str]]
) -> dict[Category, float]:
    totals: dict[Category, float] = {}
    for category, category_cues in cues.items():
        total = 0.0
        for cue in category_cues:
            match = cue.pattern.search(text)
            if match:
                total += cue.weight
                reasons.setdefault(category, []).append(
                    f"{where} cue {match.group(0).strip()[:40]!r} -> {category.value}"
                )
        if total:
            totals[category] = total
    return totals


def categorize(issue: IssueRecord) -> CategoryResult:
    """Classify one issue (formula in the module docstring)."""
    evidence = dict.fromkeys(Category, 0.0)
    label_evidence = dict.fromkeys(Category, 0.0)
    reasons: dict[Category, list[str]] = {}

    for label in issue.labels:
        hit = label_category(label)
        if hit is None:
            continue
        category, weight = hit
        # Several labels of one category are one piece of evidence: take the strongest.
        if weight > label_evidence[category]:
            label_evidence[category] = weight
        reasons.setdefault(category, []).append(f"label {label!r} -> {category.value}")
    for category, weight in label_evidence.items():
        evidence[category] += weight

    title = issue.title or ""
    body = issue.body or ""
    for category, total in _match_cues(title, TITLE_CUES, "title", reasons).items():
        evidence[category] += min(TITLE_CAP, total)
    for category, total in _match_cues(body, BODY_CUES, "body", reasons).items():
        evidence[category] += min(BODY_CAP, BODY_FACTOR * total)
    for category, total in _match_cues(body, TEMPLATE_HEADINGS, "template", reasons).items():
        evidence[category] += min(TEMPLATE_CAP, total)

    ranked = sorted(Category, key=lambda c: (-evidence[c], PRECEDENCE.index(c)))
    winner = ranked[0]
    if evidence[winner] <= 0:
        return CategoryResult(
            category=DEFAULT_CATEGORY,
            confidence=0.0,
            source="rules",
            ambiguous=True,
            reasons=[f"no label or text cue; defaulted to {DEFAULT_CATEGORY.value}"],
            evidence={c.value: 0.0 for c in Category},
        )
    notes = list(reasons.get(winner, []))
    if winner in SECURITY_BEATS and evidence[Category.security] >= SECURITY_OVERRIDE_MIN:
        notes = [
            *reasons.get(Category.security, []),
            f"security beats {winner.value} when both cues appear",
        ]
        winner = Category.security
    if winner is Category.security:
        # Bug and performance cues describe the same defect, so they support the verdict.
        allies = {Category.security, *SECURITY_BEATS}
        top = evidence[Category.security] + max(evidence[c] for c in SECURITY_BEATS)
        second = max(evidence[c] for c in Category if c not in allies)
    else:
        top = evidence[winner]
        second = max(evidence[c] for c in Category if c is not winner)
    strength = 1.0 - math.exp(-top / EVIDENCE_SCALE)
    margin = (top - second) / top
    confidence = min(1.0, max(0.0, strength * (MARGIN_FLOOR + (1.0 - MARGIN_FLOOR) * margin)))
    return CategoryResult(
        category=winner,
        confidence=confidence,
        source="labels" if label_evidence[winner] > 0 else "rules",
        ambiguous=confidence < AMBIGUOUS_BELOW,
        reasons=notes,
        evidence={c.value: round(evidence[c], 6) for c in Category},
    )
