"""One world per store: the real and the simulated world never share a row.

`source.kind` selects the database (`<name>` / `<name>_demo`, `dagster` / `dagster_demo`); a
simulated world of another seed or size replaces the previous one completely; a world in use by
another process is never replaced; two first commands at once both succeed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from psycopg import sql

from globallm_assets.core.models import ActivityStats, RepoMetadata
from globallm_assets.services.dagster_home import prepare_dagster_home
from globallm_assets.settings import load_settings
from globallm_assets.store.db import (
    StoreError,
    close_pools,
    locate,
    prepare,
    with_dbname,
    with_recorded_world,
)
from globallm_assets.store.world import WORLD_LOCK_KEY, World, recorded
from globallm_assets_tests.cli_runner import cli, simulated_db
from globallm_assets_tests.fakes.github_server import FakeGitHub, synthesize_repo

TOKEN = "ghp_" + "W" * 36


def names(capsys: pytest.CaptureFixture[str], *args: str) -> set[str]:
    assert cli(*args, "repos", "list", "--limit", "100000", "--export", "json") == 0
    return {row["name"] for row in json.loads(capsys.readouterr().out)}


def kept(capsys: pytest.CaptureFixture[str]) -> set[str]:
    report = json.loads(capsys.readouterr().out)
    return {k["name"] for lang in report["languages"] for k in lang["kept"]}


@pytest.fixture
def github(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGitHub]:
    now = datetime.now(UTC)
    repos = []
    for name, stars in (("acme/parserkit", 9000), ("acme/httpclient", 4000)):
        meta = RepoMetadata(
            full_name=name,
            language="Python",
            stars=stars,
            forks=stars // 10,
            license="MIT",
            default_branch="main",
            created_at=now - timedelta(days=900),
            pushed_at=now - timedelta(days=2),
        )
        activity = ActivityStats(commits_90d=40, contributors=6, ci_runs_total=10)
        repos.append(synthesize_repo(meta, activity, now=now, seed=1))
    with FakeGitHub(repos, tokens=[TOKEN]) as server:
        monkeypatch.setenv("GITHUB_API_URL", server.url)
        monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
        yield server


def test_simulated_and_real_commands_never_see_each_others_rows(dsn, capsys, github):
    common = ("discover", "--language", "python", "--export", "json")
    assert cli("--database-url", dsn, *common, "--min-stars", "500", "--source", "simulated") == 0
    simulated = kept(capsys)
    assert len(simulated) > 10

    # A real-world command after the simulated one: GitHub's repositories only.
    assert cli("--database-url", dsn, *common, "--min-stars", "1000", "--source", "github") == 0
    assert kept(capsys) == {"acme/parserkit", "acme/httpclient"}
    assert names(capsys, "--database-url", dsn) == {"acme/parserkit", "acme/httpclient"}
    with psycopg.connect(dsn) as conn:
        sources = {row[0] for row in conn.execute("SELECT DISTINCT source FROM repositories")}
    assert sources == {"github"}

    # And the reverse: the simulated world still holds exactly what it discovered.
    assert names(capsys, "--database-url", dsn, "--source", "simulated") == simulated
    assert cli("--database-url", dsn, *common, "--min-stars", "500", "--source", "simulated") == 0
    capsys.readouterr()
    assert names(capsys, "--database-url", dsn) == {"acme/parserkit", "acme/httpclient"}
    with psycopg.connect(simulated_db(dsn)) as conn:
        assert recorded(conn) == World("simulated", 7, 200)
    with psycopg.connect(dsn) as conn:
        assert recorded(conn) == World("github")


def test_a_simulated_world_of_another_size_replaces_the_previous_one_completely(
    dsn, capsys, monkeypatch
):
    args = ("--database-url", dsn, "discover", "--source", "simulated", "--min-stars", "300")
    monkeypatch.setenv("GLOBALLM_SOURCE__REPOS_PER_LANGUAGE", "120")
    assert cli(*args, "--language", "rust", "--export", "json") == 0
    small = kept(capsys)
    with psycopg.connect(simulated_db(dsn)) as conn:
        conn.execute(
            "INSERT INTO issues (repository, number, title) VALUES (%s, 1, 'x')", (min(small),)
        )

    monkeypatch.setenv("GLOBALLM_SOURCE__REPOS_PER_LANGUAGE", "160")
    assert cli(*args, "--language", "python", "--export", "json") == 0
    large = kept(capsys)
    # Nothing of the 120-world is left: not its rust repositories, not its issues.
    assert names(capsys, "--database-url", dsn, "--source", "simulated") == large
    with psycopg.connect(simulated_db(dsn)) as conn:
        assert conn.execute("SELECT count(*) FROM issues").fetchone()[0] == 0
        assert recorded(conn) == World("simulated", 7, 160)


def test_a_world_in_use_by_another_process_is_not_replaced(dsn, demo_dsn):
    settings = load_settings(overrides={"database.url": dsn, "source.kind": "simulated"})
    prepare(settings)
    close_pools()  # this process lets go; "another process" holds the world now
    with psycopg.connect(demo_dsn, autocommit=True) as other:
        other.execute("SELECT pg_advisory_lock_shared(%s)", (WORLD_LOCK_KEY,))
        bigger = load_settings(
            overrides={
                "database.url": dsn,
                "source.kind": "simulated",
                "source.repos_per_language": 300,
            }
        )
        with pytest.raises(StoreError, match="in use by another process"):
            prepare(bigger)
    with psycopg.connect(demo_dsn) as conn:
        assert recorded(conn) == World("simulated", 7, 200)


def test_a_database_never_switches_between_real_and_simulated(dsn, demo_dsn):
    prepare(load_settings(overrides={"database.url": dsn, "source.kind": "simulated"}))
    # Pointing the real world at the simulated world's database is refused, not mixed.
    real = load_settings(overrides={"database.url": demo_dsn, "source.kind": "github"})
    with pytest.raises(StoreError, match="holds the simulated world"):
        prepare(real)


def test_the_simulated_world_has_its_own_dagster_instance_and_dev_adopts_its_size(dsn):
    real = load_settings(overrides={"database.url": dsn})
    sim = load_settings(
        overrides={
            "database.url": dsn,
            "source.kind": "simulated",
            "source.repos_per_language": 80,
            "source.seed": 3,
        }
    )
    real_env = prepare_dagster_home(real, locate(real))
    sim_env = prepare_dagster_home(sim, prepare(sim))
    assert real_env["GLOBALLM_DAGSTER_PG_URL"].split("?")[0].endswith("/dagster")
    assert sim_env["GLOBALLM_DAGSTER_PG_URL"].split("?")[0].endswith("/dagster_demo")
    assert real_env["DAGSTER_HOME"] != sim_env["DAGSTER_HOME"]
    assert sim_env["GLOBALLM_SOURCE__KIND"] == "simulated"

    # `globallm dev --source simulated` opens the world the store holds, at its size.
    opened = with_recorded_world(
        load_settings(overrides={"database.url": dsn, "source.kind": "simulated"})
    )
    assert (opened.source.seed, opened.source.repos_per_language) == (3, 80)


_BOOT = """
import sys, time
from globallm_assets.settings import load_settings
from globallm_assets.store.db import prepare
time.sleep(max(0.0, float(sys.argv[2]) - time.time()))
prepare(load_settings(overrides={"database.url": sys.argv[1]}))
print("ok")
"""


@pytest.mark.slow
def test_concurrent_first_commands_on_a_new_store_all_succeed(admin_dsn):
    name = f"t_boot_{uuid.uuid4().hex[:10]}"
    url = with_dbname(admin_dsn, name)
    env = {k: v for k, v in os.environ.items() if not k.startswith("GLOBALLM_")}
    start = str(time.time() + 4)  # every process is past its imports by then
    try:
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", _BOOT, url, start],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=env,
            )
            for _ in range(6)
        ]
        outcomes = [(p.wait(timeout=120), p.stdout.read(), p.stderr.read()) for p in procs]
        for code, out, err in outcomes:
            assert code == 0 and out.strip() == "ok", err[-2000:]
        with psycopg.connect(url) as conn:
            assert recorded(conn) == World("github")
    finally:
        with psycopg.connect(admin_dsn, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
