"""The assignment protocol agents follow: identity, claim, heartbeat, finish, release, cleanup.

Used by ``globallm assign``, ``globallm agent run``, ``globallm fix`` without a URL, and the
Dagster fix runs — one protocol whichever process does the work. Every call survives a
PostgreSQL restart: transient errors are retried with backoff for ``agents.db_retry_seconds``,
and a call whose commit may have happened before the connection dropped checks what the
database holds before trying again, so a retry never claims twice or loses a claim.
"""

from __future__ import annotations

import logging
import os
import random
import secrets
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeVar

import psycopg

from globallm_assets.settings import Settings
from globallm_assets.store import claims as store
from globallm_assets.store.claims import ClaimedIssue, ClaimLimits, StaleRelease
from globallm_assets.store.db import autocommit_pool
from globallm_assets.store.llm_usage import close_reservations_of, reserved_this_week
from globallm_assets.store.retry import first_line, retrying

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class AgentIdentity:
    """``hostname-pid-random8``: unique across machines and restarts, stable for the process."""

    hostname: str
    pid: int
    nonce: str

    @property
    def id(self) -> str:
        return f"{self.hostname}-{self.pid}-{self.nonce}"

    def __str__(self) -> str:
        return self.id

    @classmethod
    def current(cls) -> AgentIdentity:
        """This process's identity (a forked child gets its own)."""
        global _identity
        pid = os.getpid()
        if _identity is None or _identity.pid != pid:
            host = socket.gethostname().split(".")[0] or "host"
            _identity = cls(host, pid, secrets.token_hex(4))
        return _identity


_identity: AgentIdentity | None = None


def claim_limits(settings: Settings) -> ClaimLimits:
    budget, agents, forge = settings.budget, settings.agents, settings.forge
    return _limits(
        max_active_per_repo=agents.max_agents_per_repo,
        max_claims_per_repo=budget.max_issues_per_repo,
        max_claims_per_language=budget.max_issues_per_language,
        weekly_tokens=budget.weekly_token_budget,
        max_tokens_per_repo=budget.max_tokens_per_repo,
        max_seconds_per_repo=budget.max_time_per_repo,
        run_seconds=budget.fix_run_seconds,
        max_open_prs_per_repo=forge.max_open_prs_per_repo,
        max_prs_per_hour_per_repo=forge.max_prs_per_hour_per_repo,
        # The simulated world's repositories live on no forge except the local one's few.
        cloneable_only=settings.source.kind == "simulated" and not settings.fix.clone_sources,
    )


# Read from the settings on every claim (they may change), built once per distinct value.
_limits = lru_cache(maxsize=16)(ClaimLimits)


# --- connections and retries ------------------------------------------------------------------


@contextmanager
def connection(dsn: str) -> Iterator[psycopg.Connection]:
    """A pooled connection in autocommit mode: every claim operation is one statement, so it
    needs no BEGIN/COMMIT round trips (multi-statement work opens ``conn.transaction()``).
    The pool's connections are made in autocommit, so a checkout toggles nothing; agents need
    two at once (work + heartbeat)."""
    pool = autocommit_pool(dsn)
    conn = pool.getconn()
    try:
        yield conn
    finally:
        pool.putconn(conn)  # closed instead of kept when broken or left in a transaction


