"""`globallm redundancy` on the simulated world's planted near-duplicate READMEs (real model)."""

import json

import pytest

from globallm_assets.services.sources import simulated_world
from globallm_assets_tests.cli_runner import cli


def _planted_pair_and_stranger() -> tuple[str, str, str]:
    world = simulated_world(7, 200)
    cluster = world.duplicate_clusters[0]
    clustered = {name for group in world.duplicate_clusters for name in group}
    language = world.repositories()[0].language
    by_lang = {m.full_name: m.language for m in world.repositories()}
    stranger = next(
        m.full_name
        for m in world.repositories(by_lang[cluster[0]])
        if m.full_name not in clustered and not m.is_fork
    )
    assert language
    return cluster[0], cluster[1], stranger


def test_pairwise_table_flags_the_planted_duplicate_only(dsn, capsys):
    a, b, stranger = _planted_pair_and_stranger()
    code = cli(
        "--database-url",
        dsn,
        "redundancy",
        a,
        b,
        stranger,
        "--source",
        "simulated",
        "--export",
        "json",
    )
    assert code == 0
    pairs = {(p["a"], p["b"]): p for p in json.loads(capsys.readouterr().out)}
    assert pairs[(a, b)]["redundant"] is True
    assert pairs[(a, stranger)]["redundant"] is False
    assert pairs[(a, b)]["similarity"] > pairs[(a, stranger)]["similarity"]


def test_language_clusters_are_stored_with_advice(dsn, capsys):
    assert (
        cli(
            "--database-url",
            dsn,
            "discover",
            "--language",
            "python",
            "--source",
            "simulated",
            "--min-stars",
            "0",
            "--max-results",
            "500",
        )
        == 0
    )
    capsys.readouterr()
    args = ("redundancy", "--language", "python", "--source", "simulated", "--export", "json")
    assert cli("--database-url", dsn, *args) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows, "the planted clusters are found"
    by_cluster: dict[str, list[dict]] = {}
    for row in rows:
        by_cluster.setdefault(row["cluster"], []).append(row)
    for members in by_cluster.values():
        assert len(members) >= 2
        assert sum(1 for m in members if m["recommendation"] == "keep") == 1
        for m in members:
            assert (m["penalty"] == 0) == (m["recommendation"] == "keep")
    world = simulated_world(7, 200)
    planted = [set(c) for c in world.duplicate_clusters if c[0] in {r["repository"] for r in rows}]
    assert planted


@pytest.mark.parametrize(
    "args",
    [
        ("redundancy",),
        ("redundancy", "a/b"),
        ("redundancy", "a/b", "c/d", "--language", "python"),
        ("redundancy", "--language", "cobol"),
        ("redundancy", "a/b", "not a repo"),
        ("redundancy", "nobody/x1", "nobody/x2", "--source", "simulated"),
    ],
)
def test_refusals_exit_2(dsn, capsys, args):
    assert cli("--database-url", dsn, *args) == 2
    assert "Traceback" not in capsys.readouterr().err
