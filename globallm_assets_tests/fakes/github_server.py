"""A local stand-in for api.github.com: a real HTTP server on 127.0.0.1 with an in-memory world.

Only the remote is fake. Payloads follow GitHub's documented REST and GraphQL shapes closely
enough that githubkit's typed models validate them, and the server behaves like GitHub where our
client depends on it:

- primary rate limits per token and per resource (``core`` 5,000/h, ``graphql`` 5,000 points/h
  charged with GitHub's published cost formula, ``search`` 30/min; anonymous: 60/h, 10/min and
  no GraphQL at all), reported in ``X-RateLimit-Limit/Remaining/Reset/Used/Resource``;
- weak ``ETag`` on every GET, ``304`` on a matching ``If-None-Match`` (free when authenticated);
- ``Link`` pagination with ``rel="next"/"prev"/"first"/"last"``;
- search returns at most 1,000 results per query (422 beyond) while ``total_count`` says more;
- GraphQL answers ``data`` plus ``errors`` typed ``NOT_FOUND`` for missing repositories (and
  for ``issue(number:)`` on a number that is no issue), and rejects connections without
  ``first``/``last`` or with more than 100 nodes, as GitHub does;
- ``object(expression: "HEAD:<path>")`` answers a ``Tree`` for the root and ``.github`` and a
  ``Blob`` for a root file: its text from ``FakeRepo.files``, empty for a name listed only in
  ``FakeRepo.root_files``;
- linked pull requests (``Issue.closedByPullRequestsReferences``) follow one convention: a pull
  request in ``FakeRepo.pull_requests`` whose title or body holds a closing keyword and the
  issue's number ("Fixes #12", "closes #12", "Resolved #12", ...) links to issue 12; only open
  ones count unless ``includeClosedPrs: true``;
- merged pull requests come from ``FakeRepo.merged_pulls`` (REST issue lists do not show them),
  each with the ``statusCheckRollup`` state of its head commit;
- issue comments are ``FakeRepo.comment_associations[number]`` (one ``authorAssociation`` per
  comment, oldest first); an issue without an entry has ``comments`` comments by "NONE";
- scripted faults: secondary-limit 403 (with or without ``Retry-After``), 429, 5xx, and
  exhausting a token's primary quota;
- a renamed repository (``FakeGitHub.moved``) answers its old REST paths with ``301`` to the new
  ones on the same server, as GitHub does after a rename or transfer.

Every request is counted (by kind, by token, 304s, conditional requests, quota points) so tests
and the benchmark measure at the server, not in the client under test.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import re
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from globallm_assets.core.models import LANGUAGES, ActivityStats, IssueRecord, RepoMetadata

SEARCH_CAP = 1000
MAX_PAGE = 100
DOCS = "https://docs.github.com/rest"

# resource → (limit, window seconds), authenticated and anonymous; None: not allowed anonymously.
AUTH_LIMITS = {"core": (5000, 3600), "graphql": (5000, 3600), "search": (30, 60)}
ANON_LIMITS: dict[str, tuple[int, int] | None] = {
    "core": (60, 3600),
    "graphql": None,
    "search": (10, 60),
}

SECONDARY_MESSAGE = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. "
    "If you reach out to GitHub Support for help, please include the request ID 0000:0000."
)


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_time(text: str) -> datetime:
    text = text.strip()
    if len(text) == 10:
        return datetime.fromisoformat(text).replace(tzinfo=UTC)
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


_ISO_8601 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})$")


def _since_param(query: Mapping[str, str]) -> datetime | bytes | None:
    """The ``since`` parameter, or a 422 body when it is not ISO 8601 as GitHub documents."""
    raw = query.get("since")
    if raw is None:
        return None
    if not _ISO_8601.match(raw):
        return _json(
            {
                "message": "Validation Failed",
                "errors": [{"resource": "Issue", "field": "since", "code": "invalid"}],
                "documentation_url": DOCS,
            }
        )
    return _parse_time(raw)


def _stable_int(text: str, modulo: int = 10**9) -> int:
    return int(hashlib.sha256(text.encode()).hexdigest()[:12], 16) % modulo + 1


# ---------------------------------------------------------------------- the world


@dataclass
class FakeCommit:
    sha: str
    committed_at: datetime
    author_login: str | None  # None: an e-mail not linked to any GitHub account
    author_email: str
    ci_state: str | None = None  # statusCheckRollup state; None: no checks ran
    message: str = "Change things"


@dataclass
class FakeMergedPull:
    """A merged pull request, as ``pullRequests(states: MERGED)`` shows it."""

    number: int
    merged_at: datetime
    head_ci_state: str | None = None  # statusCheckRollup of the head commit; None: no checks
    updated_at: datetime | None = None  # defaults to merged_at


@dataclass
class FakeRepo:
    """One repository. ``issues`` are issues proper; ``pull_requests`` show up in REST issue
    lists (with a ``pull_request`` key) like on GitHub. Open/closed totals beyond the listed
    issues come from ``metadata.open_issues``/``closed_issues`` (old issues known only by count)."""

    metadata: RepoMetadata
    issues: list[IssueRecord] = field(default_factory=list)
    pull_requests: list[IssueRecord] = field(default_factory=list)
    commits: list[FakeCommit] = field(default_factory=list)  # newest first
    releases: list[datetime] = field(default_factory=list)
    root_files: list[str] = field(default_factory=lambda: ["README.md", "LICENSE"])
    github_files: list[str] = field(default_factory=list)
    # path -> text, served by the REST contents API (e.g. ".github/globallm.yml") and, for
    # root files such as README.md, by GraphQL blob lookups.
    files: dict[str, str] = field(default_factory=dict)
    merged_pulls: list[FakeMergedPull] = field(default_factory=list)
    # issue number -> authorAssociation of each comment, oldest first.
    comment_associations: dict[int, list[str]] = field(default_factory=dict)
    updated_at: datetime | None = None
    id: int = 0

    @property
    def full_name(self) -> str:
        return self.metadata.full_name

    @property
    def owner(self) -> str:
        return self.full_name.split("/")[0]

    @property
    def name(self) -> str:
        return self.full_name.split("/")[1]

    def open_total(self) -> int:
        listed = sum(1 for i in self.issues if i.state == "open")
        return max(listed, self.metadata.open_issues)

    def closed_total(self) -> int:
        listed = sum(1 for i in self.issues if i.state == "closed")
        return max(listed, self.metadata.closed_issues)


def synthesize_repo(
    metadata: RepoMetadata,
    activity: ActivityStats | None = None,
    *,
    issues: Iterable[IssueRecord] = (),
    pull_requests: Iterable[IssueRecord] = (),
    merged_pulls: Iterable[FakeMergedPull] = (),
    now: datetime | None = None,
    seed: int = 0,
) -> FakeRepo:
    """A repository whose commits, CI and contributors reproduce ``activity`` where given.

    ``metadata.readme`` becomes the text of ``README.md``. ``activity.ci_runs_*`` set the commit
    rollups; merged pull requests (the CI figure GitHubSource prefers) come only from
    ``merged_pulls``. ``activity.maintainer_responses_90d`` gives that many of the issues created
    in the last 90 days (newest first) a maintainer's comment.
    """
    now = now or datetime.now(UTC)
    rng = random.Random(f"{seed}:{metadata.full_name}")
    act = activity or ActivityStats()
    commits_90d = act.commits_90d if act.commits_90d is not None else rng.randint(0, 60)
    contributors = max(1, act.contributors or rng.randint(1, 8))
    share = act.top_contributor_share if act.top_contributor_share is not None else 0.5
    older = rng.randint(5, 40)
    newest = metadata.pushed_at or now - timedelta(hours=rng.randint(1, 48))
    if commits_90d == 0 and newest > now - timedelta(days=91):
        newest = now - timedelta(days=120)
    dates = [
        newest - timedelta(hours=(i * 89 * 24) / max(commits_90d, 1)) for i in range(commits_90d)
    ]
    dates += [now - timedelta(days=95 + i * 7) for i in range(older)]
    logins = [f"{metadata.full_name.split('/')[0].lower()}-dev{k}" for k in range(contributors)]
    top = max(1, round(share * len(dates)))
    commits: list[FakeCommit] = []
    for i, when in enumerate(sorted(dates, reverse=True)):
        login = logins[0] if i < top or contributors == 1 else logins[1 + i % (contributors - 1)]
        commits.append(
            FakeCommit(
                sha=hashlib.sha1(f"{metadata.full_name}:{i}".encode()).hexdigest(),
                committed_at=when,
                author_login=login,
                author_email=f"{login}@example.org",
            )
        )
    ci_total = act.ci_runs_total if act.ci_runs_total is not None else rng.choice([0, 10, 10])
    ci_passed = act.ci_runs_passed if act.ci_runs_passed is not None else rng.randint(0, ci_total)
    for i, commit in enumerate(commits[: min(ci_total, 10)]):
        commit.ci_state = "SUCCESS" if i < ci_passed else "FAILURE"
    listed = list(issues)
    if not listed and (act.issues_opened_90d or act.issues_closed_90d):
        listed = _window_issues(metadata.full_name, act, now)
    releases = [now - timedelta(days=20 * i + 3) for i in range(metadata.releases_last_year or 0)]
    pushed = commits[0].committed_at if commits else metadata.pushed_at
    meta = metadata.model_copy(update={"pushed_at": pushed})
    window = sorted(
        (i for i in listed if i.created_at and i.created_at >= now - timedelta(days=90)),
        key=lambda i: i.created_at or now,
        reverse=True,
    )
    answered = {i.number: ["NONE", "MEMBER"] for i in window[: act.maintainer_responses_90d or 0]}
    return FakeRepo(
        metadata=meta,
        issues=listed,
        pull_requests=list(pull_requests),
        commits=commits,
        releases=releases,
        root_files=["README.md", "LICENSE"] + (["CONTRIBUTING.md"] if act.has_contributing else []),
        files={"README.md": metadata.readme} if metadata.readme is not None else {},
        merged_pulls=list(merged_pulls),
        comment_associations=answered,
        updated_at=pushed,
    )


def _window_issues(full_name: str, act: ActivityStats, now: datetime) -> list[IssueRecord]:
    out: list[IssueRecord] = []
    opened, closed = act.issues_opened_90d or 0, act.issues_closed_90d or 0
    for k in range(max(opened, closed)):
        created = now - timedelta(days=80 - k % 70, hours=k)
        is_closed = k < closed
        out.append(
            IssueRecord(
                repository=full_name,
                number=k + 1,
                title=f"Issue {k + 1}",
                state="closed" if is_closed else "open",
                created_at=created if k < opened else created - timedelta(days=200),
                updated_at=created + timedelta(days=2),
                closed_at=created + timedelta(days=2) if is_closed else None,
            )
        )
    return out


def random_repos(n: int, *, seed: int = 0, now: datetime | None = None) -> list[FakeRepo]:
    """``n`` plausible repositories: power-law stars, mixed activity, a few issues each."""
    now = now or datetime.now(UTC)
    rng = random.Random(seed)
    repos: list[FakeRepo] = []
    for i in range(n):
        owner, name = f"org{i % 97}", f"project-{i}"
        stars = int(10 * (1 - rng.random()) ** -1.2)
        language = rng.choice(LANGUAGES)
        meta = RepoMetadata(
            full_name=f"{owner}/{name}",
            language=language,
            description=f"Synthetic {language} project {i}",
            stars=stars,
            forks=stars // 7,
            license=rng.choice(["MIT", "Apache-2.0", "BSD-3-Clause", None]),
            default_branch="main",
            created_at=now - timedelta(days=rng.randint(200, 4000)),
            pushed_at=now - timedelta(hours=rng.randint(1, 2000)),
            open_issues=rng.randint(0, 200),
            closed_issues=rng.randint(0, 800),
            releases_last_year=rng.randint(0, 12),
            languages=[language],
            topics=[language, "library"],
            readme=_synthetic_readme(name, language, rng) if rng.random() < 0.9 else None,
        )
        opened = rng.randint(0, 15)
        activity = ActivityStats(
            commits_90d=rng.randint(0, 80),
            contributors=rng.randint(1, 20),
            top_contributor_share=round(rng.uniform(0.2, 1.0), 2),
            ci_runs_total=rng.choice([0, 10]),
            issues_opened_90d=opened,
            issues_closed_90d=rng.randint(0, 10),
            maintainer_responses_90d=rng.randint(0, opened),
        )
        merged = [
            FakeMergedPull(
                number=5000 + k,
                merged_at=now - timedelta(days=2 * k + 1),
                head_ci_state=rng.choice(["SUCCESS", "SUCCESS", "SUCCESS", "FAILURE", None]),
            )
            for k in range(rng.choice([0, 2, 8, 15]))
        ]
        repos.append(synthesize_repo(meta, activity, merged_pulls=merged, now=now, seed=seed))
    return repos


def _synthetic_readme(name: str, language: str, rng: random.Random) -> str:
    """A README of a few kilobytes, so payload sizes resemble GitHub's."""
    words = ["parse", "fast", "async", "config", "plugin", "cache", "stream", "schema", "cli"]
    lines = [f"# {name}", "", f"A {language} library to {' and '.join(rng.sample(words, 2))}."]
    lines += ["", "## Usage", ""] + [f"- {' '.join(rng.choices(words, k=8))}" for _ in range(40)]
    return "\n".join(lines)


