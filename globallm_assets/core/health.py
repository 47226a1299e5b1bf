"""HealthScore: is a repository alive and looked after well enough for agents to work on?

Formula
-------
Every component ``c_i`` lies in [0, 1]; the score is their weighted mean::

    score = sum(w_i * c_i) / sum(w_i)                     (weights from ``HealthWeights``)
    score = min(score, ARCHIVED_SCORE_CAP)                if the repository is archived

Default weights: commit_velocity 0.4, issue_ratio 0.2, ci_pass_rate 0.2, contributors 0.2. The
other components (issue_resolution, maintainer_response, recent_activity, documentation) are
computed and stored but weigh 0 unless a caller gives them weight.

Components (counts are log-scaled against a cap, as criticality_score does:
``capped_log(v, T) = min(1, log(1 + v) / log(1 + T))``, so the first few commits matter more
than the hundredth and no single signal can dominate):

- ``commit_velocity`` = ``capped_log(commits_90d, COMMITS_90D_THRESHOLD)``. The 90-day window
  follows OpenSSF Scorecard's Maintained check.
- ``issue_ratio`` = share of issues that are closed, smoothed by ``ISSUE_RATIO_PRIOR``
  pseudo-issues (half open, half closed) so one open issue in a new repository is not a 0:
  ``(closed + P/2) / (open + closed + P)``. It falls as the open-issue ratio rises.
- ``ci_pass_rate`` = ``ci_runs_passed / ci_runs_total`` (Scorecard's CI-Tests idea). A known
  total of zero runs means "no CI" and scores ``NO_CI_RUNS_VALUE``: agents need CI to validate
  a fix, and Scorecard likewise counts changes merged without CI as failures.
- ``contributors`` = ``(1 - DIVERSITY_SHARE) * capped_log(contributors, CONTRIBUTORS_THRESHOLD)
  + DIVERSITY_SHARE * (1 - top_contributor_share)``: many people, and not one of them doing
  all the work (the bus factor).
- ``issue_resolution`` = ``min(1, issues_closed_90d / issues_opened_90d)``;
  ``maintainer_response`` = ``min(1, maintainer_responses_90d / issues_opened_90d)``. With no
  issue opened in 90 days a positive numerator scores 1 and zero scores
  ``NO_ISSUE_TRAFFIC_VALUE`` (nothing to judge either way).
- ``recent_activity`` = ``0.5 ** (days_since_push / RECENT_ACTIVITY_HALF_LIFE_DAYS)``.
- ``documentation`` = mean of four 0/1 signals: README, CONTRIBUTING, description, license.
  A ``None`` description or license counts as absent (GitHub reports both as null when there
  is none), while an unknown README/CONTRIBUTING is a missing signal.

Missing signals
---------------
``None`` in ``ActivityStats`` (or ``pushed_at``, or zero known issues in ``RepoMetadata``) means
the source could not tell. Such a signal takes ``MISSING_SIGNAL_VALUE`` (0.4, a little below
neutral, so knowing a mediocre value beats not knowing), it stays in the denominator, and its
name is listed in ``HealthBreakdown.missing``. ``coverage`` is the share of the weight carried
by components with no missing input, so callers can demand evidence. Non-finite or negative
inputs are treated as missing / zero respectively rather than allowed to produce NaN.

Archived repositories keep their components but their score is capped at
``ARCHIVED_SCORE_CAP``: nobody will merge an agent's pull request there.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from globallm_assets.core.models import ActivityStats, RepoMetadata
from globallm_assets.core.weights import HealthWeights

# 90 commits in 90 days (about one a day) saturates velocity; Scorecard gives full marks for
# weekly activity, but a project agents should invest in ought to move faster than that.
COMMITS_90D_THRESHOLD = 90
# Pseudo-issues added to the open/closed counts (half of each) to damp tiny samples.
ISSUE_RATIO_PRIOR = 4.0
# Beyond ~25 people the bus factor stops being the risk.
CONTRIBUTORS_THRESHOLD = 25
# Part of the contributors component given to diversity (1 - top contributor's share).
DIVERSITY_SHARE = 0.3
# A repository untouched for one half-life scores 0.5 on recent activity.
RECENT_ACTIVITY_HALF_LIFE_DAYS = 90.0
# Value of a signal the source could not provide (see module docstring).
MISSING_SIGNAL_VALUE = 0.4
# Value of ci_pass_rate when the source says there were no CI runs at all.
NO_CI_RUNS_VALUE = 0.0
# Value of issue_resolution / maintainer_response when no issue was opened in the window.
NO_ISSUE_TRAFFIC_VALUE = 0.5
# Health ceiling of archived repositories.
ARCHIVED_SCORE_CAP = 0.1

# SPDX placeholders GitHub uses for "a license file we could not identify".
_UNKNOWN_LICENSES = frozenset({"", "NOASSERTION", "OTHER"})


def capped_log(value: float, threshold: float) -> float:
    """criticality_score's normalisation: ``log(1+v)/log(1+T)`` clipped to [0, 1]."""
    if threshold <= 0:
        raise ValueError("threshold must be positive")
    if not math.isfinite(value) or value <= 0:
        return 1.0 if value == math.inf else 0.0
    return min(1.0, math.log1p(value) / math.log1p(threshold))


