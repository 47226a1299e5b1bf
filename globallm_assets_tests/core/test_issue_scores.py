from __future__ import annotations

import itertools
import json
import statistics
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from globallm_assets.core.categorize import Category, categorize
from globallm_assets.core.issue_scores import (
    AGE_CAP_DAYS,
    BODY_LENGTH_GOOD,
    BODY_LENGTH_LONG,
    CATEGORY_WEIGHTS,
    COST_TOKENS_BY_COMPLEXITY,
    LONG_BODY_FLOOR,
    MISSING_AGE_VALUE,
    NON_DEFECT_AGE_VALUE,
    NUMBERED_STEPS_VALUE,
    OPT_OUT_REASON_MAX_CHARS,
    SOLVABILITY_WEIGHTS,
    body_length_value,
    complexity,
    complexity_parts,
    cost_estimate,
    cost_penalty,
    do_not_touch,
    repository_opt_out,
    score_issue,
    solvability,
    urgency,
    urgency_markers,
)
from globallm_assets.core.models import IssueRecord

NOW = datetime(2025, 6, 1, tzinfo=UTC)
CATEGORIES = list(Category)


def _issue(**overrides: object) -> IssueRecord:
    values: dict[str, object] = {
        "repository": "octo/repo",
        "number": 7,
        "title": "Parser misbehaves",
        "body": "The parser misbehaves on some input.",
        "created_at": NOW - timedelta(days=30),
    }
    values.update(overrides)
    return IssueRecord(**values)


STACK_TRACES = [
    'Traceback (most recent call last):\n  File "app.py", line 3, in <module>\n'
    "    run()\nValueError: bad input",
    'Exception in thread "main" java.lang.NullPointerException: boom\n'
    "\tat com.example.Parser.parse(Parser.java:42)\n\tat com.example.App.main(App.java:9)",
    "TypeError: Cannot read properties of undefined (reading 'x')\n"
    "    at parse (node_modules/lib/parse.js:10:17)\n    at Object.<anonymous> (index.js:5:3)",
    "panic: runtime error: index out of range\n\ngoroutine 1 [running]:\nmain.main()\n"
    "\t/app/main.go:14 +0x25",
    "thread 'main' panicked at src/lib.rs:12:9:\nunwrap on None\n"
    "note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace",
]

# Bodies with the characters that matter to the parser: fences, newlines, colons, paths.
_BODY_TOKENS = [*"abcxyz  \n\n:.`/_-#*123", "```", "\n```\n", "Expected: ", "\n1. ", "src/a.py"]
bodies = st.none() | st.lists(st.sampled_from(_BODY_TOKENS), max_size=200).map("".join)
label_pool = [
    "bug", "good first issue", "help wanted", "easy", "P0", "wontfix", "security", "docs",
    "priority: high", "regression", "breaking change",
]  # fmt: skip
issues = st.builds(
    IssueRecord,
    repository=st.just("octo/repo"),
    number=st.integers(min_value=1, max_value=10**6),
    title=st.text(max_size=80),
    body=bodies,
    state=st.sampled_from(["open", "closed"]),
    labels=st.lists(st.sampled_from(label_pool) | st.text(max_size=10), max_size=4),
    created_at=st.none()
    | st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2030, 1, 1)),
    closed_at=st.none()
    | st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2030, 1, 1)),
    comments=st.integers(min_value=-3, max_value=10**7),
    reactions=st.integers(min_value=-3, max_value=10**7),
    author_association=st.none()
    | st.sampled_from(["OWNER", "MEMBER", "COLLABORATOR", "CONTRIBUTOR", "NONE", "weird"]),
    assignees=st.lists(st.text(min_size=1, max_size=5), max_size=2),
    locked=st.booleans(),
    linked_pull_requests=st.integers(min_value=0, max_value=3),
)


# --------------------------------------------------------------------------- bounds


@settings(max_examples=150, deadline=None)
@given(issues, st.sampled_from(CATEGORIES))
def test_scores_stay_in_their_ranges(issue: IssueRecord, category: Category) -> None:
    solv = solvability(issue, category=category)
    urg = urgency(issue, category=category, now=NOW)
    size = complexity(issue, category=category)
    assert 0.0 <= solv.score <= 1.0
    assert 0.0 <= urg.score <= 1.0
    assert all(0.0 <= v <= 1.0 for v in (*solv.components.values(), *urg.components.values()))
    assert set(SOLVABILITY_WEIGHTS) <= set(solv.components)
    assert isinstance(size, int) and 1 <= size <= 10
    assert 0.0 <= cost_penalty(cost_estimate(size), 100_000) <= 1.0


