"""Logging with an operation id per command/run, and redaction of every configured secret.

The operation id ties together all log lines of one CLI command or Dagster run, across modules and
threads that copy the context. Redaction happens where every log record is made (a record factory,
installed once secrets are registered), so a secret that reaches a message or an exception text by
any path is replaced before any handler sees it: ours, Dagster's event log and console (whose
output the compute logs capture), or a library's.
"""

from __future__ import annotations

import contextvars
import json
import logging
import sys
import threading
import traceback
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
    if _secrets:
        _install_record_factory()


def redact(text: str) -> str:
    for secret in sorted(_secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


def redact_json(text: str) -> str:
    """:func:`redact` for JSON text, where a secret appears in its escaped form."""
    for secret in sorted(_secrets, key=len, reverse=True):
        escaped = json.dumps(secret)[1:-1]
        if escaped in text:
            text = text.replace(escaped, REDACTED)
    return text


def format_exception(exc: BaseException) -> str:
    """A traceback as Python prints it, redacted (``GLOBALLM_DEBUG=1`` output)."""
    return redact("".join(traceback.format_exception(exc)))


def _redact_record(record: logging.LogRecord) -> None:
    try:
        message = record.getMessage()
    except Exception:
        return  # a malformed call: the handler reports it, and there is no message to clean
    cleaned = redact(message)
    if cleaned != message:
        record.msg, record.args = cleaned, ()
    if record.exc_info and record.exc_info[1] is not None:
        # Formatters use exc_text when set, so the exception is printed from this copy.
        record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
    if record.stack_info:
        record.stack_info = redact(record.stack_info)


_factory_lock = threading.Lock()
_factory_installed = False


def _install_record_factory() -> None:
    global _factory_installed
    with _factory_lock:
        if _factory_installed:
            return
        _factory_installed = True
        make_record = logging.getLogRecordFactory()

        def redacting_factory(*args, **kwargs) -> logging.LogRecord:
            record = make_record(*args, **kwargs)
            if _secrets:
                _redact_record(record)
            return record

        logging.setLogRecordFactory(redacting_factory)


class _Handler(logging.StreamHandler):
    def handleError(self, record: logging.LogRecord) -> None:
        # A closed or broken stderr (a pipe into `head`, a finished capture) is no reason for
        # logging's own traceback, whose exception context could carry a secret.
        return None


class _ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.operation_id = _operation_id.get()
        return True


def configure_logging(level: str = "INFO", stream=None) -> None:
    """Install one stderr handler on the ``globallm_assets`` logger (idempotent).

    Other libraries' records (a connection retry, a pool discarding a connection) are the
    command's business, not the user's: they reach stderr only at DEBUG. A handler on the root
    logger also stops ``logging.warning()`` from installing its own default one.
    """
    handler = _own(_Handler(stream or sys.stderr))
    handler.setFormatter(logging.Formatter(_FORMAT))
    handler.addFilter(_ContextFilter())
    logger = logging.getLogger("globallm_assets")
    logger.setLevel(level)
    _replace_own_handler(logger, handler)
    logger.propagate = False
    root = logging.getLogger()
    _replace_own_handler(root, handler if level == "DEBUG" else _own(logging.NullHandler()))


def _own(handler: logging.Handler) -> logging.Handler:
    handler._globallm = True  # type: ignore[attr-defined]
    return handler


def _replace_own_handler(logger: logging.Logger, handler: logging.Handler) -> None:
    for existing in list(logger.handlers):
        if getattr(existing, "_globallm", False):
            logger.removeHandler(existing)
    logger.addHandler(handler)