# ---------------------------------------------------------------------- faults and counters


@dataclass
class Fault:
    """One scripted failure answered instead of the real response."""

    status: int
    message: str
    retry_after: int | None = None
    remaining_zero: bool = False
    echo_token: bool = False  # append the request's token to the message, as a careless server may

    @classmethod
    def secondary_403(cls, retry_after: int | None = 60) -> Fault:
        return cls(403, SECONDARY_MESSAGE, retry_after)

    @classmethod
    def too_many_429(cls, retry_after: int | None = 30) -> Fault:
        return cls(429, SECONDARY_MESSAGE, retry_after)

    @classmethod
    def server_error(cls, status: int = 502) -> Fault:
        return cls(status, "Server Error")

    @classmethod
    def bad_credentials_echo(cls) -> Fault:
        """A 401 whose message repeats the credentials it was sent."""
        return cls(401, "Bad credentials:", echo_token=True)


@dataclass
class RequestLog:
    method: str
    path: str
    query: dict[str, str]
    kind: str
    token: str | None
    if_none_match: str | None
    status: int = 0
    cost: int = 0
    at: float = field(default_factory=time.time)  # when the request arrived


@dataclass
class FakeStats:
    by_kind: Counter[str] = field(default_factory=Counter)
    by_token: Counter[str] = field(default_factory=Counter)
    points: Counter[str] = field(default_factory=Counter)  # primary quota charged per resource
    not_modified: int = 0
    conditional: int = 0
    log: list[RequestLog] = field(default_factory=list)

    @property
    def requests(self) -> int:
        return sum(self.by_kind.values())

    @property
    def quota_cost(self) -> int:
        return sum(self.points.values())


@dataclass
class _Bucket:
    limit: int
    window: int
    used: int = 0
    reset: int = 0


# ---------------------------------------------------------------------- REST payloads