@settings(max_examples=60, deadline=None)
@given(issues, st.integers(min_value=-10, max_value=10**7))
def test_score_issue_bundle_is_json_ready(issue: IssueRecord, budget: int) -> None:
    scores = score_issue(issue, now=NOW, budget_per_repo=budget)
    data = json.loads(json.dumps(scores.as_dict()))
    assert data["category"] == scores.category.category.value
    assert data["solvability"] == scores.solvability.score
    assert data["cost_estimate"] == COST_TOKENS_BY_COMPLEXITY[scores.complexity]
    assert data["do_not_touch"] == do_not_touch(issue)


# --------------------------------------------------------------------------- monotonicity


@settings(max_examples=200, deadline=None)
@given(
    issues,
    st.sampled_from(CATEGORIES),
    st.sampled_from(STACK_TRACES),
    st.booleans(),
)
def test_adding_a_stack_trace_never_lowers_solvability(
    issue: IssueRecord, category: Category, trace: str, fenced: bool
) -> None:
    before = solvability(issue, category=category).score
    block = f"```\n{trace}\n```" if fenced else trace
    with_trace = issue.model_copy(update={"body": f"{issue.body or ''}\n\n{block}"})
    assert solvability(with_trace, category=category).score >= before


@pytest.mark.parametrize("trace", STACK_TRACES)
def test_stack_trace_is_recognised_in_every_language(trace: str) -> None:
    plain = _issue(body="It fails when called twice.")
    with_trace = _issue(body=f"It fails when called twice.\n\n{trace}")
    before = solvability(plain, category=Category.bug)
    after = solvability(with_trace, category=Category.bug)
    assert before.components["stack_trace"] == 0.0
    assert after.components["stack_trace"] == 1.0
    assert after.score > before.score
    # A pasted trace is not prose: the body-length component does not move.
    assert after.components["body_length"] == before.components["body_length"]


def test_pasted_log_is_not_prose_but_a_long_essay_is() -> None:
    text = "The parser misbehaves on some input. " * 400  # ~15k characters
    essay = solvability(_issue(body=text), category=Category.bug)
    log = solvability(
        _issue(body=f"The parser misbehaves.\n\n```\n{text}\n```"), category=Category.bug
    )
    short = solvability(_issue(body="The parser misbehaves."), category=Category.bug)
    assert len(text) > BODY_LENGTH_LONG
    assert essay.components["body_length"] < 1.0
    assert log.components["body_length"] == short.components["body_length"]


@settings(max_examples=150, deadline=None)
@given(
    issues,
    st.sampled_from(CATEGORIES),
    st.integers(min_value=0, max_value=10**6),
    st.integers(min_value=0, max_value=10**6),
)
def test_more_reactions_never_lower_urgency(
    issue: IssueRecord, category: Category, a: int, b: int
) -> None:
    low, high = sorted((a, b))
    urgency_low = urgency(issue.model_copy(update={"reactions": low}), category=category, now=NOW)
    urgency_high = urgency(issue.model_copy(update={"reactions": high}), category=category, now=NOW)
    assert urgency_high.score >= urgency_low.score


@settings(max_examples=100, deadline=None)
@given(issues)
def test_security_beats_bug_beats_feature_on_urgency(issue: IssueRecord) -> None:
    security, bug, feature = (
        urgency(issue, category=c, now=NOW).score
        for c in (Category.security, Category.bug, Category.feature)
    )
    assert security > bug > feature


def test_category_weights_follow_the_seeds_plan() -> None:
    weights = CATEGORY_WEIGHTS
    assert weights[Category.security] == 2 * weights[Category.bug] == 5 * weights[Category.feature]
    assert max(weights.values()) == weights[Category.security]
    assert min(weights.values()) > 0
    assert set(weights) == set(Category)


# --------------------------------------------------------------------------- solvability parts


