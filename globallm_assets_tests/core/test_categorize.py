from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from globallm_assets.core.categorize import (
    AMBIGUOUS_BELOW,
    AREA_LABEL_WEIGHT,
    DEFAULT_CATEGORY,
    LABEL_WEIGHT,
    PARTIAL_LABEL_WEIGHT,
    Category,
    categorize,
    label_category,
)
from globallm_assets.core.models import IssueRecord


def _issue(title: str, body: str | None = None, labels: list[str] | None = None) -> IssueRecord:
    return IssueRecord(
        repository="octo/repo", number=1, title=title, body=body, labels=labels or []
    )


# (title, body, labels, expected category). Texts are written to look like real reports: mixed
# conventions, templates, noise words that point the wrong way.
TABLE: list[tuple[str, str | None, list[str], Category]] = [
    # --- labels decide
    ("Parser chokes on empty files", None, ["type: bug"], Category.bug),
    ("Weird behaviour in the router", "See title.", ["kind/bug"], Category.bug),
    ("ICE when compiling nested closures", None, ["C-bug", "T-compiler"], Category.bug),
    ("Tidy the scheduler module", None, ["T-bug"], Category.bug),
    ("Add a --json flag to `list`", None, ["enhancement"], Category.feature),
    ("Support for TOML config", None, ["Type: Feature Request"], Category.feature),
    ("Explain retry semantics", None, ["📖 docs"], Category.documentation),
    ("Upgrade lodash", "Snyk flagged it.", ["dependencies", "javascript"], Category.chore),
    ("Startup takes forever", None, ["perf"], Category.performance),
    ("Can this run on ARM?", None, ["question"], Category.question),
    ("Leak of session tokens in debug logs", None, ["security", "bug"], Category.security),
    # --- title conventions
    ("[Bug] Upload button does nothing on Safari", None, [], Category.bug),
    ("Crash when opening a project with an empty workspace", None, [], Category.bug),
    ("TypeError: cannot unpack non-iterable NoneType in load_config()", None, [], Category.bug),
    ("Regression in 2.4.0: --watch no longer picks up new files", None, [], Category.bug),
    ("Memory leak in the websocket client after reconnects", None, [], Category.bug),
    ("Feature request: export dashboards as PDF", None, [], Category.feature),
    ("Allow custom headers in the HTTP transport", "Our proxy needs them.", [], Category.feature),
    ("Typo in docs for the `retry` decorator", None, [], Category.documentation),
    ("README install instructions are wrong for Windows", None, [], Category.documentation),
    ("CVE-2024-3094: bundled xz is vulnerable", None, [], Category.security),
    ("Stored XSS in the comment preview", None, [], Category.security),
    ("Path traversal via crafted archive names", None, [], Category.security),
    ("Query builder is slow for tables with 10k columns", None, [], Category.performance),
    ("High memory usage when streaming large CSV files", None, [], Category.performance),
    ("How do I use the client with a self-signed certificate?", None, [], Category.question),
    ("Is the connection pool thread-safe?", None, [], Category.question),
    ("Bump actions/checkout from 3 to 4", "Bumps actions/checkout.", [], Category.chore),
    ("chore(deps): update dependency eslint to v9", None, [], Category.chore),
    ("Fix DeprecationWarning: datetime.utcnow() is deprecated", None, [], Category.chore),
    ("Refactor the storage layer into smaller modules", None, [], Category.chore),
    ("Migrate CI from Travis to GitHub Actions", None, [], Category.chore),
    # --- bodies and issue templates
    (
        "Upload fails",
        "### Describe the bug\nThe upload fails silently.\n\n### Steps to reproduce\n"
        "1. Open the app\n2. Drop a 3 GB file\n\n### Expected behavior\nA progress bar.",
        [],
        Category.bug,
    ),
    (
        "Dark mode",
        "**Is your feature request related to a problem? Please describe.**\n"
        "My eyes hurt at night.\n\n**Describe the solution you'd like**\nA dark theme toggle.",
        [],
        Category.feature,
    ),
    (
        "Unexpected result from merge()",
        "```\nTraceback (most recent call last):\n  File \"app.py\", line 3, in <module>\n"
        "KeyError: 'id'\n```\nExpected: merged dict. Actual: KeyError.",
        [],
        Category.bug,
    ),
    (
        "Sanitizer in the markdown renderer",
        "An attacker can inject a script tag through the link title; this is an XSS.",
        [],
        Category.security,
    ),
    # --- cues pulling the wrong way
    ("Support dependency injection for handlers", None, [], Category.feature),
    ("Broken link in the contributing guide", None, ["bug", "docs"], Category.documentation),
    ("Crash on malformed input leads to heap overflow", None, ["bug"], Category.security),
    ("Performance regression in 3.1", "Profiling: 4x slower parsing.", [], Category.performance),
    ("Add example for async usage to the README", None, [], Category.documentation),
]  # fmt: skip


