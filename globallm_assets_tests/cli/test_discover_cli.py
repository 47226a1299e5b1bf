"""`globallm discover | analyze | analyze-user` through the real entry point, real PostgreSQL.

The source is the simulated world (seed 7, 200 repositories per language, the settings' default),
so expectations are computed from the same world the command searched, not hard-coded.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from globallm_assets.core.models import ActivityStats, RepoMetadata
from globallm_assets.services.sources import simulated_world
from globallm_assets.settings import FilterSettings
from globallm_assets_tests.cli_runner import cli as run_cli
from globallm_assets_tests.cli_runner import simulated_db
from globallm_assets_tests.fakes.github_server import FakeGitHub, synthesize_repo

# The simulated world's database exists from the start (bad-input tests read it empty).
pytestmark = pytest.mark.usefixtures("demo_dsn")

TOKEN = "ghp_" + "Q" * 36


def cli(dsn: str, *args: str) -> int:
    return run_cli("--database-url", dsn, *args)


def world():
    return simulated_world(7, 200)


def rows(dsn: str) -> list[tuple]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(
            "SELECT name, language, stars, forks, data, is_library, health_score, impact_score, "
            "worth_working_on, verdict_reason FROM repositories ORDER BY name"
        ).fetchall()


def top_python_repo() -> str:
    return world().repositories("python")[0].full_name


def expected_keepers(language: str, min_stars: int) -> set[str]:
    """What the seeds' discovery rule keeps, computed from the world (no dependents stored)."""
    allowed = {x.lower() for x in FilterSettings().license_allowlist}
    return {
        m.full_name
        for m in world().repositories(language)
        if m.stars >= min_stars
        and not m.archived
        and not m.is_fork
        and (m.license or "").lower() in allowed
    }


# --- discover -------------------------------------------------------------------------------


def test_discover_stores_exactly_the_keepers_and_a_rerun_leaves_the_same_rows(dsn, capsys):
    args = ("discover", "--language", "python", "--min-stars", "1000", "--source", "simulated")
    args += ("--min-dependents", "1000000", "--export", "json")
    assert cli(dsn, *args) == 0
    report = json.loads(capsys.readouterr().out)
    first = rows(simulated_db(dsn))

    expected = expected_keepers("python", 1000)
    assert expected, "the world should hold some popular python repositories"
    assert {r[0] for r in first} == expected
    assert {k["name"] for k in report["languages"][0]["kept"]} == expected
    assert all(r[1] == "python" for r in first)
    assert report["kept"] == len(expected)
    assert report["found"] == report["kept"] + report["rejected"]
    assert report["rejected"] > 0  # e.g. GPL-3.0-only is not on the allow-list

    assert cli(dsn, *args) == 0
    assert json.loads(capsys.readouterr().out)["kept"] == len(expected)
    assert rows(simulated_db(dsn)) == first


def test_discover_min_stars_keeps_only_repositories_at_or_above_it(dsn, capsys):
    stars = sorted((m.stars for m in world().repositories("python")), reverse=True)
    floor = stars[5]
    args = ["discover", "--language", "python", "--source", "simulated"]
    assert cli(dsn, *args, "--min-stars", str(floor), "--min-dependents", "1000000") == 0
    out = capsys.readouterr().out
    stored = rows(simulated_db(dsn))
    assert stored and all(r[2] >= floor for r in stored)
    assert {r[0] for r in stored} == expected_keepers("python", floor)
    summary = next(line for line in out.splitlines() if line.startswith("python: found"))
    assert f"kept {len(stored)}," in summary
    assert top_python_repo() in out
    assert "stars" in out

    # A lower floor keeps strictly more: the option really is the filter.
    assert cli(dsn, *args, "--min-stars", str(stars[20]), "--min-dependents", "1000000") == 0
    assert len(rows(simulated_db(dsn))) > len(stored)


def test_discover_export_json_writes_nothing_but_json(dsn, capsys):
    args = ["discover", "--language", "rust", "--min-stars", "0", "--max-results", "5"]
    assert cli(dsn, *args, "--source", "simulated", "--export", "json") == 0
    out = capsys.readouterr().out
    data = json.loads(out)  # the whole of stdout parses
    assert out.lstrip().startswith("{")
    assert data["domain"] == "overall" and data["source"] == "simulated"
    kept = data["languages"][0]["kept"]
    # --max-results counts keepers: the world has far more rust repositories than five, so
    # exactly five are kept, however many were looked at (some are rejected on the way).
    assert len(kept) == 5
    assert data["found"] == 5 + data["rejected"]
    assert {"name", "stars", "license", "why"} <= set(kept[0])
    assert {r[0] for r in rows(simulated_db(dsn))} == {k["name"] for k in kept}


