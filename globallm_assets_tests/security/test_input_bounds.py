"""Bounds on input: a filter above every score says so, instead of suggesting the demo."""

import psycopg

from globallm_assets.services.sources import simulated_world
from globallm_assets_tests.cli_runner import cli


def test_min_priority_above_every_score_says_so(dsn, demo_dsn, capsys):
    world = simulated_world(7, 200)
    name = max(world.repositories("python"), key=lambda m: m.open_issues).full_name
    assert cli("--database-url", dsn, "--source", "simulated", "issues", name) == 0
    with psycopg.connect(demo_dsn) as conn:
        conn.execute(
            "UPDATE repositories SET worth_working_on = true, health_score = 0.8, "
            "impact_score = 0.7 WHERE name = %s",
            (name,),
        )
    capsys.readouterr()
    assert (
        cli("--database-url", dsn, "--source", "simulated", "prioritize", "--min-priority", "1.5")
        == 0
    )
    out = " ".join(capsys.readouterr().out.split())
    assert "no issue has priority ≥ 1.5" in out
    assert "the highest is 0." in out
    assert "demo" not in out