@pytest.mark.parametrize(
    ("body", "component", "expected"),
    [
        ("Steps to reproduce: run it twice.", "reproduction", 1.0),
        ("Here is a minimal reproducible example.", "reproduction", 1.0),
        ("1. open the app\n2. click save\n3. watch", "reproduction", NUMBERED_STEPS_VALUE),
        ("It happens sometimes.", "reproduction", 0.0),
        ("```\nparse('')\n```", "code_blocks", 0.5),
        ("```\na\n```\n\n```\nb\n```\n\n```\nc\n```", "code_blocks", 1.0),
        ("Expected: a list. Actual: None.", "expected_actual", 1.0),
        ("It should return a list.", "expected_actual", 0.5),
        ("See src/parser/lexer.py for details.", "referenced_files", 0.5),
        ("Broken at src/lexer.rs:12 and in lib/io.go", "referenced_files", 1.0),
        ("No paths at all, e.g. nothing.", "referenced_files", 0.0),
        ("test_parse_empty fails since 2.0", "failing_tests", 1.0),
        ("It fails in CI on macOS.", "failing_tests", 1.0),
        ("ParserTest.testEmpty is red", "failing_tests", 1.0),
        ("Nothing about tests.", "failing_tests", 0.0),
    ],
)
def test_solvability_components_detect_their_signal(
    body: str, component: str, expected: float
) -> None:
    got = solvability(_issue(body=body), category=Category.bug)
    assert got.components[component] == pytest.approx(expected)


@pytest.mark.parametrize(
    ("association", "comments", "expected_at_least", "expected_at_most"),
    [
        ("OWNER", 0, 1.0, 1.0),
        ("MEMBER", 0, 1.0, 1.0),
        ("COLLABORATOR", 0, 1.0, 1.0),
        ("NONE", 0, 0.0, 0.0),
        (None, 3, 0.1, 0.59),
    ],
)
def test_maintainer_engagement(
    association: str | None, comments: int, expected_at_least: float, expected_at_most: float
) -> None:
    got = solvability(
        _issue(author_association=association, comments=comments), category=Category.bug
    ).components["maintainer_engagement"]
    assert expected_at_least <= got <= expected_at_most


def test_comments_stop_counting_for_engagement_beyond_the_cap() -> None:
    many = solvability(_issue(comments=50), category=Category.bug)
    more = solvability(_issue(comments=5_000), category=Category.bug)
    assert many.components["maintainer_engagement"] == more.components["maintainer_engagement"]


def test_good_first_issue_label_boosts_solvability_by_its_constant() -> None:
    plain = solvability(_issue(), category=Category.bug)
    boosted = solvability(_issue(labels=["good first issue"]), category=Category.bug)
    both = solvability(
        _issue(labels=["good first issue", "help wanted", "E-easy"]), category=Category.bug
    )
    assert boosted.score == pytest.approx(plain.score + 0.15)
    assert both.components["label_boost"] == pytest.approx(0.2)  # capped


def test_body_length_rises_then_falls() -> None:
    assert body_length_value(0) == 0.0
    assert body_length_value(40) < body_length_value(200) < body_length_value(BODY_LENGTH_GOOD)
    assert body_length_value(BODY_LENGTH_GOOD) == 1.0
    assert body_length_value(BODY_LENGTH_LONG) == 1.0
    assert body_length_value(BODY_LENGTH_LONG * 10) < 1.0
    assert body_length_value(BODY_LENGTH_LONG * 10**6) == pytest.approx(LONG_BODY_FLOOR)
    short = solvability(_issue(body="broken"), category=Category.bug).score
    medium = solvability(_issue(body="The parser breaks. " * 40), category=Category.bug).score
    huge = solvability(_issue(body="The parser breaks. " * 20_000), category=Category.bug).score
    assert short < medium and huge < medium


def test_well_specified_feature_needs_no_reproduction_to_score_high() -> None:
    feature = _issue(
        title="Add a --json flag to `list`",
        body="Proposed API in src/cli/list.py and src/cli/output.py:\n\n```\nlist --json\n```"
        '\n\n```\n[{"name": "x"}]\n```\n\nThe new test_list_json would cover it. '
        + "Scripts need machine-readable output for automation. "
        * 8,
        author_association="OWNER",
    )
    score = solvability(feature, category=Category.feature)
    assert score.components["reproduction"] == 0.0  # measured, but weighs nothing here
    assert score.score > 0.75
    # The same text judged as a bug lacks a reproduction, a trace and expected/actual.
    assert solvability(feature, category=Category.bug).score < 0.6


# --------------------------------------------------------------------------- urgency parts


