from __future__ import annotations

import json
import math
from dataclasses import fields
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from globallm_assets.core.health import (
    ARCHIVED_SCORE_CAP,
    COMMITS_90D_THRESHOLD,
    CONTRIBUTORS_THRESHOLD,
    ISSUE_RATIO_PRIOR,
    MISSING_SIGNAL_VALUE,
    NO_CI_RUNS_VALUE,
    NO_ISSUE_TRAFFIC_VALUE,
    RECENT_ACTIVITY_HALF_LIFE_DAYS,
    HealthBreakdown,
    HealthWeights,
    capped_log,
    health_score,
)
from globallm_assets.core.models import ActivityStats, RepoMetadata

NOW = datetime(2025, 6, 1, tzinfo=UTC)
COMPONENTS = [
    f.name
    for f in fields(HealthBreakdown)
    if f.name not in {"score", "coverage", "archived", "missing"}
]

counts = st.integers(min_value=0, max_value=10**7)
maybe_counts = st.none() | st.integers(min_value=-5, max_value=10**7)
shares = st.none() | st.floats(allow_nan=True, allow_infinity=True)
flags = st.none() | st.booleans()

activities = st.builds(
    ActivityStats,
    commits_90d=maybe_counts,
    contributors=maybe_counts,
    top_contributor_share=shares,
    ci_runs_total=maybe_counts,
    ci_runs_passed=maybe_counts,
    issues_opened_90d=maybe_counts,
    issues_closed_90d=maybe_counts,
    maintainer_responses_90d=maybe_counts,
    has_readme=flags,
    has_contributing=flags,
)
metas = st.builds(
    RepoMetadata,
    full_name=st.just("octo/repo"),
    description=st.none() | st.text(max_size=5),
    license=st.none() | st.sampled_from(["MIT", "Apache-2.0", "NOASSERTION", ""]),
    archived=st.booleans(),
    open_issues=st.integers(min_value=-3, max_value=10**6),
    closed_issues=st.integers(min_value=-3, max_value=10**6),
    pushed_at=st.none()
    | st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2030, 1, 1)),
    readme=st.none() | st.text(max_size=5),
)
weights = st.builds(
    HealthWeights, **{name: st.floats(min_value=0.01, max_value=10) for name in COMPONENTS}
)


def _meta(**overrides: object) -> RepoMetadata:
    values: dict[str, object] = {
        "full_name": "octo/repo",
        "description": "a library",
        "license": "MIT",
        "open_issues": 10,
        "closed_issues": 90,
        "pushed_at": NOW - timedelta(days=3),
    }
    values.update(overrides)
    return RepoMetadata(**values)


def _activity(**overrides: object) -> ActivityStats:
    values: dict[str, object] = {
        "commits_90d": 30,
        "contributors": 8,
        "top_contributor_share": 0.5,
        "ci_runs_total": 50,
        "ci_runs_passed": 40,
        "issues_opened_90d": 10,
        "issues_closed_90d": 7,
        "maintainer_responses_90d": 9,
        "has_readme": True,
        "has_contributing": False,
    }
    values.update(overrides)
    return ActivityStats(**values)


@settings(max_examples=300, deadline=None)
@given(meta=metas, activity=activities, w=weights)
def test_score_and_components_stay_in_unit_interval_for_any_input(
    meta: RepoMetadata, activity: ActivityStats, w: HealthWeights
) -> None:
    result = health_score(meta, activity, w, now=NOW)
    for name in [*COMPONENTS, "score", "coverage"]:
        value = getattr(result, name)
        assert not math.isnan(value), name
        assert 0.0 <= value <= 1.0, (name, value)


@settings(max_examples=150, deadline=None)
@given(activity=activities, a=counts, b=counts)
def test_more_commits_never_lower_health(activity: ActivityStats, a: int, b: int) -> None:
    low, high = sorted((a, b))
    meta = _meta()
    before = health_score(meta, activity.model_copy(update={"commits_90d": low}), now=NOW)
    after = health_score(meta, activity.model_copy(update={"commits_90d": high}), now=NOW)
    assert after.score >= before.score


@settings(max_examples=150, deadline=None)
@given(activity=activities, total=st.integers(1, 10**5), a=counts, b=counts, extra=counts)
def test_more_passing_ci_runs_never_lower_health(
    activity: ActivityStats, total: int, a: int, b: int, extra: int
) -> None:
    low, high = sorted((min(a, total), min(b, total)))
    meta = _meta()

    def score(runs: int, passed: int) -> float:
        update = {"ci_runs_total": runs, "ci_runs_passed": passed}
        return health_score(meta, activity.model_copy(update=update), now=NOW).score

    assert score(total, high) >= score(total, low)
    # Extra runs that all passed do not hurt either.
    assert score(total + extra, low + extra) >= score(total, low)


@settings(max_examples=150, deadline=None)
@given(activity=activities, a=counts, b=counts)
def test_more_contributors_never_lower_health(activity: ActivityStats, a: int, b: int) -> None:
    low, high = sorted((a, b))
    meta = _meta()
    before = health_score(meta, activity.model_copy(update={"contributors": low}), now=NOW)
    after = health_score(meta, activity.model_copy(update={"contributors": high}), now=NOW)
    assert after.score >= before.score


