"""The claim protocol against the real PostgreSQL server: one statement, caps that hold under
concurrency, heartbeats, stale recovery, attempts and failure."""

from __future__ import annotations

import threading
import time
from collections import Counter

import psycopg
import pytest

from globallm_assets.services import claim as service
from globallm_assets.services.claim import AgentIdentity
from globallm_assets.settings import load_settings
from globallm_assets.store import claims, llm_usage
from globallm_assets.store.claims import ClaimLimits
from globallm_assets_tests.fleet.seed import seed

OPEN = ClaimLimits(
    max_active_per_repo=1,
    max_claims_per_repo=5,
    max_claims_per_language=50,
    weekly_tokens=5_000_000,
    max_tokens_per_repo=100_000,
    max_seconds_per_repo=3_600,
    run_seconds=900,
    max_open_prs_per_repo=3,
    max_prs_per_hour_per_repo=2,
)


def _limits(**changes: int) -> ClaimLimits:
    return ClaimLimits(**{**OPEN.__dict__, **changes})


@pytest.fixture
def world(conn: psycopg.Connection) -> psycopg.Connection:
    seed(
        conn,
        {"acme/a": "python", "acme/b": "python", "gopher/c": "go"},
        [
            ("acme/a", 1, 0.90),
            ("acme/a", 2, 0.80),
            ("acme/b", 1, 0.70),
            ("gopher/c", 1, 0.95),
            ("gopher/c", 2, 0.10),
        ],
    )
    return conn


def _claim(conn, agent, limits=OPEN, **kw):
    found = claims.claim(conn, agent, limits, **kw)
    conn.commit()
    return found


def _state(conn, repository, number):
    return conn.execute(
        "SELECT assignment_status, assigned_to, attempts, last_error FROM issues "
        "WHERE repository = %s AND number = %s",
        (repository, number),
    ).fetchone()


def test_agent_identity_is_host_pid_random8_and_stable():
    first = AgentIdentity.current()
    host, pid, nonce = first.id.rsplit("-", 2)
    assert host and int(pid) > 0 and len(nonce) == 8 and int(nonce, 16) >= 0
    assert AgentIdentity.current() is first


def test_claims_highest_priority_first_one_agent_per_repository(world):
    taken = [_claim(world, f"agent-{n}") for n in range(4)]
    assert [t.key if t else None for t in taken] == ["gopher/c#1", "acme/a#1", "acme/b#1", None]
    assert taken[0].language == "go" and taken[0].agent_id == "agent-0"
    assert taken[0].issue.title == "issue 1 of gopher/c"
    assert _state(world, "gopher/c", 1)[:2] == ("assigned", "agent-0")
    why = claims.diagnose(world, OPEN)
    assert why.reason == "all 2 candidates capped (2 by per-repository concurrency)"
    assert not why.retry and not why.budget_exhausted


def test_claim_skips_issue_locked_by_another_agent(world, dsn):
    with psycopg.connect(dsn) as other:
        other.execute(
            "SELECT 1 FROM issues WHERE repository = 'gopher/c' AND number = 1 FOR UPDATE"
        )
        # The top issue is held by another transaction: the claim passes it, without waiting.
        assert _claim(world, "agent-1").key == "acme/a#1"
        assert claims.diagnose(world, OPEN).retry
        other.rollback()
    assert _claim(world, "agent-2").key == "gopher/c#1"


def test_the_walk_locks_only_the_repository_it_claims(world, dsn):
    # gopher/c has an agent already: its other issue, the best one left, is capped.
    assert _claim(world, "agent-0", target=("gopher/c", 2)).key == "gopher/c#2"
    assert claims.claim(world, "agent-1", OPEN).key == "acme/a#1"  # transaction left open
    with psycopg.connect(dsn) as other:
        lock = "SELECT 1 FROM repository_claims WHERE repository = %s FOR UPDATE NOWAIT"
        # The claim walked past gopher/c#1 without locking its repository's row...
        assert other.execute(lock, ("gopher/c",)).fetchone() == (1,)
        other.rollback()
        # ...and holds the row of the repository it claimed in.
        with pytest.raises(psycopg.errors.LockNotAvailable):
            other.execute(lock, ("acme/a",))
    world.commit()