@dataclass(frozen=True, slots=True)
class HealthBreakdown:
    """The score, every component, and which inputs were missing.

    ``missing`` names inputs, not components: ``commits_90d``, ``issue_counts``, ``ci_runs``,
    ``contributors``, ``top_contributor_share``, ``issues_90d``, ``maintainer_responses_90d``,
    ``pushed_at``, ``has_readme``, ``has_contributing``.
    """

    score: float
    commit_velocity: float
    issue_ratio: float
    ci_pass_rate: float
    contributors: float
    issue_resolution: float
    maintainer_response: float
    recent_activity: float
    documentation: float
    coverage: float
    archived: bool
    missing: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class _Collector:
    """Resolves optional inputs, remembering which were missing and for which component."""

    def __init__(self) -> None:
        self.missing: list[str] = []
        self.incomplete: set[str] = set()

    def lack(self, signal: str, component: str) -> float:
        if signal not in self.missing:
            self.missing.append(signal)
        self.incomplete.add(component)
        return MISSING_SIGNAL_VALUE


def _count(value: int | None) -> int | None:
    return None if value is None else max(0, int(value))


def _ratio_capped(numerator: int, denominator: int) -> float:
    if denominator == 0:
        # Nothing new came in: clearing old issues is full marks, silence is neutral.
        return 1.0 if numerator > 0 else NO_ISSUE_TRAFFIC_VALUE
    return min(1.0, numerator / denominator)


def health_score(
    meta: RepoMetadata,
    activity: ActivityStats,
    weights: HealthWeights = HealthWeights(),
    *,
    now: datetime | None = None,
) -> HealthBreakdown:
    """Score one repository's health (formula in the module docstring)."""
    got = _Collector()

    commits = _count(activity.commits_90d)
    commit_velocity = (
        got.lack("commits_90d", "commit_velocity")
        if commits is None
        else capped_log(commits, COMMITS_90D_THRESHOLD)
    )

    open_issues, closed_issues = max(0, meta.open_issues), max(0, meta.closed_issues)
    if open_issues + closed_issues == 0:
        issue_ratio = got.lack("issue_counts", "issue_ratio")
    else:
        issue_ratio = (closed_issues + ISSUE_RATIO_PRIOR / 2) / (
            open_issues + closed_issues + ISSUE_RATIO_PRIOR
        )

    runs, passed = _count(activity.ci_runs_total), _count(activity.ci_runs_passed)
    if runs is None or passed is None:
        ci_pass_rate = got.lack("ci_runs", "ci_pass_rate")
    elif runs == 0:
        ci_pass_rate = NO_CI_RUNS_VALUE
    else:
        ci_pass_rate = min(passed, runs) / runs

    people = _count(activity.contributors)
    count_part = (
        got.lack("contributors", "contributors")
        if people is None
        else capped_log(people, CONTRIBUTORS_THRESHOLD)
    )
    share = activity.top_contributor_share
    if share is None or not math.isfinite(share):
        diversity_part = got.lack("top_contributor_share", "contributors")
    else:
        diversity_part = 1.0 - min(1.0, max(0.0, share))
    contributors = (1 - DIVERSITY_SHARE) * count_part + DIVERSITY_SHARE * diversity_part

    opened, closed = _count(activity.issues_opened_90d), _count(activity.issues_closed_90d)
    if opened is None or closed is None:
        issue_resolution = got.lack("issues_90d", "issue_resolution")
    else:
        issue_resolution = _ratio_capped(closed, opened)
    responses = _count(activity.maintainer_responses_90d)
    if responses is None or opened is None:
        maintainer_response = got.lack(
            "maintainer_responses_90d" if responses is None else "issues_90d",
            "maintainer_response",
        )
    else:
        maintainer_response = _ratio_capped(responses, opened)

    if meta.pushed_at is None:
        recent_activity = got.lack("pushed_at", "recent_activity")
    else:
        recent_activity = _decay(meta.pushed_at, now or datetime.now(UTC))

    has_readme = activity.has_readme
    if has_readme is None and meta.readme is not None:
        has_readme = bool(meta.readme.strip())
    doc_parts = [
        got.lack("has_readme", "documentation") if has_readme is None else float(has_readme),
        got.lack("has_contributing", "documentation")
        if activity.has_contributing is None
        else float(activity.has_contributing),
        float(bool(meta.description and meta.description.strip())),
        float(meta.license is not None and meta.license.strip().upper() not in _UNKNOWN_LICENSES),
    ]
    documentation = sum(doc_parts) / len(doc_parts)

    components = {
        "commit_velocity": commit_velocity,
        "issue_ratio": issue_ratio,
        "ci_pass_rate": ci_pass_rate,
        "contributors": contributors,
        "issue_resolution": issue_resolution,
        "maintainer_response": maintainer_response,
        "recent_activity": recent_activity,
        "documentation": documentation,
    }
    norm = weights.normalized()
    score = sum(norm[name] * value for name, value in components.items())
    coverage = sum(norm[name] for name in components if name not in got.incomplete)
    if meta.archived:
        score = min(score, ARCHIVED_SCORE_CAP)
    return HealthBreakdown(
        score=min(1.0, max(0.0, score)),
        **components,
        coverage=min(1.0, max(0.0, coverage)),
        archived=meta.archived,
        missing=got.missing,
    )


def _decay(pushed_at: datetime, now: datetime) -> float:
    # Sources may hand over naive timestamps; GitHub's are UTC.
    if pushed_at.tzinfo is None:
        pushed_at = pushed_at.replace(tzinfo=UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    days = max(0.0, (now - pushed_at).total_seconds() / 86_400)
    return 0.5 ** (days / RECENT_ACTIVITY_HALF_LIFE_DAYS)
