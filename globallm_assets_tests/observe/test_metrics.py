"""Prometheus metrics scraped over real HTTP: the store's state (read at scrape time) from
`metrics serve`, and an agent's own counters from its endpoint while it works."""

from __future__ import annotations

import socket
import threading

import httpx
import psycopg
import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from globallm_assets.cli import metrics_cmd
from globallm_assets.metrics import agent_registry, serve_store
from globallm_assets.services.agent import FixOutcome, run_agent
from globallm_assets.settings import load_settings
from globallm_assets.store import claims as claim_store
from globallm_assets_tests.cli_runner import cli
from globallm_assets_tests.fleet.seed import seed
from globallm_assets_tests.observe.world import World

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def parse(text: str) -> Samples:
    """Every sample of a /metrics page: (name, sorted labels) → value."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def scrape(url: str) -> Samples:
    response = httpx.get(url, timeout=30)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return parse(response.text)


def _one(dsn: str, query: str) -> int:
    with psycopg.connect(dsn) as conn:
        return int(conn.execute(query).fetchone()[0])


def test_store_metrics_are_read_from_postgres_at_scrape_time(world: World) -> None:
    server = serve_store(world.settings, world.dsn, host="127.0.0.1", port=0)
    try:
        samples = scrape(server.url)
    finally:
        server.close()
    assert samples[("globallm_store_up", ())] == 1
    prs = {s: samples[("globallm_pull_requests", (("state", s),))] for s in ("open", "merged")}
    assert prs == {"open": 0, "merged": 1}
    assert samples[("globallm_pull_requests", (("state", "closed"),))] == 1
    assert samples[("globallm_fix_attempts_total", (("outcome", "validated"),))] == 2
    assert samples[("globallm_issues", (("status", "failed"),))] == 1
    limit = samples[("globallm_budget_tokens_limit", ())]
    used = samples[("globallm_budget_tokens_used", ())]
    assert limit == world.settings.budget.weekly_token_budget
    assert samples[("globallm_budget_tokens_remaining", ())] == limit - used
    assert used == _one(world.dsn, "SELECT reserved FROM token_budget WHERE scope = 'total'")
    tokens_in = samples[("globallm_llm_tokens_total", (("direction", "input"),))]
    assert tokens_in == _one(world.dsn, "SELECT sum(input_tokens) FROM llm_usage") > 0
    assert samples[("globallm_claims", (("state", "live"),))] == 0
    assert ("process_cpu_seconds_total", ()) in samples


def test_an_unreachable_store_is_store_up_zero_not_a_failed_scrape(world: World) -> None:
    gone = world.dsn.replace("/t_", "/missing_", 1)
    assert gone != world.dsn
    server = serve_store(world.settings, gone, host="127.0.0.1", port=0)
    try:
        samples = scrape(server.url)
    finally:
        server.close()
    assert samples[("globallm_store_up", ())] == 0
    assert not any(name == "globallm_pull_requests" for name, _ in samples)


def test_metrics_serve_command_serves_until_stopped(
    world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    for name, value in world.cli_environment().items():
        monkeypatch.setenv(name, value)
    seen: dict = {}

    def scrape_then_stop(stop: threading.Event) -> None:
        url = capsys.readouterr().err.split("serving ", 1)[1].split()[0]
        seen.update(scrape(url))
        raise KeyboardInterrupt  # Ctrl-C

    monkeypatch.setattr(metrics_cmd, "wait_for_stop", scrape_then_stop)
    assert cli("metrics", "serve", "--port", "0") == 0
    assert seen[("globallm_pull_requests", (("state", "merged"),))] == 1
    assert "stopped" in capsys.readouterr().err


def test_metrics_serve_on_a_taken_port_fails_in_one_line(
    world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    for name, value in world.cli_environment().items():
        monkeypatch.setenv(name, value)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        assert cli("metrics", "serve", "--port", str(taken.getsockname()[1])) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: cannot listen on 127.0.0.1:") and "\n" not in err


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_agent_serves_its_own_counters_while_it_works(conn, dsn) -> None:
    seed(conn, {"acme/a": "python", "acme/b": "python"}, [("acme/a", 1, 0.9), ("acme/b", 2, 0.8)])
    conn.commit()
    # A claim its agent abandoned an hour ago: the working agent returns it to the pool.
    limits = claim_store.ClaimLimits(1, 5, 50, 5_000_000, 100_000, 3600, 900, 3, 2)
    assert claim_store.claim(conn, "dead-agent", limits, target=("acme/b", 2)) is not None
    conn.execute("UPDATE issues SET last_heartbeat_at = now() - interval '1 hour'")
    conn.commit()
    port = _free_port()
    settings = load_settings(
        overrides={"database.url": dsn, "metrics.agent_port": port, "agents.heartbeat_timeout": 60}
    )
    url = f"http://127.0.0.1:{port}/metrics"
    during: list[Samples] = []
    # The counters belong to the process: other agents in this test session counted too.
    before = parse(generate_latest(agent_registry()).decode())

    def scripted_fix(settings, claimed) -> FixOutcome:
        """Test double for the fixer: scrapes the agent's endpoint mid-fix, reports usage."""
        during.append(scrape(url))
        return FixOutcome(True, f"scripted fix of {claimed.key}", tokens=1000, cost_usd=0.01)

    report = run_agent(settings, dsn, scripted_fix, exit_when_idle=True)
    assert report.completed == 2
    first, second = during

    def grew(samples: Samples, name: str, **labels: str) -> float:
        key = (name, tuple(sorted(labels.items())))
        return samples[key] - before.get(key, 0.0)

    assert grew(first, "globallm_agent_stale_releases_total", status="available") == 1
    assert grew(first, "globallm_agent_claims_total", result="claimed") == 1
    assert grew(second, "globallm_agent_claims_total", result="claimed") == 2
    assert grew(second, "globallm_agent_attempts_total", status="completed") == 1
    assert grew(second, "globallm_agent_tokens_total") == 1000
    assert grew(second, "globallm_agent_attempt_seconds_count") == 1
    assert not any(name.startswith("globallm_store") for name, _ in second)  # agents: own only
    with pytest.raises(httpx.ConnectError):  # the endpoint closes with the agent
        httpx.get(url, timeout=5)