def test_a_claim_in_a_small_world_locks_one_repository_row(world, dsn):
    # Few candidates: PostgreSQL may sort them all rather than walk the index. The lock must
    # still come after every filter, on the one row claimed, not on each row the sort read.
    assert claims.claim(world, "agent-1", OPEN).key == "gopher/c#1"  # transaction left open
    with psycopg.connect(dsn) as other:
        lock = "SELECT 1 FROM repository_claims WHERE repository = %s FOR UPDATE NOWAIT"
        for free in ("acme/a", "acme/b"):
            assert other.execute(lock, (free,)).fetchone() == (1,)
            other.rollback()
        with pytest.raises(psycopg.errors.LockNotAvailable):
            other.execute(lock, ("gopher/c",))
    world.commit()


def _plan(conn: psycopg.Connection, statement: str) -> str:
    rows = conn.execute(f"EXPLAIN {statement}").fetchall()
    return "\n".join(row[0] for row in rows)


@pytest.fixture
def half_claimed(conn: psycopg.Connection) -> psycopg.Connection:
    """4,000 ranked issues, half of them taken and statistics gathered in between — what a
    mid-storm ANALYZE sees."""
    names = [f"org{n}/repo{n}" for n in range(80)]
    seed(
        conn,
        dict.fromkeys(names, "python"),
        [(names[k % 80], k // 80 + 1, ((k * 7919) % 4_001) / 4_001) for k in range(4_000)],
    )
    wide = _limits(
        max_active_per_repo=10**9, max_claims_per_repo=10**9, max_claims_per_language=10**9
    )
    with conn.cursor() as cur:
        for n in range(2_000):
            taken = claims.claim(conn, "agent-0", wide)
            cur.execute(
                "UPDATE issues SET assignment_status = 'completed', assigned_to = NULL "
                "WHERE repository = %s AND number = %s",
                (taken.repository, taken.number),
            )
            if n == 1_000:
                conn.commit()
                conn.execute("ANALYZE issues")
                conn.execute("ANALYZE issue_rankings")
    conn.commit()
    conn.execute("ANALYZE repositories")
    conn.commit()
    return conn


def test_the_claim_walks_the_index_whatever_the_statistics_say(half_claimed):
    # The walk's plan must start returning at once: read every available ranking and sort them
    # (what a plan for full retrieval picks with these statistics) costs a claim ~50 ms at 10^5.
    plan = _plan(half_claimed, claims.claim_statement("agent-1", OPEN))
    walk = plan[plan.index("CTE candidate") : plan.index("CTE language_claim")]
    assert "Index Scan using issue_rankings_claimable_idx" in walk
    assert "Sort" not in walk and "Seq Scan on issue_rankings" not in walk


def test_completion_heartbeat_and_failure_use_the_primary_key(half_claimed):
    # With few assigned rows in the statistics, a partial index over assigned rows looks cheap;
    # walking it reads the dead entry of every claim ever made.
    wide = _limits(max_claims_per_repo=10**9, max_claims_per_language=10**9)
    taken = claims.claim(half_claimed, "agent-1", wide)
    key = (taken.repository, taken.number)
    half_claimed.commit()
    scans = (
        "SELECT sum(pg_stat_get_xact_numscans(indexrelid)) "
        "FILTER (WHERE indexrelid = 'issues_pkey'::regclass), "
        "COALESCE(sum(pg_stat_get_xact_numscans(indexrelid)) "
        "FILTER (WHERE indexrelid <> 'issues_pkey'::regclass), 0) "
        "FROM pg_index WHERE indrelid = 'issues'::regclass"
    )
    for end in (
        lambda: claims.heartbeat(half_claimed, "agent-1", *key),
        lambda: claims.complete(half_claimed, "agent-1", *key, None),
        lambda: claims.fail(half_claimed, "agent-1", *key, "boom", max_attempts=3),
    ):
        assert end()
        by_key, by_partial = half_claimed.execute(scans).fetchone()
        assert by_key >= 1 and by_partial == 0
        half_claimed.rollback()


def test_a_claim_and_its_completion_rewrite_the_issue_in_place(world):
    # No index of issues mentions a column they change (sql/0092), so both are HOT updates: no
    # index entry added, none left dead for the next reader to walk.
    taken = claims.claim(world, "agent-1", OPEN)
    assert claims.complete(world, "agent-1", taken.repository, taken.number, None)
    updated, hot = world.execute(
        "SELECT pg_stat_get_xact_tuples_updated('issues'::regclass), "
        "pg_stat_get_xact_tuples_hot_updated('issues'::regclass)"
    ).fetchone()
    assert (updated, hot) == (2, 2)
    world.commit()


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO issues (repository, number, title) VALUES ('acme/a', 0, 'zero')",
        "INSERT INTO issues (repository, number, title, state) VALUES ('acme/a', 9, 't', 'gone')",
        "UPDATE issues SET solvability = 1.5 WHERE repository = 'acme/a'",
        "UPDATE issues SET urgency = -0.1 WHERE repository = 'acme/a'",
        "UPDATE issues SET urgency = 0.5, complexity = 0 WHERE repository = 'acme/a'",
        "UPDATE issues SET complexity = 11 WHERE repository = 'acme/a'",
        "UPDATE issues SET cost_estimate = -1 WHERE repository = 'acme/a'",
        "UPDATE issues SET attempts = -1 WHERE repository = 'acme/a'",
        "UPDATE issues SET assignment_status = 'assigned' WHERE repository = 'acme/a'",
        "UPDATE issues SET assignment_status = 'lost' WHERE repository = 'acme/a'",
        "UPDATE issues SET assigned_to = 'agent-9' WHERE assignment_status = 'available'",
        "UPDATE issues SET assigned_to = NULL WHERE assignment_status = 'assigned'",
        "UPDATE token_budget SET claims = -1",
        "UPDATE token_budget SET reserved = -1",
        "UPDATE token_budget SET seconds = seconds - 1",
        "UPDATE token_budget SET cost_usd = -0.5",
        "UPDATE token_budget SET key = '' WHERE scope = 'language'",
        "INSERT INTO token_budget (week_start, scope, key) VALUES (now(), 'total', 'x')",
        "INSERT INTO token_budget (week_start, scope, key) VALUES (now(), 'weekly', 'x')",
        "UPDATE repository_claims SET active = -1",
        "UPDATE repository_claims SET week_claims = week_claims - 5",
    ],
)
def test_values_are_checked_only_where_a_statement_writes_them(world, statement):
    # sql/0093 and sql/0094: the issue's value checks run for statements that set those
    # columns (a trigger limited to them), the assignment rule in the assignment trigger, the
    # counters' through domains; none is prepared again for every claim and completion. Every
    # bad value is still refused, and nothing of the statement is kept.
    claims.claim(world, "agent-1", OPEN)
    world.commit()
    before = world.execute("SELECT count(*), sum(number) FROM issues").fetchone()
    with pytest.raises(psycopg.errors.CheckViolation):
        world.execute(statement)
    world.rollback()
    assert world.execute("SELECT count(*), sum(number) FROM issues").fetchone() == before
    assert world.execute("SELECT min(claims) FROM token_budget").fetchone() == (1,)