@pytest.mark.parametrize(
    ("title", "body", "labels", "expected"), TABLE, ids=[row[0][:40] for row in TABLE]
)
def test_categorize_table(
    title: str, body: str | None, labels: list[str], expected: Category
) -> None:
    result = categorize(_issue(title, body, labels))
    assert result.category is expected, result.reasons
    assert result.reasons


def test_table_is_large_and_covers_every_category() -> None:
    assert len(TABLE) >= 25
    # Every category a cue can name; unclassified is what no cue gives.
    assert {row[3] for row in TABLE} == set(Category) - {Category.unclassified}


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("bug", (Category.bug, LABEL_WEIGHT)),
        ("Type: Bug", (Category.bug, LABEL_WEIGHT)),
        ("kind/bug", (Category.bug, LABEL_WEIGHT)),
        ("C-bug", (Category.bug, LABEL_WEIGHT)),
        ("🐛 bug", (Category.bug, LABEL_WEIGHT)),
        ("C-feature-request", (Category.feature, LABEL_WEIGHT)),
        ("feature_request", (Category.feature, LABEL_WEIGHT)),
        ("type: maintenance", (Category.chore, LABEL_WEIGHT)),
        ("kind/support", (Category.question, LABEL_WEIGHT)),
        ("A-docs", (Category.documentation, AREA_LABEL_WEIGHT)),
        ("area/performance", (Category.performance, AREA_LABEL_WEIGHT)),
        ("bug: confirmed", (Category.bug, PARTIAL_LABEL_WEIGHT)),
        ("status: needs docs", (Category.documentation, PARTIAL_LABEL_WEIGHT)),
        ("not a bug", None),
        ("help wanted", None),
        ("good first issue", None),
        ("T-compiler", None),
        ("needs triage", None),
    ],
)
def test_label_conventions_map_to_categories(
    label: str, expected: tuple[Category, float] | None
) -> None:
    assert label_category(label) == expected


@pytest.mark.parametrize(
    ("title", "body", "labels"),
    [
        ("Segfault in png decoder is an out-of-bounds write", None, []),
        ("Null deref in png decoder", None, ["bug", "security"]),
        ("CVE-2023-1234 in the png decoder", None, ["bug"]),
        (
            "[Bug] Crash when decoding PNG: Traceback and steps to reproduce inside",
            "### Steps to reproduce\n1. decode\n\nAn attacker can exploit this.",
            ["type: bug"],
        ),
    ],
)
def test_security_beats_bug_when_both_cues_appear(
    title: str, body: str | None, labels: list[str]
) -> None:
    result = categorize(_issue(title, body, labels))
    assert result.evidence["bug"] > 0 and result.evidence["security"] > 0
    assert result.category is Category.security


def test_security_cue_overrides_even_stronger_bug_evidence() -> None:
    result = categorize(_issue("Crash in decoder leads to heap overflow", labels=["bug"]))
    assert result.evidence["bug"] > result.evidence["security"] > 0
    assert result.category is Category.security
    assert "security beats bug when both cues appear" in result.reasons
    assert result.source == "rules"


