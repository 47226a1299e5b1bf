"""Learn from what became of GlobaLLM's pull requests (``core/learning.py``): per repository
acceptance for the ranking, and opt-outs maintainers asked for.

Runs after every poll of the forge (``contribute.refresh_outcomes``). The learned signal enters
the priority at the next ranking (``issue_rankings.c_acceptance``); an
opt-out takes effect at once: the repository's open issues become do-not-touch and lose their
priority, claims and the forge's etiquette check skip it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from globallm_assets.core.learning import LearningPrior, PullRequestOutcome, Remark, learn
from globallm_assets.settings import Settings

log = logging.getLogger(__name__)


def learning_prior(settings: Settings) -> LearningPrior:
    cfg = settings.learning
    return LearningPrior(
        mean=cfg.prior_mean,
        strength=cfg.prior_strength,
        ignored_after_days=cfg.ignored_after_days,
        ignored_weight=cfg.ignored_weight,
    )


@dataclass
class LearningReport:
    signals: dict[str, float] = field(default_factory=dict)  # repository → ranking signal
    opted_out: dict[str, str] = field(default_factory=dict)  # newly: repository → reason
    issues_left_alone: int = 0  # open issues that became do-not-touch


def _remarks(row: dict[str, Any]) -> tuple[Remark, ...]:
    items = [*(row["reviews"] or []), *(row["review_comments"] or [])]
    return tuple(
        Remark(str(item.get("author") or ""), str(item.get("body") or "")) for item in items
    )


def _ourselves(settings: Settings, rows: list[dict[str, Any]]) -> set[str]:
    """GlobaLLM's own names on this repository's pull requests: configured ones, and the owner
    of every fork its branches were pushed from."""
    names = set(settings.learning.self_authors)
    for row in rows:
        head = row["head_repository"] or ""
        if head.lower() != row["repository"].lower() and "/" in head:
            names.add(head.split("/", 1)[0])
    return names


def learn_from_outcomes(settings: Settings, dsn: str) -> LearningReport:
    """Recompute every repository's acceptance from its pull requests, in one transaction."""
    from globallm_assets.store import learning as store
    from globallm_assets.store.db import server_now, transaction

    prior = learning_prior(settings)
    report = LearningReport()
    with transaction(dsn) as conn:
        now = server_now(conn)
        learned = []
        for repository, rows in store.pull_requests_by_repository(conn).items():
            outcomes = [
                PullRequestOutcome(row["number"], row["state"], row["opened_at"], _remarks(row))
                for row in rows
            ]
            result = learn(outcomes, now, prior, ourselves=_ourselves(settings, rows))
            found = result.evidence
            learned.append(
                store.AcceptanceRow(
                    repository=repository,
                    merged=found.merged,
                    closed=found.closed,
                    ignored=found.ignored,
                    pending=found.pending,
                    acceptance=result.acceptance,
                    signal=result.signal,
                )
            )
            report.signals[repository] = result.signal
            if result.opt_out and settings.learning.opt_out_on_request:
                report.opted_out[repository] = result.opt_out
        store.write_acceptance(conn, learned)
        for repository, reason in list(report.opted_out.items()):
            marked = store.record_opt_out(conn, repository, reason)
            if marked is None:
                del report.opted_out[repository]  # recorded before
                continue
            report.issues_left_alone += marked
            log.warning("%s opted out: %s (%d open issues left alone)", repository, reason, marked)
    return report