def test_good_values_pass_the_checks(world):
    world.execute(
        "UPDATE issues SET solvability = 1, urgency = 0, complexity = 10, cost_estimate = 0, "
        "attempts = 2, state = 'closed' WHERE repository = 'acme/a' AND number = 1"
    )
    world.execute("INSERT INTO issues (repository, number, title) VALUES ('acme/b', 7, 'new')")
    world.commit()
    assert world.execute(
        "SELECT state, complexity FROM issues WHERE repository = 'acme/a' AND number = 1"
    ).fetchone() == ("closed", 10)


def test_live_claims_are_found_through_their_repositories(world):
    # Without an index on the assignment columns, the readers of live claims narrow to the
    # repositories the trigger counts as active; every assigned issue must still be found.
    for n, target in enumerate([("gopher/c", 2), ("acme/a", 1)]):
        assert _claim(world, f"agent-{n}", target=target).key == f"{target[0]}#{target[1]}"
    assert [c.key for c in claims.held_by(world, "agent-1")] == ["acme/a#1"]
    assert {row["agent_id"] for row in claims.assignments(world)} == {"agent-0", "agent-1"}
    assert claims.release(world, "agent-0") == [("gopher/c", 2)]
    world.commit()
    assert [row["agent_id"] for row in claims.assignments(world)] == ["agent-1"]
    world.execute("UPDATE issues SET last_heartbeat_at = now() - interval '1 hour'")
    stale = claims.release_stale(world, 60, max_attempts=3)
    world.commit()
    assert [(s.repository, s.number, s.status) for s in stale] == [("acme/a", 1, "available")]
    assert world.execute("SELECT sum(active) FROM repository_claims").fetchone() == (0,)


