"""`globallm assign …` through the real entry point against the real store."""

from __future__ import annotations

import json

import psycopg
import pytest

from globallm_assets_tests.cli_runner import cli as run_cli
from globallm_assets_tests.fleet.seed import seed


def cli(dsn: str, *args: str) -> int:
    return run_cli("--database-url", dsn, *args)


@pytest.fixture
def store(conn: psycopg.Connection, dsn: str) -> str:
    seed(
        conn,
        {"acme/a": "python", "gopher/c": "go"},
        [("acme/a", 1, 0.9), ("acme/a", 2, 0.5), ("gopher/c", 7, 0.7)],
    )
    return dsn


def _json(capsys, dsn, *args) -> tuple[int, dict]:
    code = cli(dsn, *args, "--export", "json")
    return code, json.loads(capsys.readouterr().out)


def test_claim_status_release_round_trip(store, capsys):
    code, claimed = _json(capsys, store, "assign", "claim", "--agent-id", "ci-7")
    assert code == 0
    assert claimed["claimed"]["repository"] == "acme/a"
    assert claimed["claimed"]["number"] == 1
    code, status = _json(capsys, store, "assign", "status")
    assert code == 0 and status["counts"]["assigned"] == 1
    [row] = status["assignments"]
    assert (row["agent_id"], row["repository"], row["number"]) == ("ci-7", "acme/a", 1)
    assert row["stale"] is False

    assert cli(store, "assign", "status", "--agent-id", "ci-7") == 0
    out = capsys.readouterr().out
    assert "acme/a#1" in out and "ci-7" in out

    assert cli(store, "assign", "release", "ci-7") == 0
    assert "released acme/a#1" in capsys.readouterr().out
    assert cli(store, "assign", "release", "ci-7") == 0
    assert "holds no claims" in capsys.readouterr().out


def test_claim_without_agent_id_uses_this_process_identity(store, capsys):
    from globallm_assets.services.claim import AgentIdentity

    assert cli(store, "assign", "claim") == 0
    out = capsys.readouterr().out
    assert f"for agent {AgentIdentity.current().id}" in " ".join(out.split())


def test_nothing_to_claim_exits_1_with_the_reason(store, capsys):
    for agent in ("a1", "a2"):
        assert cli(store, "assign", "claim", "--agent-id", agent) == 0
    capsys.readouterr()
    assert cli(store, "assign", "claim", "--agent-id", "a3") == 1
    err = capsys.readouterr().err
    assert "nothing claimed: all 1 candidates capped (1 by per-repository concurrency)" in err
    code, data = _json(capsys, store, "assign", "claim", "--agent-id", "a3")
    assert code == 1 and data["claimed"] is None and "capped" in data["reason"]


def test_stale_listing_and_cleanup(store, conn, capsys):
    assert cli(store, "assign", "claim", "--agent-id", "dead-1") == 0
    assert cli(store, "assign", "claim", "--agent-id", "alive-2") == 0
    conn.execute(
        "UPDATE issues SET last_heartbeat_at = now() - interval '45 minutes' "
        "WHERE assigned_to = 'dead-1'"
    )
    conn.commit()
    capsys.readouterr()
    code, stale = _json(capsys, store, "assign", "status", "--stale")
    assert code == 0
    assert [r["agent_id"] for r in stale["assignments"]] == ["dead-1"]
    assert cli(store, "assign", "cleanup", "--timeout-minutes", "30") == 0
    assert "available acme/a#1 (was dead-1; attempts 1)" in capsys.readouterr().out
    _, status = _json(capsys, store, "assign", "status")
    assert [r["agent_id"] for r in status["assignments"]] == ["alive-2"]
    assert cli(store, "assign", "cleanup") == 0
    assert "no stale claims" in capsys.readouterr().out


def test_usage_errors_exit_2(store, capsys):
    assert cli(store, "assign", "cleanup", "--timeout-minutes", "-1") == 2
    assert cli(store, "assign", "status", "--export", "xml") == 2
    assert cli(store, "assign", "release", " ") == 2
