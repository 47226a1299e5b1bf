"""Issues: incremental fetch through the real GitHub client, scoring, and ranking in the store."""

from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from globallm_assets.core.models import IssueRecord, RepoMetadata
from globallm_assets.services import issues as issue_service
from globallm_assets.settings import load_settings
from globallm_assets.sources.github import GitHubSource
from globallm_assets.store import repositories as repo_store
from globallm_assets_tests.fakes.github_server import FakeGitHub, synthesize_repo

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def _issue(number: int, *, updated: datetime, state: str = "open", **extra) -> IssueRecord:
    return IssueRecord(
        repository="acme/widget",
        number=number,
        title=extra.pop("title", f"Crash when parsing input {number}"),
        body=extra.pop(
            "body",
            "### Steps to reproduce\n1. run `widget parse x`\n\n```\nTraceback (most recent "
            'call last):\n  File "src/widget/parse.py", line 3\nValueError: boom\n```\n',
        ),
        labels=extra.pop("labels", ["bug"]),
        state=state,
        created_at=updated - timedelta(days=3),
        updated_at=updated,
        closed_at=updated if state == "closed" else None,
        **extra,
    )


def _store_repo(conn: psycopg.Connection, name: str = "acme/widget", **scores) -> None:
    meta = RepoMetadata(full_name=name, language="python", stars=5000, license="MIT")
    repo_store.upsert_repositories(conn, [(meta, "python")], source="github")
    repo_store.write_health(conn, [(name, scores.get("health", 0.8), {})])
    repo_store.write_impact(conn, [(name, scores.get("impact", 0.7), {})])
    repo_store.write_verdicts(conn, [(name, scores.get("approved", True), "test")])


def _stored(conn: psycopg.Connection) -> dict[int, tuple]:
    rows = conn.execute(
        "SELECT number, state, assignment_status, assigned_to FROM issues ORDER BY number"
    ).fetchall()
    return {row[0]: row[1:] for row in rows}


def test_incremental_fetch_marks_closed_upstream_and_never_deletes(dsn):
    meta = RepoMetadata(full_name="acme/widget", language="python", stars=5000, license="MIT")
    first = [_issue(n, updated=NOW - timedelta(days=10 - n)) for n in range(1, 6)]
    old_closed = _issue(9, updated=NOW - timedelta(days=30), state="closed")
    pr = _issue(50, updated=NOW - timedelta(days=1), title="Fix crash")
    repo = synthesize_repo(meta, issues=[*first, old_closed], pull_requests=[pr], now=NOW)
    with (
        FakeGitHub([repo], tokens=["tok_test_aaaaaaaa"]) as fake,
        GitHubSource(["tok_test_aaaaaaaa"], api_url=fake.url) as source,
        psycopg.connect(dsn, autocommit=True) as conn,
    ):
        _store_repo(conn)
        stored = repo_store.get_repository(conn, "acme/widget")
        report = issue_service.fetch_issues(source, dsn, stored)
        assert report.incremental is False
        assert _stored(conn) == {n: ("open", "available", None) for n in range(1, 6)}

        conn.execute(
            "UPDATE issues SET assignment_status = 'assigned', assigned_to = 'agent-7' "
            "WHERE number = 2"
        )
        # Upstream: #2 (claimed by us) and #3 get closed, #6 is new.
        for issue in fake.repo("acme/widget").issues:
            if issue.number in (2, 3):
                issue.state, issue.updated_at, issue.closed_at = "closed", NOW, NOW
        fake.repo("acme/widget").issues.append(_issue(6, updated=NOW))

        report = issue_service.fetch_issues(source, dsn, stored)
        assert report.incremental is True
        # Only what changed since the newest update seen (GitHub's `since` is inclusive, so
        # the newest issue of the first fetch, #5, comes again).
        assert report.fetched == 4
        after = _stored(conn)
        assert after[2] == ("closed", "assigned", "agent-7")
        assert after[3] == ("closed", "available", None)
        assert after[6] == ("open", "available", None)
        assert set(after) == {1, 2, 3, 4, 5, 6}
        assert 50 not in after