def test_the_claim_is_planned_once_per_connection(world, dsn):
    # No parameters and prepared at first use: PostgreSQL keeps one generic plan per connection
    # (with a parameter it plans the first five calls one by one; ~4 ms each).
    with psycopg.connect(dsn, autocommit=True) as agent:
        for _ in range(7):
            taken = claims.claim(agent, "agent-1", OPEN)
            assert claims.release(agent, "agent-1", (taken.repository, taken.number))
        plans = agent.execute(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements "
            "WHERE statement LIKE '%%FOR NO KEY UPDATE OF i, rc SKIP LOCKED%%'"
        ).fetchall()
    assert plans == [(7, 0)]


def test_nothing_to_claim_says_no_available_issues(conn):
    seed(conn, {"acme/a": "python"}, [("acme/a", 1, 0.5)], approved=[])
    assert _claim(conn, "agent-1") is None
    assert claims.diagnose(conn, OPEN).reason == "no available issues"


def test_do_not_touch_opted_out_unranked_and_closed_issues_are_never_claimed(world):
    world.execute("UPDATE issues SET do_not_touch = true WHERE repository = 'gopher/c'")
    world.execute("INSERT INTO issue_fetch_state (repository, opted_out) VALUES ('acme/a', true)")
    world.execute("DELETE FROM issue_rankings WHERE repository = 'acme/b'")
    world.commit()
    assert _claim(world, "agent-1") is None
    world.execute(
        "INSERT INTO issue_rankings (repository, number, priority) "
        "SELECT repository, number, 0.3 FROM issues WHERE repository = 'acme/b'"
    )
    world.execute("UPDATE issues SET state = 'closed' WHERE repository = 'acme/b'")
    world.commit()
    assert _claim(world, "agent-1") is None
    assert claims.diagnose(world, OPEN).reason == "no available issues"


def test_weekly_issue_cap_per_repository(world):
    limits = _limits(max_claims_per_repo=1)
    first = _claim(world, "agent-1", limits, target=("acme/a", 1))
    assert claims.complete(world, "agent-1", "acme/a", 1, "done")
    world.commit()
    assert first is not None
    # acme/a already had its one claim this week: its second issue waits for next week.
    others = [_claim(world, f"agent-{n}", limits) for n in (2, 3, 4)]
    assert sorted(o.key for o in others if o) == ["acme/b#1", "gopher/c#1"]
    assert "per-repository issue cap" in claims.diagnose(world, limits).reason


def test_weekly_issue_cap_per_language(world):
    limits = _limits(max_claims_per_language=1)
    taken = [_claim(world, f"agent-{n}", limits) for n in range(3)]
    assert [t.key if t else None for t in taken] == ["gopher/c#1", "acme/a#1", None]
    reason = claims.diagnose(world, limits).reason
    assert "per-language issue cap" in reason
    counts = dict(
        world.execute("SELECT key, claims FROM token_budget WHERE scope = 'language'").fetchall()
    )
    assert counts == {"go": 1, "python": 1}


def test_weekly_token_budget_exhausted_stops_claims(world):
    limits = _limits(weekly_tokens=10_000)
    spent = llm_usage.reserve(world, 10_000, llm_usage.Limits(10_000))
    assert isinstance(spent, llm_usage.Reservation)
    assert _claim(world, "agent-1", limits) is None
    why = claims.diagnose(world, limits)
    assert why.budget_exhausted
    assert why.reason.startswith("weekly token budget exhausted (10,000 of 10,000 tokens")