def test_open_defects_grow_more_urgent_with_age_features_do_not() -> None:
    young = _issue(created_at=NOW - timedelta(days=2))
    old = _issue(created_at=NOW - timedelta(days=3 * AGE_CAP_DAYS))
    for category in (Category.bug, Category.security, Category.performance):
        y = urgency(young, category=category, now=NOW)
        o = urgency(old, category=category, now=NOW)
        assert o.score > y.score
        assert o.components["age"] == 1.0
    for category in (Category.feature, Category.documentation, Category.question):
        y = urgency(young, category=category, now=NOW)
        o = urgency(old, category=category, now=NOW)
        assert o.score == y.score
        assert o.components["age"] == NON_DEFECT_AGE_VALUE


def test_missing_creation_date_takes_documented_age_value() -> None:
    got = urgency(_issue(created_at=None), category=Category.bug, now=NOW)
    assert got.components["age"] == MISSING_AGE_VALUE


def test_closed_issue_age_stops_at_closing() -> None:
    created = NOW - timedelta(days=400)
    closed = _issue(created_at=created, closed_at=created + timedelta(days=1), state="closed")
    still_open = _issue(created_at=created)
    assert (
        urgency(closed, category=Category.bug, now=NOW).components["age"]
        < urgency(still_open, category=Category.bug, now=NOW).components["age"]
    )


@pytest.mark.parametrize(
    ("title", "body", "labels", "expected"),
    [
        ("Regression in 2.1", None, [], ["regression"]),
        ("App crashes and corrupts the index", None, [], ["crash", "corruption"]),
        ("Segmentation fault on exit", "data loss follows", [], ["data loss", "segfault"]),
        ("goroutine panics", None, ["P0"], ["panic", "label:p0"]),
        ("Slow start", None, ["priority: high"], ["label:priority high"]),
        ("Slow start", None, ["help wanted"], []),
    ],
)
def test_urgency_markers(
    title: str, body: str | None, labels: list[str], expected: list[str]
) -> None:
    assert sorted(urgency_markers(_issue(title=title, body=body, labels=labels))) == sorted(
        expected
    )


def test_markers_and_engagement_raise_urgency() -> None:
    quiet = urgency(_issue(), category=Category.bug, now=NOW)
    loud = urgency(
        _issue(title="Regression: crash on start", reactions=40, comments=12),
        category=Category.bug,
        now=NOW,
    )
    assert loud.components["markers"] == 1.0
    assert loud.score > quiet.score


# --------------------------------------------------------------------------- complexity, cost


def test_complexity_separates_typos_from_redesigns() -> None:
    typo = _issue(title="Typo in README", body="'recieve' should be 'receive'.")
    redesign = _issue(
        title="Redesign the scheduler for concurrency",
        body="Race condition between threads; intermittent on Windows. This is a breaking "
        "change touching src/a.py, src/b.py, src/c.py, src/d.py, src/e.py and src/f.py.",
    )
    assert complexity(typo, category=Category.documentation) == 1
    assert complexity(redesign, category=Category.feature) >= 9


def test_localized_bug_is_simpler_than_a_vague_one() -> None:
    vague = _issue(body="The parser misbehaves sometimes.")
    localized = _issue(
        body="Steps to reproduce: parse('').\n\n" + STACK_TRACES[0] + "\n\nIt misbehaves."
    )
    assert complexity(localized, category=Category.bug) < complexity(vague, category=Category.bug)


def test_two_bugs_of_different_scope_get_different_complexity() -> None:
    """Same category, same base: the text alone separates a one-line crash from a defect that
    runs through the code base."""
    pinpointed = _issue(
        title="parse() raises ValueError on an empty string",
        body="Steps to reproduce:\n\n1. Call `parse('')`\n2. See the error\n\n"
        + STACK_TRACES[0]
        + "\n\nThe check in src/parser.py forgets the empty case.",
    )
    sprawling = _issue(
        title="Encoding errors across the whole API",
        body="Every module that reads files assumes UTF-8, so several files need the same "
        "change: src/io.py, src/config.py, src/cache.py, src/http.py, src/cli.py and "
        "src/export.py call open(), load(), read_text(), decode() and fetch() without an "
        "encoding.\n\n- [ ] io\n- [ ] config\n- [ ] cache\n- [ ] http",
    )
    assert categorize(pinpointed).category is categorize(sprawling).category is Category.bug
    small = complexity_parts(pinpointed, category=Category.bug)
    large = complexity_parts(sprawling, category=Category.bug)
    assert small["base"] == large["base"]
    assert small["located"] == -2 and large["located"] == 0
    assert large["spread"] == 3 and large["scope"] == 2 and large["tasks"] == 1
    assert large["complexity"] - small["complexity"] >= 5


