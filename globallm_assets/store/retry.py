"""Retrying database work through restarts and failovers, without doing anything twice.

Transient errors (connection refused or dropped, server shutting down, pool timeout, deadlock
victim) are all ``psycopg.OperationalError``. A write whose commit may have landed before the
connection dropped must not simply run again: callers pass ``after_error``, which looks for the
committed result first.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import TypeVar

import psycopg

log = logging.getLogger(__name__)

T = TypeVar("T")


class StoreUnavailable(RuntimeError):
    """PostgreSQL stayed unreachable for longer than the caller was willing to wait."""


def retrying(
    action: Callable[[], T],
    *,
    deadline_seconds: float,
    after_error: Callable[[], T | None] | None = None,
    what: str = "database call",
) -> T:
    """Run ``action`` until it succeeds, retrying transient database errors with backoff.

    ``after_error`` runs before each retry: when it returns a value, the failed attempt had in
    fact committed and that value is the result.
    """
    deadline = time.monotonic() + deadline_seconds
    delay = 0.1
    failed = False
    while True:
        try:
            if failed and after_error is not None:
                found = after_error()
                if found is not None:
                    return found
            return action()
        except psycopg.OperationalError as exc:
            failed = True
            if time.monotonic() + delay > deadline:
                raise StoreUnavailable(
                    f"{what}: PostgreSQL unreachable for {deadline_seconds:g} s: {first_line(exc)}"
                ) from None
            log.warning("%s failed (%s); retrying in %.1f s", what, first_line(exc), delay)
            time.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 2, 5.0)


def first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