def test_repository_token_and_time_budgets_hold_back_its_issues(world):
    limits = _limits(max_tokens_per_repo=5_000, max_seconds_per_repo=1_000)
    # gopher/c has used 4,500 tokens (its issues expect 1,000 more); acme/a has used its time.
    llm_usage.reserve(world, 4_500, llm_usage.Limits(10**9), repository="gopher/c")
    llm_usage.reserve(world, 0, llm_usage.Limits(10**9), seconds=200, repository="acme/a")
    world.commit()
    assert _claim(world, "agent-1", limits).key == "acme/b#1"
    reason = claims.diagnose(world, limits).reason
    assert "by per-repository token budget" in reason
    assert "by per-repository time budget" in reason


def test_targeted_claim_takes_exactly_that_issue_or_says_why(world):
    got = _claim(world, "agent-1", target=("gopher/c", 2))
    assert got.key == "gopher/c#2"
    assert _claim(world, "agent-2", target=("gopher/c", 2)) is None
    why = claims.diagnose(world, OPEN, target=("gopher/c", 2))
    assert why.reason == "gopher/c#2 is already claimed by agent-1"
    assert claims.diagnose(world, OPEN, target=("nobody/x", 1)).reason == (
        "nobody/x#1 is not in the store"
    )


def test_heartbeat_complete_and_fail_only_touch_the_agents_own_claim(world):
    got = _claim(world, "agent-1")
    assert not claims.heartbeat(world, "agent-2", got.repository, got.number)
    assert claims.heartbeat(world, "agent-1", got.repository, got.number)
    assert not claims.complete(world, "agent-2", got.repository, got.number, "x")
    assert claims.complete(world, "agent-1", got.repository, got.number, "https://pr/1")
    world.commit()
    row = world.execute(
        "SELECT assignment_status, assigned_to, last_agent, result, finished_at IS NOT NULL "
        "FROM issues WHERE repository = %s AND number = %s",
        (got.repository, got.number),
    ).fetchone()
    assert row == ("completed", None, "agent-1", "https://pr/1", True)


def test_failed_attempts_return_to_the_pool_until_the_last_then_stay_failed(world):
    target = ("acme/b", 1)
    for attempt in (1, 2, 3):
        assert _claim(world, f"agent-{attempt}", target=target) is not None
        status = claims.fail(
            world, f"agent-{attempt}", *target, f"tests still fail ({attempt})", max_attempts=3
        )
        world.commit()
        assert status == ("failed" if attempt == 3 else "available")
    assert _state(world, *target) == ("failed", None, 3, "tests still fail (3)")
    assert _claim(world, "agent-9", target=target) is None


def test_a_failure_no_retry_can_help_fails_at_once(world):
    _claim(world, "agent-1", target=("acme/b", 1))
    assert (
        claims.fail(world, "agent-1", "acme/b", 1, "closed upstream", max_attempts=3, retry=False)
        == "failed"
    )


def test_stale_claims_return_with_attempts_plus_one_then_fail_keeping_the_error(world):
    _claim(world, "agent-1", target=("acme/b", 1))
    world.execute(
        "UPDATE issues SET last_heartbeat_at = now() - interval '31 minutes' "
        "WHERE repository = 'acme/b'"
    )
    world.commit()
    # A fresh claim elsewhere is not stale.
    _claim(world, "agent-2", target=("gopher/c", 1))
    released = claims.release_stale(world, 1800, max_attempts=2)
    world.commit()
    assert [(r.repository, r.number, r.agent_id, r.status, r.attempts) for r in released] == [
        ("acme/b", 1, "agent-1", "available", 1)
    ]
    status, agent, attempts, error = _state(world, "acme/b", 1)
    assert (status, agent, attempts) == ("available", None, 1)
    assert error.startswith("no heartbeat from agent-1 since ")
    _claim(world, "agent-3", target=("acme/b", 1))
    released = claims.release_stale(world, 0, max_attempts=2)
    world.commit()
    assert {(r.repository, r.status) for r in released} == {
        ("acme/b", "failed"),
        ("gopher/c", "available"),
    }
    assert _state(world, "acme/b", 1)[0] == "failed"
    assert "agent-3" in _state(world, "acme/b", 1)[3]


