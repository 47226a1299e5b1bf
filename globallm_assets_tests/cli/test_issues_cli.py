"""`globallm issues` and `globallm prioritize` on the simulated source and a real store."""

import csv
import io
import json

import pytest

from globallm_assets.services.sources import simulated_world
from globallm_assets_tests.cli_runner import cli, simulated_db


def _busy_python_repo() -> str:
    world = simulated_world(7, 200)
    repos = sorted(world.repositories("python"), key=lambda m: -m.open_issues)
    return repos[0].full_name


def test_issues_fetches_scores_and_lists(dsn, capsys):
    name = _busy_python_repo()
    code = cli("--database-url", dsn, "issues", name, "--source", "simulated", "--export", "json")
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert data["repository"] == name
    assert data["fetched"] > 0
    assert data["issues"], "open issues are listed"
    for row in data["issues"]:
        assert row["state"] == "open"
        assert row["category"] in {
            "bug",
            "feature",
            "documentation",
            "security",
            "performance",
            "question",
            "chore",
            "unclassified",
        }
        assert 0 <= row["solvability"] <= 1 and 1 <= row["complexity"] <= 10

    # Second run is incremental and filters by category.
    category = data["issues"][0]["category"]
    assert (
        cli(
            "--database-url",
            dsn,
            "issues",
            name,
            "--source",
            "simulated",
            "--category",
            category,
            "--export",
            "json",
        )
        == 0
    )
    again = json.loads(capsys.readouterr().out)
    assert {row["category"] for row in again["issues"]} == {category}


@pytest.mark.parametrize(
    "args",
    [
        ("issues", "not a repo", "--source", "simulated"),
        ("issues", "nobody/nothing-here", "--source", "simulated"),
        ("issues", "a/b", "--state", "sideways"),
        ("issues", "a/b", "--sort", "random"),
        ("prioritize", "--min-priority", "high"),
        ("prioritize", "--min-priority", "nan"),
        ("prioritize", "--language", "cobol"),
        ("prioritize", "--export", "xml"),
    ],
)
def test_refusals_exit_2_with_one_line(dsn, capsys, args):
    assert cli("--database-url", dsn, *args) == 2
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err
    assert err


def test_prioritize_reads_approved_repositories_only(dsn, capsys):
    import psycopg

    name = _busy_python_repo()
    assert cli("--database-url", dsn, "issues", name, "--source", "simulated") == 0
    capsys.readouterr()
    # Not approved yet: nothing to rank.
    assert (
        cli("--database-url", dsn, "--source", "simulated", "prioritize", "--export", "json") == 0
    )
    assert json.loads(capsys.readouterr().out) == []

    with psycopg.connect(simulated_db(dsn)) as conn:
        conn.execute(
            "UPDATE repositories SET worth_working_on = true, health_score = 0.8, "
            "impact_score = 0.7 WHERE name = %s",
            (name,),
        )
    top = ("prioritize", "--top", "5", "--export", "csv")
    assert cli("--database-url", dsn, "--source", "simulated", *top) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert 0 < len(rows) <= 5
    priorities = [float(r["priority"]) for r in rows]
    assert priorities == sorted(priorities, reverse=True)
    assert {r["repository"] for r in rows} == {name}

    floor = priorities[0] - 1e-9
    assert (
        cli(
            *("--database-url", dsn, "--source", "simulated", "prioritize"),
            *("--min-priority", str(floor), "--export", "json"),
        )
        == 0
    )
    assert len(json.loads(capsys.readouterr().out)) >= 1
