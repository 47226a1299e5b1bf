"""Token pool, rate-limit policy and conditional requests for GitHub, as one httpx transport.

githubkit builds and parses every request (typed REST models, GraphQL); this transport sits below
it and decides *which token* a request uses and *when* it may go out. Keeping the policy at the
transport means REST, GraphQL and pagination all obey it without each call site remembering to.

Policy, following GitHub's published REST/GraphQL rate-limit guidance:

- Tokens are used round-robin, each with at most ``PER_TOKEN_IN_FLIGHT`` requests in flight
  (GitHub asks integrations to avoid concurrent requests; two per token keeps a pipeline busy
  without tripping the secondary limit on concurrency), and at most ``max_concurrency`` overall.
- Primary limits are tracked per token *and* per resource (``core``, ``graphql``, ``search`` are
  separate budgets): a token whose ``X-RateLimit-Remaining`` reaches 0 is skipped until its reset;
  when every token is spent we sleep until the earliest reset if that is within
  ``max_rate_limit_wait`` seconds, else fail with a one-line ``RateLimitBudgetExceeded``.
- Secondary limits (403/429 with ``Retry-After``, or a body saying "secondary rate limit") pause
  *all* requests until ``Retry-After`` has passed, or for ``secondary_backoff`` seconds doubling
  each time when no header is given (GitHub: "wait at least one minute").
- Quota and pauses live in a :class:`RateLimitLedger` that every process using a token can share
  (``store.ratelimit`` keeps it in PostgreSQL): each request first reserves one unit of its
  token's remaining quota, every answer's ``X-RateLimit-*`` headers correct it, and a pause one
  process is told about holds every process back. Before GitHub's first answer for a token in a
  window its quota is unknown, so each process may send up to its in-flight cap on trust.
- 5xx answers and network errors are retried with exponential backoff (tenacity).
- The token is sent only to the configured API's origin: a redirect elsewhere is followed
  without it.
- GETs carry ``If-None-Match`` when an :class:`EtagCache` holds the URL; a 304 (free against the
  primary limit when authenticated) is answered from the cache, and counted apart in the stats.

``sleep`` and ``clock`` are injectable so tests exercise every wait without waiting.
"""

from __future__ import annotations

import hashlib
import json
import logging
import socket
import threading
import urllib.request
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import httpx
import tenacity

from globallm_assets.sources.base import SourceError

# At most this many requests in flight per token (see module docstring).
PER_TOKEN_IN_FLIGHT = 2
# GitHub's guidance when a secondary limit gives no Retry-After: wait at least a minute.
SECONDARY_BACKOFF_SECONDS = 60.0
# First backoff after a 5xx or a network error; doubles per attempt.
SERVER_ERROR_BACKOFF_SECONDS = 1.0
SERVER_ERROR_BACKOFF_MAX = 60.0
# X-RateLimit-Reset has one-second resolution; waking exactly on it can still see the old window.
RESET_SLACK_SECONDS = 1.0

_TOKEN_PREFIXES = ("github_pat_", "ghp_", "gho_", "ghu_", "ghs_", "ghr_")
_SECONDARY_MARKERS = ("secondary rate limit", "abuse detection")
_ENVELOPE_MAGIC = b"globallm-etag-v1\n"


@runtime_checkable
class EtagCache(Protocol):
    """Conditional-request store: key → (etag, opaque body bytes).

    Keys never contain a token (see :func:`cache_key`). Bodies are opaque to the cache; the
    transport keeps the pagination ``Link`` header inside them so a 304 on page 1 still knows
    the way to page 2.
    """

    def get(self, key: str) -> tuple[str, bytes] | None: ...

    def put(self, key: str, etag: str, body: bytes) -> None: ...


class MemoryEtagCache:
    """In-process :class:`EtagCache` (tests, one-off CLI runs)."""

    def __init__(self) -> None:
        self._items: dict[str, tuple[str, bytes]] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> tuple[str, bytes] | None:
        with self._lock:
            return self._items.get(key)

    def put(self, key: str, etag: str, body: bytes) -> None:
        with self._lock:
            self._items[key] = (etag, body)

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)