def test_release_gives_claims_back_untouched(world):
    _claim(world, "agent-1", target=("acme/b", 1))
    _claim(world, "agent-1", target=("gopher/c", 1))
    assert sorted(claims.release(world, "agent-1")) == [("acme/b", 1), ("gopher/c", 1)]
    world.commit()
    assert _state(world, "acme/b", 1) == ("available", None, 0, None)


def test_repository_counts_follow_every_transition(world):
    def active():
        return dict(world.execute("SELECT repository, active FROM repository_claims").fetchall())

    _claim(world, "agent-1", target=("acme/a", 1))
    _claim(world, "agent-2", target=("gopher/c", 1))
    assert active() == {"acme/a": 1, "acme/b": 0, "gopher/c": 1}
    claims.complete(world, "agent-1", "acme/a", 1, None)
    claims.fail(world, "agent-2", "gopher/c", 1, "no", max_attempts=3)
    world.commit()
    assert active() == {"acme/a": 0, "acme/b": 0, "gopher/c": 0}
    weekly = world.execute(
        "SELECT repository, week_claims FROM repository_claims WHERE week_claims > 0 ORDER BY 1"
    ).fetchall()
    assert weekly == [("acme/a", 1), ("gopher/c", 1)]


def test_top_available_leaves_one_issue_per_free_repository_slot(world):
    _claim(world, "agent-1", target=("acme/b", 1))
    assert claims.top_available(world, OPEN, 10) == [("gopher/c", 1, 0), ("acme/a", 1, 0)]
    assert claims.top_available(world, _limits(max_active_per_repo=2), 10) == [
        ("gopher/c", 1, 0),
        ("acme/a", 1, 0),
        ("acme/a", 2, 0),
        ("gopher/c", 2, 0),
    ]


