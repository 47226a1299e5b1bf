"""GitHub rate-limit state shared through PostgreSQL: processes using one token never exceed
its quota together, and all of them back off when one is told to."""

import subprocess
import sys
import time

import psycopg

from globallm_assets.sources.github import GitHubSource
from globallm_assets.sources.github_transport import token_key
from globallm_assets.store.ratelimit import PostgresRateLimits
from globallm_assets_tests.fakes.github_server import FakeGitHub, Fault, random_repos

TOKEN = "ghp_" + "S" * 36


def _workers(
    n: int, fake: FakeGitHub, dsn: str, repo: str, count: int, wait: float = 0
) -> list[subprocess.Popen]:
    argv = [sys.executable, "-m", "globallm_assets_tests.security.rate_limit_worker"]
    return [
        subprocess.Popen(
            [*argv, fake.url, dsn, TOKEN, repo, str(count), str(wait)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(n)
    ]


def _go(procs: list[subprocess.Popen]) -> list[int]:
    for proc in procs:
        proc.stdin.write("go\n")
        proc.stdin.flush()
    done = []
    for proc in procs:
        out, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err
        done.append(int(out.strip()))
    return done


def test_processes_sharing_a_token_never_exceed_its_quota(dsn: str) -> None:
    quota = 40
    limits = {"core": (quota, 3600)}
    with FakeGitHub(random_repos(2, seed=5), tokens=[TOKEN], limits=limits) as fake:
        repo = fake.repos[0].full_name
        done = _go(_workers(4, fake, dsn, repo, count=30))
        statuses = [entry.status for entry in fake.stats.log]
    assert statuses.count(403) == 0, "a process went beyond the token's quota"
    assert sum(done) == statuses.count(200) == quota
    with psycopg.connect(dsn) as conn:
        keys = [row[0] for row in conn.execute("SELECT token_key FROM github_rate_limits")]
    assert keys and TOKEN not in keys[0]


def test_a_secondary_limit_holds_back_every_process(dsn: str) -> None:
    pause = 4
    with FakeGitHub(random_repos(2, seed=5), tokens=[TOKEN]) as fake:
        repo = fake.repos[0].full_name
        fake.script("contributors", Fault.secondary_403(retry_after=pause))
        first, second = _workers(2, fake, dsn, repo, count=1, wait=60)
        first.stdin.write("go\n")
        first.stdin.flush()
        deadline = time.monotonic() + 60
        with psycopg.connect(dsn, autocommit=True) as conn:
            while not conn.execute("SELECT 1 FROM github_pauses").fetchone():
                assert time.monotonic() < deadline and first.poll() is None
                time.sleep(0.02)
        assert _go([second]) == [1]
        first.stdin.close()
        first.wait(timeout=60)
        log = list(fake.stats.log)
    assert log[0].status == 403
    told = log[0].at
    # Nobody asked GitHub again before the pause was over: not the one told, not the other.
    assert len(log) == 3
    assert all(entry.at >= told + pause - 0.5 for entry in log[1:])


def test_a_token_spent_elsewhere_is_skipped_without_asking_github(dsn: str) -> None:
    other = "ghp_" + "T" * 36
    with FakeGitHub(random_repos(2, seed=5), tokens=[TOKEN, other]) as fake:
        repo = fake.repos[0].full_name
        # Another process learnt that TOKEN is spent for the next ten minutes.
        PostgresRateLimits(dsn).observe(token_key(TOKEN), "core", 0, time.time() + 600)
        with GitHubSource(
            [TOKEN, other], api_url=fake.url, rate_limits=PostgresRateLimits(dsn)
        ) as source:
            assert source.contributors_count(repo)
        assert [e.token for e in fake.stats.log] == [other]