@runtime_checkable
class RateLimitLedger(Protocol):
    """Rate-limit state per token (by :func:`token_key`, never the token) and resource.

    Times are epoch seconds from the caller's clock; a quota window counts as over ``slack``
    seconds after its reset (``X-RateLimit-Reset`` has one-second resolution).
    """

    def reserve(self, key: str, resource: str, now: float, slack: float) -> float | None:
        """Take one unit of quota for a request about to go out: None when it may go (also when
        the quota is unknown or its window is over), else when the pause or the window ends."""
        ...

    def observe(
        self, key: str, resource: str, remaining: int, reset_at: float, *, refund: bool = False
    ) -> None:
        """Record GitHub's count from an answer; ``refund`` gives back the unit a free answer
        (a 304) did not cost."""
        ...

    def pause(self, keys: Sequence[str], until: float) -> None:
        """Hold every request with these tokens until ``until`` (a secondary limit)."""
        ...


class MemoryRateLimits:
    """In-process :class:`RateLimitLedger`: the same rules as the shared one in PostgreSQL."""

    def __init__(self) -> None:
        self._quota: dict[tuple[str, str], list[float]] = {}  # -> [remaining, reset_at]
        self._paused: dict[str, float] = {}
        self._lock = threading.Lock()

    def reserve(self, key: str, resource: str, now: float, slack: float) -> float | None:
        with self._lock:
            paused = self._paused.get(key, 0.0)
            if paused > now:
                return paused
            quota = self._quota.get((key, resource))
            if quota is None or quota[1] + slack <= now:
                return None
            if quota[0] <= 0:
                return quota[1]
            quota[0] -= 1
            return None

    def observe(
        self, key: str, resource: str, remaining: int, reset_at: float, *, refund: bool = False
    ) -> None:
        with self._lock:
            quota = self._quota.get((key, resource))
            if quota is None or reset_at > quota[1]:
                self._quota[(key, resource)] = [remaining, reset_at]
            else:
                quota[0] = min(quota[0] + (1 if refund else 0), remaining)

    def pause(self, keys: Sequence[str], until: float) -> None:
        with self._lock:
            for key in keys:
                self._paused[key] = max(self._paused.get(key, 0.0), until)


def token_key(token: str | None) -> str:
    """A token's name in shared state: its SHA-256, never the token. Anonymous requests are
    limited per IP address, so their key names the machine."""
    if not token:
        return f"anonymous@{socket.gethostname()}"
    return hashlib.sha256(token.encode()).hexdigest()


class RateLimitBudgetExceeded(SourceError):
    """Every token is out of primary quota for longer than we are allowed to wait."""


def mask_token(token: str | None) -> str:
    """A recognisable but useless form of ``token`` for logs and reprs (``ghp_…abcd``)."""
    if not token:
        return "anonymous"
    if len(token) < 16:
        return "***"
    prefix = next((p for p in _TOKEN_PREFIXES if token.startswith(p)), "")
    return f"{prefix}…{token[-4:]}"


def pool_identity(tokens: Sequence[str]) -> str:
    """A stable, non-reversible name for a token pool, used to scope cached bodies.

    Cached bodies are shared between the tokens of one pool (they serve the same caller), but not
    between pools, because another pool's tokens may see different (e.g. private) data.
    """
    if not tokens:
        return "anonymous"
    digest = hashlib.sha256("\n".join(sorted(tokens)).encode()).hexdigest()
    return digest[:16]


def cache_key(method: str, url: str, identity: str) -> str:
    return f"{method} {url} #{identity}"


@dataclass
class GitHubStats:
    """What the client did, for logs and the request-count benchmark."""

    requests: int = 0
    not_modified: int = 0
    retries: int = 0
    token_switches: int = 0
    rate_limit_sleeps: int = 0
    slept_seconds: float = 0.0
    by_token: Counter[str] = field(default_factory=Counter)
    by_resource: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, object]:
        return {
            "requests": self.requests,
            "not_modified": self.not_modified,
            "retries": self.retries,
            "token_switches": self.token_switches,
            "rate_limit_sleeps": self.rate_limit_sleeps,
            "slept_seconds": round(self.slept_seconds, 3),
            "by_token": dict(self.by_token),
            "by_resource": dict(self.by_resource),
        }


class _Slot:
    """One token's live state. ``repr`` never shows the token."""

    __slots__ = ("disabled", "exhausted_until", "in_flight", "key", "label", "token")

    def __init__(self, token: str | None, index: int) -> None:
        self.token = token
        self.key = token_key(token)
        self.label = f"token{index + 1}({mask_token(token)})" if token else "anonymous"
        self.in_flight = 0
        self.exhausted_until: dict[str, float] = {}
        self.disabled = False

    def __repr__(self) -> str:
        return f"<token {self.label}>"