def test_concurrent_agents_never_share_an_issue_or_break_a_cap(conn, dsn):
    repos = {f"org/r{n}": ("python" if n % 2 else "go") for n in range(12)}
    seed(conn, repos, [(r, k, (hash((r, k)) % 1000) / 1000) for r in repos for k in (1, 2, 3)])
    limits = _limits(max_claims_per_repo=2, max_claims_per_language=9, max_active_per_repo=2)
    taken: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(16)

    def agent(n: int) -> None:
        with psycopg.connect(dsn, autocommit=True) as mine:
            barrier.wait()
            while True:
                got = claims.claim(mine, f"agent-{n}", limits)
                if got is None:
                    if claims.diagnose(mine, limits).retry:
                        continue
                    return
                with lock:
                    taken.append(got.key)
                claims.complete(mine, f"agent-{n}", got.repository, got.number, None)

    threads = [threading.Thread(target=agent, args=(n,)) for n in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(taken) == len(set(taken)) == 18  # 9 per language, both languages
    per_repo = Counter(key.split("#")[0] for key in taken)
    assert max(per_repo.values()) <= 2
    per_language = Counter(repos[r] for r in per_repo.elements())
    assert per_language == {"python": 9, "go": 9}


def test_service_claim_explains_and_flags_an_exhausted_budget(world, dsn, monkeypatch):
    monkeypatch.setenv("GLOBALLM_BUDGET__WEEKLY_TOKEN_BUDGET", "500")
    settings = load_settings(overrides={"database.url": dsn})
    result = service.claim(settings, dsn, "agent-1")
    # Every issue expects 1,000 tokens: none fits a 500-token week.
    assert result.issue is None
    assert result.reason == "all 5 candidates capped (5 by weekly token budget)"
    llm_usage.reserve(world, 500, llm_usage.Limits(500))
    world.commit()
    result = service.claim(settings, dsn, "agent-1")
    assert result.budget_exhausted and "weekly token budget exhausted" in result.reason


def test_heartbeat_thread_keeps_the_claim_fresh_and_notices_when_it_is_lost(world, dsn):
    import time

    settings = load_settings(overrides={"database.url": dsn, "agents.heartbeat_interval": 1})
    got = service.claim(settings, dsn, "agent-1").issue
    world.execute(
        "UPDATE issues SET last_heartbeat_at = now() - interval '1 hour' "
        "WHERE repository = %s AND number = %s",
        (got.repository, got.number),
    )
    world.commit()
    with service.Heartbeat(settings, dsn, got) as beat:
        deadline = time.monotonic() + 10
        while beat.beats == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert beat.beats >= 1
        # Refreshed: a 30-minute cleanup no longer sees it as stale.
        assert service.cleanup_stale(settings, dsn, timeout_seconds=1800) == []
        # A cleanup with a tiny timeout takes it away; the next beat notices.
        time.sleep(0.2)
        assert len(service.cleanup_stale(settings, dsn, timeout_seconds=0.1)) == 1
        assert beat.lost.wait(10)
    assert not service.claim_still_held(settings, dsn, got)


def _open_pr(conn, repository: str, number: int) -> None:
    conn.execute(
        "INSERT INTO pr_outcomes (forge, repository, number, issue_number, url, head_repository,"
        " head_branch, head_sha, base_branch, risk_level, draft, opened_at) VALUES ('local', %s,"
        " %s, %s, 'x', %s, 'b', 'abc', 'main', 'LOW', false, now() - interval '1 day')",
        (repository, number, number, repository),
    )


def test_the_forges_open_pr_cap_holds_back_a_repositorys_issues(world):
    for number in (1, 2, 3):
        _open_pr(world, "Gopher/C", number)  # the forge compares names case-insensitively
    world.commit()
    taken = [_claim(world, f"agent-{n}") for n in range(3)]
    assert [t.key if t else None for t in taken] == ["acme/a#1", "acme/b#1", None]
    assert "2 by per-repository open-PR cap" in claims.diagnose(world, OPEN).reason


def test_the_forges_hourly_pr_rate_holds_back_a_repositorys_issues(world):
    for status in ("opened", "pushed"):
        world.execute(
            "INSERT INTO contributions (forge, repository, issue_number, status, pr_number) "
            "VALUES ('local', 'gopher/c', 9, %s, %s)",
            (status, 9 if status == "opened" else None),
        )
    world.commit()
    taken = [_claim(world, f"agent-{n}") for n in range(3)]
    assert [t.key if t else None for t in taken] == ["acme/a#1", "acme/b#1", None]
    reason = claims.diagnose(world, OPEN).reason
    assert "2 by per-repository PR rate" in reason and "open-PR cap" not in reason


_WIDE = _limits(
    max_claims_per_repo=10**9, max_claims_per_language=10**9, weekly_tokens=10**12,
    max_tokens_per_repo=10**12, max_seconds_per_repo=10**12,
)  # fmt: skip


def _seed_wide(dsn: str, issues: int) -> None:
    """300 python repositories, ``issues`` ranked issues spread over them, then VACUUM ANALYZE
    (the seeding's inserts would trigger an autovacuum of their own: done here instead)."""
    repositories = {f"org/r{n}": "python" for n in range(300)}
    names = list(repositories)
    with psycopg.connect(dsn) as conn:
        seed(
            conn,
            repositories,
            [(names[k % 300], k // 300 + 1, 1.0 - k / (issues * 2)) for k in range(issues)],
        )
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def _pairs(conn: psycopg.Connection, pairs: int) -> None:
    for _ in range(pairs):
        got = claims.claim(conn, "agent-1", _WIDE)
        assert claims.complete(conn, "agent-1", got.repository, got.number, None)


def _finish_top(conn: psycopg.Connection, count: int) -> None:
    """What ``count`` claims leave behind, in one statement: the top available issues move out
    of `available` through the same assignment trigger (their rankings' claimable entries die)."""
    conn.execute(
        "UPDATE issues i SET assignment_status = 'completed' FROM ("
        " SELECT repository, number FROM issue_rankings WHERE available"
        " ORDER BY priority DESC, repository, number LIMIT %s) k"
        " WHERE i.repository = k.repository AND i.number = k.number",
        (count,),
    )


def test_claimed_rankings_leave_the_walk_after_ten_thousand_claims(dsn):
    # sql/0095, sql/0096: a claimed ranking's entry in the claimable index stays, dead, until a
    # vacuum, and every later claim steps over it. With 40,000 rankings PostgreSQL's default
    # would vacuum only after ~8,000 changes, and more as the table grows; the table's own
    # fixed threshold (10,000) and the embedded server's 5 s naptime clear them while claims go
    # on.
    _seed_wide(dsn, 40_000)
    with psycopg.connect(dsn, autocommit=True) as conn:
        vacuumed = _autovacuums(conn)

        def walk_pages(pairs: int) -> float:
            conn.execute("SELECT pg_stat_force_next_flush()")
            before = _claimable_pages(conn)
            _pairs(conn, pairs)
            conn.execute("SELECT pg_stat_force_next_flush()")
            return (_claimable_pages(conn) - before) / pairs

        fresh = walk_pages(100)
        _finish_top(conn, 9_400)
        # ~9,500 dead entries where the walk starts (no vacuum yet: under 10,000 changes).
        before = walk_pages(100)
        time.sleep(6)  # one naptime: nothing to vacuum yet
        assert _autovacuums(conn) == vacuumed
        _finish_top(conn, 600)
        deadline = time.monotonic() + 60
        while _autovacuums(conn) == vacuumed and time.monotonic() < deadline:
            time.sleep(0.5)
        assert _autovacuums(conn) > vacuumed, "not vacuumed after 10,200 of 40,000 rows changed"
        after = walk_pages(100)
        assert before > fresh + 10, (fresh, before)  # the dead entries cost the walk pages
        assert after < before - 10, (fresh, before, after)


def test_claims_leave_the_counter_tables_to_autovacuum_rarely(dsn):
    # sql/0096: each autovacuum or autoanalyze of a table the claim reads makes every agent's
    # backend parse and plan the claim again. Claims and completions update repository_claims
    # and token_budget on every call (and issues, and issue_rankings); at PostgreSQL's defaults
    # (50 rows + 20 %) autovacuum came for the counters every few seconds. A probe table
    # changed past any threshold shows when autovacuum has looked at this database since.
    _seed_wide(dsn, 6_000)
    tables = ("repository_claims", "token_budget", "issues", "issue_rankings")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE autovacuum_probe (n int)")
        conn.execute(
            "ALTER TABLE autovacuum_probe SET (autovacuum_vacuum_insert_threshold = 10, "
            "autovacuum_analyze_threshold = 10)"
        )
        before = _maintenance(conn, tables)
        _pairs(conn, 1_000)  # 2,000 repository_claims updates over 300 rows
        conn.execute("INSERT INTO autovacuum_probe SELECT generate_series(1, 1000)")
        conn.execute("SELECT pg_stat_force_next_flush()")
        deadline = time.monotonic() + 60
        while _maintenance(conn, ("autovacuum_probe",)) == {"autovacuum_probe": (0, 0)}:
            assert time.monotonic() < deadline, "autovacuum never looked at the database"
            time.sleep(0.5)
        time.sleep(1)  # the same worker goes on to the other tables
        assert _maintenance(conn, tables) == before


def _maintenance(conn: psycopg.Connection, tables: tuple[str, ...]) -> dict[str, tuple]:
    conn.execute("SELECT pg_stat_clear_snapshot()")
    rows = conn.execute(
        "SELECT relname, autovacuum_count, autoanalyze_count FROM pg_stat_user_tables "
        "WHERE relname = ANY(%s)",
        (list(tables),),
    ).fetchall()
    return {name: (vacuums, analyzes) for name, vacuums, analyzes in rows}


def _claimable_pages(conn: psycopg.Connection) -> int:
    conn.execute("SELECT pg_stat_clear_snapshot()")
    return conn.execute(
        "SELECT idx_blks_hit + idx_blks_read FROM pg_statio_user_indexes "
        "WHERE indexrelname = 'issue_rankings_claimable_idx'"
    ).fetchone()[0]


def _autovacuums(conn: psycopg.Connection) -> int:
    return _maintenance(conn, ("issue_rankings",))["issue_rankings"][0]
