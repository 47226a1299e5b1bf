"""Learning from pull-request outcomes: how willing a repository is to take automated fixes.

Evidence
--------
Each pull request GlobaLLM opened in a repository counts once:

- merged → one acceptance;
- closed without merging → one rejection;
- open, with no word from anyone but GlobaLLM, for ``ignored_after_days`` → ``ignored_weight``
  of a rejection (silence is a soft no; a reviewed or commented one is still being decided);
- any other open pull request → nothing yet.

Acceptance (Beta–Bernoulli)
---------------------------
With a Beta(α, β) prior of mean m and strength n₀ (α = m·n₀, β = (1 − m)·n₀, i.e. n₀ pull
requests' worth of belief that a repository merges a share m of them), the posterior mean after
``a`` acceptances and ``r`` (weighted) rejections is::

    p = (α + a) / (α + β + a + r)

The ranking gets the deviation from the prior, scaled into [0, 1] with 0.5 neutral::

    signal = 0.5 + (p − m) / (2·max(m, 1 − m))

so no evidence (or evidence exactly as expected) changes nothing, the signal is monotone (more
merges never lower it, more rejections never raise it) and bounded, and with little evidence the
prior dominates: |signal − 0.5| ≤ k / (2·(n₀ + k)) after k pull requests. With the defaults
(m 0.5, n₀ 4) one rejection moves the signal from 0.5 to 0.4; it takes a run of them to push a
repository far down, and merges lift it the same way. ``core/priority.py`` turns the signal into
the term wA·(2·signal − 1).

Opt-out by request
------------------
A maintainer asking, in a review or comment on one of GlobaLLM's pull requests, for no bot /
automated / AI pull requests (:data:`OPT_OUT_PATTERNS`) opts the repository out; so does one who
closes a pull request calling it unwanted or spam (:data:`UNWANTED_PATTERNS`, only on pull
requests closed without merging: "unwanted" in an open review usually means a line of code).
GlobaLLM's own comments never count.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

_BOT = r"(?:bot|robot|automated|auto-?generated|machine-generated|ai|a\.i\.|llm|globallm)"
_PRS = r"(?:prs?|pull[- ]requests?|patch(?:es)?|contributions?|changes)"

# Phrases that ask for no automated pull requests at all, wherever they are said.
OPT_OUT_PATTERNS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        rf"\bno (?:more )?{_BOT}[- ]?(?:generated |written |authored )?{_PRS}",
        rf"\b(?:do not|don't|dont|never|please stop|stop) (?:send|open|submit|creat)\w*"
        rf"(?: \w+){{0,3}} {_BOT}\b",
        rf"\b(?:do not|don't|dont|won't|will not|cannot|can't) (?:accept|want|merge|take)\w*"
        rf"(?: \w+){{0,2}} {_BOT}[- ]?(?:generated |written )?{_PRS}",
        rf"\bnot (?:accepting|taking|merging|welcoming) {_BOT}",
        rf"\b{_BOT}[- ]?(?:generated |written )?{_PRS} (?:are|is) not (?:welcome|wanted|accepted)",
        r"\bopt(?:ed|ing)?[- ]?out\b",
    )
)
# Phrases that reject a pull request as unwanted: an opt-out only when it was closed unmerged.
UNWANTED_PATTERNS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(pattern, re.IGNORECASE)
    for pattern in (r"\bunwanted\b", r"\bnot wanted\b", r"\bspam(?:my)?\b", r"\bunsolicited\b")
)
QUOTE_CHARS = 160


@dataclass(frozen=True, slots=True)
class LearningPrior:
    """The prior and the weight of silence (settings ``learning.*``)."""

    mean: float = 0.5
    strength: float = 4.0
    ignored_after_days: float = 30.0
    ignored_weight: float = 0.5

    def __post_init__(self) -> None:
        if not 0.0 < self.mean < 1.0:
            raise ValueError(f"prior mean must be in (0, 1): {self.mean!r}")
        if not self.strength > 0.0:
            raise ValueError(f"prior strength must be > 0: {self.strength!r}")
        if self.ignored_after_days < 0 or not 0.0 <= self.ignored_weight <= 1.0:
            raise ValueError("ignored_after_days must be >= 0 and ignored_weight in [0, 1]")


@dataclass(frozen=True, slots=True)
class Remark:
    """A review or comment on a pull request."""

    author: str
    body: str


@dataclass(frozen=True, slots=True)
class PullRequestOutcome:
    number: int
    state: str  # open | merged | closed
    opened_at: datetime
    remarks: tuple[Remark, ...] = ()


@dataclass(frozen=True, slots=True)
class Evidence:
    merged: int = 0
    closed: int = 0
    ignored: int = 0
    pending: int = 0
    rejected: float = 0.0  # closed + ignored · ignored_weight


@dataclass(frozen=True, slots=True)
class Acceptance:
    evidence: Evidence
    acceptance: float  # posterior mean p
    signal: float  # 0.5 neutral, in [0, 1]
    opt_out: str | None  # why the repository asked to be left alone, if it did


def posterior(accepted: float, rejected: float, prior: LearningPrior) -> float:
    """Posterior mean share of automated pull requests the repository merges."""
    if accepted < 0 or rejected < 0:
        raise ValueError("evidence cannot be negative")
    alpha = prior.mean * prior.strength
    beta = (1.0 - prior.mean) * prior.strength
    return (alpha + accepted) / (alpha + beta + accepted + rejected)


def signal(accepted: float, rejected: float, prior: LearningPrior) -> float:
    """The posterior's deviation from the prior, in [0, 1] with 0.5 neutral (module docstring)."""
    shift = (posterior(accepted, rejected, prior) - prior.mean) / (
        2.0 * max(prior.mean, 1.0 - prior.mean)
    )
    return min(1.0, max(0.0, 0.5 + shift))