def test_discover_domain_keeps_only_repositories_with_the_domains_topics(dsn, capsys):
    from globallm_assets.core.domains import DOMAINS

    wanted = {q.removeprefix("topic:") for q in DOMAINS["ai_ml"]}
    args = ["discover", "--domain", "ai_ml", "--language", "rust", "--min-stars", "0"]
    assert cli(dsn, *args, "--source", "simulated", "--export", "json") == 0
    kept = json.loads(capsys.readouterr().out)["languages"][0]["kept"]
    assert kept
    topics = {m.full_name: set(m.topics) for m in world().repositories("rust")}
    assert all(topics[k["name"]] & wanted for k in kept)


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--language", "cobol"], "unknown language"),
        (["--domain", "gardening"], "unknown domain"),
        (["--source", "sourceforge"], "--source must be one of"),
        (["--export", "yaml"], "--export must be one of"),
    ],
)
def test_discover_bad_input_exits_2_with_one_line_and_writes_nothing(dsn, capsys, args, fragment):
    assert cli(dsn, "discover", "--source", "simulated", *args) == 2
    err = capsys.readouterr().err.strip()
    assert fragment in err
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert rows(simulated_db(dsn)) == []


# --- analyze --------------------------------------------------------------------------------


def test_analyze_prints_health_impact_verdict_and_stores_them(dsn, capsys):
    name = top_python_repo()
    assert cli(dsn, "analyze", name, "--source", "simulated") == 0
    out = capsys.readouterr().out
    [row] = rows(simulated_db(dsn))
    assert row[0] == name
    health, impact, worth, reason = row[6], row[7], row[8], row[9]
    assert health is not None and impact is not None and worth is not None
    assert f"Health {health:.0%}" in out
    assert f"Impact {impact:.0%}" in out
    assert ("✓ worth working on" if worth else "✗ not worth working on") in out
    assert reason in out
    assert "commit velocity" in out and "direct dependents" in out


def test_analyze_export_json_matches_the_stored_row(dsn, capsys):
    name = top_python_repo()
    assert cli(dsn, "analyze", name, "--source", "simulated", "--export", "json") == 0
    data = json.loads(capsys.readouterr().out)
    [row] = rows(simulated_db(dsn))
    assert data["name"] == name and data["language"] == "python"
    assert data["health"] == pytest.approx(row[6])
    assert data["impact"] == pytest.approx(row[7])
    assert data["worth_working_on"] is row[8]
    assert set(data["health_parts"]) >= {"commit_velocity", "ci_pass_rate", "missing"}
    assert set(data["impact_parts"]) >= {"direct_dependents", "pagerank"}


@pytest.mark.parametrize(
    "form", ["https://github.com/{}", "https://github.com/{}.git", "git@github.com:{}.git"]
)
def test_analyze_accepts_repository_urls(dsn, capsys, form):
    name = top_python_repo()
    assert cli(dsn, "analyze", form.format(name), "--source", "simulated") == 0
    assert [r[0] for r in rows(simulated_db(dsn))] == [name]


@pytest.mark.parametrize(
    "text", ["not a repo", "owner/", "a/b/c", "https://github.com/owner", "own er/x", "ftp:/x/y"]
)
def test_analyze_bad_name_or_url_exits_2_before_touching_anything(dsn, capsys, text):
    assert cli(dsn, "analyze", text, "--source", "simulated") == 2
    err = capsys.readouterr().err.strip()
    assert "not a repository name or URL" in err
    assert len(err.splitlines()) == 1
    assert rows(simulated_db(dsn)) == []


def test_analyze_unknown_repository_exits_2_and_rolls_back(dsn, capsys):
    assert cli(dsn, "analyze", "nobody-at-all/no-such-repo", "--source", "simulated") == 2
    err = capsys.readouterr().err.strip()
    assert "nobody-at-all/no-such-repo" in err and "not found" in err
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert rows(simulated_db(dsn)) == []


# --- analyze-user ---------------------------------------------------------------------------


def busiest_owner() -> str:
    from collections import Counter

    owners = Counter(m.full_name.split("/")[0] for m in world().repositories())
    return owners.most_common(1)[0][0]


def test_analyze_user_recommend_scores_every_matching_repository_and_stores_nothing(dsn, capsys):
    owner = busiest_owner()
    args = ["analyze-user", owner, "--min-stars", "100", "--recommend", "--source", "simulated"]
    assert cli(dsn, *args, "--export", "json") == 0
    data = json.loads(capsys.readouterr().out)
    mine = [m for m in world().repositories() if m.full_name.startswith(f"{owner}/")]
    expected = {m.full_name for m in mine if m.stars >= 100 and not m.is_fork}
    assert {r["name"] for r in data} == expected
    assert all(r["recommendation"] in {"keep", "archive", "archived"} and r["reason"] for r in data)
    assert all(0 <= r["health"] <= 1 and 0 <= r["impact"] <= 1 for r in data)
    archived = {m.full_name for m in mine if m.archived and m.full_name in expected}
    assert archived, "the busiest owner should have an archived repository among these"
    assert {r["name"] for r in data if r["recommendation"] == "archived"} == archived
    assert rows(simulated_db(dsn)) == []

    assert cli(dsn, *args) == 0
    out = capsys.readouterr().out
    assert "advice" in out and "archived" in out