def test_weak_security_mention_does_not_override_a_bug() -> None:
    result = categorize(
        _issue(
            "Crash when the config file is missing",
            "Traceback (most recent call last): ... See also our security policy.",
        )
    )
    assert result.category is Category.bug


def test_issue_without_any_cue_is_ambiguous_default() -> None:
    result = categorize(_issue("Thoughts on the roadmap", "Let's chat."))
    assert result.category is DEFAULT_CATEGORY is Category.unclassified
    assert result.confidence == 0.0
    assert result.ambiguous
    assert result.source == "rules"


def test_label_is_source_and_more_confident_than_text_alone() -> None:
    labelled = categorize(_issue("Upload button does nothing", labels=["bug"]))
    text_only = categorize(_issue("Upload button is broken"))
    assert labelled.source == "labels"
    assert text_only.source == "rules"
    assert labelled.category is text_only.category is Category.bug
    assert labelled.confidence > text_only.confidence


def test_conflicting_cues_lower_confidence() -> None:
    clear = categorize(_issue("Typo in docs for the retry decorator"))
    mixed = categorize(_issue("Typo in docs for the retry decorator causes a crash"))
    assert clear.category is Category.documentation
    assert mixed.confidence < clear.confidence


def test_label_outvotes_a_body_full_of_keywords() -> None:
    body = " ".join(["slow performance benchmark profiling takes 900 ms"] * 50)
    result = categorize(_issue("Parser question", body, labels=["question"]))
    assert result.category is Category.question


issues = st.builds(
    IssueRecord,
    repository=st.just("octo/repo"),
    number=st.just(1),
    title=st.text(max_size=120),
    body=st.none() | st.text(max_size=600),
    labels=st.lists(
        st.sampled_from(["bug", "docs", "security", "perf", "question", "chore", "x", "🐛"])
        | st.text(max_size=12),
        max_size=4,
    ),
)


@given(issues)
def test_confidence_is_a_probability_and_ambiguity_follows_it(issue: IssueRecord) -> None:
    result = categorize(issue)
    assert isinstance(result.category, Category)
    assert 0.0 <= result.confidence <= 1.0
    assert result.ambiguous == (result.confidence < AMBIGUOUS_BELOW)
    assert result.source in ("labels", "rules")


# The three label vocabularies the simulated world assigns (one per repository).
SIMULATED_LABELS: dict[str, Category] = {
    **dict.fromkeys(("bug", "type: bug", "kind/bug"), Category.bug),
    **dict.fromkeys(("enhancement", "type: feature", "kind/feature"), Category.feature),
    **dict.fromkeys(("documentation", "type: docs", "kind/documentation"), Category.documentation),
    **dict.fromkeys(("question", "type: question", "kind/support"), Category.question),
    **dict.fromkeys(("performance", "type: performance", "kind/perf"), Category.performance),
    **dict.fromkeys(("security", "type: security", "kind/security"), Category.security),
    **dict.fromkeys(("chore", "type: maintenance", "kind/cleanup"), Category.chore),
}


def test_text_rules_agree_with_labels_on_simulated_issues() -> None:
    from globallm_assets.sources.simulated import SimulatedWorld

    world = SimulatedWorld(seed=7, repos_per_language=4)
    agree = total = 0
    seen: set[Category] = set()
    for meta in world.repositories():
        for issue in world.issues(meta.full_name, state="all"):
            truth = [SIMULATED_LABELS[label] for label in issue.labels if label in SIMULATED_LABELS]
            if not truth:
                continue
            assert categorize(issue).category is truth[0]
            # Hide the label: the text alone should mostly find the same category.
            blind = categorize(issue.model_copy(update={"labels": []}))
            agree += blind.category is truth[0]
            total += 1
            seen.add(truth[0])
    assert total >= 100
    assert seen == set(Category) - {Category.unclassified}
    assert agree / total >= 0.9
