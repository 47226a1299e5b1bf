"""The agent worker: claim → fix → PR → complete, heartbeating, on any machine that reaches
PostgreSQL. ``globallm agent run`` loops over it; a Dagster ``fix_job`` run is one attempt.

The fix itself is a function ``(settings, claimed_issue) -> FixOutcome`` given to the worker, so
the same loop drives the real fixer and, in tests, a test double doing real work in a real git
repository. Whatever happens during an attempt, the claim ends in exactly one state: completed,
back to available (attempts + 1), failed at the last attempt, or released untouched when the agent
is stopped — and the attempt's time reservation is settled.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from globallm_assets.observability import redact
from globallm_assets.services import budget
from globallm_assets.services import claim as claims
from globallm_assets.services.claim import AgentIdentity, ClaimedIssue
from globallm_assets.settings import Settings
from globallm_assets.store.llm_usage import Refusal
from globallm_assets.store.retry import StoreUnavailable, retrying

if TYPE_CHECKING:
    from globallm_assets.services.contribute import RefreshReport

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FixOutcome:
    """What one fix attempt produced.

    ``detail`` is the PR URL (or what was done) on success and the error otherwise; ``retry``
    False means another attempt cannot help (the issue is closed, locked, opted out …).
    ``tokens`` and ``cost_usd`` are reported for the record: the model calls were charged to
    the ledger as they were made.
    """

    succeeded: bool
    detail: str
    retry: bool = True
    tokens: int = 0
    cost_usd: float = 0.0


FixFunction = Callable[[Settings, ClaimedIssue], FixOutcome]

AttemptStatus = Literal["completed", "available", "failed", "released", "lost"]


@dataclass(frozen=True)
class AttemptReport:
    issue: str  # owner/repo#number
    status: AttemptStatus
    detail: str
    seconds: float
    budget_exhausted: bool = False
    tokens: int = 0
    cost_usd: float = 0.0
    heartbeats: int = 0


@dataclass
class AgentReport:
    agent_id: str
    attempts: list[AttemptReport] = field(default_factory=list)
    stopped_because: str = ""

    @property
    def completed(self) -> int:
        return sum(1 for a in self.attempts if a.status == "completed")


class AgentStopped(BaseException):
    """SIGTERM/SIGINT arrived while a fix was running (BaseException: fix code that catches
    ``Exception`` cannot swallow it)."""


def default_fix_function() -> FixFunction:
    """The project's fixer (claim → sandboxed fix → PR), from ``services/fix.py``."""
    try:
        from globallm_assets.services import fix as fixer
    except ImportError:
        raise RuntimeError(
            "no fixer in this build (globallm_assets/services/fix.py is missing)"
        ) from None
    return fixer.fix_claimed


def refresh_pr_outcomes(settings: Settings, dsn: str) -> RefreshReport:
    """Refresh ``pr_outcomes`` (each PR's state, reviews and checks) from the forge, and move
    waiting auto-merges along (its ``str`` is a one-line summary for a run's log)."""
    from globallm_assets.services.contribute import refresh_outcomes

    return refresh_outcomes(settings, dsn=dsn)


def open_pull_requests(dsn: str) -> int:
    """How many pull requests GlobaLLM opened are still open (there is nothing to poll if 0)."""
    from globallm_assets.store.claims import open_pull_requests as count

    with claims.connection(dsn) as conn:
        return count(conn)


def run_attempt(
    settings: Settings, dsn: str, claimed: ClaimedIssue, fix: FixFunction
) -> AttemptReport:
    """Work on one claimed issue: reserve the run's time, fix while heartbeating, settle, and
    finish the claim. Interrupted (stop signal, run cancelled), the claim is released
    untouched and the reservation settled before the interruption propagates."""
    reservation = budget.reserve_fix_run(settings, dsn, claimed)
    if isinstance(reservation, Refusal):
        claims.release(settings, dsn, claimed)
        log.warning("%s: released, %s", claimed.key, reservation.reason)
        return AttemptReport(
            claimed.key,
            "released",
            reservation.reason,
            0.0,
            budget_exhausted=reservation.scope == "total",
        )
    started = time.monotonic()
    outcome: FixOutcome | None = None
    lost = False
    try:
        with claims.Heartbeat(settings, dsn, claimed) as heartbeat:
            try:
                outcome = fix(settings, claimed)
            except Exception as exc:  # a crashing fixer fails the attempt, not the agent
                log.exception("%s: fix crashed", claimed.key)
                outcome = FixOutcome(False, f"fix crashed: {type(exc).__name__}: {exc}")
        lost = heartbeat.lost.is_set()
        beats = heartbeat.beats
    except BaseException:
        claims.release(settings, dsn, claimed)
        raise
    finally:
        elapsed = time.monotonic() - started
        # Time only: the run's model calls were charged their tokens and cost as they were
        # made (charging outcome.cost_usd here too would count it twice).
        budget.settle(settings, dsn, reservation, used_seconds=round(elapsed))
    if lost:
        return AttemptReport(
            claimed.key, "lost", "claim released as stale meanwhile", elapsed, heartbeats=beats
        )
    detail = redact(outcome.detail)
    if outcome.succeeded:
        done = claims.complete(settings, dsn, claimed, detail)
        status: AttemptStatus = "completed" if done else "lost"
    else:
        new_status = claims.fail(settings, dsn, claimed, detail, retry=outcome.retry)
        status = "lost" if new_status is None else new_status  # type: ignore[assignment]
    log.info("%s: %s in %.1f s — %s", claimed.key, status, elapsed, detail)
    return AttemptReport(
        claimed.key,
        status,
        detail,
        elapsed,
        tokens=outcome.tokens,
        cost_usd=outcome.cost_usd,
        heartbeats=beats,
    )