def test_unclassified_issues_have_their_own_lowest_urgency() -> None:
    vague = _issue(title="Thoughts", body="Let's chat.")
    scores = score_issue(vague, now=NOW)
    assert scores.category.category is Category.unclassified
    assert CATEGORY_WEIGHTS[Category.unclassified] < min(
        w for c, w in CATEGORY_WEIGHTS.items() if c is not Category.unclassified
    )
    question = score_issue(_issue(title="How do I configure the pool?", body=""), now=NOW)
    assert question.category.category is Category.question
    assert scores.urgency.score < question.urgency.score


@settings(max_examples=150, deadline=None)
@given(issues, st.sampled_from(STACK_TRACES))
def test_a_stack_trace_never_makes_a_defect_more_complex(issue: IssueRecord, trace: str) -> None:
    traced = issue.model_copy(update={"body": f"{issue.body or ''}\n\n{trace}\n"})
    for category in (Category.bug, Category.security, Category.performance):
        assert complexity(traced, category=category) <= complexity(issue, category=category)


SCOPE_PHRASES = [
    "The same problem appears in every module.",
    "It happens across the whole codebase.",
    "Several files need this change.",
    "This needs a new storage layer.",
]


@settings(max_examples=150, deadline=None)
@given(issues, st.sampled_from(SCOPE_PHRASES), st.sampled_from(CATEGORIES))
def test_a_wider_scope_never_makes_an_issue_simpler(
    issue: IssueRecord, phrase: str, category: Category
) -> None:
    wider = issue.model_copy(update={"body": f"{issue.body or ''}\n\n{phrase}\n"})
    assert complexity(wider, category=category) >= complexity(issue, category=category)


def test_easy_label_lowers_complexity() -> None:
    base = complexity(_issue(), category=Category.feature)
    easy = complexity(_issue(labels=["good first issue"]), category=Category.feature)
    assert easy == base - 1


def test_cost_table_spans_5k_to_120k_and_grows() -> None:
    costs = [cost_estimate(c) for c in range(1, 11)]
    assert costs[0] == 5_000 and costs[-1] == 120_000
    assert all(a < b for a, b in itertools.pairwise(costs))
    for bad in (0, 11, -1):
        with pytest.raises(ValueError, match="complexity"):
            cost_estimate(bad)


@pytest.mark.parametrize(
    ("tokens", "budget", "expected"),
    [
        (0, 100_000, 0.0),
        (50_000, 100_000, 0.5),
        (100_000, 100_000, 1.0),
        (250_000, 100_000, 1.0),
        (5_000, 0, 1.0),
        (-5, 100, 0.0),
    ],
)
def test_cost_penalty(tokens: int, budget: int, expected: float) -> None:
    assert cost_penalty(tokens, budget) == pytest.approx(expected)


@given(
    st.integers(min_value=0, max_value=10**7),
    st.integers(min_value=0, max_value=10**7),
    st.integers(min_value=1, max_value=10**7),
)
def test_cost_penalty_never_falls_as_tokens_rise(a: int, b: int, budget: int) -> None:
    low, high = sorted((a, b))
    assert 0.0 <= cost_penalty(low, budget) <= cost_penalty(high, budget) <= 1.0


# --------------------------------------------------------------------------- do not touch


@pytest.mark.parametrize(
    ("overrides", "opted_out", "reason_contains"),
    [
        ({"locked": True}, False, "locked"),
        ({"assignees": ["alice"]}, False, "@alice"),
        ({"assignees": ["alice", "bob"]}, False, "@bob"),
        ({"linked_pull_requests": 1}, False, "1 linked pull request"),
        ({"linked_pull_requests": 2}, False, "2 linked pull requests"),
        ({"labels": ["wontfix"]}, False, "wontfix"),
        ({"labels": ["status: won't fix"]}, False, "won't fix"),
        ({"labels": ["duplicate"]}, False, "duplicate"),
        ({"labels": ["invalid"]}, False, "invalid"),
        ({"labels": ["no bots"]}, False, "no bots"),
        ({"labels": ["no-bot"]}, False, "no-bot"),
        ({"labels": ["bot-free"]}, False, "bot-free"),
        ({"labels": ["Not Planned"]}, False, "Not Planned"),
        ({"state": "closed"}, False, "closed"),
        ({}, True, "repository opted out: topic says so"),
        ({"locked": True, "assignees": ["alice"]}, True, "repository opted out"),
    ],
)
def test_do_not_touch_reasons(
    overrides: dict[str, object], opted_out: bool, reason_contains: str
) -> None:
    reason = do_not_touch(
        _issue(**overrides), repo_opted_out=opted_out, opt_out_reason="topic says so"
    )
    assert reason is not None and reason_contains in reason