def test_analyze_user_without_recommend_has_no_advice(dsn, capsys):
    owner = busiest_owner()
    args = ["analyze-user", owner, "--max-results", "3", "--source", "simulated"]
    assert cli(dsn, *args, "--export", "json") == 0
    data = json.loads(capsys.readouterr().out)
    assert len(data) == 3
    assert all(set(r) == {"name", "stars", "health", "impact"} for r in data)
    assert [r["stars"] for r in data] == sorted((r["stars"] for r in data), reverse=True)


def test_analyze_user_include_forks_adds_the_owners_forks(dsn, capsys):
    forks = {m.full_name for m in world().repositories() if m.is_fork}
    owner = next(iter(sorted(forks))).split("/")[0]
    base = ["analyze-user", owner, "--source", "simulated", "--export", "json"]
    assert cli(dsn, *base) == 0
    without = {r["name"] for r in json.loads(capsys.readouterr().out)}
    assert cli(dsn, *base, "--include-forks") == 0
    with_forks = {r["name"] for r in json.loads(capsys.readouterr().out)}
    assert not without & forks
    assert with_forks - without == {f for f in forks if f.startswith(f"{owner}/")}


def test_analyze_user_bad_owner_exits_2(dsn, capsys):
    assert cli(dsn, "analyze-user", "not/an owner", "--source", "simulated") == 2
    assert "not a GitHub user" in capsys.readouterr().err


# --- the GitHub source (a local fake GitHub; our client runs for real) ----------------------


def _fake_repo(full_name: str, stars: int, description: str, topics: list[str]):
    now = datetime.now(UTC)
    meta = RepoMetadata(
        full_name=full_name,
        language="Python",
        description=description,
        stars=stars,
        forks=stars // 10,
        license="MIT",
        default_branch="main",
        created_at=now - timedelta(days=900),
        pushed_at=now - timedelta(days=2),
        topics=topics,
    )
    activity = ActivityStats(
        commits_90d=40, contributors=6, ci_runs_total=10, issues_opened_90d=5, issues_closed_90d=4
    )
    return synthesize_repo(meta, activity, now=now, seed=1)


@pytest.fixture
def github(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGitHub]:
    repos = [
        _fake_repo("acme/parserkit", 9000, "A fast parser library", ["parser", "library"]),
        _fake_repo("acme/httpclient", 4000, "HTTP client SDK", ["client"]),
        _fake_repo("lists/awesome-python", 20000, "A curated awesome list", ["awesome-list"]),
        _fake_repo("tiny/toy", 5, "A toy parser library", ["library"]),
    ]
    with FakeGitHub(repos, tokens=[TOKEN]) as server:
        monkeypatch.setenv("GITHUB_API_URL", server.url)
        monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
        yield server


def test_discover_on_github_library_only_drops_lists_and_never_prints_the_token(
    dsn, capsys, github
):
    args = ["discover", "--language", "python", "--min-stars", "1000", "--source", "github"]
    assert cli(dsn, *args, "--export", "json") == 0
    captured = capsys.readouterr()
    everything = {r[0] for r in rows(dsn)}
    assert everything == {"acme/parserkit", "acme/httpclient", "lists/awesome-python"}

    assert cli(dsn, *args, "--library-only", "--export", "json") == 0
    captured2 = capsys.readouterr()
    report = json.loads(captured2.out)
    kept = {k["name"] for k in report["languages"][0]["kept"]}
    assert kept == {"acme/parserkit", "acme/httpclient"}
    rejected = report["languages"][0]["rejected"]
    [why_not] = [r["reason"] for r in rejected if r["name"] == "lists/awesome-python"]
    assert why_not.startswith("not a library") and "awesome" in why_not
    library = {r[0]: r[5] for r in rows(dsn)}
    assert library["acme/parserkit"] is True and library["lists/awesome-python"] is False
    for text in (captured.out, captured.err, captured2.out, captured2.err):
        assert TOKEN not in text


def test_analyze_on_github_scores_and_stores_and_unknown_repository_exits_2(dsn, capsys, github):
    assert cli(dsn, "analyze", "acme/parserkit", "--source", "github", "--export", "json") == 0
    data = json.loads(capsys.readouterr().out)
    [row] = rows(dsn)
    assert data["name"] == row[0] == "acme/parserkit"
    assert data["health"] == pytest.approx(row[6]) and row[6] > 0
    assert cli(dsn, "analyze", "acme/no-such-thing", "--source", "github") == 2
    err = capsys.readouterr().err
    assert "acme/no-such-thing" in err and "Traceback" not in err and TOKEN not in err
    assert len(rows(dsn)) == 1