def fix_one(
    settings: Settings,
    dsn: str,
    fix: FixFunction,
    *,
    target: tuple[str, int] | None = None,
    identity: AgentIdentity | None = None,
) -> AttemptReport | claims.ClaimResult:
    """Claim (the best issue, or ``target``) and work on it once; the claim result when
    nothing could be claimed. One Dagster fix run, or ``globallm fix`` without a URL."""
    agent = identity or AgentIdentity.current()
    result = claims.claim(settings, dsn, agent.id, target=target)
    if result.issue is None:
        return result
    return run_attempt(settings, dsn, result.issue, fix)


class _Signals:
    """SIGTERM/SIGINT set ``stop``; during a fix they also interrupt it (``AgentStopped``)."""

    def __init__(self, stop: threading.Event) -> None:
        self.stop = stop
        self.interruptible = False
        self.received: str | None = None

    def __call__(self, signum: int, frame: object) -> None:
        self.received = signal.Signals(signum).name
        self.stop.set()
        if self.interruptible:
            self.interruptible = False
            raise AgentStopped(signal.Signals(signum).name)

    @contextmanager
    def installed(self) -> Iterator[_Signals]:
        if threading.current_thread() is not threading.main_thread():
            yield self  # only the main thread may set handlers; `stop` still works
            return
        previous = {sig: signal.signal(sig, self) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            yield self
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    @contextmanager
    def interruptible_section(self) -> Iterator[None]:
        self.interruptible = True
        try:
            yield
        finally:
            self.interruptible = False


def run_agent(
    settings: Settings,
    dsn: str,
    fix: FixFunction,
    *,
    identity: AgentIdentity | None = None,
    max_fixes: int | None = None,
    exit_when_idle: bool = False,
    stop: threading.Event | None = None,
    on_attempt: Callable[[AttemptReport], None] | None = None,
    reload: Callable[[], Settings] | None = None,
) -> AgentReport:
    """Claim and fix until stopped: SIGTERM/SIGINT (the claim in hand is released), the weekly
    budget spent, ``max_fixes`` attempts made, or — with ``exit_when_idle`` — nothing left to
    claim. Otherwise an idle agent waits ``agents.poll_interval`` and tries again. Stale claims
    of crashed agents are returned to the pool every heartbeat interval by whichever agent
    gets there first, so a fleet heals without an operator. ``reload`` re-reads the settings
    before every claim, so `globallm budget set` reaches running agents."""
    from globallm_assets import metrics  # prometheus_client: only in long-running agents

    agent = identity or AgentIdentity.current()
    stop = stop or threading.Event()
    signals = _Signals(stop)
    report = AgentReport(agent.id)
    last_cleanup = float("-inf")
    log.info("agent %s started", agent.id)
    server = metrics.serve_agent(settings)  # None unless metrics.agent_port is set
    with signals.installed():
        try:
            while True:
                if stop.is_set():
                    report.stopped_because = f"stopped by {signals.received or 'request'}"
                    break
                if max_fixes is not None and len(report.attempts) >= max_fixes:
                    report.stopped_because = f"made the {max_fixes} attempt(s) asked for"
                    break
                if reload is not None:
                    settings = _reloaded(reload, settings)
                if time.monotonic() - last_cleanup >= settings.agents.heartbeat_interval:
                    released = claims.cleanup_stale(settings, dsn)
                    metrics.record_stale_releases(item.status for item in released)
                    last_cleanup = time.monotonic()
                result = claims.claim(settings, dsn, agent.id)
                metrics.record_claim(result.issue, result.budget_exhausted)
                if result.issue is None:
                    if result.budget_exhausted or exit_when_idle:
                        report.stopped_because = result.reason or "nothing to claim"
                        break
                    log.info(
                        "nothing to claim (%s); next try in %d s",
                        result.reason,
                        settings.agents.poll_interval,
                    )
                    stop.wait(settings.agents.poll_interval)
                    continue
                if stop.is_set():
                    claims.release(settings, dsn, result.issue)
                    continue
                with signals.interruptible_section():
                    attempt = run_attempt(settings, dsn, result.issue, fix)
                report.attempts.append(attempt)
                metrics.record_attempt(
                    attempt.status,
                    attempt.seconds,
                    tokens=attempt.tokens,
                    cost_usd=attempt.cost_usd,
                    heartbeats=attempt.heartbeats,
                )
                if on_attempt is not None:
                    on_attempt(attempt)
                if attempt.budget_exhausted:
                    report.stopped_because = attempt.detail
                    break
        except AgentStopped as exc:
            report.stopped_because = f"stopped by {exc.args[0]}; claim released"
        finally:
            if stop.is_set():
                # A signal may land between a claim's commit and its return: free anything
                # this agent still holds.
                _release_everything(dsn, agent.id)
            if server is not None:
                server.close()
    log.info("agent %s stopped: %s", agent.id, report.stopped_because)
    return report


def _release_everything(dsn: str, agent_id: str) -> None:
    try:
        released = retrying(
            lambda: claims.release_agent(dsn, agent_id), deadline_seconds=10, what="release"
        )
    except StoreUnavailable as exc:
        log.error("%s; claims of %s come back after the heartbeat timeout", exc, agent_id)
        return
    for repository, number in released:
        log.info("%s#%d released", repository, number)


def _reloaded(reload: Callable[[], Settings], current: Settings) -> Settings:
    try:
        return reload()
    except ValueError as exc:  # a bad edit of the config file must not stop the fleet
        log.warning("settings not reloaded, keeping the previous ones: %s", exc)
        return current
