"""GitHubSource against a local fake GitHub: our githubkit-based client runs for real over HTTP.

Expected values come from the fake's world (what a repository *is*), and request counts from the
fake's own counters (what the server *saw*), never from the client under test.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from globallm_assets.core.models import ActivityStats, IssueRecord, RepoMetadata
from globallm_assets.sources import github_graphql as gql
from globallm_assets.sources.base import NotFoundError, RepoSource, SearchQuery, SourceError
from globallm_assets.sources.github import (
    GitHubSource,
    MemoryEtagCache,
    RateLimitBudgetExceeded,
)
from globallm_assets_tests.fakes.github_server import (
    FakeGitHub,
    FakeMergedPull,
    FakeRepo,
    Fault,
    graphql_cost,
    random_repos,
    synthesize_repo,
)

TOKENS = ["ghp_" + c * 36 for c in "ABC"]
NOW = datetime.now(UTC)


class FakeClock:
    """Time that passes only when the client sleeps; records every requested sleep."""

    def __init__(self) -> None:
        self.now = time.time()
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 3))
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    with FakeGitHub(random_repos(60, seed=7, now=NOW), tokens=TOKENS) as server:
        yield server


def make_source(
    fake: FakeGitHub, clock: FakeClock, tokens: list[str] | None = None, **kwargs: object
) -> GitHubSource:
    return GitHubSource(
        TOKENS[:1] if tokens is None else tokens,
        api_url=fake.url,
        sleep=clock.sleep,
        clock=clock,
        **kwargs,  # type: ignore[arg-type]
    )


def names_of(fake: FakeGitHub, n: int | None = None) -> list[str]:
    return [r.full_name for r in fake.repos[:n]]


# ---------------------------------------------------------------------- GraphQL batches


def test_source_satisfies_the_repo_source_protocol(fake: FakeGitHub, clock: FakeClock) -> None:
    assert isinstance(make_source(fake, clock), RepoSource)


def test_metadata_for_25_repositories_costs_one_graphql_request(
    fake: FakeGitHub, clock: FakeClock
) -> None:
    names = names_of(fake, 25)
    result = make_source(fake, clock, batch_size=25).repository_metadata(names)

    assert fake.stats.by_kind == {"graphql": 1}
    assert set(result) == set(names)
    for name in names:
        world, got = fake.repo(name), result[name]
        meta = world.metadata
        assert got.full_name == name
        assert (got.stars, got.forks, got.license) == (meta.stars, meta.forks, meta.license)
        assert (got.archived, got.is_fork) == (meta.archived, meta.is_fork)
        assert got.language == meta.language
        assert got.topics == meta.topics
        assert got.default_branch == "main"
        assert got.pushed_at == world.commits[0].committed_at.replace(microsecond=0)
        assert got.open_issues == world.open_total()
        assert got.closed_issues == world.closed_total()
        year_ago = NOW - timedelta(days=365)
        assert got.releases_last_year == sum(1 for d in world.releases if d >= year_ago)


def test_metadata_is_chunked_by_batch_size(fake: FakeGitHub, clock: FakeClock) -> None:
    names = names_of(fake, 60)
    result = make_source(fake, clock, batch_size=20).repository_metadata(names)
    assert len(result) == 60
    assert fake.stats.by_kind["graphql"] == 3


def test_missing_repositories_are_omitted(fake: FakeGitHub, clock: FakeClock) -> None:
    names = [*names_of(fake, 3), "ghost/nowhere", "also/missing"]
    result = make_source(fake, clock).repository_metadata(names)
    assert sorted(result) == sorted(names[:3])
    assert fake.stats.by_kind["graphql"] == 1


def test_activity_batch_reports_the_worlds_activity(fake: FakeGitHub, clock: FakeClock) -> None:
    repo = fake.add_repo(
        synthesize_repo(
            RepoMetadata(full_name="acme/rocket", stars=10, default_branch="main"),
            ActivityStats(
                commits_90d=17,
                contributors=4,
                top_contributor_share=0.5,
                ci_runs_total=8,
                ci_runs_passed=6,
                issues_opened_90d=5,
                issues_closed_90d=3,
                has_contributing=True,
            ),
            now=NOW,
        )
    )
    stats = make_source(fake, clock).activity_batch([repo.full_name])[repo.full_name]

    since = NOW - timedelta(days=90)
    year = [c for c in repo.commits if c.committed_at >= NOW - timedelta(days=365)][:100]
    authors = {c.author_login for c in year}
    top = max(sum(1 for c in year if c.author_login == a) for a in authors)
    assert stats.commits_90d == sum(1 for c in repo.commits if c.committed_at >= since) == 17
    assert stats.contributors == len(authors)
    assert stats.top_contributor_share == pytest.approx(top / len(year))
    assert (stats.ci_runs_total, stats.ci_runs_passed) == (8, 6)
    assert stats.issues_opened_90d == sum(
        1 for i in repo.issues if i.created_at and i.created_at >= since
    )
    assert stats.issues_closed_90d == sum(
        1 for i in repo.issues if i.closed_at and i.closed_at >= since
    )
    assert (stats.has_readme, stats.has_contributing) == (True, True)


def test_activity_uses_rests_exact_contributor_count(fake: FakeGitHub, clock: FakeClock) -> None:
    repo = fake.repos[0]
    stats = make_source(fake, clock).activity(repo.full_name)
    everyone = {c.author_login or c.author_email for c in repo.commits}
    assert stats.contributors == len(everyone)
    assert fake.stats.by_kind["contributors"] == 1


def test_activity_of_unknown_repository_raises_not_found(
    fake: FakeGitHub, clock: FakeClock
) -> None:
    with pytest.raises(NotFoundError):
        make_source(fake, clock).activity("ghost/nowhere")


def test_freshness_probe_refetches_only_changed_repositories(
    fake: FakeGitHub, clock: FakeClock
) -> None:
    names = names_of(fake, 60)
    source = make_source(fake, clock, etag_cache=MemoryEtagCache(), batch_size=25)
    first = source.repository_snapshots(names)
    fake.push(names[0])
    edited = fake.repo(names[1])
    edited.metadata.stars += 1000  # stars and descriptions move without a push
    edited.metadata.description = "Now with more rockets"
    edited.updated_at = NOW
    fake.reset_stats()

    second = source.repository_snapshots(names)

    assert fake.stats.by_kind["graphql"] == 2  # one probe + one batch holding the pushed repo
    assert second[names[0]].activity.commits_90d == first[names[0]].activity.commits_90d + 1
    assert second[names[1]].metadata.stars == first[names[1]].metadata.stars + 1000
    assert second[names[1]].metadata.description == "Now with more rockets"
    assert second[names[1]].activity == first[names[1]].activity
    assert second[names[2]] == first[names[2]]
    assert fake.stats.quota_cost < 4


def test_snapshots_older_than_the_ttl_are_refetched(fake: FakeGitHub, clock: FakeClock) -> None:
    names = names_of(fake, 10)
    source = make_source(fake, clock, etag_cache=MemoryEtagCache(), snapshot_ttl=3600)
    source.repository_snapshots(names)
    cold_cost = fake.stats.quota_cost
    clock.now += 3601
    fake.reset_stats()
    source.repository_snapshots(names)
    assert fake.stats.by_kind["graphql"] == 1  # no probe: straight to the full batch
    assert fake.stats.quota_cost == cold_cost


def test_activity_batch_can_count_contributors_exactly_over_rest(
    fake: FakeGitHub, clock: FakeClock
) -> None:
    names = names_of(fake, 5)
    got = make_source(fake, clock).activity_batch(names, exact_contributors=True)
    for name in names:
        commits = fake.repo(name).commits
        assert got[name].contributors == len({c.author_login or c.author_email for c in commits})
    assert fake.stats.by_kind["contributors"] == 5


# ---------------------------------------------------------------------- README, CI, responses


def _bare(name: str, **meta: object) -> RepoMetadata:
    return RepoMetadata(full_name=name, default_branch="main", **meta)  # type: ignore[arg-type]


def test_readme_text_comes_with_the_metadata_batch(fake: FakeGitHub, clock: FakeClock) -> None:
    plain = fake.add_repo(synthesize_repo(_bare("acme/plain", readme="# Plain\nParses."), now=NOW))
    rst = fake.add_repo(synthesize_repo(_bare("acme/rst"), now=NOW))
    rst.root_files, rst.files = ["README.rst", "LICENSE"], {"README.rst": "Rst\n===\nDocs."}
    # An empty README.md does not hide a README.txt with text.
    empty = fake.add_repo(synthesize_repo(_bare("acme/empty", readme=""), now=NOW))
    empty.files["README.txt"] = "The real one."
    none = fake.add_repo(synthesize_repo(_bare("acme/none"), now=NOW))
    none.root_files = ["LICENSE"]
    huge = fake.add_repo(synthesize_repo(_bare("acme/huge", readme="ab" * 30_000), now=NOW))
    names = [r.full_name for r in (plain, rst, empty, none, huge)]

    got = make_source(fake, clock).repository_metadata(names)

    assert fake.stats.by_kind == {"graphql": 1}
    assert got["acme/plain"].readme == "# Plain\nParses."
    assert got["acme/rst"].readme == "Rst\n===\nDocs."
    assert got["acme/empty"].readme == "The real one."
    assert got["acme/none"].readme is None
    assert got["acme/huge"].readme == ("ab" * 30_000)[: gql.README_MAX_CHARS]
    assert len(got["acme/huge"].readme or "") == gql.README_MAX_CHARS < 60_000


def test_cached_snapshots_keep_the_readme(fake: FakeGitHub, clock: FakeClock) -> None:
    repo = fake.add_repo(synthesize_repo(_bare("acme/doc", readme="Docs here"), now=NOW))
    source = make_source(fake, clock, etag_cache=MemoryEtagCache())
    source.repository_metadata([repo.full_name])
    repo.files["README.md"] = "Changed without a push: not seen until the snapshot expires"
    fake.reset_stats()
    again = source.repository_metadata([repo.full_name])
    assert again[repo.full_name].readme == "Docs here"
    assert fake.stats.by_kind == {"graphql": 1} and fake.stats.quota_cost == 1  # the probe only


@pytest.mark.parametrize(
    ("node", "expected"),
    [
        ({}, None),
        ({"readme0": None, "readme3": {"isBinary": False, "text": "plain"}}, "plain"),
        ({"readme0": {"isBinary": True, "text": None}, "readme1": {"text": "rst"}}, "rst"),
        ({"readme0": {"isBinary": False, "text": "  "}}, "  "),
        ({"readme0": {"text": "md"}, "readme1": {"text": "rst"}}, "md"),
    ],
)
def test_readme_picks_the_first_readme_with_text(node: dict, expected: str | None) -> None:
    assert gql.readme_from_node(node) == expected


def _ci_repo(name: str, merged: list[FakeMergedPull]) -> FakeRepo:
    activity = ActivityStats(commits_90d=12, ci_runs_total=8, ci_runs_passed=6)
    return synthesize_repo(_bare(name), activity, merged_pulls=merged, now=NOW)


def _merged(states: list[str | None]) -> list[FakeMergedPull]:
    """Merged PRs, the first the most recently merged."""
    return [
        FakeMergedPull(number=100 + k, merged_at=NOW - timedelta(days=k + 1), head_ci_state=st)
        for k, st in enumerate(states)
    ]


def test_ci_share_of_recently_merged_prs_is_preferred(fake: FakeGitHub, clock: FakeClock) -> None:
    # Ten newest: 6 passed, a failure, an error, one merged without CI, one still pending;
    # two older failures fall outside the sample.
    newest = ["SUCCESS"] * 6 + ["FAILURE", "ERROR", None, "PENDING"]
    repo = fake.add_repo(_ci_repo("acme/prs", _merged([*newest, "FAILURE", "FAILURE"])))
    stats = make_source(fake, clock).activity_batch([repo.full_name])[repo.full_name]
    assert (stats.ci_runs_total, stats.ci_runs_passed) == (9, 6)
    assert fake.stats.by_kind == {"graphql": 1}


@pytest.mark.parametrize(
    "states",
    [
        [],
        ["SUCCESS"] * 3 + ["PENDING"] * 5,  # fewer than MIN_MERGED_PRS judged
        [None] * 10,  # PRs merged, but CI never ran on any: no PR-based signal
    ],
)
def test_ci_falls_back_to_default_branch_commits(
    fake: FakeGitHub, clock: FakeClock, states: list[str | None]
) -> None:
    repo = fake.add_repo(_ci_repo("acme/direct", _merged(states)))
    stats = make_source(fake, clock).activity_batch([repo.full_name])[repo.full_name]
    assert (stats.ci_runs_total, stats.ci_runs_passed) == (8, 6)


@pytest.mark.parametrize(("opened", "answered", "expected"), [(6, 4, 4), (0, 0, 0), (30, 5, 15)])
def test_maintainer_responses_are_counted_or_scaled_from_the_sample(
    fake: FakeGitHub, clock: FakeClock, opened: int, answered: int, expected: int
) -> None:
    # synthesize_repo gives the ``answered`` newest issues a MEMBER's comment; with 30 opened,
    # the 10-issue sample holds all 5 of them, and 5/10 of 30 is 15.
    activity = ActivityStats(issues_opened_90d=opened, maintainer_responses_90d=answered)
    repo = fake.add_repo(synthesize_repo(_bare("acme/talk"), activity, now=NOW))
    stats = make_source(fake, clock).activity_batch([repo.full_name])[repo.full_name]
    assert stats.issues_opened_90d == opened
    assert stats.maintainer_responses_90d == expected


def test_a_full_batch_stays_within_its_point_budget(fake: FakeGitHub, clock: FakeClock) -> None:
    make_source(fake, clock, batch_size=25).repository_snapshots(names_of(fake, 25))
    assert fake.stats.by_kind == {"graphql": 1}
    assert fake.stats.quota_cost <= 8


# ---------------------------------------------------------------------- REST: issues and ETags


def _repo_with_issues(n_issues: int, n_prs: int) -> FakeRepo:
    issues = [
        IssueRecord(
            repository="acme/tracker",
            number=k,
            title=f"Bug {k}",
            body="It breaks",
            labels=["bug"] if k % 2 else ["bug", "good first issue"],
            created_at=NOW - timedelta(days=k),
            updated_at=NOW - timedelta(days=k // 2),
            comments=k % 5,
            reactions=k % 3,
            assignees=["alice"] if k % 4 == 0 else [],
            author_association="CONTRIBUTOR",
            locked=k == 7,
        )
        for k in range(1, n_issues + 1)
    ]
    prs = [
        IssueRecord(
            repository="acme/tracker",
            number=10_000 + k,
            title=f"Fix {k}",
            created_at=NOW - timedelta(hours=k),
            updated_at=NOW - timedelta(hours=k),
        )
        for k in range(n_prs)
    ]
    meta = RepoMetadata(full_name="acme/tracker", default_branch="main")
    return synthesize_repo(meta, issues=issues, pull_requests=prs, now=NOW)


def test_issues_follow_link_pagination_and_exclude_pull_requests(
    fake: FakeGitHub, clock: FakeClock
) -> None:
    repo = fake.add_repo(_repo_with_issues(230, 40))
    got = list(make_source(fake, clock).issues(repo.full_name))

    assert sorted(i.number for i in got) == list(range(1, 231))
    assert fake.stats.by_kind["issues"] == 3  # 270 items at 100 per page
    pages = [e.query.get("page") for e in fake.stats.log if e.kind == "issues"]
    assert pages == [None, "2", "3"]
    by_number = {i.number: i for i in got}
    four = by_number[4]
    assert four.labels == ["bug", "good first issue"]
    assert four.assignees == ["alice"]
    assert four.reactions == 1 and four.comments == 4
    assert four.author_association == "CONTRIBUTOR"
    assert by_number[7].locked is True


def test_issues_since_returns_only_recently_updated(fake: FakeGitHub, clock: FakeClock) -> None:
    repo = fake.add_repo(_repo_with_issues(50, 0))
    since = NOW - timedelta(days=10)
    got = list(make_source(fake, clock).issues(repo.full_name, since=since, state="all"))
    expected = {i.number for i in repo.issues if i.updated_at and i.updated_at >= since}
    assert {i.number for i in got} == expected
    listing = [e for e in fake.stats.log if e.kind == "issues"]
    assert listing[-1].query["since"].startswith(since.strftime("%Y-%m-%dT%H:%M"))


def _pr(number: int, body: str, *, state: str = "open") -> IssueRecord:
    return IssueRecord(
        repository="acme/tracker",
        number=number,
        title=f"Change {number}",
        body=body,
        state=state,
        created_at=NOW - timedelta(days=1),
        updated_at=NOW,
    )


def test_open_issues_get_their_linked_open_pull_requests(
    fake: FakeGitHub, clock: FakeClock
) -> None:
    repo = fake.add_repo(_repo_with_issues(150, 0))
    closed = repo.issues[-1]
    closed.state, closed.closed_at = "closed", NOW  # issue 150
    repo.pull_requests = [
        _pr(900, "Fixes #3"),
        _pr(901, "Refactor.\n\ncloses #3, resolves #120"),
        _pr(902, "Fixes #9", state="closed"),  # closed PRs no longer count
        _pr(903, "Fixes #150"),  # links a closed issue, which is never asked about
        _pr(904, "Related to #12"),  # a mention without a closing keyword links nothing
    ]

    got = {i.number: i for i in make_source(fake, clock).issues(repo.full_name, state="all")}

    linked = {n: i.linked_pull_requests for n, i in got.items() if i.linked_pull_requests}
    assert linked == {3: 2, 120: 1}
    assert got[150].state == "closed" and got[9].linked_pull_requests == 0
    # 149 open issues: one query of 100 and one of 49, nothing for the closed one.
    queries = [e for e in fake.stats.log if e.kind == "graphql"]
    assert len(queries) == 2 and sum(e.cost for e in queries) == 2


def test_without_a_token_linked_pull_requests_are_skipped_with_one_log(
    fake: FakeGitHub, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    repo = fake.add_repo(_repo_with_issues(5, 0))
    repo.pull_requests = [_pr(900, "Fixes #3")]
    source = make_source(fake, clock, tokens=[])
    first = list(source.issues(repo.full_name))
    list(source.issues(repo.full_name))
    assert len(first) == 5 and all(i.linked_pull_requests == 0 for i in first)
    assert fake.stats.by_kind["graphql"] == 0
    notes = [r for r in caplog.records if "linked pull requests" in r.getMessage()]
    assert len(notes) == 1 and notes[0].levelno == logging.INFO


def test_issues_of_unknown_repository_raise_not_found(fake: FakeGitHub, clock: FakeClock) -> None:
    with pytest.raises(NotFoundError):
        list(make_source(fake, clock).issues("ghost/nowhere"))


def test_second_issue_listing_is_served_from_304s(fake: FakeGitHub, clock: FakeClock) -> None:
    repo = fake.add_repo(_repo_with_issues(150, 5))
    source = make_source(fake, clock, etag_cache=MemoryEtagCache())
    first = list(source.issues(repo.full_name))
    before = fake.remaining(TOKENS[0], "core")
    fake.reset_stats()

    second = list(source.issues(repo.full_name))

    assert second == first
    assert fake.stats.conditional == fake.stats.by_kind["issues"] == 2
    assert fake.stats.not_modified == 2
    assert fake.remaining(TOKENS[0], "core") == before
    assert source.stats.not_modified == 2


def test_unchanged_issue_pages_reuse_linked_pull_requests_without_a_query(
    fake: FakeGitHub, clock: FakeClock
) -> None:
    # Three pages (the two PRs are listed too); linked-PR queries of 100, 100 and 30 issues.
    repo = fake.add_repo(_repo_with_issues(230, 0))
    repo.pull_requests = [_pr(900, "Fixes #3"), _pr(901, "closes #3, resolves #120")]
    source = make_source(fake, clock, etag_cache=MemoryEtagCache())

    def listing() -> dict[int, int]:
        fake.reset_stats()
        got = list(source.issues(repo.full_name))
        assert len(got) == 230
        return {i.number: i.linked_pull_requests for i in got if i.linked_pull_requests}

    assert listing() == {3: 2, 120: 1}
    assert fake.stats.by_kind["graphql"] == 3

    # Every page comes back 304: the counts are the remembered ones, GitHub is not asked.
    assert listing() == {3: 2, 120: 1}
    assert fake.stats.not_modified == fake.stats.by_kind["issues"] == 3
    assert fake.stats.by_kind["graphql"] == 0
    assert fake.stats.quota_cost == 0

    # The last page changed: the first hundred issues (pages 1 and 2, unchanged) keep their
    # counts, the two groups read from page 3 on are asked again.
    repo.issues[-1].title = "Renamed"
    assert listing() == {3: 2, 120: 1}
    assert fake.stats.by_kind["graphql"] == 2

    # A new pull request is itself in the listing (GitHub lists pull requests with issues):
    # page 1 changes, so every count is asked again and the new link is seen at once.
    repo.pull_requests.append(_pr(902, "Fixes #150"))
    assert listing() == {3: 2, 120: 1, 150: 1}
    assert fake.stats.by_kind["graphql"] == 3
    # Unchanged pages reuse a remembered answer for at most snapshot_ttl (a day by default).
    assert listing() == {3: 2, 120: 1, 150: 1}
    assert fake.stats.by_kind["graphql"] == 0
    clock.now += 24 * 3600 + 1
    assert listing() == {3: 2, 120: 1, 150: 1}
    assert fake.stats.by_kind["graphql"] == 3


def test_opt_out_file_absent_from_the_snapshot_trees_costs_no_request(
    fake: FakeGitHub, clock: FakeClock
) -> None:
    plain, opted = fake.repos[0], fake.repos[1]
    opted.files[".github/globallm.yml"] = "enabled: false\n"
    source = make_source(fake, clock, etag_cache=MemoryEtagCache())
    path = ".github/globallm.yml"

    # No snapshot yet: GitHub is asked (a 404 has no ETag, so each ask costs a point).
    assert source.repository_file(plain.full_name, path) is None
    assert fake.stats.by_kind["contents"] == 1

    source.repository_snapshots([plain.full_name, opted.full_name])
    fake.reset_stats()
    assert source.repository_file(plain.full_name, path) is None
    assert source.repository_file(plain.full_name, "LICENSE.md") is None
    assert fake.stats.requests == 0
    # A file the trees list is fetched.
    assert source.repository_file(opted.full_name, path) == "enabled: false\n"
    assert fake.stats.by_kind["contents"] == 1

    # Adding the file is a push: the next metadata read re-fetches the snapshot, and the file
    # is found.
    plain.files[".github/globallm.yml"] = "enabled: false\n"
    fake.push(plain.full_name)
    source.repository_snapshots([plain.full_name])
    assert source.repository_file(plain.full_name, path) == "enabled: false\n"

    # A snapshot older than snapshot_ttl proves nothing.
    del plain.files[".github/globallm.yml"]
    clock.now += 24 * 3600 + 1
    fake.reset_stats()
    assert source.repository_file(plain.full_name, path) is None
    assert fake.stats.by_kind["contents"] == 1


def test_changed_resource_is_refetched_despite_cached_etag(
    fake: FakeGitHub, clock: FakeClock
) -> None:
    repo = fake.add_repo(_repo_with_issues(3, 0))
    source = make_source(fake, clock, etag_cache=MemoryEtagCache())
    list(source.issues(repo.full_name))
    repo.issues[0].title = "Renamed"
    got = list(source.issues(repo.full_name))
    assert "Renamed" in {i.title for i in got}
    assert fake.stats.not_modified == 0


# ---------------------------------------------------------------------- rate limits and retries


def test_secondary_limits_wait_for_retry_after(fake: FakeGitHub, clock: FakeClock) -> None:
    fake.script("graphql", Fault.secondary_403(retry_after=7), Fault.too_many_429(retry_after=3))
    result = make_source(fake, clock).repository_metadata(names_of(fake, 5))
    assert len(result) == 5
    assert clock.sleeps == [7.0, 3.0]
    assert fake.stats.by_kind["graphql"] == 3


def test_secondary_limit_without_retry_after_backs_off_a_minute_then_doubles(
    fake: FakeGitHub, clock: FakeClock
) -> None:
    fake.script("contributors", Fault.secondary_403(None), Fault.secondary_403(None))
    source = make_source(fake, clock)
    assert source.contributors_count(fake.repos[0].full_name)
    assert clock.sleeps == [60.0, 120.0]


def test_server_errors_are_retried_with_backoff(fake: FakeGitHub, clock: FakeClock) -> None:
    fake.script("graphql", Fault.server_error(502), Fault.server_error(503))
    source = make_source(fake, clock)
    assert len(source.repository_metadata(names_of(fake, 2))) == 2
    assert clock.sleeps == [1.0, 2.0]
    assert source.stats.retries == 2


def test_persistent_server_errors_end_in_a_source_error(fake: FakeGitHub, clock: FakeClock) -> None:
    fake.script("graphql", *[Fault.server_error(502)] * 20)
    with pytest.raises(SourceError, match="502"):
        make_source(fake, clock, max_retries=2).repository_metadata(names_of(fake, 2))
    assert fake.stats.by_kind["graphql"] == 4  # 1 + max_retries + one per token


def test_tokens_are_used_round_robin(fake: FakeGitHub, clock: FakeClock) -> None:
    source = make_source(fake, clock, tokens=TOKENS)
    for repo in fake.repos[:6]:
        source.contributors_count(repo.full_name)
    assert [e.token for e in fake.stats.log] == TOKENS * 2


def test_exhausted_token_is_skipped_until_its_reset(fake: FakeGitHub, clock: FakeClock) -> None:
    fake.exhaust(TOKENS[0], "core", reset_in=600)
    source = make_source(fake, clock, tokens=TOKENS[:2])
    for repo in fake.repos[:4]:
        source.contributors_count(repo.full_name)
    used = [(e.token, e.status) for e in fake.stats.log]
    assert used[0] == (TOKENS[0], 403)
    assert used[1:] == [(TOKENS[1], 200)] * 4
    assert clock.sleeps == []
    assert source.stats.token_switches == 1


def test_graphql_rate_limited_answer_switches_token(fake: FakeGitHub, clock: FakeClock) -> None:
    fake.exhaust(TOKENS[0], "graphql")
    source = make_source(fake, clock, tokens=TOKENS[:2])
    assert len(source.repository_metadata(names_of(fake, 3))) == 3
    assert [e.token for e in fake.stats.log] == [TOKENS[0], TOKENS[1]]


def test_all_tokens_exhausted_fails_fast_beyond_the_allowed_wait(
    fake: FakeGitHub, clock: FakeClock
) -> None:
    for token in TOKENS[:2]:
        fake.exhaust(token, "core", reset_in=3600)
    source = make_source(fake, clock, tokens=TOKENS[:2], max_rate_limit_wait=60)
    with pytest.raises(RateLimitBudgetExceeded, match="core rate limit exhausted for all 2"):
        source.contributors_count(fake.repos[0].full_name)
    assert clock.sleeps == []


def test_all_tokens_exhausted_sleeps_until_reset_when_allowed(
    fake: FakeGitHub, clock: FakeClock
) -> None:
    fake.exhaust(TOKENS[0], "core", reset_in=120)

    def sleep(seconds: float) -> None:
        clock.sleep(seconds)
        fake.exhaust(TOKENS[0], "core", reset_in=-1)  # the window rolls over while we sleep

    source = GitHubSource(TOKENS[:1], api_url=fake.url, sleep=sleep, clock=clock)
    assert source.contributors_count(fake.repos[0].full_name)
    assert len(clock.sleeps) == 1 and 118 <= clock.sleeps[0] <= 124


def test_rejected_token_is_dropped_for_the_next(fake: FakeGitHub, clock: FakeClock) -> None:
    revoked = "ghp_" + "Z" * 36
    source = make_source(fake, clock, tokens=[revoked, TOKENS[0]])
    for repo in fake.repos[:3]:
        source.contributors_count(repo.full_name)
    assert [e.token for e in fake.stats.log] == [revoked, *[TOKENS[0]] * 3]


def test_unauthenticated_source_warns_once_and_uses_rest(
    fake: FakeGitHub, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    source = make_source(fake, clock, tokens=[])
    names = names_of(fake, 2)
    meta = source.repository_metadata(names)
    source.repository_metadata(names)
    warnings = [r for r in caplog.records if "unauthenticated" in r.getMessage()]
    assert len(warnings) == 1
    assert "60" in warnings[0].getMessage()
    assert fake.stats.by_kind["graphql"] == 0
    assert fake.stats.by_kind["repo"] == 4
    assert {e.token for e in fake.stats.log} == {None}
    assert meta[names[0]].stars == fake.repo(names[0]).metadata.stars


def test_unauthenticated_activity_counts_commits_and_contributors_over_rest(
    fake: FakeGitHub, clock: FakeClock
) -> None:
    repo = fake.repos[0]
    stats = make_source(fake, clock, tokens=[]).activity(repo.full_name)
    since = NOW - timedelta(days=90)
    assert stats.commits_90d == sum(1 for c in repo.commits if c.committed_at >= since)
    assert stats.contributors == len({c.author_login for c in repo.commits})


def test_tokens_never_reach_logs_errors_or_reprs(
    fake: FakeGitHub, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    revoked = "ghp_" + "Q" * 36
    tokens = [revoked, *TOKENS[:2]]
    fake.exhaust(TOKENS[0], "core")
    fake.script("graphql", Fault.secondary_403(retry_after=1), Fault.server_error(502))
    source = make_source(
        fake, clock, tokens=tokens, etag_cache=MemoryEtagCache(), max_rate_limit_wait=60
    )
    texts = [repr(source), str(source.stats.as_dict())]

    source.repository_metadata(names_of(fake, 3))
    source.contributors_count(fake.repos[0].full_name)
    list(source.issues(fake.repos[0].full_name))
    list(source.search_repositories(SearchQuery(language="python"), 5))
    fake.exhaust(TOKENS[1], "core")
    for failing in (
        lambda: source.contributors_count(fake.repos[1].full_name),
        lambda: list(source.issues("ghost/nowhere")),
    ):
        with pytest.raises(SourceError) as info:
            failing()
        texts += [str(info.value), repr(info.value), repr(info.value.__cause__)]

    texts += [r.getMessage() for r in caplog.records]
    texts += [caplog.text]
    for token in tokens:
        assert all(token not in text for text in texts)
        assert all(token[4:] not in text for text in texts)


# ---------------------------------------------------------------------- search


SEARCH_LIMITS = {"search": (10_000, 60)}  # the walks below need more than 30 searches a minute


def _search_world(n: int, *, stars: int | None = None) -> list[FakeRepo]:
    out = []
    for i in range(n):
        meta = RepoMetadata(
            full_name=f"owner{i % 50}/lib-{i}",
            language="python" if i % 3 else "go",
            stars=stars if stars is not None else 10 + (i * 7919) % 1700,
            created_at=NOW - timedelta(days=1 + i),
            archived=i % 41 == 0,
            is_fork=i % 37 == 0,
        )
        out.append(synthesize_repo(meta, ActivityStats(commits_90d=0), now=NOW))
    return out


def test_search_walks_star_bands_past_the_1000_result_cap(clock: FakeClock) -> None:
    world = _search_world(2600)
    expected = sorted(
        (r for r in world if not r.metadata.archived and not r.metadata.is_fork),
        key=lambda r: -r.metadata.stars,
    )
    with FakeGitHub(world, tokens=TOKENS, limits=SEARCH_LIMITS) as fake:
        got = list(make_source(fake, clock).search_repositories(SearchQuery(), 5000))
        pages = [int(e.query.get("page", 1)) for e in fake.stats.log]
        statuses = {e.status for e in fake.stats.log}
    assert len(expected) > 2 * 1000
    assert sorted(r.full_name for r in got) == sorted(r.full_name for r in expected)
    assert len({r.full_name for r in got}) == len(got)
    stars = [r.stars for r in got]
    assert stars == sorted(stars, reverse=True)
    assert max(pages) <= 10 and statuses == {200}


def test_search_stops_at_max_results(clock: FakeClock) -> None:
    with FakeGitHub(_search_world(600), tokens=TOKENS, limits=SEARCH_LIMITS) as fake:
        got = list(make_source(fake, clock).search_repositories(SearchQuery(), 150))
        assert len(got) == 150
        assert fake.stats.by_kind["search"] == 2


def test_search_slices_a_tie_larger_than_the_cap_by_creation_date(clock: FakeClock) -> None:
    with FakeGitHub(_search_world(1300, stars=5), tokens=TOKENS, limits=SEARCH_LIMITS) as fake:
        query = SearchQuery(include_archived=True, include_forks=True)
        got = list(make_source(fake, clock).search_repositories(query, 5000))
        assert len({r.full_name for r in got}) == 1300
        assert any("created:" in e.query["q"] for e in fake.stats.log)


@pytest.mark.parametrize(
    ("query", "keep"),
    [
        (
            SearchQuery(language="go", min_stars=500, max_stars=1200),
            lambda m: m.language == "go" and 500 <= m.stars <= 1200,
        ),
        (SearchQuery(owner="owner3"), lambda m: m.full_name.startswith("owner3/")),
        (
            SearchQuery(owner="owner0", include_archived=True, include_forks=True),
            lambda m: m.full_name.startswith("owner0/"),
        ),
        (
            SearchQuery(created_after=NOW - timedelta(days=30), min_stars=100),
            lambda m: m.created_at >= NOW - timedelta(days=30) and m.stars >= 100,
        ),
    ],
)
def test_search_applies_the_query_qualifiers(
    clock: FakeClock, query: SearchQuery, keep: object
) -> None:
    world = _search_world(300)
    default_ok = {
        r.full_name
        for r in world
        if (query.include_archived or not r.metadata.archived)
        and (query.include_forks or not r.metadata.is_fork)
    }
    expected = {r.full_name for r in world if keep(r.metadata) and r.full_name in default_ok}  # type: ignore[operator]
    with FakeGitHub(world, tokens=TOKENS, limits=SEARCH_LIMITS) as fake:
        got = {r.full_name for r in make_source(fake, clock).search_repositories(query, 1000)}
    assert expected
    assert got == expected


def test_a_custom_transport_carries_the_requests() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        last = f'<{request.url.copy_merge_params({"page": "42"})}>; rel="last"'
        body = [{"login": "octocat", "id": 1, "type": "User", "contributions": 9}]
        return httpx.Response(200, json=body, headers={"link": last})

    source = GitHubSource(TOKENS[:1], transport=httpx.MockTransport(answer))
    assert source.contributors_count("octo/cat") == 42
    assert seen[0].url.path == "/repos/octo/cat/contributors"
    assert seen[0].headers["authorization"] == f"Bearer {TOKENS[0]}"


# ---------------------------------------------------------------------- the fake itself


def test_fake_charges_graphqls_published_cost_formula() -> None:
    import graphql

    from globallm_assets_tests.fakes.github_server import _get_schema

    def cost_of(n: int) -> tuple[int, int]:
        fields = "\n".join(
            f'r{i}: repository(owner: "o", name: "n{i}") {{ issues(first: 50) {{ totalCount '
            "nodes { number } } }"
            for i in range(n)
        )
        return graphql_cost(_get_schema(), graphql.parse(f"{{ {fields} }}"), {})

    # One request per connection, summed, / 100, rounded to nearest, at least one point.
    assert cost_of(240) == (2, 240 * 50)
    assert cost_of(260) == (3, 260 * 50)
    assert cost_of(3) == (1, 3 * 50)


def test_fake_charges_nested_connections_per_parent_and_object_lookups_nothing() -> None:
    import graphql

    from globallm_assets_tests.fakes.github_server import _get_schema

    def cost_of(fields: str, n: int) -> tuple[int, int]:
        body = "\n".join(
            f'r{i}: repository(owner: "o", name: "n{i}") {{ {fields} }}' for i in range(n)
        )
        return graphql_cost(_get_schema(), graphql.parse(f"{{ {body} }}"), {})

    blobs = 'a: object(expression: "HEAD:README.md") { ... on Blob { text } }'
    assert cost_of(blobs, 300) == (1, 0)
    nested = "pullRequests(first: 10) { nodes { commits(last: 1) { nodes { commit { oid } } } } }"
    # 11 connections per repository (the list, then one per listed PR): 50 x 11 = 550 requests.
    assert cost_of(nested, 50) == (6, 50 * (10 + 10))