class TokenPool:
    """Round-robin token choice under per-token concurrency, exhaustion and global pauses."""

    def __init__(
        self,
        tokens: Sequence[str],
        *,
        clock: Callable[[], float],
        sleep: Callable[[float], None],
        max_rate_limit_wait: float,
        stats: GitHubStats,
        logger: logging.Logger,
        ledger: RateLimitLedger | None = None,
    ) -> None:
        self._slots = [_Slot(t, i) for i, t in enumerate(tokens)] or [_Slot(None, 0)]
        self._ledger = ledger if ledger is not None else MemoryRateLimits()
        self._cursor = 0
        self._cond = threading.Condition()
        self._clock = clock
        self._sleep = sleep
        self._max_wait = max_rate_limit_wait
        self._stats = stats
        self._log = logger
        self._pause_until = 0.0

    @property
    def size(self) -> int:
        return len(self._slots)

    @property
    def labels(self) -> list[str]:
        return [s.label for s in self._slots]

    @property
    def tokens(self) -> list[str]:
        return [s.token for s in self._slots if s.token]

    def __repr__(self) -> str:
        return f"TokenPool({', '.join(self.labels)})"

    def acquire(self, resource: str) -> _Slot:
        """Block until a token may send one more ``resource`` request, and reserve it."""
        served_pause = 0.0
        while True:
            wait: float | None = None
            slot: _Slot | None = None
            with self._cond:
                now = self._clock()
                if self._pause_until > max(now, served_pause):
                    wait, served_pause = self._pause_until - now, self._pause_until
                else:
                    slot = self._pick(resource, now)
                    if slot is not None:
                        slot.in_flight += 1
                    else:
                        live = [s for s in self._slots if not s.disabled]
                        if not live:
                            raise SourceError("GitHub rejected every configured token (401)")
                        busy = [s for s in live if not self._is_exhausted(s, resource, now)]
                        if busy:
                            # Free tokens exist but are at their in-flight cap: wait for a release.
                            self._cond.wait(timeout=1.0)
                            continue
                        wait = self._wait_for_reset(live, resource, now)
                if slot is None:
                    self._stats.rate_limit_sleeps += 1
                    self._stats.slept_seconds += max(wait or 0.0, 0.0)
            if slot is not None:
                # Outside the lock: the ledger may be a database round trip.
                blocked = self._ledger.reserve(slot.key, resource, now, RESET_SLACK_SECONDS)
                if blocked is None:
                    return slot
                with self._cond:
                    # Out of quota or paused, as another process (or an earlier answer) found.
                    slot.in_flight -= 1
                    slot.exhausted_until[resource] = blocked
                    self._cond.notify_all()
                continue
            self._sleep(max(wait or 0.0, 0.0))

    def _wait_for_reset(self, live: list[_Slot], resource: str, now: float) -> float:
        """Every live token is spent: how long until the first reset (or fail if too long)."""
        reset_at = min(s.exhausted_until[resource] for s in live)
        wait = reset_at - now + RESET_SLACK_SECONDS
        if wait > self._max_wait:
            raise RateLimitBudgetExceeded(
                f"GitHub {resource} rate limit exhausted for all {len(live)} "
                f"token(s); next reset in {wait:.0f}s exceeds the allowed wait of "
                f"{self._max_wait:.0f}s"
            )
        for s in live:
            if s.exhausted_until.get(resource, 0.0) <= reset_at:
                s.exhausted_until.pop(resource, None)
        self._log.warning(
            "GitHub %s rate limit exhausted on every token; sleeping %.0fs", resource, wait
        )
        return wait

    def _is_exhausted(self, slot: _Slot, resource: str, now: float) -> bool:
        until = slot.exhausted_until.get(resource)
        if until is None:
            return False
        if until + RESET_SLACK_SECONDS <= now:
            del slot.exhausted_until[resource]
            return False
        return True

    def _pick(self, resource: str, now: float) -> _Slot | None:
        n = len(self._slots)
        for step in range(n):
            idx = (self._cursor + step) % n
            slot = self._slots[idx]
            if slot.disabled or slot.in_flight >= PER_TOKEN_IN_FLIGHT:
                continue
            if self._is_exhausted(slot, resource, now):
                continue
            self._cursor = (idx + 1) % n
            return slot
        return None

    def release(self, slot: _Slot) -> None:
        with self._cond:
            slot.in_flight -= 1
            self._cond.notify_all()

    def observe(
        self, slot: _Slot, resource: str, remaining: float, reset_at: float, *, refund: bool
    ) -> None:
        """GitHub's count from an answer, for every process sharing the ledger."""
        self._ledger.observe(slot.key, resource, int(remaining), reset_at, refund=refund)

    def mark_exhausted(self, slot: _Slot, resource: str, reset_at: float) -> None:
        self._ledger.observe(slot.key, resource, 0, reset_at)
        with self._cond:
            already = resource in slot.exhausted_until
            slot.exhausted_until[resource] = reset_at
            others = [
                s
                for s in self._slots
                if s is not slot and not s.disabled and resource not in s.exhausted_until
            ]
            if others and not already:
                self._stats.token_switches += 1
        if already:
            return
        self._log.info("GitHub %s quota exhausted for %s until reset", resource, slot.label)

    def disable(self, slot: _Slot) -> bool:
        """Drop a token the server rejected; True when another token remains."""
        with self._cond:
            slot.disabled = True
            remaining = any(not s.disabled for s in self._slots)
        self._log.warning(
            "GitHub rejected %s (401 Bad credentials); not using it again", slot.label
        )
        return remaining

    def pause_all(self, until: float) -> None:
        self._ledger.pause([s.key for s in self._slots], until)
        with self._cond:
            self._pause_until = max(self._pause_until, until)