class _Urls:
    def __init__(self, base: str) -> None:
        self.base = base

    def user(self, login: str, *, org: bool = False) -> dict[str, Any]:
        uid = _stable_int(f"user:{login}")
        api = f"{self.base}/users/{login}"
        return {
            "login": login,
            "id": uid,
            "node_id": f"U_kgDO{uid:08d}",
            "avatar_url": f"https://avatars.example.invalid/u/{uid}?v=4",
            "gravatar_id": "",
            "url": api,
            "html_url": f"https://github.invalid/{login}",
            "followers_url": f"{api}/followers",
            "following_url": f"{api}/following{{/other_user}}",
            "gists_url": f"{api}/gists{{/gist_id}}",
            "starred_url": f"{api}/starred{{/owner}}{{/repo}}",
            "subscriptions_url": f"{api}/subscriptions",
            "organizations_url": f"{api}/orgs",
            "repos_url": f"{api}/repos",
            "events_url": f"{api}/events{{/privacy}}",
            "received_events_url": f"{api}/received_events",
            "type": "Organization" if org else "User",
            "user_view_type": "public",
            "site_admin": False,
        }

    def repo(self, repo: FakeRepo, *, score: float | None = None) -> dict[str, Any]:
        m = repo.metadata
        api = f"{self.base}/repos/{repo.full_name}"
        html = f"https://github.invalid/{repo.full_name}"
        lic = None
        if m.license:
            lic = {
                "key": m.license.lower(),
                "name": m.license,
                "spdx_id": m.license,
                "url": f"{self.base}/licenses/{m.license.lower()}",
                "node_id": f"MDc6TGljZW5zZ{_stable_int(m.license, 99)}",
            }
        created = m.created_at or datetime(2015, 1, 1, tzinfo=UTC)
        body: dict[str, Any] = {
            "id": repo.id,
            "node_id": f"R_kgDO{repo.id:08d}",
            "name": repo.name,
            "full_name": repo.full_name,
            "private": False,
            "owner": self.user(repo.owner, org=repo.owner.startswith("org")),
            "html_url": html,
            "description": m.description,
            "fork": m.is_fork,
            "url": api,
            "forks_url": f"{api}/forks",
            "keys_url": f"{api}/keys{{/key_id}}",
            "collaborators_url": f"{api}/collaborators{{/collaborator}}",
            "teams_url": f"{api}/teams",
            "hooks_url": f"{api}/hooks",
            "issue_events_url": f"{api}/issues/events{{/number}}",
            "events_url": f"{api}/events",
            "assignees_url": f"{api}/assignees{{/user}}",
            "branches_url": f"{api}/branches{{/branch}}",
            "tags_url": f"{api}/tags",
            "blobs_url": f"{api}/git/blobs{{/sha}}",
            "git_tags_url": f"{api}/git/tags{{/sha}}",
            "git_refs_url": f"{api}/git/refs{{/sha}}",
            "trees_url": f"{api}/git/trees{{/sha}}",
            "statuses_url": f"{api}/statuses/{{sha}}",
            "languages_url": f"{api}/languages",
            "stargazers_url": f"{api}/stargazers",
            "contributors_url": f"{api}/contributors",
            "subscribers_url": f"{api}/subscribers",
            "subscription_url": f"{api}/subscription",
            "commits_url": f"{api}/commits{{/sha}}",
            "git_commits_url": f"{api}/git/commits{{/sha}}",
            "comments_url": f"{api}/comments{{/number}}",
            "issue_comment_url": f"{api}/issues/comments{{/number}}",
            "contents_url": f"{api}/contents/{{+path}}",
            "compare_url": f"{api}/compare/{{base}}...{{head}}",
            "merges_url": f"{api}/merges",
            "archive_url": f"{api}/{{archive_format}}{{/ref}}",
            "downloads_url": f"{api}/downloads",
            "issues_url": f"{api}/issues{{/number}}",
            "pulls_url": f"{api}/pulls{{/number}}",
            "milestones_url": f"{api}/milestones{{/number}}",
            "notifications_url": f"{api}/notifications{{?since,all,participating}}",
            "labels_url": f"{api}/labels{{/name}}",
            "releases_url": f"{api}/releases{{/id}}",
            "deployments_url": f"{api}/deployments",
            "created_at": _iso(created),
            "updated_at": _iso(repo.updated_at or m.pushed_at or created),
            "pushed_at": _iso(m.pushed_at or created),
            "git_url": f"git://github.invalid/{repo.full_name}.git",
            "ssh_url": f"git@github.invalid:{repo.full_name}.git",
            "clone_url": f"{html}.git",
            "svn_url": html,
            "homepage": m.homepage,
            "size": 1024,
            "stargazers_count": m.stars,
            "watchers_count": m.stars,
            "language": _display_language(m.language),
            "has_issues": True,
            "has_projects": True,
            "has_downloads": True,
            "has_wiki": True,
            "has_pages": False,
            "has_discussions": False,
            "forks_count": m.forks,
            "mirror_url": None,
            "archived": m.archived,
            "disabled": False,
            "open_issues_count": repo.open_total()
            + sum(1 for p in repo.pull_requests if p.state == "open"),
            "license": lic,
            "allow_forking": True,
            "is_template": False,
            "web_commit_signoff_required": False,
            "topics": list(m.topics),
            "visibility": "public",
            "forks": m.forks,
            "open_issues": repo.open_total(),
            "watchers": m.stars,
            "default_branch": m.default_branch or "main",
            "network_count": m.forks,
            "subscribers_count": max(1, m.stars // 30),
        }
        if score is not None:
            body["score"] = score
        return body

    def issue(self, repo: FakeRepo, issue: IssueRecord, *, is_pr: bool) -> dict[str, Any]:
        api = f"{self.base}/repos/{repo.full_name}"
        html = f"https://github.invalid/{repo.full_name}"
        iid = _stable_int(f"issue:{repo.full_name}#{issue.number}")
        created = issue.created_at or datetime(2020, 1, 1, tzinfo=UTC)
        reactions = issue.reactions
        body: dict[str, Any] = {
            "url": f"{api}/issues/{issue.number}",
            "repository_url": api,
            "labels_url": f"{api}/issues/{issue.number}/labels{{/name}}",
            "comments_url": f"{api}/issues/{issue.number}/comments",
            "events_url": f"{api}/issues/{issue.number}/events",
            "html_url": f"{html}/{'pull' if is_pr else 'issues'}/{issue.number}",
            "id": iid,
            "node_id": f"I_kwDO{iid:08d}",
            "number": issue.number,
            "title": issue.title,
            "user": self.user(f"reporter{issue.number % 7}"),
            "labels": [
                {
                    "id": _stable_int(f"label:{name}"),
                    "node_id": f"LA_kwDO{_stable_int(name):08d}",
                    "url": f"{api}/labels/{name}",
                    "name": name,
                    "color": "d73a4a",
                    "default": name in ("bug", "enhancement"),
                    "description": None,
                }
                for name in issue.labels
            ],
            "state": issue.state,
            "locked": issue.locked,
            "assignee": self.user(issue.assignees[0]) if issue.assignees else None,
            "assignees": [self.user(a) for a in issue.assignees],
            "milestone": None,
            "comments": issue.comments,
            "created_at": _iso(created),
            "updated_at": _iso(issue.updated_at or created),
            "closed_at": _iso(issue.closed_at),
            "author_association": issue.author_association or "NONE",
            "active_lock_reason": None,
            "body": issue.body,
            "reactions": {
                "url": f"{api}/issues/{issue.number}/reactions",
                "total_count": reactions,
                "+1": reactions,
                "-1": 0,
                "laugh": 0,
                "hooray": 0,
                "confused": 0,
                "heart": 0,
                "rocket": 0,
                "eyes": 0,
            },
            "timeline_url": f"{api}/issues/{issue.number}/timeline",
            "performed_via_github_app": None,
            "state_reason": "completed" if issue.state == "closed" else None,
        }
        if is_pr:
            body["draft"] = False
            body["pull_request"] = {
                "url": f"{api}/pulls/{issue.number}",
                "html_url": f"{html}/pull/{issue.number}",
                "diff_url": f"{html}/pull/{issue.number}.diff",
                "patch_url": f"{html}/pull/{issue.number}.patch",
                "merged_at": None,
            }
        return body

    def commit(self, repo: FakeRepo, c: FakeCommit) -> dict[str, Any]:
        api = f"{self.base}/repos/{repo.full_name}"
        actor = {
            "name": c.author_login or "someone",
            "email": c.author_email,
            "date": _iso(c.committed_at),
        }
        user = self.user(c.author_login) if c.author_login else None
        return {
            "sha": c.sha,
            "node_id": f"C_kwDO{_stable_int(c.sha):08d}",
            "commit": {
                "author": actor,
                "committer": actor,
                "message": c.message,
                "tree": {"sha": c.sha[::-1], "url": f"{api}/git/trees/{c.sha[::-1]}"},
                "url": f"{api}/git/commits/{c.sha}",
                "comment_count": 0,
                "verification": {
                    "verified": False,
                    "reason": "unsigned",
                    "signature": None,
                    "payload": None,
                    "verified_at": None,
                },
            },
            "url": f"{api}/commits/{c.sha}",
            "html_url": f"https://github.invalid/{repo.full_name}/commit/{c.sha}",
            "comments_url": f"{api}/commits/{c.sha}/comments",
            "author": user,
            "committer": user,
            "parents": [],
        }


def _display_language(language: str | None) -> str | None:
    if not language:
        return None
    special = {"javascript": "JavaScript", "typescript": "TypeScript"}
    return special.get(language.lower(), language[:1].upper() + language[1:])


# ---------------------------------------------------------------------- search


_TOKEN_RE = re.compile(r'(\w+):("[^"]*"|\S+)|"([^"]*)"|(\S+)')


def _range_match(spec: str, value: Any, convert: Any) -> bool:
    if ".." in spec:
        lo, hi = spec.split("..", 1)
        return (lo == "*" or value >= convert(lo)) and (hi == "*" or value <= convert(hi))
    for op in (">=", "<=", ">", "<"):
        if spec.startswith(op):
            bound = convert(spec[len(op) :])
            return {
                ">=": value >= bound,
                "<=": value <= bound,
                ">": value > bound,
                "<": value < bound,
            }[op]
    return value == convert(spec)


def search_filter(repos: Iterable[FakeRepo], q: str) -> list[FakeRepo]:
    """The repositories GitHub's repository search would match for ``q``."""
    quals: list[tuple[str, str]] = []
    words: list[str] = []
    for m in _TOKEN_RE.finditer(q):
        if m.group(1):
            quals.append((m.group(1).lower(), m.group(2).strip('"')))
        else:
            words.append((m.group(3) or m.group(4) or "").lower())
    forks = "false"
    out: list[FakeRepo] = []
    for key, _ in quals:
        if key == "fork":
            forks = dict(quals)["fork"].lower()
    for repo in repos:
        m = repo.metadata
        ok = True
        for key, val in quals:
            if key == "language":
                ok = (m.language or "").lower() == val.lower()
            elif key == "stars":
                ok = _range_match(val, m.stars, int)
            elif key == "created":
                ok = m.created_at is not None and _range_match(val, m.created_at, _parse_time)
            elif key == "archived":
                ok = m.archived == (val.lower() == "true")
            elif key in ("user", "org"):
                ok = repo.owner.lower() == val.lower()
            if not ok:
                break
        if not ok:
            continue
        if (forks == "false" and m.is_fork) or (forks == "only" and not m.is_fork):
            continue
        hay = f"{repo.full_name} {m.description or ''}".lower()
        if all(w in hay for w in words):
            out.append(repo)
    out.sort(key=lambda r: (-r.metadata.stars, r.id))
    return out


# ---------------------------------------------------------------------- GraphQL

_SDL = """
scalar DateTime
scalar GitTimestamp
scalar URI
scalar GitObjectID

enum IssueState { OPEN CLOSED }
enum OrderDirection { ASC DESC }
enum IssueOrderField { CREATED_AT UPDATED_AT COMMENTS }
enum ReleaseOrderField { CREATED_AT NAME }
enum LanguageOrderField { SIZE }
enum StatusState { ERROR EXPECTED FAILURE PENDING SUCCESS }
enum PullRequestState { OPEN CLOSED MERGED }
enum CommentAuthorAssociation {
  COLLABORATOR CONTRIBUTOR FIRST_TIMER FIRST_TIME_CONTRIBUTOR MANNEQUIN MEMBER NONE OWNER
}

input IssueOrder { field: IssueOrderField! direction: OrderDirection! }
input ReleaseOrder { field: ReleaseOrderField! direction: OrderDirection! }
input LanguageOrder { field: LanguageOrderField! direction: OrderDirection! }
input IssueFilters {
  assignee: String createdBy: String labels: [String!] mentioned: String
  since: DateTime states: [IssueState!]
}

type Query {
  repository(owner: String!, name: String!, followRenames: Boolean = true): Repository
  rateLimit(dryRun: Boolean = false): RateLimit
}

type RateLimit {
  cost: Int! limit: Int! nodeCount: Int! remaining: Int! resetAt: DateTime! used: Int!
}
type PageInfo {
  endCursor: String hasNextPage: Boolean! hasPreviousPage: Boolean! startCursor: String
}

type Repository {
  id: ID!
  databaseId: Int
  name: String!
  nameWithOwner: String!
  description: String
  homepageUrl: URI
  url: URI!
  stargazerCount: Int!
  forkCount: Int!
  isArchived: Boolean!
  isFork: Boolean!
  isPrivate: Boolean!
  pushedAt: DateTime
  createdAt: DateTime!
  updatedAt: DateTime!
  licenseInfo: License
  primaryLanguage: Language
  defaultBranchRef: Ref
  issues(
    after: String, before: String, first: Int, last: Int, labels: [String!],
    states: [IssueState!], filterBy: IssueFilters, orderBy: IssueOrder
  ): IssueConnection!
  releases(
    after: String, before: String, first: Int, last: Int, orderBy: ReleaseOrder
  ): ReleaseConnection!
  languages(
    after: String, before: String, first: Int, last: Int, orderBy: LanguageOrder
  ): LanguageConnection
  repositoryTopics(after: String, before: String, first: Int, last: Int): RepositoryTopicConnection!
  object(expression: String, oid: GitObjectID): GitObject
  issue(number: Int!): Issue
  pullRequests(
    after: String, before: String, first: Int, last: Int, baseRefName: String,
    headRefName: String, labels: [String!], states: [PullRequestState!], orderBy: IssueOrder
  ): PullRequestConnection!
}

type License { key: String! name: String! spdxId: String }
type Language { name: String! color: String }
type Topic { name: String! }
type RepositoryTopic { topic: Topic! }
type Ref { name: String! prefix: String! target: GitObject }
interface GitObject { oid: GitObjectID! }
type Commit implements GitObject {
  oid: GitObjectID!
  committedDate: DateTime!
  message: String!
  author: GitActor
  statusCheckRollup: StatusCheckRollup
  history(
    after: String, before: String, first: Int, last: Int,
    since: GitTimestamp, until: GitTimestamp
  ): CommitHistoryConnection!
}
type Tree implements GitObject { oid: GitObjectID! entries: [TreeEntry!] }
type Blob implements GitObject {
  oid: GitObjectID! byteSize: Int! isBinary: Boolean isTruncated: Boolean! text: String
}
type TreeEntry { name: String! type: String! }
type GitActor { name: String email: String date: GitTimestamp user: User }
type User { login: String! }
type StatusCheckRollup { state: StatusState! }
type CommitHistoryConnection { totalCount: Int! nodes: [Commit] pageInfo: PageInfo! }
type Issue {
  number: Int! title: String! body: String! state: IssueState!
  createdAt: DateTime! updatedAt: DateTime! closedAt: DateTime
  authorAssociation: CommentAuthorAssociation!
  comments(after: String, before: String, first: Int, last: Int): IssueCommentConnection!
  closedByPullRequestsReferences(
    after: String, before: String, first: Int, last: Int, includeClosedPrs: Boolean = false,
    orderByState: Boolean = false, userLinkedOnly: Boolean = false
  ): PullRequestConnection
}
type IssueComment { authorAssociation: CommentAuthorAssociation! body: String! }
type IssueCommentConnection { totalCount: Int! nodes: [IssueComment] pageInfo: PageInfo! }
type PullRequest {
  number: Int! title: String! body: String! state: PullRequestState!
  createdAt: DateTime! updatedAt: DateTime! mergedAt: DateTime
  commits(after: String, before: String, first: Int, last: Int): PullRequestCommitConnection!
}
type PullRequestConnection { totalCount: Int! nodes: [PullRequest] pageInfo: PageInfo! }
type PullRequestCommit { commit: Commit! }
type PullRequestCommitConnection {
  totalCount: Int! nodes: [PullRequestCommit] pageInfo: PageInfo!
}
type IssueConnection { totalCount: Int! nodes: [Issue] pageInfo: PageInfo! }
type Release { name: String tagName: String! createdAt: DateTime! publishedAt: DateTime }
type ReleaseConnection { totalCount: Int! nodes: [Release] pageInfo: PageInfo! }
type LanguageConnection { totalCount: Int! totalSize: Int! nodes: [Language] pageInfo: PageInfo! }
type RepositoryTopicConnection { totalCount: Int! nodes: [RepositoryTopic] pageInfo: PageInfo! }
"""

_schema_lock = threading.Lock()
_schema: Any = None


def _get_schema() -> Any:
    global _schema
    with _schema_lock:
        if _schema is None:
            import graphql

            schema = graphql.build_schema(_SDL)
            names = {_GCommit: "Commit", _GTree: "Tree", _GBlob: "Blob", _GHeadCommit: "Commit"}
            schema.get_type("GitObject").resolve_type = lambda obj, *_: names[type(obj)]
            _schema = schema
    return _schema


class _GitHubGraphQLError(Exception):
    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


def _page(
    items: list[Any], info: Any, field_name: str, first: int | None, last: int | None
) -> dict[str, Any]:
    """A connection object, enforcing GitHub's pagination-boundary rules."""
    wants_nodes = any(
        getattr(sel, "name", None) is not None and sel.name.value in ("nodes", "edges")
        for node in info.field_nodes
        for sel in (node.selection_set.selections if node.selection_set else [])
    )
    if wants_nodes and first is None and last is None:
        raise _GitHubGraphQLError(
            "MISSING_PAGINATION_BOUNDARIES",
            f"You must provide a `first` or `last` value to properly paginate the `{field_name}`"
            " connection.",
        )
    for arg, value in (("first", first), ("last", last)):
        if value is not None and (value < 0 or value > MAX_PAGE):
            raise _GitHubGraphQLError(
                "EXCESSIVE_PAGINATION",
                f"Requesting {value} records on the `{field_name}` connection exceeds the "
                f"`{arg}` limit of {MAX_PAGE} records.",
            )
    chosen = items[:first] if first is not None else (items[-last:] if last else [])
    return {
        "totalCount": len(items),
        "nodes": chosen,
        "pageInfo": {
            "hasNextPage": first is not None and len(items) > first,
            "hasPreviousPage": last is not None and len(items) > last,
            "startCursor": "Y3Vyc29yOjE=" if chosen else None,
            "endCursor": "Y3Vyc29yOm4=" if chosen else None,
        },
    }


class _GTree:
    def __init__(self, names: list[str], oid: str) -> None:
        self._names, self._oid = names, oid

    def oid(self, info: Any) -> str:
        return self._oid

    def entries(self, info: Any) -> list[dict[str, str]]:
        return [{"name": n, "type": "blob"} for n in self._names]


class _GBlob:
    def __init__(self, text: str, oid: str) -> None:
        self._text, self._oid = text, oid

    def oid(self, info: Any) -> str:
        return self._oid

    def byteSize(self, info: Any) -> int:
        return len(self._text.encode())

    def isBinary(self, info: Any) -> bool:
        return False

    def isTruncated(self, info: Any) -> bool:
        return False

    def text(self, info: Any) -> str:
        return self._text


# GitHub's closing keywords: close(s/d), fix(es/ed), resolve(s/d), then the issue reference.
_CLOSING_RE = re.compile(r"\b(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?):?\s+#(\d+)\b", re.I)


class _GIssue:
    def __init__(self, repo: FakeRepo, issue: IssueRecord) -> None:
        self._r, self._i = repo, issue

    def number(self, info: Any) -> int:
        return self._i.number

    def title(self, info: Any) -> str:
        return self._i.title

    def body(self, info: Any) -> str:
        return self._i.body or ""

    def state(self, info: Any) -> str:
        return self._i.state.upper()

    def createdAt(self, info: Any) -> str | None:
        return _iso(self._i.created_at)

    def updatedAt(self, info: Any) -> str | None:
        return _iso(self._i.updated_at or self._i.created_at)

    def closedAt(self, info: Any) -> str | None:
        return _iso(self._i.closed_at)

    def authorAssociation(self, info: Any) -> str:
        return self._i.author_association or "NONE"

    def comments(
        self, info: Any, first: int | None = None, last: int | None = None, **_: Any
    ) -> dict[str, Any]:
        kinds = self._r.comment_associations.get(self._i.number, ["NONE"] * self._i.comments)
        nodes = [{"authorAssociation": k, "body": "A comment"} for k in kinds]
        return _page(nodes, info, "comments", first, last)

    def closedByPullRequestsReferences(
        self,
        info: Any,
        first: int | None = None,
        last: int | None = None,
        includeClosedPrs: bool = False,
        **_: Any,
    ) -> dict[str, Any]:
        linked = [
            _GPull(self._r, pr)
            for pr in self._r.pull_requests
            if (includeClosedPrs or pr.state == "open")
            and self._i.number
            in {int(n) for n in _CLOSING_RE.findall(f"{pr.title}\n{pr.body or ''}")}
        ]
        return _page(linked, info, "closedByPullRequestsReferences", first, last)


class _GHeadCommit:
    """A pull request's head commit: only its CI rollup matters here."""

    def __init__(self, sha: str, when: datetime, ci_state: str | None) -> None:
        self._sha, self._when, self._ci = sha, when, ci_state

    def oid(self, info: Any) -> str:
        return self._sha

    def committedDate(self, info: Any) -> str | None:
        return _iso(self._when)

    def message(self, info: Any) -> str:
        return "Address review comments"

    def author(self, info: Any) -> dict[str, Any]:
        return {"name": "contributor", "email": "contributor@example.org", "user": None}

    def statusCheckRollup(self, info: Any) -> dict[str, str] | None:
        return {"state": self._ci} if self._ci else None

    def history(
        self, info: Any, first: int | None = None, last: int | None = None, **_: Any
    ) -> Any:
        return _page([self], info, "history", first, last)


class _GPull:
    """A pull request: an open/closed ``IssueRecord`` of ``pull_requests`` or a merged one."""

    def __init__(self, repo: FakeRepo, pr: IssueRecord | FakeMergedPull) -> None:
        self._r, self._p = repo, pr

    def number(self, info: Any) -> int:
        return self._p.number

    def title(self, info: Any) -> str:
        return self._p.title if isinstance(self._p, IssueRecord) else f"Change {self._p.number}"

    def body(self, info: Any) -> str:
        return (self._p.body if isinstance(self._p, IssueRecord) else None) or ""

    def state(self, info: Any) -> str:
        return self._p.state.upper() if isinstance(self._p, IssueRecord) else "MERGED"

    def createdAt(self, info: Any) -> str | None:
        p = self._p
        return _iso(p.created_at if isinstance(p, IssueRecord) else p.merged_at - timedelta(days=1))

    def updatedAt(self, info: Any) -> str | None:
        p = self._p
        if isinstance(p, IssueRecord):
            return _iso(p.updated_at or p.created_at)
        return _iso(p.updated_at or p.merged_at)

    def mergedAt(self, info: Any) -> str | None:
        return None if isinstance(self._p, IssueRecord) else _iso(self._p.merged_at)

    def commits(
        self, info: Any, first: int | None = None, last: int | None = None, **_: Any
    ) -> dict[str, Any]:
        p = self._p
        sha = hashlib.sha1(f"{self._r.full_name}:pull:{p.number}".encode()).hexdigest()
        if isinstance(p, IssueRecord):
            head = _GHeadCommit(sha, p.updated_at or p.created_at or datetime.now(UTC), None)
        else:
            head = _GHeadCommit(sha, p.merged_at, p.head_ci_state)
        return _page([{"commit": head}], info, "commits", first, last)


class _GCommit:
    def __init__(self, repo: FakeRepo, index: int) -> None:
        self._repo, self._i = repo, index
        self._c = repo.commits[index]

    def oid(self, info: Any) -> str:
        return self._c.sha

    def committedDate(self, info: Any) -> str | None:
        return _iso(self._c.committed_at)

    def message(self, info: Any) -> str:
        return self._c.message

    def author(self, info: Any) -> dict[str, Any]:
        c = self._c
        return {
            "name": c.author_login or "someone",
            "email": c.author_email,
            "date": _iso(c.committed_at),
            "user": {"login": c.author_login} if c.author_login else None,
        }

    def statusCheckRollup(self, info: Any) -> dict[str, str] | None:
        return {"state": self._c.ci_state} if self._c.ci_state else None

    def history(
        self,
        info: Any,
        first: int | None = None,
        last: int | None = None,
        since: str | None = None,
        until: str | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        lo = _parse_time(since) if since else None
        hi = _parse_time(until) if until else None
        picked = [
            _GCommit(self._repo, j)
            for j in range(self._i, len(self._repo.commits))
            if (lo is None or self._repo.commits[j].committed_at >= lo)
            and (hi is None or self._repo.commits[j].committed_at <= hi)
        ]
        return _page(picked, info, "history", first, last)


class _GRepo:
    """A repository as GraphQL sees it; methods are resolved by graphql-core's default resolver."""

    def __init__(self, repo: FakeRepo) -> None:
        self._r = repo
        self._m = repo.metadata

    def id(self, info: Any) -> str:
        return f"R_kgDO{self._r.id:08d}"

    def databaseId(self, info: Any) -> int:
        return self._r.id

    def name(self, info: Any) -> str:
        return self._r.name

    def nameWithOwner(self, info: Any) -> str:
        return self._r.full_name

    def description(self, info: Any) -> str | None:
        return self._m.description

    def homepageUrl(self, info: Any) -> str | None:
        return self._m.homepage

    def url(self, info: Any) -> str:
        return f"https://github.invalid/{self._r.full_name}"

    def stargazerCount(self, info: Any) -> int:
        return self._m.stars

    def forkCount(self, info: Any) -> int:
        return self._m.forks

    def isArchived(self, info: Any) -> bool:
        return self._m.archived

    def isFork(self, info: Any) -> bool:
        return self._m.is_fork

    def isPrivate(self, info: Any) -> bool:
        return False

    def pushedAt(self, info: Any) -> str | None:
        return _iso(self._m.pushed_at)

    def createdAt(self, info: Any) -> str | None:
        return _iso(self._m.created_at or datetime(2015, 1, 1, tzinfo=UTC))

    def updatedAt(self, info: Any) -> str | None:
        return _iso(self._r.updated_at or self._m.pushed_at or self._m.created_at)

    def licenseInfo(self, info: Any) -> dict[str, Any] | None:
        lic = self._m.license
        return {"key": lic.lower(), "name": lic, "spdxId": lic} if lic else None

    def primaryLanguage(self, info: Any) -> dict[str, Any] | None:
        name = _display_language(self._m.language)
        return {"name": name, "color": "#3572A5"} if name else None

    def defaultBranchRef(self, info: Any) -> dict[str, Any] | None:
        if not self._r.commits:
            return None  # an empty repository has no default branch ref
        return {
            "name": self._m.default_branch or "main",
            "prefix": "refs/heads/",
            "target": _GCommit(self._r, 0),
        }

    def issues(
        self,
        info: Any,
        first: int | None = None,
        last: int | None = None,
        states: list[str] | None = None,
        filterBy: Mapping[str, Any] | None = None,
        orderBy: Mapping[str, Any] | None = None,
        labels: list[str] | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        filters = dict(filterBy or {})
        wanted = set(states or filters.get("states") or ["OPEN", "CLOSED"])
        since = _parse_time(filters["since"]) if filters.get("since") else None
        picked = [
            i
            for i in self._r.issues
            if i.state.upper() in wanted
            and (since is None or (i.updated_at or i.created_at or since) >= since)
            and (not labels or set(labels) & set(i.labels))
        ]
        order = dict(orderBy or {"field": "CREATED_AT", "direction": "ASC"})
        key = {
            "CREATED_AT": lambda i: i.created_at,
            "UPDATED_AT": lambda i: i.updated_at or i.created_at,
            "COMMENTS": lambda i: i.comments,
        }[order["field"]]
        picked.sort(key=key, reverse=order["direction"] == "DESC")
        page = _page([_GIssue(self._r, i) for i in picked], info, "issues", first, last)
        if since is None and not labels:
            # Old issues known only by count (see FakeRepo) still count in the totals.
            page["totalCount"] = (self._r.open_total() if "OPEN" in wanted else 0) + (
                self._r.closed_total() if "CLOSED" in wanted else 0
            )
        return page

    def releases(
        self,
        info: Any,
        first: int | None = None,
        last: int | None = None,
        orderBy: Any = None,
        **_: Any,
    ) -> dict[str, Any]:
        nodes = [
            {"name": f"v{n}", "tagName": f"v{n}", "createdAt": _iso(d), "publishedAt": _iso(d)}
            for n, d in enumerate(sorted(self._r.releases, reverse=True))
        ]
        return _page(nodes, info, "releases", first, last)

    def languages(
        self, info: Any, first: int | None = None, last: int | None = None, **_: Any
    ) -> dict[str, Any]:
        names = list(dict.fromkeys([*filter(None, [self._m.language]), *self._m.languages]))
        nodes = [{"name": _display_language(n), "color": None} for n in names]
        page = _page(nodes, info, "languages", first, last)
        page["totalSize"] = 1000 * len(nodes)
        return page

    def repositoryTopics(
        self, info: Any, first: int | None = None, last: int | None = None, **_: Any
    ) -> dict[str, Any]:
        nodes = [{"topic": {"name": t}} for t in self._m.topics]
        return _page(nodes, info, "repositoryTopics", first, last)

    def object(self, info: Any, expression: str | None = None, **_: Any) -> Any:
        if not self._r.commits or expression is None:
            return None
        rev, _, path = expression.partition(":")
        if rev not in ("HEAD", self._m.default_branch or "main"):
            return None
        root = [f for f in self._r.files if "/" not in f]
        # Files under .github/ (FakeRepo.files) are entries of that tree, and .github one of
        # the root's, as on GitHub.
        nested = [f.split("/", 1)[1] for f in self._r.files if f.startswith(".github/")]
        tops = [n.split("/")[0] for n in nested]
        dot_github = list(dict.fromkeys([*self._r.github_files, *tops]))
        if path == "":
            entries = [*self._r.root_files, *root, *([".github"] if dot_github else [])]
            return _GTree(list(dict.fromkeys(entries)), "tree-root")
        if path == ".github" and dot_github:
            return _GTree(dot_github, "tree-github")
        if path in root or path in self._r.root_files:
            text = self._r.files.get(path, "")
            return _GBlob(text, hashlib.sha1(f"blob:{text}".encode()).hexdigest())
        return None

    def issue(self, info: Any, number: int) -> _GIssue:
        for issue in self._r.issues:
            if issue.number == number:
                return _GIssue(self._r, issue)
        raise _GitHubGraphQLError(
            "NOT_FOUND", f"Could not resolve to an Issue with the number of {number}."
        )

    def pullRequests(
        self,
        info: Any,
        first: int | None = None,
        last: int | None = None,
        states: list[str] | None = None,
        orderBy: Mapping[str, Any] | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        wanted = set(states or ["OPEN", "CLOSED", "MERGED"])
        pulls = [_GPull(self._r, p) for p in self._r.pull_requests if p.state.upper() in wanted]
        if "MERGED" in wanted:
            pulls += [_GPull(self._r, p) for p in self._r.merged_pulls]
        order = dict(orderBy or {"field": "CREATED_AT", "direction": "ASC"})
        field_name = {"CREATED_AT": "createdAt", "UPDATED_AT": "updatedAt"}.get(
            order["field"], "createdAt"
        )
        pulls.sort(
            key=lambda p: getattr(p, field_name)(info) or "",
            reverse=order["direction"] == "DESC",
        )
        return _page(pulls, info, "pullRequests", first, last)


def graphql_cost(schema: Any, document: Any, variables: Mapping[str, Any]) -> tuple[int, int]:
    """GitHub's published rate-limit cost and node count of a query.

    Cost: every connection costs one request per parent object (assuming each page is full),
    summed, divided by 100, rounded to nearest, at least 1. Nodes: ``first``/``last`` times the
    parents' page sizes, summed.
    """
    import graphql
    from graphql.language import FieldNode, FragmentSpreadNode, InlineFragmentNode

    fragments = {
        d.name.value: d
        for d in document.definitions
        if isinstance(d, graphql.FragmentDefinitionNode)
    }
    operation = next(
        d for d in document.definitions if isinstance(d, graphql.OperationDefinitionNode)
    )
    totals = {"requests": 0, "nodes": 0}

    def arg(node: Any, name: str) -> Any:
        for a in node.arguments or []:
            if a.name.value == name:
                return graphql.value_from_ast_untyped(a.value, dict(variables))
        return None

    def walk(selection_set: Any, parent: Any, mult: int) -> None:
        for sel in selection_set.selections:
            if isinstance(sel, FieldNode):
                fields = getattr(parent, "fields", {})
                fdef = fields.get(sel.name.value)
                if fdef is None:
                    continue
                named = graphql.get_named_type(fdef.type)
                child = mult
                if named.name.endswith("Connection"):
                    size = arg(sel, "first") or arg(sel, "last") or 0
                    totals["requests"] += mult
                    totals["nodes"] += mult * size
                    child = mult * max(size, 1)
                if sel.selection_set:
                    walk(sel.selection_set, named, child)
            elif isinstance(sel, InlineFragmentNode):
                target = (
                    schema.get_type(sel.type_condition.name.value) if sel.type_condition else parent
                )
                walk(sel.selection_set, target, mult)
            elif isinstance(sel, FragmentSpreadNode):
                frag = fragments[sel.name.value]
                walk(frag.selection_set, schema.get_type(frag.type_condition.name.value), mult)

    walk(operation.selection_set, schema.query_type, 1)
    return max(1, math.floor(totals["requests"] / 100 + 0.5)), totals["nodes"]


# ---------------------------------------------------------------------- the server


class FakeGitHub:
    """The fake server. Use as a context manager; ``url`` is the API base URL."""

    def __init__(
        self,
        repos: Iterable[FakeRepo] = (),
        *,
        tokens: Iterable[str] | None = None,
        limits: Mapping[str, tuple[int, int]] | None = None,
        rest_fields: Callable[[str, dict[str, Any]], dict[str, Any]] | None = None,
    ) -> None:
        """``rest_fields(kind, body)`` may rewrite each REST repository (``kind`` "repository")
        and issue ("issue") before it is sent: how tests replay the field sets of older or
        newer API versions."""
        self._rest_fields = rest_fields or (lambda _kind, body: body)
        self._repos: dict[str, FakeRepo] = {}
        self._next_id = 1000
        self._lock = threading.RLock()
        self._tokens = set(tokens) if tokens is not None else None
        self._limits = dict(AUTH_LIMITS) | dict(limits or {})
        self._buckets: dict[tuple[str, str], _Bucket] = {}
        self._faults: dict[str, list[Fault]] = {}
        # old full name (lower case) -> new full name: REST GETs under the old one answer 301.
        self.moved: dict[str, str] = {}
        self.stats = FakeStats()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        for repo in repos:
            self.add_repo(repo)

    # world ---------------------------------------------------------------

    def add_repo(self, repo: FakeRepo) -> FakeRepo:
        with self._lock:
            if not repo.id:
                self._next_id += 1
                repo.id = self._next_id
            self._repos[repo.full_name.lower()] = repo
        return repo

    def add_records(
        self,
        repos: Iterable[RepoMetadata],
        issues: Iterable[IssueRecord] = (),
        activity: Mapping[str, ActivityStats] | None = None,
        *,
        seed: int = 0,
    ) -> None:
        """Seed from plain records (e.g. a simulated world's output)."""
        by_repo: dict[str, list[IssueRecord]] = {}
        for issue in issues:
            by_repo.setdefault(issue.repository.lower(), []).append(issue)
        for meta in repos:
            self.add_repo(
                synthesize_repo(
                    meta,
                    (activity or {}).get(meta.full_name),
                    issues=by_repo.get(meta.full_name.lower(), []),
                    seed=seed,
                )
            )

    def repo(self, full_name: str) -> FakeRepo:
        return self._repos[full_name.lower()]

    @property
    def repos(self) -> list[FakeRepo]:
        return list(self._repos.values())

    def push(self, full_name: str, when: datetime | None = None) -> None:
        """A new commit on the default branch (moves ``pushedAt`` like a real push)."""
        with self._lock:
            repo = self.repo(full_name)
            when = when or datetime.now(UTC)
            sha = hashlib.sha1(f"{full_name}:{len(repo.commits)}:{when}".encode()).hexdigest()
            login = repo.commits[0].author_login if repo.commits else "newcomer"
            repo.commits.insert(0, FakeCommit(sha, when, login, f"{login}@example.org"))
            repo.metadata = repo.metadata.model_copy(update={"pushed_at": when})
            repo.updated_at = when

    # faults and limits ---------------------------------------------------

    def script(self, kind: str, *faults: Fault) -> None:
        """Answer the next requests of ``kind`` (``graphql``, ``search``, ``issues``,
        ``contributors``, ``commits``, ``repo`` or ``*``) with ``faults``, in order."""
        with self._lock:
            self._faults.setdefault(kind, []).extend(faults)

    def exhaust(self, token: str | None, resource: str, *, reset_in: int = 600) -> None:
        """Spend a token's whole primary quota for ``resource`` until ``reset_in`` seconds."""
        with self._lock:
            bucket = self._bucket(token, resource)
            assert bucket is not None
            bucket.used = bucket.limit
            bucket.reset = int(time.time()) + reset_in

    def remaining(self, token: str | None, resource: str) -> int:
        with self._lock:
            bucket = self._bucket(token, resource)
            return 0 if bucket is None else bucket.limit - bucket.used

    def reset_stats(self) -> None:
        with self._lock:
            self.stats = FakeStats()

    def _bucket(self, token: str | None, resource: str) -> _Bucket | None:
        ident = token or "anonymous"
        spec = self._limits.get(resource) if token else ANON_LIMITS.get(resource)
        if spec is None:
            return None
        bucket = self._buckets.get((ident, resource))
        now = int(time.time())
        if bucket is None or bucket.reset <= now:
            bucket = _Bucket(limit=spec[0], window=spec[1], reset=now + spec[1])
            self._buckets[(ident, resource)] = bucket
        return bucket

    # lifecycle -------------------------------------------------------------

    @property
    def url(self) -> str:
        assert self._server is not None, "server not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeGitHub:
        handler = type("Handler", (_Handler,), {"fake": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeGitHub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # request handling ------------------------------------------------------

    def handle(
        self, method: str, target: str, headers: Mapping[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        parts = urlsplit(target)
        path = parts.path.rstrip("/") or "/"
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        kind, resource = _route(method, path)
        auth = headers.get("authorization", "")
        token = auth.split(None, 1)[1].strip() if " " in auth else None
        inm = headers.get("if-none-match")
        record = RequestLog(method, path, query, kind, token, inm)
        with self._lock:
            self.stats.by_kind[kind] += 1
            self.stats.by_token[token or "anonymous"] += 1
            self.stats.log.append(record)
            if inm:
                self.stats.conditional += 1
        status, extra, payload, cost = self._answer(
            method, path, query, kind, resource, token, inm, body
        )
        record.status, record.cost = status, cost
        return status, extra, payload

    def _answer(
        self,
        method: str,
        path: str,
        query: dict[str, str],
        kind: str,
        resource: str,
        token: str | None,
        inm: str | None,
        body: bytes,
    ) -> tuple[int, dict[str, str], bytes, int]:
        parts = path.split("/")
        if kind != "unknown" and parts[1:2] == ["repos"] and len(parts) >= 4:
            new = self.moved.get(f"{parts[2]}/{parts[3]}".lower())
            if new is not None:
                target = "/".join(["", "repos", new, *parts[4:]])
                query_text = f"?{urlencode(query)}" if query else ""
                body = {"message": "Moved Permanently", "url": self.url + target}
                return 301, {"location": self.url + target + query_text}, _json(body), 0
        if token is not None and self._tokens is not None and token not in self._tokens:
            return (
                401,
                {},
                _json({"message": "Bad credentials", "documentation_url": DOCS, "status": "401"}),
                0,
            )
        with self._lock:
            bucket = self._bucket(token, resource)
            if bucket is None:
                msg = "This endpoint requires you to be authenticated."
                return 401, {}, _json({"message": msg, "documentation_url": DOCS}), 0
            fault = None
            for key in (kind, "*"):
                if self._faults.get(key):
                    fault = self._faults[key].pop(0)
                    break
            rl = _rate_headers(bucket, resource)
        if fault is not None:
            extra = dict(rl)
            if fault.retry_after is not None:
                extra["retry-after"] = str(fault.retry_after)
            if fault.remaining_zero:
                extra["x-ratelimit-remaining"] = "0"
            message = f"{fault.message} {token}" if fault.echo_token else fault.message
            return (
                fault.status,
                extra,
                _json({"message": message, "documentation_url": DOCS}),
                0,
            )

        if kind == "graphql":
            return self._graphql(bucket, token, body)

        with self._lock:
            if bucket.used >= bucket.limit:
                who = "user ID 1" if token else "127.0.0.1"
                msg = f"API rate limit exceeded for {who}."
                return (
                    403,
                    _rate_headers(bucket, resource),
                    _json({"message": msg, "documentation_url": DOCS}),
                    0,
                )
        status, extra, payload = self._rest(kind, path, query)
        etag = f'W/"{hashlib.sha256(payload).hexdigest()[:40]}"' if status == 200 else None
        not_modified = (
            etag is not None and inm is not None and etag in [t.strip() for t in inm.split(",")]
        )
        with self._lock:
            charged = 0 if (not_modified and token) else 1
            bucket.used += charged
            self.stats.points[resource] += charged
            if not_modified:
                self.stats.not_modified += 1
            extra = {**extra, **_rate_headers(bucket, resource)}
        if etag:
            extra["etag"] = etag
        if not_modified:
            return 304, extra, b"", charged
        return status, extra, payload, charged

    def _graphql(
        self, bucket: _Bucket, token: str | None, body: bytes
    ) -> tuple[int, dict[str, str], bytes, int]:
        import graphql

        try:
            request = json.loads(body or b"{}")
            document = graphql.parse(request["query"])
        except (ValueError, KeyError, graphql.GraphQLError) as exc:
            return (
                200,
                _rate_headers(bucket, "graphql"),
                _json({"errors": [{"message": f"Parse error: {exc}"}]}),
                0,
            )
        schema = _get_schema()
        variables = request.get("variables") or {}
        problems = graphql.validate(schema, document)
        if problems:
            errors = [
                {"message": p.message, "locations": p.formatted.get("locations")} for p in problems
            ]
            return 200, _rate_headers(bucket, "graphql"), _json({"errors": errors}), 0
        cost, node_count = graphql_cost(schema, document, variables)
        with self._lock:
            if node_count > 500_000:
                msg = (
                    f"This query requests up to {node_count} possible nodes which exceeds the "
                    "maximum limit of 500,000."
                )
                return (
                    200,
                    _rate_headers(bucket, "graphql"),
                    _json({"errors": [{"type": "MAX_NODE_LIMIT_EXCEEDED", "message": msg}]}),
                    0,
                )
            if bucket.used + cost > bucket.limit:
                headers = _rate_headers(bucket, "graphql")
                headers["x-ratelimit-remaining"] = "0"
                msg = "API rate limit exceeded for user ID 1."
                return (
                    200,
                    headers,
                    _json({"errors": [{"type": "RATE_LIMITED", "message": msg}]}),
                    0,
                )
            bucket.used += cost
            self.stats.points["graphql"] += cost
            headers = _rate_headers(bucket, "graphql")
        root = _GRoot(self, cost, bucket, node_count)
        result = graphql.execute(schema, document, root_value=root, variable_values=variables)
        answer: dict[str, Any] = {"data": result.data}
        if result.errors:
            answer["errors"] = [_format_error(e) for e in result.errors]
        return 200, headers, _json(answer), cost

    def _rest(
        self, kind: str, path: str, query: dict[str, str]
    ) -> tuple[int, dict[str, str], bytes]:
        urls = _Urls(self.url)
        if kind == "rate_limit":
            return 200, {}, _json({"resources": {}, "rate": {}})
        if kind == "search":
            return self._search(urls, path, query)
        parts = path.split("/")
        if kind == "unknown" or len(parts) < 4:
            return 404, {}, _not_found()
        try:
            repo = self.repo(f"{parts[2]}/{parts[3]}")
        except KeyError:
            return 404, {}, _not_found()
        if kind == "repo":
            return 200, {}, _json(self._rest_fields("repository", urls.repo(repo)))
        if kind == "issues":
            return self._issues(urls, repo, path, query)
        if kind == "contributors":
            return self._contributors(urls, repo, path, query)
        if kind == "commits":
            return self._commits(urls, repo, path, query)
        if kind == "contents":
            return self._contents(urls, repo, "/".join(parts[5:]))
        return 404, {}, _not_found()

    def _contents(
        self, urls: _Urls, repo: FakeRepo, file_path: str
    ) -> tuple[int, dict[str, str], bytes]:
        """GET /repos/{owner}/{repo}/contents/{path}: a file object, content in base64."""
        import base64
        import hashlib

        text = repo.files.get(file_path)
        if text is None:
            return 404, {}, _not_found()
        raw = text.encode()
        encoded = base64.encodebytes(raw).decode()
        sha = hashlib.sha1(b"blob %d\0" % len(raw) + raw).hexdigest()
        api = f"{urls.base}/repos/{repo.full_name}/contents/{file_path}"
        html = f"https://github.com/{repo.full_name}/blob/main/{file_path}"
        return (
            200,
            {},
            _json(
                {
                    "type": "file",
                    "encoding": "base64",
                    "size": len(raw),
                    "name": file_path.rsplit("/", 1)[-1],
                    "path": file_path,
                    "content": encoded,
                    "sha": sha,
                    "url": api,
                    "git_url": f"{urls.base}/repos/{repo.full_name}/git/blobs/{sha}",
                    "html_url": html,
                    "download_url": None,
                    "_links": {"self": api, "git": None, "html": html},
                }
            ),
        )

    def _issues(
        self, urls: _Urls, repo: FakeRepo, path: str, query: dict[str, str]
    ) -> tuple[int, dict[str, str], bytes]:
        state = query.get("state", "open")
        since = _since_param(query)
        if isinstance(since, bytes):
            return 422, {}, since
        rows = [(i, False) for i in repo.issues] + [(p, True) for p in repo.pull_requests]
        rows = [
            (i, pr)
            for i, pr in rows
            if (state == "all" or i.state == state)
            and (since is None or (i.updated_at or i.created_at or since) >= since)
        ]
        sort = query.get("sort", "created")
        key = {
            "created": lambda r: r[0].created_at,
            "updated": lambda r: r[0].updated_at or r[0].created_at,
            "comments": lambda r: r[0].comments,
        }[sort]
        rows.sort(key=key, reverse=query.get("direction", "desc") == "desc")
        items, link = _paginate(rows, urls.base + path, query)
        return (
            200,
            link,
            _json([self._rest_fields("issue", urls.issue(repo, i, is_pr=pr)) for i, pr in items]),
        )

    def _contributors(
        self, urls: _Urls, repo: FakeRepo, path: str, query: dict[str, str]
    ) -> tuple[int, dict[str, str], bytes]:
        if not repo.commits:
            return 204, {}, b""
        users: Counter[str] = Counter()
        anon: Counter[str] = Counter()
        for c in repo.commits:
            if c.author_login:
                users[c.author_login] += 1
            else:
                anon[c.author_email] += 1
        rows: list[dict[str, Any]] = [
            urls.user(login) | {"contributions": n} for login, n in users.most_common()
        ]
        if query.get("anon", "").lower() in ("1", "true"):
            rows += [
                {"email": e, "name": e.split("@")[0], "type": "Anonymous", "contributions": n}
                for e, n in anon.most_common()
            ]
            rows.sort(key=lambda r: -r["contributions"])
        items, link = _paginate(rows, urls.base + path, query)
        return 200, link, _json(items)

    def _commits(
        self, urls: _Urls, repo: FakeRepo, path: str, query: dict[str, str]
    ) -> tuple[int, dict[str, str], bytes]:
        if not repo.commits:
            return (
                409,
                {},
                _json({"message": "Git Repository is empty.", "documentation_url": DOCS}),
            )
        since = _since_param(query)
        if isinstance(since, bytes):
            return 422, {}, since
        rows = [c for c in repo.commits if since is None or c.committed_at >= since]
        items, link = _paginate(rows, urls.base + path, query)
        return 200, link, _json([urls.commit(repo, c) for c in items])

    def _search(
        self, urls: _Urls, path: str, query: dict[str, str]
    ) -> tuple[int, dict[str, str], bytes]:
        q = query.get("q", "")
        if not q.strip():
            return (
                422,
                {},
                _json(
                    {
                        "message": "Validation Failed",
                        "errors": [{"resource": "Search", "field": "q", "code": "missing"}],
                        "documentation_url": DOCS,
                    }
                ),
            )
        matches = search_filter(self.repos, q)
        per_page = min(int(query.get("per_page", 30)), MAX_PAGE)
        page = int(query.get("page", 1))
        if (page - 1) * per_page >= SEARCH_CAP:
            return (
                422,
                {},
                _json(
                    {
                        "message": "Only the first 1000 search results are available",
                        "documentation_url": DOCS,
                    }
                ),
            )
        items, link = _paginate(matches[:SEARCH_CAP], urls.base + path, query)
        body = {
            "total_count": len(matches),
            "incomplete_results": False,
            "items": [self._rest_fields("repository", urls.repo(r, score=1.0)) for r in items],
        }
        return 200, link, _json(body)


class _GRoot:
    def __init__(self, fake: FakeGitHub, cost: int, bucket: _Bucket, nodes: int) -> None:
        self._fake, self._cost, self._bucket, self._nodes = fake, cost, bucket, nodes

    def repository(self, info: Any, owner: str, name: str, **_: Any) -> _GRepo:
        try:
            return _GRepo(self._fake.repo(f"{owner}/{name}"))
        except KeyError:
            raise _GitHubGraphQLError(
                "NOT_FOUND", f"Could not resolve to a Repository with the name '{owner}/{name}'."
            ) from None

    def rateLimit(self, info: Any, **_: Any) -> dict[str, Any]:
        b = self._bucket
        return {
            "cost": self._cost,
            "limit": b.limit,
            "nodeCount": self._nodes,
            "remaining": b.limit - b.used,
            "resetAt": _iso(datetime.fromtimestamp(b.reset, UTC)),
            "used": b.used,
        }


def _format_error(error: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    original = getattr(error, "original_error", None)
    if isinstance(original, _GitHubGraphQLError):
        out["type"] = original.kind
    formatted = error.formatted
    out["path"] = formatted.get("path")
    out["locations"] = formatted.get("locations")
    out["message"] = formatted.get("message")
    return out


def _route(method: str, path: str) -> tuple[str, str]:
    if method == "POST" and path == "/graphql":
        return "graphql", "graphql"
    if path == "/search/repositories":
        return "search", "search"
    if path == "/rate_limit":
        return "rate_limit", "core"
    parts = path.split("/")
    if len(parts) >= 4 and parts[1] == "repos" and method == "GET":
        if len(parts) == 4:
            return "repo", "core"
        if len(parts) == 5 and parts[4] in ("issues", "contributors", "commits"):
            return parts[4], "core"
        if len(parts) >= 6 and parts[4] == "contents":
            return "contents", "core"
    return "unknown", "core"


def _paginate(
    rows: list[Any], base: str, query: dict[str, str]
) -> tuple[list[Any], dict[str, str]]:
    per_page = max(1, min(int(query.get("per_page", 30)), MAX_PAGE))
    page = max(1, int(query.get("page", 1)))
    last = max(1, math.ceil(len(rows) / per_page))
    items = rows[(page - 1) * per_page : page * per_page]
    links = []

    def url(p: int) -> str:
        return f"{base}?{urlencode({**query, 'page': p, 'per_page': per_page})}"

    if page < last:
        links += [f'<{url(page + 1)}>; rel="next"', f'<{url(last)}>; rel="last"']
    if page > 1:
        links += [f'<{url(page - 1)}>; rel="prev"', f'<{url(1)}>; rel="first"']
    return items, ({"link": ", ".join(links)} if links else {})


def _rate_headers(bucket: _Bucket, resource: str) -> dict[str, str]:
    return {
        "x-ratelimit-limit": str(bucket.limit),
        "x-ratelimit-remaining": str(max(0, bucket.limit - bucket.used)),
        "x-ratelimit-reset": str(bucket.reset),
        "x-ratelimit-used": str(bucket.used),
        "x-ratelimit-resource": resource,
    }


def _json(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def _not_found() -> bytes:
    return _json({"message": "Not Found", "documentation_url": DOCS, "status": "404"})


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    fake: FakeGitHub

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes; without this, Nagle's algorithm and the
        # client's delayed ACK add ~40 ms to every response.
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        return None

    def _serve(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        status, extra, payload = self.fake.handle(self.command, self.path, headers, body)
        self.send_response(status)
        self.send_header("content-type", "application/json; charset=utf-8")
        self.send_header("x-github-request-id", f"FAKE:{_stable_int(self.path)}")
        for key, value in extra.items():
            self.send_header(key, value)
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        if payload and self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = _serve
    do_POST = _serve