def test_scoring_and_ranking_respect_approval_and_do_not_touch(dsn):
    settings = load_settings(overrides={"database.url": dsn})
    with psycopg.connect(dsn) as conn:
        _store_repo(conn, "acme/widget", health=0.9, impact=0.9)
        _store_repo(conn, "acme/tiny", health=0.9, impact=0.2, approved=False)
        from globallm_assets.store.issues import upsert_issues

        upsert_issues(
            conn,
            [
                _issue(1, updated=NOW),
                _issue(2, updated=NOW, locked=True),
                _issue(3, updated=NOW, title="Question about config", body="How?", labels=[]),
                _issue(1, updated=NOW).model_copy(update={"repository": "acme/tiny"}),
            ],
        )
        rows = issue_service.score_repositories(
            settings, conn, ["acme/widget", "acme/tiny"], now=NOW
        )
        assert {
            r["number"]: r["do_not_touch_reason"] is not None
            for r in rows
            if r["repository"] == "acme/widget"
        } == {
            1: False,
            2: True,
            3: False,
        }
        ranked = issue_service.rank(settings, conn, language="python")
        assert ranked.select("repository", "number").rows() == [
            ("acme/widget", 1),
            ("acme/widget", 3),
        ]
        # A bug with a reproduction outranks a vague question in the same repository.
        assert ranked["priority"][0] > ranked["priority"][1]
        issue_service.store_ranking(conn, ranked, language="python")
        stored = dict(
            conn.execute(
                "SELECT i.repository || '#' || i.number, k.priority FROM issues i "
                "LEFT JOIN issue_rankings k ON k.repository = i.repository AND k.number = i.number"
            ).fetchall()
        )
    assert stored["acme/widget#1"] == pytest.approx(ranked["priority"][0])
    assert stored["acme/widget#2"] is None  # locked: never ranked
    assert stored["acme/tiny#1"] is None  # repository not approved


def test_opt_out_file_flags_every_issue_of_the_repository(dsn):
    settings = load_settings(overrides={"database.url": dsn})
    meta = RepoMetadata(full_name="acme/widget", language="python", stars=5000, license="MIT")
    repo = synthesize_repo(meta, issues=[_issue(1, updated=NOW)], now=NOW)
    repo.files[".github/globallm.yml"] = "enabled: false\nreason: we triage by hand\n"
    with (
        FakeGitHub([repo], tokens=["tok_test_aaaaaaaa"]) as fake,
        GitHubSource(["tok_test_aaaaaaaa"], api_url=fake.url) as source,
        psycopg.connect(dsn, autocommit=True) as conn,
    ):
        _store_repo(conn)
        report = issue_service.fetch_issues(
            source, dsn, repo_store.get_repository(conn, "acme/widget")
        )
        assert report.opted_out
        rows = issue_service.score_repositories(settings, conn, ["acme/widget"], now=NOW)
        assert rows[0]["do_not_touch_reason"] == f"repository opted out: {report.opted_out}"
        # Removing the file lifts the opt-out on the next fetch.
        del fake.repo("acme/widget").files[".github/globallm.yml"]
        report = issue_service.fetch_issues(
            source, dsn, repo_store.get_repository(conn, "acme/widget")
        )
        assert report.opted_out is None


def test_etags_are_shared_through_postgres(dsn):
    from globallm_assets.store.repositories import PostgresEtagCache

    meta = RepoMetadata(full_name="acme/widget", language="python", stars=5000, license="MIT")
    repo = synthesize_repo(meta, issues=[_issue(n, updated=NOW) for n in (1, 2)], now=NOW)
    with FakeGitHub([repo], tokens=["tok_test_aaaaaaaa"]) as fake:
        with GitHubSource(
            ["tok_test_aaaaaaaa"], api_url=fake.url, etag_cache=PostgresEtagCache(dsn)
        ) as first:
            before = sorted(i.number for i in first.issues("acme/widget"))
        # A different process (a new source) reuses the stored body on a 304.
        with GitHubSource(
            ["tok_test_aaaaaaaa"], api_url=fake.url, etag_cache=PostgresEtagCache(dsn)
        ) as second:
            after = sorted(i.number for i in second.issues("acme/widget"))
            assert second.stats.not_modified >= 1
    assert before == after == [1, 2]
    with psycopg.connect(dsn) as conn:
        assert conn.execute("SELECT count(*) FROM http_cache").fetchone()[0] >= 1


def test_stale_http_cache_entries_are_pruned(dsn):
    from globallm_assets.store.repositories import prune_http_cache

    with psycopg.connect(dsn) as conn:
        conn.execute(
            "INSERT INTO http_cache (key, etag, body, updated_at) VALUES "
            "('old', 'e1', 'x', now() - interval '40 days'), ('new', 'e2', 'y', now())"
        )
        assert prune_http_cache(conn) == 1
        assert conn.execute("SELECT key FROM http_cache").fetchall() == [("new",)]
