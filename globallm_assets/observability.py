"""Logging with an operation id per command/run, and redaction of every configured secret.

The operation id ties together all log lines of one CLI command or Dagster run, across modules and
threads that copy the context. Redaction is a filter on the handler, so a secret that reaches a log
message by any path (an exception text, a URL) is replaced before it is written.
"""

from __future__ import annotations

import contextvars
import logging
import sys
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

_operation_id: contextvars.ContextVar[str] = contextvars.ContextVar("operation_id", default="-")
_secrets: set[str] = set()
REDACTED = "***"
_FORMAT = "%(asctime)s %(levelname)s [op=%(operation_id)s] %(name)s: %(message)s"


def new_operation_id() -> str:
    return uuid.uuid4().hex[:12]


def current_operation_id() -> str:
    return _operation_id.get()


@contextmanager
def operation(op_id: str | None = None) -> Iterator[str]:
    """Run a block under an operation id (a fresh one unless given)."""
    value = op_id or new_operation_id()
    token = _operation_id.set(value)
    try:
        yield value
    finally:
        _operation_id.reset(token)


def set_operation_id(value: str) -> None:
    """Tag everything logged from here on in this context (a Dagster step: the run id)."""
    _operation_id.set(value)


def register_secrets(values: Iterable[str | None]) -> None:
    """Remember secret values (tokens, keys, DB passwords) so no log line can carry them."""
    for value in values:
        # Very short values would redact ordinary words; real secrets are long.
        if value and len(value) >= 6:
            _secrets.add(value)


def redact(text: str) -> str:
    for secret in sorted(_secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


class _ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.operation_id = _operation_id.get()
        if _secrets:
            message = record.getMessage()
            cleaned = redact(message)
            if cleaned != message:
                record.msg, record.args = cleaned, None
            if record.exc_info and record.exc_info[1] is not None:
                record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
                record.exc_info = None
        return True


def configure_logging(level: str = "INFO", stream=None) -> None:
    """Install one stderr handler on the ``globallm_assets`` logger (idempotent)."""
    logger = logging.getLogger("globallm_assets")
    logger.setLevel(level)
    for handler in list(logger.handlers):
        if getattr(handler, "_globallm", False):
            logger.removeHandler(handler)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler._globallm = True  # type: ignore[attr-defined]
    handler.setFormatter(logging.Formatter(_FORMAT))
    handler.addFilter(_ContextFilter())
    logger.addHandler(handler)
    logger.propagate = False