class _Retry(Exception):
    """One attempt failed in a way worth another; ``response`` is handed up if retries run out.

    ``backoff`` retries wait ``SERVER_ERROR_BACKOFF_SECONDS * 2**(attempt-1)``; the others wait
    ``delay`` (0 when the wait is served by the token pool instead).
    """

    def __init__(
        self,
        reason: str,
        response: httpx.Response | None = None,
        *,
        backoff: bool = False,
    ) -> None:
        super().__init__(reason)
        self.backoff = backoff
        self.response = response


def resource_of(path: str) -> str:
    """GitHub's rate-limit bucket for a request path (matches ``X-RateLimit-Resource``)."""
    if path.endswith("/graphql"):
        return "graphql"
    if "/search/" in path:
        return "code_search" if path.endswith("/search/code") else "search"
    return "core"


def _header_float(headers: httpx.Headers, name: str) -> float | None:
    value = headers.get(name)
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        return None


_HOP_HEADERS = {"content-encoding", "content-length", "transfer-encoding", "connection"}


def _clean_headers(headers: httpx.Headers) -> list[tuple[str, str]]:
    # The body handed upward is already decoded, so its framing headers no longer apply.
    return [(k, v) for k, v in headers.multi_items() if k.lower() not in _HOP_HEADERS]


def _pack(link: str | None, body: bytes) -> bytes:
    return _ENVELOPE_MAGIC + (link or "").encode() + b"\n" + body


def _unpack(blob: bytes) -> tuple[str | None, bytes]:
    if not blob.startswith(_ENVELOPE_MAGIC):
        return None, blob
    rest = blob[len(_ENVELOPE_MAGIC) :]
    link, _, body = rest.partition(b"\n")
    return (link.decode() or None), body


