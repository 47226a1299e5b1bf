"""The compose file's agent service, checked by reading it (no Docker engine here)."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def _services() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]


def test_agent_service_runs_the_worker_against_the_compose_database():
    services = _services()
    agent = services["agent"]
    assert agent["command"] == ["globallm", "agent", "run"]
    assert agent["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert (
        agent["environment"]["GLOBALLM_DATABASE_URL"]
        == (services["dagster-daemon"]["environment"]["GLOBALLM_DATABASE_URL"])
    )
    assert agent["build"] == services["migrate"]["build"]


def test_agent_service_can_be_scaled_and_stops_cleanly():
    agent = _services()["agent"]
    # `--scale agent=N` refuses fixed container names and fixed host ports.
    assert "container_name" not in agent and "ports" not in agent
    assert agent.get("stop_signal", "SIGTERM") == "SIGTERM"
    grace = agent["stop_grace_period"]
    assert grace.endswith("s") and int(grace[:-1]) >= 30