@settings(max_examples=150, deadline=None)
@given(activity=activities, open_=counts, closed=counts, more=counts)
def test_closing_issues_helps_and_opening_issues_does_not(
    activity: ActivityStats, open_: int, closed: int, more: int
) -> None:
    def score(o: int, c: int) -> float:
        return health_score(_meta(open_issues=o, closed_issues=c), activity, now=NOW).score

    if open_ + closed == 0:
        open_ = 1  # zero known issues is the missing case, tested separately
    assert score(open_, closed + more) >= score(open_, closed)
    assert score(open_ + more, closed) <= score(open_, closed)


def test_fully_healthy_repository_scores_by_hand() -> None:
    meta = _meta(open_issues=0, closed_issues=1000)
    activity = _activity(
        commits_90d=COMMITS_90D_THRESHOLD,
        contributors=CONTRIBUTORS_THRESHOLD,
        top_contributor_share=0.0,
        ci_runs_total=10,
        ci_runs_passed=10,
    )
    result = health_score(meta, activity, now=NOW)
    issue_ratio = (1000 + ISSUE_RATIO_PRIOR / 2) / (1000 + ISSUE_RATIO_PRIOR)
    assert result.commit_velocity == pytest.approx(1.0)
    assert result.ci_pass_rate == pytest.approx(1.0)
    assert result.contributors == pytest.approx(1.0)
    assert result.issue_ratio == pytest.approx(issue_ratio)
    assert result.score == pytest.approx(0.4 + 0.2 * issue_ratio + 0.2 + 0.2)
    assert result.missing == []
    assert result.coverage == pytest.approx(1.0)


def test_missing_commit_count_takes_the_documented_value_and_stays_in_denominator() -> None:
    meta = _meta(open_issues=0, closed_issues=1000)
    activity = _activity(
        commits_90d=None,
        contributors=CONTRIBUTORS_THRESHOLD,
        top_contributor_share=0.0,
        ci_runs_total=10,
        ci_runs_passed=10,
    )
    result = health_score(meta, activity, now=NOW)
    issue_ratio = (1000 + ISSUE_RATIO_PRIOR / 2) / (1000 + ISSUE_RATIO_PRIOR)
    assert result.commit_velocity == MISSING_SIGNAL_VALUE
    assert result.score == pytest.approx(0.4 * MISSING_SIGNAL_VALUE + 0.2 * issue_ratio + 0.4)
    assert result.missing == ["commits_90d"]
    assert result.coverage == pytest.approx(0.6)


def test_nothing_known_scores_the_missing_value_and_lists_every_signal() -> None:
    meta = RepoMetadata(full_name="octo/repo")
    result = health_score(meta, ActivityStats(), now=NOW)
    for name in ("commit_velocity", "issue_ratio", "ci_pass_rate", "contributors"):
        assert getattr(result, name) == pytest.approx(MISSING_SIGNAL_VALUE)
    assert result.score == pytest.approx(MISSING_SIGNAL_VALUE)
    assert result.coverage == 0.0
    assert set(result.missing) == {
        "commits_90d",
        "issue_counts",
        "ci_runs",
        "contributors",
        "top_contributor_share",
        "issues_90d",
        "maintainer_responses_90d",
        "pushed_at",
        "has_readme",
        "has_contributing",
    }


def test_a_known_zero_is_worse_than_a_missing_signal() -> None:
    meta = _meta()
    zero = health_score(meta, _activity(commits_90d=0), now=NOW)
    unknown = health_score(meta, _activity(commits_90d=None), now=NOW)
    plenty = health_score(meta, _activity(commits_90d=COMMITS_90D_THRESHOLD), now=NOW)
    assert zero.score < unknown.score < plenty.score


def test_nan_contributor_share_is_treated_as_missing() -> None:
    result = health_score(_meta(), _activity(top_contributor_share=math.nan), now=NOW)
    assert "top_contributor_share" in result.missing
    assert not math.isnan(result.score)


def test_repository_without_ci_runs_scores_no_ci_value_and_is_not_missing() -> None:
    result = health_score(_meta(), _activity(ci_runs_total=0, ci_runs_passed=0), now=NOW)
    assert result.ci_pass_rate == NO_CI_RUNS_VALUE
    assert "ci_runs" not in result.missing


def test_more_passes_than_runs_is_clamped_to_a_perfect_rate() -> None:
    result = health_score(_meta(), _activity(ci_runs_total=5, ci_runs_passed=9), now=NOW)
    assert result.ci_pass_rate == 1.0