def _on_connection(dsn: str, function: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """``function(conn, *args, **kwargs)`` on a pooled connection: :func:`connection` for the
    claim's and the completion's hot path, without a generator-based context manager."""
    pool = autocommit_pool(dsn)
    conn = pool.getconn()
    try:
        return function(conn, *args, **kwargs)
    finally:
        pool.putconn(conn)


# --- claim ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClaimResult:
    """The claimed issue, or why there was none."""

    issue: ClaimedIssue | None
    reason: str | None = None
    budget_exhausted: bool = False


_CONTENTION_RETRIES = 20


def claim(
    settings: Settings,
    dsn: str,
    agent_id: str,
    *,
    target: tuple[str, int] | None = None,
) -> ClaimResult:
    """Claim the highest-priority issue every cap and the budget allow (or exactly ``target``).

    An empty claim is explained by a read-only diagnosis; when that finds the emptiness was
    only other agents holding rows for an instant, the claim is tried again.
    """
    limits = claim_limits(settings)
    deadline = settings.agents.db_retry_seconds

    def attempt() -> ClaimResult:
        return ClaimResult(_on_connection(dsn, store.claim, agent_id, limits, target=target))

    def committed_already() -> ClaimResult | None:
        with connection(dsn) as conn:
            for held in store.held_by(conn, agent_id):
                if target is None or (held.repository, held.number) == tuple(target):
                    return ClaimResult(held)
        return None

    for round_ in range(_CONTENTION_RETRIES):
        result = retrying(
            attempt, deadline_seconds=deadline, after_error=committed_already, what="claim"
        )
        if result.issue is not None:
            return result

        def diagnose() -> store.Diagnosis:
            with connection(dsn) as conn:
                return store.diagnose(conn, limits, target=target)

        diagnosis = retrying(diagnose, deadline_seconds=deadline, what="claim diagnosis")
        if not diagnosis.retry:
            return ClaimResult(None, diagnosis.reason, diagnosis.budget_exhausted)
        time.sleep(0.005 * (round_ + 1) * random.random())
    return ClaimResult(None, "candidates stayed locked by other agents; try again")


def claim_still_held(settings: Settings, dsn: str, claimed: ClaimedIssue) -> bool:
    """Is this claim still ours? Checked right before anything is pushed, so an agent whose
    claim was released as stale never opens a PR for an issue another agent now holds."""

    def check() -> bool:
        with connection(dsn) as conn:
            return store.heartbeat(conn, claimed.agent_id, claimed.repository, claimed.number)

    return retrying(check, deadline_seconds=settings.agents.db_retry_seconds, what="claim check")


# --- finishing --------------------------------------------------------------------------------


def _last_status(dsn: str, claimed: ClaimedIssue) -> tuple[str, str | None] | None:
    with connection(dsn) as conn:
        return store.assignment_of(conn, claimed.repository, claimed.number)


def complete(settings: Settings, dsn: str, claimed: ClaimedIssue, result: str | None) -> bool:
    """Mark the issue completed; False when the claim had been taken away (stale)."""

    def action() -> bool:
        return _on_connection(
            dsn, store.complete, claimed.agent_id, claimed.repository, claimed.number, result
        )

    def committed_already() -> bool | None:
        status = _last_status(dsn, claimed)
        return True if status == ("completed", claimed.agent_id) else None

    return retrying(
        action,
        deadline_seconds=settings.agents.db_retry_seconds,
        after_error=committed_already,
        what="complete",
    )


def fail(
    settings: Settings, dsn: str, claimed: ClaimedIssue, error: str, *, retry: bool = True
) -> str | None:
    """End a failed attempt; returns the issue's new status (available or failed)."""

    def action() -> str | None:
        with connection(dsn) as conn:
            return store.fail(
                conn,
                claimed.agent_id,
                claimed.repository,
                claimed.number,
                error[:2000],
                max_attempts=settings.agents.max_attempts,
                retry=retry,
            )

    def committed_already() -> str | None:
        status = _last_status(dsn, claimed)
        if status is not None and status[0] != "assigned" and status[1] == claimed.agent_id:
            return status[0]
        return None

    return retrying(
        action,
        deadline_seconds=settings.agents.db_retry_seconds,
        after_error=committed_already,
        what="fail",
    )


def release(settings: Settings, dsn: str, claimed: ClaimedIssue) -> bool:
    """Give the claim back untouched (the agent stops before finishing)."""

    def action() -> bool:
        with connection(dsn) as conn:
            target = (claimed.repository, claimed.number)
            return bool(store.release(conn, claimed.agent_id, target))

    return retrying(action, deadline_seconds=settings.agents.db_retry_seconds, what="release")


def release_agent(dsn: str, agent_id: str) -> list[tuple[str, int]]:
    """Free every claim an agent holds (an operator's cure for a dead agent); its open budget
    reservations are settled at their full amount."""
    with connection(dsn) as conn, conn.transaction():
        released = store.release(conn, agent_id)
        close_reservations_of(conn, [agent_id])
        return released


def cleanup_stale(
    settings: Settings, dsn: str, *, timeout_seconds: float | None = None
) -> list[StaleRelease]:
    """Return claims without a recent heartbeat to the pool (attempts + 1) or fail them."""
    timeout = settings.agents.heartbeat_timeout if timeout_seconds is None else timeout_seconds

    def action() -> list[StaleRelease]:
        with connection(dsn) as conn, conn.transaction():
            found = store.release_stale(conn, timeout, settings.agents.max_attempts)
            # A silent agent's reservations would otherwise hold its repository's budget.
            close_reservations_of(conn, sorted({item.agent_id for item in found}))
            return found

    # Idempotent: a retry after a lost commit finds nothing left to release.
    released = retrying(action, deadline_seconds=settings.agents.db_retry_seconds, what="cleanup")
    for item in released:
        log.warning(
            "%s#%d: %s stopped heartbeating; issue is %s (attempt %d)",
            item.repository,
            item.number,
            item.agent_id,
            item.status,
            item.attempts,
        )
    return released


@dataclass(frozen=True)
class AssignmentReport:
    counts: dict[str, int]
    assignments: list[dict]
    stale_after_seconds: int
    failures: list[dict]


def assignment_status(
    settings: Settings, dsn: str, *, agent_id: str | None = None, stale_only: bool = False
) -> AssignmentReport:
    """Issues by state, live claims (each flagged stale or not) and recent failures."""
    timeout = settings.agents.heartbeat_timeout
    with connection(dsn) as conn:
        rows = store.assignments(
            conn, agent_id=agent_id, stale_after_seconds=timeout if stale_only else None
        )
        counts = store.status_counts(conn)
        failures = store.recent_failures(conn)
    for row in rows:
        row["stale"] = row["heartbeat_age"] > timeout
    return AssignmentReport(counts, rows, timeout, failures)


# --- heartbeat --------------------------------------------------------------------------------


class Heartbeat:
    """Refreshes a claim every ``agents.heartbeat_interval`` seconds from a background thread
    while the agent works. ``lost`` is set when the claim was taken away (released as stale),
    so the agent knows not to publish anything for it."""

    def __init__(self, settings: Settings, dsn: str, claimed: ClaimedIssue) -> None:
        self._dsn = dsn
        self._claimed = claimed
        self._interval = settings.agents.heartbeat_interval
        self._stop = threading.Event()
        self.lost = threading.Event()
        self.beats = 0
        self._thread = threading.Thread(
            target=self._run, name=f"heartbeat-{claimed.key}", daemon=True
        )

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        claimed = self._claimed
        while not self._stop.wait(self._interval):
            try:
                with connection(self._dsn) as conn:
                    held = store.heartbeat(
                        conn, claimed.agent_id, claimed.repository, claimed.number
                    )
            except psycopg.OperationalError as exc:
                # The next beat tries again; only a timeout's worth of misses loses the claim.
                log.warning("%s: heartbeat failed: %s", claimed.key, first_line(exc))
                continue
            if not held:
                log.error("%s: claim lost (released as stale by a cleanup)", claimed.key)
                self.lost.set()
                return
            self.beats += 1


# --- the fleet as the fix sensor sees it --------------------------------------------------------


@dataclass(frozen=True)
class FleetSnapshot:
    """What a scheduler needs to launch fix runs: the budget and the next claimable issues."""

    exhausted: str | None  # why nothing may be claimed at all (weekly budget), if so
    candidates: list[tuple[str, int, int]]  # (repository, number, attempts), best first


def fleet_snapshot(settings: Settings, dsn: str, limit: int) -> FleetSnapshot:
    """Read-only: the weekly budget and the ``limit`` issues claims would take next."""
    weekly = settings.budget.weekly_token_budget
    with connection(dsn) as conn:
        committed = reserved_this_week(conn)
        if committed >= weekly:
            return FleetSnapshot(
                f"weekly token budget exhausted ({committed:,} of {weekly:,} tokens committed "
                "this week)",
                [],
            )
        return FleetSnapshot(None, store.top_available(conn, claim_limits(settings), limit))


def stale_claims(settings: Settings, dsn: str) -> list[dict]:
    """Claims past ``agents.heartbeat_timeout`` (read-only; ``cleanup_stale`` frees them)."""
    with connection(dsn) as conn:
        return store.assignments(conn, stale_after_seconds=settings.agents.heartbeat_timeout)
