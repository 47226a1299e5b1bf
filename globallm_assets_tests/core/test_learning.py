"""Acceptance learned from pull-request outcomes: the Beta posterior and ranking signal
(properties), the evidence rules, opt-out requests, and the acceptance term of the priority."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from globallm_assets.core.learning import (
    LearningPrior,
    PullRequestOutcome,
    Remark,
    evidence,
    learn,
    opt_out_request,
    posterior,
    signal,
)
from globallm_assets.core.priority import rank, rank_pandas
from globallm_assets.core.weights import PriorityWeights

NOW = datetime(2026, 6, 1, tzinfo=UTC)
counts = st.integers(min_value=0, max_value=500)
priors = st.builds(
    LearningPrior,
    mean=st.floats(min_value=0.05, max_value=0.95),
    strength=st.floats(min_value=0.5, max_value=50.0),
)


@given(counts, counts, priors)
def test_signal_and_posterior_are_bounded(merged: int, rejected: int, prior) -> None:
    assert 0.0 < posterior(merged, rejected, prior) < 1.0
    assert 0.0 <= signal(merged, rejected, prior) <= 1.0


@given(counts, counts, priors)
def test_merges_never_lower_and_rejections_never_raise_the_signal(
    merged: int, rejected: int, prior
) -> None:
    base = signal(merged, rejected, prior)
    assert signal(merged + 1, rejected, prior) > base or base == 1.0
    assert signal(merged, rejected + 1, prior) < base or base == 0.0


@given(st.integers(min_value=0, max_value=5), st.integers(min_value=0, max_value=5), priors)
def test_with_little_evidence_the_prior_dominates(merged: int, rejected: int, prior) -> None:
    seen = merged + rejected
    assert (
        abs(signal(merged, rejected, prior) - 0.5) <= seen / (2 * (prior.strength + seen)) + 1e-12
    )


@given(priors)
def test_no_evidence_and_evidence_as_expected_are_neutral(prior) -> None:
    assert signal(0, 0, prior) == pytest.approx(0.5)
    # mean·k merges and (1 − mean)·k rejections: exactly what the prior expects.
    k = 10.0
    assert signal(prior.mean * k, (1 - prior.mean) * k, prior) == pytest.approx(0.5)


def test_one_rejection_does_not_condemn_a_repository() -> None:
    prior = LearningPrior()  # mean 0.5, worth 4 pull requests
    assert signal(0, 1, prior) == pytest.approx(0.4)
    assert signal(0, 5, prior) < 0.25 < signal(0, 1, prior)
    assert signal(3, 1, prior) > 0.5  # a rejection among merges is just noise


def test_bad_priors_are_refused() -> None:
    for kwargs in ({"mean": 0.0}, {"mean": 1.0}, {"strength": 0.0}, {"ignored_weight": 2.0}):
        with pytest.raises(ValueError):
            LearningPrior(**kwargs)
    with pytest.raises(ValueError):
        posterior(-1, 0, LearningPrior())


def _pr(number: int, state: str, days_ago: float, *remarks: tuple[str, str]) -> PullRequestOutcome:
    return PullRequestOutcome(
        number, state, NOW - timedelta(days=days_ago), tuple(Remark(a, b) for a, b in remarks)
    )


def test_evidence_counts_silence_as_a_soft_rejection() -> None:
    prior = LearningPrior(ignored_after_days=30, ignored_weight=0.5)
    prs = [
        _pr(1, "merged", 90),
        _pr(2, "closed", 80),
        _pr(3, "open", 60),  # silent for two months: ignored
        _pr(4, "open", 60, ("globallm", "Heads-up from GlobaLLM: …")),  # only our own words
        _pr(5, "open", 60, ("alice", "Looking at this next week")),  # being decided
        _pr(6, "open", 2),  # too recent to tell
    ]
    found = evidence(prs, NOW, prior, ourselves=["GlobaLLM"])
    assert (found.merged, found.closed, found.ignored, found.pending) == (1, 1, 2, 2)
    assert found.rejected == 1 + 2 * 0.5


@pytest.mark.parametrize(
    "text",
    [
        "Please, no bot PRs in this repository.",
        "We do not accept AI-generated pull requests.",
        "don't send us automated patches",
        "Please stop opening these GlobaLLM things",
        "We're not accepting LLM contributions at the moment",
        "Bot pull requests are not welcome here",
        "How do we opt out of this?",
    ],
)
def test_requests_for_no_bot_pull_requests_are_opt_outs(text: str) -> None:
    assert opt_out_request(text, closed_unmerged=False) is not None


@pytest.mark.parametrize(
    "text",
    [
        "This adds an unwanted dependency on requests.",
        "Looks good, but please add a changelog entry.",
        "Thanks! The robot test is flaky, re-running.",
        "Request changes or close it to stop that.",  # GlobaLLM's own MEDIUM notice
        "Please review it like any other contribution; close it if it is not wanted.",
    ],
)
def test_ordinary_review_text_is_not_an_opt_out(text: str) -> None:
    assert opt_out_request(text, closed_unmerged=False) is None


def test_unwanted_counts_only_on_a_pull_request_closed_unmerged() -> None:
    text = "Closing: unwanted change."
    assert opt_out_request(text, closed_unmerged=False) is None
    assert opt_out_request(text, closed_unmerged=True) == "Closing: unwanted change."


def test_learn_names_who_asked_and_ignores_our_own_words() -> None:
    prior = LearningPrior()
    ours = _pr(1, "closed", 5, ("globallm", "Please stop sending bot PRs (quoting a user)"))
    assert learn([ours], NOW, prior, ourselves=["globallm"]).opt_out is None
    theirs = _pr(2, "closed", 3, ("carol", "No bot pull requests here, thanks. " + "x " * 200))
    result = learn([ours, theirs], NOW, prior, ourselves=["globallm"])
    assert result.opt_out is not None
    assert result.opt_out.startswith("carol on pull request #2: “No bot pull requests here")
    assert len(result.opt_out) < 220  # a quote, not the whole comment
    assert result.evidence.closed == 2 and result.signal < 0.5


# --------------------------------------------------------------------------- the priority term

BASE = {
    "repository": ["a/x", "b/y", "c/z"],
    "number": [1, 1, 1],
    "health": [0.5] * 3,
    "impact": [0.5] * 3,
    "solvability": [0.5] * 3,
    "urgency": [0.5] * 3,
    "redundancy_penalty": [0.0] * 3,
    "cost_penalty": [0.0] * 3,
    "do_not_touch": [False] * 3,
}


def test_acceptance_lifts_merging_repositories_and_lowers_rejecting_ones() -> None:
    weights = PriorityWeights(acceptance=0.2)
    frame = pl.DataFrame({**BASE, "acceptance": [0.9, None, 0.1]})
    ranked = rank(frame, weights)
    by_repo = {r["repository"]: r for r in ranked.iter_rows(named=True)}
    neutral = by_repo["b/y"]["priority"]
    assert by_repo["b/y"]["c_acceptance"] == 0.0  # unknown: neutral
    assert by_repo["a/x"]["c_acceptance"] == pytest.approx(0.16)
    assert by_repo["c/z"]["c_acceptance"] == pytest.approx(-0.16)
    assert by_repo["a/x"]["priority"] == pytest.approx(neutral + 0.16)
    assert by_repo["c/z"]["priority"] == pytest.approx(neutral - 0.16)
    pandas = rank_pandas(pd.DataFrame(frame.to_dict(as_series=False)), weights)
    assert pandas["priority"].tolist() == pytest.approx(ranked["priority"].to_list())


def test_a_frame_without_acceptance_ranks_as_neutral() -> None:
    without = rank(pl.DataFrame(BASE))
    neutral = rank(pl.DataFrame({**BASE, "acceptance": [0.5] * 3}))
    assert without["priority"].to_list() == neutral["priority"].to_list()
    assert without["c_acceptance"].to_list() == [0.0] * 3