def test_clean_open_issue_may_be_touched() -> None:
    assert do_not_touch(_issue(labels=["bug", "help wanted", "good first issue"])) is None


def test_score_issue_carries_opt_out_and_budget() -> None:
    issue = _issue()
    small = score_issue(issue, now=NOW, budget_per_repo=10_000)
    large = score_issue(issue, now=NOW, budget_per_repo=1_000_000)
    assert small.cost_penalty > large.cost_penalty
    assert small.do_not_touch is None
    opted = score_issue(issue, now=NOW, repo_opted_out=True, opt_out_reason="enabled: false")
    assert opted.do_not_touch == "repository opted out: enabled: false"


# --------------------------------------------------------------------------- opt-out


@pytest.mark.parametrize(
    ("config", "topics", "expected"),
    [
        (None, [], None),
        ("", [], None),
        ("# only a comment\n", [], None),
        ("enabled: true\n", [], None),
        ("labels: [bug]\n", [], None),
        (None, ["python", "no-globallm"], "repository topic 'no-globallm'"),
        (None, ["GlobaLLM-OptOut"], "repository topic 'globallm-optout'"),
        ("enabled: false\n", [], ".github/globallm.yml sets enabled: false"),
        ("enabled: no\n", [], ".github/globallm.yml sets enabled: false"),
        ("Enabled: 'false'\n", [], ".github/globallm.yml sets enabled: false"),
        ("enabled: 0\n", [], ".github/globallm.yml sets enabled: false"),
        (
            "enabled: false\nreason: >\n  We review every PR by hand\n  and have no time.\n",
            [],
            ".github/globallm.yml sets enabled: false (We review every PR by hand and have no "
            "time.)",
        ),
    ],
)
def test_repository_opt_out(config: str | None, topics: list[str], expected: str | None) -> None:
    assert repository_opt_out(config, topics) == expected


@pytest.mark.parametrize(
    "config",
    ["enabled: [unclosed\n", "- enabled\n- false\n", "just a string", "a: b\n" * 20_000],
)
def test_unreadable_config_counts_as_opt_out(config: str) -> None:
    reason = repository_opt_out(config, [])
    assert reason is not None and "not a readable YAML mapping" in reason


def test_opt_out_reason_is_truncated() -> None:
    reason = repository_opt_out("enabled: false\nreason: " + "x" * 5_000 + "\n", [])
    assert reason is not None
    assert len(reason) < OPT_OUT_REASON_MAX_CHARS + 60


# --------------------------------------------------------------------------- simulated sanity


def test_simulated_issues_score_sensibly() -> None:
    from globallm_assets.sources.simulated import SimulatedWorld

    world = SimulatedWorld(seed=7, repos_per_language=4)
    scored = [
        score_issue(issue, now=NOW)
        for meta in world.repositories()
        for issue in world.issues(meta.full_name, state="all")
    ]
    assert len(scored) >= 200
    by_category: dict[Category, list[float]] = {}
    for s in scored:
        by_category.setdefault(s.category.category, []).append(s.urgency.score)
    mean = {c: statistics.mean(v) for c, v in by_category.items()}
    assert mean[Category.security] > mean[Category.bug] > mean[Category.feature]
    bugs = [s for s in scored if s.category.category is Category.bug]
    with_trace = [s.solvability.score for s in bugs if s.solvability.components["stack_trace"]]
    without = [s.solvability.score for s in bugs if not s.solvability.components["stack_trace"]]
    assert with_trace and without
    assert statistics.mean(with_trace) > statistics.mean(without)
    # Most simulated issues are closed or claimed; some open ones remain for agents.
    assert any(s.do_not_touch is None for s in scored)
    assert any(s.do_not_touch and "assigned" in s.do_not_touch for s in scored)