class GitHubPolicyTransport(httpx.BaseTransport):
    """Adds the token, enforces the rate-limit policy and answers 304s from the ETag cache."""

    def __init__(
        self,
        pool: TokenPool,
        *,
        inner: httpx.BaseTransport | None,
        etag_cache: EtagCache | None,
        identity: str,
        stats: GitHubStats,
        clock: Callable[[], float],
        sleep: Callable[[float], None],
        max_concurrency: int,
        max_retries: int,
        secondary_backoff: float,
        logger: logging.Logger,
        base_url: str,
    ) -> None:
        self._inner = inner if inner is not None else _default_transport(base_url)
        self._pool = pool
        self._cache = etag_cache
        self._identity = identity
        self._stats = stats
        self._stats_lock = threading.Lock()
        self._clock = clock
        self._sleep = sleep
        self._gate = threading.BoundedSemaphore(max(1, max_concurrency))
        self._max_attempts = max_retries + 1 + pool.size
        self._secondary_backoff = secondary_backoff
        self._secondary_strikes = 0
        self._log = logger
        self._origin = _origin(httpx.URL(base_url))

    def __repr__(self) -> str:
        return f"GitHubPolicyTransport({self._pool!r})"

    def close(self) -> None:
        # githubkit opens and closes an httpx.Client per call; each close lands here and must not
        # tear down the shared connection pool. The owner calls ``shutdown`` instead.
        return None

    def shutdown(self) -> None:
        self._inner.close()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        resource = resource_of(request.url.path)
        key = None
        if self._cache is not None and request.method == "GET":
            key = cache_key(request.method, str(request.url), self._identity)

        def wait_for(state: tenacity.RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome else None
            if isinstance(exc, _Retry) and exc.backoff:
                return min(
                    SERVER_ERROR_BACKOFF_MAX,
                    SERVER_ERROR_BACKOFF_SECONDS * 2 ** (state.attempt_number - 1),
                )
            return 0.0

        def before_sleep(state: tenacity.RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            with self._stats_lock:
                self._stats.retries += 1
                if state.next_action is not None:
                    self._stats.slept_seconds += state.next_action.sleep
            self._log.info(
                "GitHub %s %s: %s; retry %d",
                request.method,
                request.url.path,
                exc,
                state.attempt_number,
            )

        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(self._max_attempts),
            wait=wait_for,
            retry=tenacity.retry_if_exception_type(_Retry),
            sleep=self._sleep_positive,
            before_sleep=before_sleep,
            reraise=True,
        )
        try:
            for attempt in retrying:
                with attempt:
                    return self._attempt(request, resource, key)
        except _Retry as exc:
            if exc.response is not None:
                # Let githubkit turn the final answer into its typed exception.
                return exc.response
            raise SourceError(f"GitHub {request.method} {request.url.path}: {exc}") from None
        raise AssertionError("unreachable: tenacity either returns or raises")

    def _sleep_positive(self, seconds: float) -> None:
        # Token switches retry at once; only real waits reach the (injectable) sleep.
        if seconds > 0:
            self._sleep(seconds)

    def _attempt(self, request: httpx.Request, resource: str, key: str | None) -> httpx.Response:
        cached = self._cache.get(key) if (self._cache is not None and key) else None
        with self._gate:
            slot = self._pool.acquire(resource)
            try:
                headers = httpx.Headers(request.headers)
                headers.pop("authorization", None)
                # A redirect may lead elsewhere (httpx follows it through this transport): the
                # token goes to the configured API's origin only.
                if slot.token and _origin(request.url) == self._origin:
                    headers["Authorization"] = f"Bearer {slot.token}"
                if cached is not None:
                    headers["If-None-Match"] = cached[0]
                outgoing = httpx.Request(
                    request.method,
                    request.url,
                    headers=headers,
                    content=request.content,
                    extensions=request.extensions,
                )
                try:
                    raw = self._inner.handle_request(outgoing)
                    try:
                        raw.read()
                    finally:
                        raw.close()
                except httpx.TransportError as exc:
                    raise _Retry(f"network error ({type(exc).__name__})", backoff=True) from None
                finally:
                    with self._stats_lock:
                        self._stats.requests += 1
                        self._stats.by_token[slot.label] += 1
                        self._stats.by_resource[resource] += 1
            finally:
                self._pool.release(slot)
        return self._classify(request, resource, key, cached, slot, raw)

    def _classify(
        self,
        request: httpx.Request,
        resource: str,
        key: str | None,
        cached: tuple[str, bytes] | None,
        slot: _Slot,
        raw: httpx.Response,
    ) -> httpx.Response:
        raw = self._scrubbed(raw)
        status = raw.status_code
        remaining = _header_float(raw.headers, "x-ratelimit-remaining")
        reset_at = _header_float(raw.headers, "x-ratelimit-reset")
        upward = httpx.Response(
            status, headers=_clean_headers(raw.headers), content=raw.content, request=request
        )

        if remaining is not None and reset_at is not None:
            # A 304 is free for an authenticated request: its reserved unit comes back.
            free = status == 304 and slot.token is not None
            self._pool.observe(slot, resource, remaining, reset_at, refund=free)

        if status == 304 and cached is not None:
            with self._stats_lock:
                self._stats.not_modified += 1
            link, body = _unpack(cached[1])
            headers = [(k, v) for k, v in _clean_headers(raw.headers) if k.lower() != "link"]
            headers.append(("content-type", "application/json; charset=utf-8"))
            if "etag" not in raw.headers:
                # The cached body's ETag: callers tell an unchanged page by it.
                headers.append(("etag", cached[0]))
            if link:
                headers.append(("link", link))
            return httpx.Response(200, headers=headers, content=body, request=request)

        if status == 401 and slot.token and self._pool.disable(slot):
            raise _Retry("token rejected (401)", upward)

        kind = None
        if status in (403, 429) or (resource == "graphql" and status == 200 and remaining == 0):
            kind = self._limit_kind(raw, remaining)
        if kind == "secondary":
            retry_after = _header_float(raw.headers, "retry-after")
            if retry_after is None:
                with self._stats_lock:
                    self._secondary_strikes += 1
                    strikes = self._secondary_strikes
                retry_after = self._secondary_backoff * 2 ** (strikes - 1)
            self._pool.pause_all(self._clock() + retry_after)
            self._log.warning(
                "GitHub secondary rate limit (%d) on %s; pausing all requests %.0fs",
                status,
                request.url.path,
                retry_after,
            )
            # The pause itself is served inside TokenPool.acquire, by every thread once.
            raise _Retry(f"secondary rate limit ({status})", upward)
        if kind == "primary":
            until = reset_at if reset_at is not None else self._clock() + 60.0
            self._pool.mark_exhausted(slot, resource, until)
            raise _Retry(f"primary rate limit exhausted for {slot.label}", upward)
        if remaining == 0 and reset_at is not None:
            # That answer spent the last unit: skip this token before it earns a 403.
            self._pool.mark_exhausted(slot, resource, reset_at)

        if status >= 500:
            raise _Retry(f"server error {status}", upward, backoff=True)

        if status == 200:
            with self._stats_lock:
                self._secondary_strikes = 0
            etag = raw.headers.get("etag")
            if key and etag and self._cache is not None:
                self._cache.put(key, etag, _pack(raw.headers.get("link"), raw.content))
        return upward

    def _scrubbed(self, raw: httpx.Response) -> httpx.Response:
        """The response with every token of the pool replaced: a server that echoes credentials
        (in an error message, say) cannot put them into an exception, a log line or a row."""
        content, headers = raw.content, raw.headers.multi_items()
        for token in self._pool.tokens:
            secret = token.encode()
            if secret in content:
                content = content.replace(secret, b"***")
            headers = [(k, v.replace(token, "***")) for k, v in headers]
        if content is raw.content and headers == raw.headers.multi_items():
            return raw
        return httpx.Response(raw.status_code, headers=headers, content=content)

    @staticmethod
    def _limit_kind(raw: httpx.Response, remaining: float | None) -> str | None:
        """``secondary``, ``primary`` or None (an ordinary 403, e.g. a forbidden resource)."""
        message = ""
        error_types: set[str] = set()
        try:
            body = json.loads(raw.content or b"null")
        except ValueError:
            body = None
        if isinstance(body, dict):
            message = str(body.get("message") or "").lower()
            for err in body.get("errors") or []:
                if isinstance(err, dict) and err.get("type"):
                    error_types.add(str(err["type"]))
        if raw.status_code == 200:
            return "primary" if error_types & {"RATE_LIMITED", "RATE_LIMIT"} else None
        if "retry-after" in raw.headers or any(m in message for m in _SECONDARY_MARKERS):
            return "secondary"
        if remaining == 0 or "rate limit" in message:
            return "primary"
        if raw.status_code == 429:
            return "secondary"
        return None


_DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    """Scheme, host and port, with the scheme's default port made explicit."""
    return url.scheme, url.host, url.port or _DEFAULT_PORTS.get(url.scheme)


def _default_transport(base_url: str) -> httpx.BaseTransport:
    """The real connection pool, honouring the environment's proxy settings for ``base_url``.

    githubkit's per-call clients cannot apply them (they would route around this transport), so
    the proxy is resolved once here.
    """
    host = httpx.URL(base_url).host
    proxies = urllib.request.getproxies()
    scheme = httpx.URL(base_url).scheme
    proxy = proxies.get(scheme) or proxies.get("all")
    if proxy and host and urllib.request.proxy_bypass(host):
        proxy = None
    return httpx.HTTPTransport(proxy=proxy, retries=0)
