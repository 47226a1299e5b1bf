"""`globallm repos list | show | remove` through the real entry point, real PostgreSQL.

The store is filled the way a user fills it (``discover`` and ``analyze`` on the simulated world);
verdicts for the filter tests are set directly so each status has a known membership.
"""

from __future__ import annotations

import io
import json

import psycopg
import pytest

from globallm_assets.core.models import DependencyEdge
from globallm_assets.services.sources import simulated_world
from globallm_assets.store import repositories as repo_store
from globallm_assets_tests.cli_runner import cli as run_cli
from globallm_assets_tests.cli_runner import simulated_db

# Everything here happens in the simulated world, whose database sits beside `dsn`.
pytestmark = pytest.mark.usefixtures("demo_dsn")


def cli(dsn: str, *args: str) -> int:
    return run_cli("--database-url", dsn, "--source", "simulated", *args)


def stored(dsn: str) -> dict[str, tuple]:
    with psycopg.connect(simulated_db(dsn)) as conn:
        found = conn.execute(
            "SELECT name, language, stars, worth_working_on FROM repositories"
        ).fetchall()
    return {r[0]: r[1:] for r in found}


@pytest.fixture
def filled(dsn: str, capsys: pytest.CaptureFixture[str]) -> str:
    """Popular python and rust repositories discovered; the store's DSN."""
    for language in ("python", "rust"):
        args = ["discover", "--language", language, "--min-stars", "500", "--source", "simulated"]
        assert cli(dsn, *args) == 0
    capsys.readouterr()
    assert {lang for lang, *_ in stored(dsn).values()} == {"python", "rust"}
    return dsn


def listed(dsn: str, capsys: pytest.CaptureFixture[str], *args: str) -> list[dict]:
    assert cli(dsn, "repos", "list", *args, "--limit", "1000", "--export", "json") == 0
    return json.loads(capsys.readouterr().out)


def test_list_shows_every_repository_most_starred_first(filled, capsys):
    data = listed(filled, capsys)
    assert {r["name"] for r in data} == set(stored(filled))
    stars = [r["stars"] for r in data]
    assert stars == sorted(stars, reverse=True)

    assert cli(filled, "repos", "list", "--limit", "2", "--export", "json") == 0
    top = json.loads(capsys.readouterr().out)
    assert [r["name"] for r in top] == [r["name"] for r in data[:2]]

    assert cli(filled, "repos", "list", "--limit", "3") == 0
    out = capsys.readouterr().out
    assert f"showing 3 of {len(data)}" in out
    assert data[0]["name"] in out


def test_list_language_filter(filled, capsys):
    rust = listed(filled, capsys, "--language", "rust")
    expected = {n for n, (lang, *_) in stored(filled).items() if lang == "rust"}
    assert rust and {r["name"] for r in rust} == expected


def test_list_status_filters_follow_the_stored_verdicts(filled, capsys):
    names = sorted(stored(filled))
    good, bad = names[0], names[1]
    with psycopg.connect(simulated_db(filled)) as conn:
        conn.execute(
            "UPDATE repositories SET worth_working_on = (name = %s), verdict_reason = 'test' "
            "WHERE name = ANY(%s)",
            (good, [good, bad]),
        )
    assert [r["name"] for r in listed(filled, capsys, "--filter", "approved")] == [good]
    assert [r["name"] for r in listed(filled, capsys, "--filter", "rejected")] == [bad]
    rest = {r["name"] for r in listed(filled, capsys, "--filter", "unanalyzed")}
    assert rest == set(names) - {good, bad}


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--filter", "maybe"], "--filter must be one of"),
        (["--language", "cobol"], "unknown language"),
        (["--export", "csv"], "--export must be one of"),
    ],
)
def test_list_bad_options_exit_2(dsn, capsys, args, fragment):
    assert cli(dsn, "repos", "list", *args) == 2
    err = capsys.readouterr().err.strip()
    assert fragment in err and len(err.splitlines()) == 1


