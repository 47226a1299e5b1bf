"""Prometheus metrics: the store's state, read at scrape time, and each agent's own counters.

Two kinds of endpoint, so a fleet of any size is counted exactly once:

- ``globallm metrics serve`` (one per database) exports what PostgreSQL knows, computed when
  Prometheus scrapes (:class:`StoreCollector`): pull requests by state, budget used / left,
  issues by assignment status, live and stale claims, active and stale agents, fix attempts by
  outcome, model tokens. No agent has to aggregate anything, and every agent sees the same
  numbers. An unreachable store is ``globallm_store_up 0``, not a failed scrape.
- ``globallm agent run`` with ``metrics.agent_port`` set exports that process's own counters:
  claims by result, heartbeats, stale claims it released, attempts by status, tokens and cost of
  its fixes, attempt durations. Events that leave no row behind (a heartbeat, a release) can
  only be counted where they happen.

Nothing here runs at import time beyond creating unregistered metric objects.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.process_collector import ProcessCollector

from globallm_assets.settings import Settings

log = logging.getLogger(__name__)

PREFIX = "globallm"
PROBE_SECONDS = 3

# --------------------------------------------------------------------------- agent counters
# Created unregistered: each endpoint builds its own registry (tests and several servers in one
# process must not collide in prometheus_client's global one).

AGENT_CLAIMS = Counter(
    f"{PREFIX}_agent_claims",
    "Claim attempts by this agent: claimed, empty (nothing claimable), budget_exhausted",
    ["result"],
    registry=None,
)
AGENT_HEARTBEATS = Counter(
    f"{PREFIX}_agent_heartbeats", "Heartbeats this agent sent for its claims", registry=None
)
AGENT_STALE_RELEASES = Counter(
    f"{PREFIX}_agent_stale_releases",
    "Silent claims (of any agent) this agent returned to the pool, by the issue's new status",
    ["status"],
    registry=None,
)
AGENT_ATTEMPTS = Counter(
    f"{PREFIX}_agent_attempts",
    "Fix attempts this agent finished, by how the claim ended",
    ["status"],
    registry=None,
)
AGENT_TOKENS = Counter(
    f"{PREFIX}_agent_tokens", "Model tokens of this agent's fixes", registry=None
)
AGENT_COST = Counter(f"{PREFIX}_agent_cost_usd", "Cost of this agent's fixes", registry=None)
AGENT_ATTEMPT_SECONDS = Histogram(
    f"{PREFIX}_agent_attempt_seconds",
    "Wall time of this agent's fix attempts",
    buckets=(10, 30, 60, 120, 300, 600, 900, 1800, 3600),
    registry=None,
)
AGENT_METRICS = (
    AGENT_CLAIMS,
    AGENT_HEARTBEATS,
    AGENT_STALE_RELEASES,
    AGENT_ATTEMPTS,
    AGENT_TOKENS,
    AGENT_COST,
    AGENT_ATTEMPT_SECONDS,
)


def record_claim(issue: object | None, budget_exhausted: bool) -> None:
    result = "claimed" if issue is not None else "budget_exhausted" if budget_exhausted else "empty"
    AGENT_CLAIMS.labels(result).inc()


def record_stale_releases(statuses: Iterable[str]) -> None:
    for status in statuses:
        AGENT_STALE_RELEASES.labels(status).inc()


def record_attempt(
    status: str, seconds: float, *, tokens: int = 0, cost_usd: float = 0.0, heartbeats: int = 0
) -> None:
    AGENT_ATTEMPTS.labels(status).inc()
    AGENT_ATTEMPT_SECONDS.observe(max(0.0, seconds))
    AGENT_TOKENS.inc(max(0, tokens))
    AGENT_COST.inc(max(0.0, cost_usd))
    AGENT_HEARTBEATS.inc(max(0, heartbeats))


# --------------------------------------------------------------------------- the store's state


class StoreCollector:
    """Reads the store when Prometheus scrapes (``globallm status``'s report, one snapshot)."""

    def __init__(self, settings: Settings, dsn: str) -> None:
        self._settings = settings
        self._dsn = dsn

    def describe(self) -> list[Metric]:
        # Without this, registering the collector would query the store once.
        return []

    def collect(self) -> Iterator[Metric]:
        import psycopg

        from globallm_assets.services.status import collect
        from globallm_assets.store import status as store
        from globallm_assets.store.db import pool

        try:
            # A short direct probe first: the pool would wait its full timeout for a store
            # that is down, longer than Prometheus waits for a scrape.
            with psycopg.connect(self._dsn, connect_timeout=PROBE_SECONDS):
                pass
            report = collect(self._settings, self._dsn, repositories=1, failures=1)
            with pool(self._dsn).connection() as conn:
                llm = store.llm_totals(conn)
        except (psycopg.Error, OSError) as exc:
            log.warning("metrics: store unreachable: %s", " ".join(str(exc).split())[:200])
            yield _gauge("store_up", "1 when the store answered this scrape", 0)
            return
        yield _gauge("store_up", "1 when the store answered this scrape", 1)
        yield from _store_metrics(report, llm)


def _gauge(name: str, text: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(f"{PREFIX}_{name}", text, value=value)


def _labelled(
    kind: type[GaugeMetricFamily] | type[CounterMetricFamily],
    name: str,
    text: str,
    label: str,
    values: dict[str, Any],
) -> Metric:
    family = kind(f"{PREFIX}_{name}", text, labels=[label])
    for key, value in values.items():
        family.add_metric([key], float(value))
    return family


def _store_metrics(report: Any, llm: dict[str, Any]) -> Iterator[Metric]:
    budget, prs, issues, agents = (
        report.budget,
        report.pull_requests,
        report.issues,
        report.agents,
    )
    yield _gauge("budget_tokens_limit", "Weekly token budget of the fleet", budget["tokens_limit"])
    yield _gauge(
        "budget_tokens_used",
        "Tokens committed this budget week (settled use plus open reservations)",
        budget["tokens_used"],
    )
    yield _gauge(
        "budget_tokens_remaining", "Tokens left this budget week", budget["tokens_remaining"]
    )
    yield _gauge(
        "budget_tokens_in_flight", "Tokens reserved by running calls", budget["tokens_in_flight"]
    )
    yield _gauge("budget_seconds_used", "Fix-run seconds this budget week", budget["seconds_used"])
    yield _gauge("budget_cost_usd", "Cost committed this budget week", budget["cost_usd"])
    exhausted = int(bool(budget["exhausted"]))
    yield _gauge("budget_exhausted", "1 when agents stop claiming for this week", exhausted)
    yield _labelled(
        GaugeMetricFamily,
        "pull_requests",
        "Pull requests GlobaLLM opened, by state",
        "state",
        {state: prs[state] for state in ("open", "merged", "closed")},
    )
    yield _labelled(
        GaugeMetricFamily,
        "issues",
        "Open issues by assignment status",
        "status",
        {s: issues[s] for s in ("available", "assigned", "completed", "failed")},
    )
    yield _labelled(
        GaugeMetricFamily,
        "claims",
        "Claims held now, by heartbeat (live: fresh; stale: past the timeout)",
        "state",
        {"live": agents["claims"] - agents["stale_claims"], "stale": agents["stale_claims"]},
    )
    yield _labelled(
        GaugeMetricFamily,
        "agents",
        "Agents holding claims, by heartbeat",
        "state",
        {"active": agents["active"], "stale": agents["stale"]},
    )
    yield _labelled(
        GaugeMetricFamily,
        "repositories",
        "Repositories by verdict",
        "verdict",
        {v: report.repositories[v] for v in ("approved", "rejected", "undecided")},
    )
    yield _labelled(
        CounterMetricFamily,
        "fix_attempts",
        "Fix attempts recorded, by outcome",
        "outcome",
        report.fixes["by_outcome"],
    )
    yield _labelled(
        CounterMetricFamily,
        "llm_tokens",
        "Model tokens recorded, by direction",
        "direction",
        {"input": llm["input_tokens"], "output": llm["output_tokens"]},
    )
    yield CounterMetricFamily(f"{PREFIX}_llm_calls", "Model calls recorded", value=llm["calls"])


# --------------------------------------------------------------------------- endpoints


def store_registry(settings: Settings, dsn: str) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(StoreCollector(settings, dsn))
    ProcessCollector(registry=registry)
    return registry


def agent_registry() -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    for metric in AGENT_METRICS:
        registry.register(metric)
    ProcessCollector(registry=registry)
    return registry


@dataclass
class MetricsServer:
    """A running ``/metrics`` endpoint (a daemon thread); ``close`` stops it."""

    host: str
    port: int
    _httpd: Any

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/metrics"

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


def serve(registry: CollectorRegistry, host: str, port: int) -> MetricsServer:
    """Serve ``registry`` on ``host:port`` (port 0: any free one); raises OSError when the
    address is taken."""
    httpd, _thread = start_http_server(port, addr=host, registry=registry)
    return MetricsServer(host, httpd.server_port, httpd)


def serve_store(settings: Settings, dsn: str, *, host: str, port: int) -> MetricsServer:
    """``globallm metrics serve``: the store's state at every scrape."""
    return serve(store_registry(settings, dsn), host, port)


def serve_agent(settings: Settings) -> MetricsServer | None:
    """The agent's own endpoint when ``metrics.agent_port`` is set; None otherwise, or when
    the port is taken (an agent works on without metrics rather than not at all)."""
    port = settings.metrics.agent_port
    if port is None:
        return None
    try:
        server = serve(agent_registry(), settings.metrics.host, port)
    except OSError as exc:
        log.warning("agent metrics not served on %s:%s: %s", settings.metrics.host, port, exc)
        return None
    log.info("agent metrics on %s", server.url)
    return server
