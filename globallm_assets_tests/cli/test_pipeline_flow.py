"""The seeds' flow, command by command, from the CLI alone: discover → analyze → repos list
--filter approved → issues → prioritize ends in a ranking. Every empty step names the command
that fills it. The source is the simulated world at its default size (seed 7, 1,000 repositories
per language: at the tests' usual 200 no repository passes both verdict thresholds)."""

from __future__ import annotations

import json

import pytest

from globallm_assets.services.sources import simulated_world
from globallm_assets_tests.cli_runner import cli

SIM = ("--source", "simulated")
WORLD_SIZE = 1000


@pytest.fixture
def default_world(monkeypatch: pytest.MonkeyPatch) -> None:
    # Every command of the flow works in the simulated world (its own database).
    monkeypatch.setenv("GLOBALLM_SOURCE__KIND", "simulated")
    monkeypatch.setenv("GLOBALLM_SOURCE__REPOS_PER_LANGUAGE", str(WORLD_SIZE))


def _run(dsn: str, capsys, *args: str) -> str:
    code = cli("--database-url", dsn, *args)
    out = capsys.readouterr().out
    assert code == 0, out
    return out


def _json(dsn: str, capsys, *args: str):
    return json.loads(_run(dsn, capsys, *args, "--export", "json"))


@pytest.mark.slow
def test_the_seeds_flow_command_by_command_yields_a_ranking(dsn, capsys, default_world) -> None:
    # Before anything: the empty ranking says what to run first.
    out = _run(dsn, capsys, "prioritize", "--language", "python")
    assert "run `globallm discover --language python`" in out

    kept = _json(dsn, capsys, "discover", "--language", "python", *SIM)
    assert kept["kept"] > 0
    out = _run(dsn, capsys, "prioritize", "--language", "python")
    assert "run `globallm analyze --language python`" in out

    analysis = _json(dsn, capsys, "analyze", "--language", "python", *SIM)
    [python] = analysis["languages"]
    assert python["scored"] == kept["kept"]
    assert analysis["edges_by_ecosystem"]["pypi"] > 0, "analyze built the dependency graph"
    assert python["approved"] > 0

    approved = [r["name"] for r in _json(dsn, capsys, "repos", "list", "--filter", "approved")]
    assert sorted(approved) == sorted(python["approved_repositories"])
    out = _run(dsn, capsys, "prioritize", "--language", "python")
    assert "run `globallm prioritize --refresh --language python`" in out

    world = simulated_world(7, WORLD_SIZE)
    for name in approved:
        listed = _json(dsn, capsys, "issues", name, *SIM)
        assert listed["fetched"] == sum(1 for _ in world.issues(name))

    ranking = _json(dsn, capsys, "prioritize", "--language", "python", "--top", "50")
    assert ranking, "the flow ends in a non-empty ranking"
    assert {row["repository"] for row in ranking} <= set(approved)
    priorities = [row["priority"] for row in ranking]
    assert priorities == sorted(priorities, reverse=True)


@pytest.mark.slow
def test_prioritize_refresh_fetches_and_ranks_what_issues_would(dsn, capsys, default_world) -> None:
    """`prioritize --refresh` runs the issue stages itself; it ranks the same issues, in the
    same order, as fetching each approved repository with `globallm issues` does."""
    _json(dsn, capsys, "discover", "--language", "rust", *SIM)
    _json(dsn, capsys, "analyze", "--language", "rust", *SIM)
    refreshed = _json(
        dsn, capsys, "prioritize", "--language", "rust", "--refresh", *SIM, "--top", "30"
    )
    assert refreshed
    approved = [r["name"] for r in _json(dsn, capsys, "repos", "list", "--filter", "approved")]
    for name in approved:
        _json(dsn, capsys, "issues", name, *SIM)
    again = _json(dsn, capsys, "prioritize", "--language", "rust", "--top", "30")
    key = [(r["repository"], r["number"]) for r in refreshed]
    assert key == [(r["repository"], r["number"]) for r in again]


def test_graph_build_from_the_cli_is_the_assets_graph(dsn, capsys) -> None:
    from globallm_assets.services import analysis
    from globallm_assets.settings import load_settings

    empty = _run(dsn, capsys, "graph", "build", "--language", "go", *SIM)
    assert "run `globallm discover --language go`" in empty
    _json(dsn, capsys, "discover", "--language", "go", *SIM, "--min-stars", "0")
    built = _json(dsn, capsys, "graph", "build", "--language", "go", *SIM)
    assert built["edges_by_ecosystem"]["go"] > 0
    world = simulated_world(7, 200)
    expected, _ = analysis.ecosystem_graph(world.package_index("go"), [])
    assert built["edges"] == len({(e.dependent, e.dependency) for e in expected})
    assert load_settings().source.kind == "github", "the CLI's --source does not leak"


def test_analyze_needs_exactly_one_target(dsn, capsys) -> None:
    for args in ((), ("a/b", "--all"), ("--language", "python", "--all")):
        assert cli("--database-url", dsn, "analyze", *args) == 2
        assert "give one of OWNER/REPO, --language L or --all" in capsys.readouterr().err