def _maintainer_remarks(outcome: PullRequestOutcome, ourselves: frozenset[str]) -> list[Remark]:
    return [r for r in outcome.remarks if r.author.lower() not in ourselves and r.body.strip()]


def evidence(
    outcomes: Iterable[PullRequestOutcome],
    now: datetime,
    prior: LearningPrior,
    *,
    ourselves: Iterable[str] = (),
) -> Evidence:
    """Count one repository's pull requests (module docstring, Evidence)."""
    selves = frozenset(name.lower() for name in ourselves)
    silent_since = now - timedelta(days=prior.ignored_after_days)
    merged = closed = ignored = pending = 0
    for outcome in outcomes:
        if outcome.state == "merged":
            merged += 1
        elif outcome.state == "closed":
            closed += 1
        elif outcome.opened_at <= silent_since and not _maintainer_remarks(outcome, selves):
            ignored += 1
        else:
            pending += 1
    return Evidence(merged, closed, ignored, pending, closed + ignored * prior.ignored_weight)


def _quote(text: str, match: re.Match[str]) -> str:
    flat = " ".join(text.split())
    if len(flat) <= QUOTE_CHARS:
        return flat
    start = max(0, min(match.start(), len(flat) - QUOTE_CHARS))
    return ("…" if start else "") + flat[start : start + QUOTE_CHARS].strip() + "…"


def opt_out_request(text: str, *, closed_unmerged: bool) -> str | None:
    """The quoted request when ``text`` asks for no automated pull requests (or, on a pull
    request closed without merging, calls it unwanted); None otherwise."""
    flat = " ".join(text.split())
    patterns = OPT_OUT_PATTERNS + (UNWANTED_PATTERNS if closed_unmerged else ())
    for pattern in patterns:
        match = pattern.search(flat)
        if match:
            return _quote(flat, match)
    return None


def learn(
    outcomes: Iterable[PullRequestOutcome],
    now: datetime,
    prior: LearningPrior,
    *,
    ourselves: Iterable[str] = (),
) -> Acceptance:
    """Acceptance, ranking signal and any opt-out request of one repository."""
    items = list(outcomes)
    selves = frozenset(name.lower() for name in ourselves)
    found = evidence(items, now, prior, ourselves=selves)
    opt_out = None
    for outcome in sorted(items, key=lambda o: o.opened_at, reverse=True):
        for remark in _maintainer_remarks(outcome, selves):
            quote = opt_out_request(remark.body, closed_unmerged=outcome.state == "closed")
            if quote is not None:
                opt_out = f"{remark.author} on pull request #{outcome.number}: “{quote}”"
                break
        if opt_out:
            break
    return Acceptance(
        evidence=found,
        acceptance=posterior(found.merged, found.rejected, prior),
        signal=signal(found.merged, found.rejected, prior),
        opt_out=opt_out,
    )