def test_show_after_analyze_has_every_stored_field_and_component(dsn, capsys):
    name = simulated_world(7, 200).repositories("python")[0].full_name
    assert cli(dsn, "analyze", name, "--source", "simulated", "--export", "json") == 0
    analysis = json.loads(capsys.readouterr().out)

    assert cli(dsn, "repos", "show", f"https://github.com/{name}", "--export", "json") == 0
    data = json.loads(capsys.readouterr().out)
    assert data["name"] == name and data["language"] == "python"
    assert data["health_score"] == pytest.approx(analysis["health"])
    assert data["impact_score"] == pytest.approx(analysis["impact"])
    assert data["worth_working_on"] is analysis["worth_working_on"]
    assert data["verdict_reason"] == analysis["reason"]
    assert data["health"]["commit_velocity"] == pytest.approx(
        analysis["health_parts"]["commit_velocity"]
    )
    assert data["impact"]["direct_dependents"] == analysis["impact_parts"]["direct_dependents"]
    assert data["metadata"]["full_name"] == name and data["analyzed_at"]

    assert cli(dsn, "repos", "show", name) == 0
    out = capsys.readouterr().out
    assert name in out
    assert f"{analysis['health']:.0%}" in out
    assert ("✓ worth working on" if analysis["worth_working_on"] else "✗") in out
    assert "commit velocity" in out and "direct dependents" in out


@pytest.mark.parametrize("verb", ["show", "remove"])
def test_show_and_remove_of_an_unknown_or_malformed_repository_exit_2(dsn, capsys, verb):
    extra = ["--yes"] if verb == "remove" else []
    assert cli(dsn, "repos", verb, "nobody/nothing", *extra) == 2
    assert "nobody/nothing is not in the store" in capsys.readouterr().err
    assert cli(dsn, "repos", verb, "no thing", *extra) == 2
    assert "not a repository name or URL" in capsys.readouterr().err


def _add_issue(dsn: str, repository: str, number: int, *, claimed_by: str | None) -> None:
    with psycopg.connect(simulated_db(dsn)) as conn:
        conn.execute(
            "INSERT INTO issues (repository, number, title, assignment_status, assigned_to, "
            "assigned_at) VALUES (%s, %s, 'x', %s, %s, CASE WHEN %s THEN now() END)",
            (
                repository,
                number,
                "assigned" if claimed_by else "available",
                claimed_by,
                claimed_by is not None,
            ),
        )


def _count(dsn: str, sql: str, *params: object) -> int:
    with psycopg.connect(simulated_db(dsn)) as conn:
        return conn.execute(sql, params).fetchone()[0]


def test_remove_with_yes_deletes_the_repository_its_issues_and_edges(filled, capsys):
    names = sorted(stored(filled))
    victim, other, third = names[0], names[1], names[2]
    _add_issue(filled, victim, 1, claimed_by=None)
    with psycopg.connect(simulated_db(filled)) as conn:
        edges = [(victim, other), (other, victim), (third, other)]
        repo_store.replace_graph(
            conn,
            "pypi",
            [DependencyEdge(dependent=a, dependency=b, ecosystem="pypi") for a, b in edges],
        )
    assert cli(filled, "repos", "remove", victim, "--yes") == 0
    assert f"removed {victim}" in capsys.readouterr().out
    assert victim not in stored(filled) and other in stored(filled)
    assert _count(filled, "SELECT count(*) FROM issues WHERE repository = %s", victim) == 0
    remaining = "SELECT dependent, dependency FROM dependency_edges"
    with psycopg.connect(simulated_db(filled)) as conn:
        assert conn.execute(remaining).fetchall() == [(third, other)]


def test_remove_refuses_with_exit_1_while_an_issue_is_claimed(filled, capsys):
    victim = sorted(stored(filled))[0]
    _add_issue(filled, victim, 7, claimed_by="agent-1")
    assert cli(filled, "repos", "remove", victim, "--yes") == 1
    err = capsys.readouterr().err.strip()
    assert "claimed" in err and len(err.splitlines()) == 1 and "Traceback" not in err
    assert victim in stored(filled)
    assert _count(filled, "SELECT count(*) FROM issues WHERE repository = %s", victim) == 1


def test_remove_asks_first_and_keeps_the_repository_when_declined(filled, capsys, monkeypatch):
    victim = sorted(stored(filled))[0]
    monkeypatch.setattr("sys.stdin", io.StringIO("n\n"))
    assert cli(filled, "repos", "remove", victim) == 1
    assert f"Remove {victim}" in capsys.readouterr().out
    assert victim in stored(filled)

    monkeypatch.setattr("sys.stdin", io.StringIO("y\n"))
    assert cli(filled, "repos", "remove", victim) == 0
    assert victim not in stored(filled)