@pytest.mark.parametrize(
    ("opened", "closed", "responses", "resolution", "response"),
    [
        (10, 5, 2, 0.5, 0.2),
        (4, 12, 8, 1.0, 1.0),
        (0, 0, 0, NO_ISSUE_TRAFFIC_VALUE, NO_ISSUE_TRAFFIC_VALUE),
        (0, 3, 0, 1.0, NO_ISSUE_TRAFFIC_VALUE),
        (0, 3, 2, 1.0, 1.0),
    ],
)
def test_issue_resolution_and_maintainer_response(
    opened: int, closed: int, responses: int, resolution: float, response: float
) -> None:
    activity = _activity(
        issues_opened_90d=opened, issues_closed_90d=closed, maintainer_responses_90d=responses
    )
    result = health_score(_meta(), activity, now=NOW)
    assert result.issue_resolution == pytest.approx(resolution)
    assert result.maintainer_response == pytest.approx(response)


@pytest.mark.parametrize(
    ("pushed_at", "expected"),
    [
        (NOW, 1.0),
        (NOW - timedelta(days=RECENT_ACTIVITY_HALF_LIFE_DAYS), 0.5),
        (NOW - timedelta(days=2 * RECENT_ACTIVITY_HALF_LIFE_DAYS), 0.25),
        (NOW + timedelta(days=5), 1.0),  # clock skew never scores above fresh
        (datetime(2025, 6, 1) - timedelta(days=RECENT_ACTIVITY_HALF_LIFE_DAYS), 0.5),  # naive=UTC
    ],
)
def test_recent_activity_halves_every_half_life(pushed_at: datetime, expected: float) -> None:
    result = health_score(_meta(pushed_at=pushed_at), _activity(), now=NOW)
    assert result.recent_activity == pytest.approx(expected)


def test_documentation_counts_readme_contributing_description_and_license() -> None:
    full = health_score(
        _meta(description="x", license="MIT"),
        _activity(has_readme=True, has_contributing=True),
        now=NOW,
    )
    assert full.documentation == 1.0
    bare = health_score(
        _meta(description=None, license="NOASSERTION"),
        _activity(has_readme=False, has_contributing=False),
        now=NOW,
    )
    assert bare.documentation == 0.0
    # The README text itself answers has_readme when the source left the flag unknown.
    fallback = health_score(
        _meta(description=None, license=None, readme="# Hello"),
        _activity(has_readme=None, has_contributing=False),
        now=NOW,
    )
    assert fallback.documentation == pytest.approx(0.25)
    assert "has_readme" not in fallback.missing


def test_archived_repository_is_capped_but_keeps_its_components() -> None:
    activity = _activity(commits_90d=500, ci_runs_passed=50, contributors=100)
    live = health_score(_meta(), activity, now=NOW)
    archived = health_score(_meta(archived=True), activity, now=NOW)
    assert live.score > ARCHIVED_SCORE_CAP
    assert archived.score == ARCHIVED_SCORE_CAP
    assert archived.archived
    assert archived.commit_velocity == live.commit_velocity


@settings(max_examples=100, deadline=None)
@given(meta=metas, activity=activities, component=st.sampled_from(COMPONENTS))
def test_all_weight_on_one_component_makes_the_score_that_component(
    meta: RepoMetadata, activity: ActivityStats, component: str
) -> None:
    meta = meta.model_copy(update={"archived": False})
    w = HealthWeights(**{name: 1.0 if name == component else 0.0 for name in COMPONENTS})
    result = health_score(meta, activity, w, now=NOW)
    assert result.score == pytest.approx(getattr(result, component))


@settings(max_examples=100, deadline=None)
@given(meta=metas, activity=activities, w=weights, factor=st.floats(0.01, 100))
def test_only_weight_ratios_matter(
    meta: RepoMetadata, activity: ActivityStats, w: HealthWeights, factor: float
) -> None:
    scaled = HealthWeights(**{name: getattr(w, name) * factor for name in COMPONENTS})
    assert health_score(meta, activity, scaled, now=NOW).score == pytest.approx(
        health_score(meta, activity, w, now=NOW).score
    )


def test_giving_weight_to_a_default_zero_component_changes_the_score() -> None:
    stale = _meta(pushed_at=NOW - timedelta(days=720))
    default = health_score(stale, _activity(), now=NOW)
    weighted = health_score(stale, _activity(), HealthWeights(recent_activity=1.0), now=NOW)
    assert weighted.score < default.score


@pytest.mark.parametrize(
    "bad",
    [
        {"commit_velocity": -0.1},
        {"ci_pass_rate": math.nan},
        dict.fromkeys(COMPONENTS, 0.0),
    ],
)
def test_invalid_weights_are_rejected(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        HealthWeights(**bad)


def test_breakdown_serialises_to_json() -> None:
    result = health_score(_meta(), _activity(contributors=None), now=NOW)
    payload = json.loads(json.dumps(result.as_dict()))
    assert payload["score"] == result.score
    assert payload["missing"] == ["contributors"]


@pytest.mark.parametrize(
    ("value", "threshold", "expected"),
    [(0, 10, 0.0), (10, 10, 1.0), (10**9, 10, 1.0), (-4, 10, 0.0), (3, 15, 0.5)],
)
def test_capped_log_is_criticality_scores_normalisation(
    value: float, threshold: float, expected: float
) -> None:
    assert capped_log(value, threshold) == pytest.approx(expected)
