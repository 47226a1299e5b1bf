"""The write side of the GitHub fake: forks, pull requests, labels, checks, merges, auto-merge.

:class:`FakeForgeGitHub` extends :class:`~.github_server.FakeGitHub` (the read side stays as it
is) with the endpoints :class:`~globallm_assets.forge.github.GitHubForge` uses, answering with the
shapes GitHub documents (githubkit's typed models validate every payload the client parses).

Git itself is real: each repository's ``clone_url`` is a ``file://`` URL of a bare repository
under ``git_root``, so a pushed branch really lands somewhere, a fork is a real ``git clone
--bare`` of its parent, and ``POST /pulls`` answers 422 when the head branch was never pushed,
as GitHub does.

Behaviour modelled where the client depends on it:

- ``permissions.push`` on ``GET /repos/{o}/{r}`` from ``push_access`` (token → login via
  ``logins``); ``POST /forks`` returns 202 with the (possibly existing) fork;
- pull requests share issue numbers, appear in REST issue lists with a ``pull_request`` key and
  in GraphQL ``closedByPullRequestsReferences`` (through ``FakeRepo.pull_requests``);
- ``mergeable_state``: ``draft``, ``behind`` (the base moved and protection is strict),
  ``blocked`` (a required check is missing or not green), ``unstable`` (only optional checks
  fail), else ``clean``; ``PUT /merge`` answers 405 unless clean/unstable and 409 when ``sha``
  is not the head;
- GraphQL ``enablePullRequestAutoMerge`` refuses when the repository disallows auto-merge, the
  pull request is a draft, ``expectedHeadOid`` differs, or it is already mergeable ("clean
  status"); once armed, the pull request merges itself when its checks turn green
  (:meth:`FakeForgeGitHub.complete_check`), as on GitHub;
- ``disablePullRequestAutoMerge`` disarms it (no merge when checks later pass);
- ``markPullRequestReadyForReview`` clears the draft flag.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from globallm_assets.core.models import IssueRecord, RepoMetadata
from globallm_assets_tests.fakes.github_server import (
    DOCS,
    FakeCommit,
    FakeGitHub,
    FakeRepo,
    _Handler,
    _iso,
    _json,
    _not_found,
    _rate_headers,
    _stable_int,
    _Urls,
)


@dataclass
class FakePull:
    number: int
    title: str
    body: str
    author: str
    head_repo: str  # full name of the repository holding the head branch
    head_ref: str
    head_sha: str
    base_ref: str
    base_sha: str
    draft: bool
    created_at: datetime
    state: str = "open"
    merged: bool = False
    merged_at: datetime | None = None
    closed_at: datetime | None = None
    merge_commit_sha: str | None = None
    labels: list[str] = field(default_factory=list)
    auto_merge: dict[str, Any] | None = None  # GitHub's AutoMerge object when armed
    auto_merge_enabled_at: datetime | None = None
    reviews: list[dict[str, Any]] = field(default_factory=list)  # author, state, body
    review_comments: list[dict[str, Any]] = field(default_factory=list)  # author, body, path, line
    comments: list[dict[str, Any]] = field(default_factory=list)  # author, body

    @property
    def node_id(self) -> str:
        return f"PR_kwDO{_stable_int(f'{self.head_repo}:{self.number}'):08d}"


_MUTATION_SDL = """
scalar DateTime
scalar GitObjectID
enum PullRequestMergeMethod { MERGE SQUASH REBASE }
input EnablePullRequestAutoMergeInput {
  pullRequestId: ID! mergeMethod: PullRequestMergeMethod expectedHeadOid: GitObjectID
  commitHeadline: String commitBody: String authorEmail: String clientMutationId: String
}
input DisablePullRequestAutoMergeInput { pullRequestId: ID! clientMutationId: String }
input MarkPullRequestReadyForReviewInput { pullRequestId: ID! clientMutationId: String }
type AutoMergeRequest { enabledAt: DateTime mergeMethod: PullRequestMergeMethod! }
type PullRequest {
  id: ID! number: Int! isDraft: Boolean! state: String! autoMergeRequest: AutoMergeRequest
}
type EnablePullRequestAutoMergePayload { clientMutationId: String pullRequest: PullRequest }
type DisablePullRequestAutoMergePayload { clientMutationId: String pullRequest: PullRequest }
type MarkPullRequestReadyForReviewPayload { clientMutationId: String pullRequest: PullRequest }
type Query { node(id: ID!): PullRequest }
type Mutation {
  enablePullRequestAutoMerge(
    input: EnablePullRequestAutoMergeInput!
  ): EnablePullRequestAutoMergePayload
  disablePullRequestAutoMerge(
    input: DisablePullRequestAutoMergeInput!
  ): DisablePullRequestAutoMergePayload
  markPullRequestReadyForReview(
    input: MarkPullRequestReadyForReviewInput!
  ): MarkPullRequestReadyForReviewPayload
}
"""
_mutation_schema: Any = None
_mutation_lock = threading.Lock()


def _get_mutation_schema() -> Any:
    global _mutation_schema
    with _mutation_lock:
        if _mutation_schema is None:
            import graphql

            _mutation_schema = graphql.build_schema(_MUTATION_SDL)
    return _mutation_schema


class _Unprocessable(Exception):
    def __init__(self, message: str, kind: str = "UNPROCESSABLE") -> None:
        super().__init__(message)
        self.kind = kind


def _git(*args: str, cwd: Path | None = None) -> str:
    proc = subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=False, timeout=60
    )
    if proc.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)}: {proc.stderr.strip()}")
    return proc.stdout.strip()


class FakeForgeGitHub(FakeGitHub):
    """The fake server with GitHub's pull-request side. ``git_root`` holds the bare repos."""

    def __init__(
        self,
        repos: Iterable[FakeRepo] = (),
        *,
        git_root: Path,
        logins: Mapping[str, str],
        tokens: Iterable[str] | None = None,
    ) -> None:
        self.git_root = Path(git_root)
        self.logins = dict(logins)
        self.push_access: dict[str, set[str]] = {}
        self.protection: dict[tuple[str, str], dict[str, Any]] = {}
        self.rulesets: dict[tuple[str, str], list[str]] = {}
        self.allow_auto_merge: set[str] = set()
        self.pulls: dict[str, dict[int, FakePull]] = {}
        self.check_runs: dict[str, list[dict[str, Any]]] = {}
        self.statuses: dict[str, list[dict[str, Any]]] = {}
        self.forks: dict[str, str] = {}  # fork full name (lower) -> parent full name
        super().__init__(repos, tokens=tokens if tokens is not None else list(logins))

    # world ---------------------------------------------------------------

    def bare_path(self, full_name: str) -> Path:
        return self.git_root / f"{full_name.lower()}.git"

    def clone_url(self, full_name: str) -> str:
        return self.bare_path(full_name).resolve().as_uri()

    def host_repository(
        self, metadata: RepoMetadata, source: Path, *, push: Iterable[str] = ()
    ) -> FakeRepo:
        """Serve ``source`` (a git work tree or repository) as ``metadata.full_name``."""
        bare = self.bare_path(metadata.full_name)
        bare.parent.mkdir(parents=True, exist_ok=True)
        _git("clone", "--quiet", "--bare", str(source), str(bare))
        head = _git("rev-parse", metadata.default_branch or "main", cwd=bare)
        repo = FakeRepo(
            metadata=metadata,
            commits=[
                FakeCommit(head, datetime.now(UTC), metadata.full_name.split("/")[0], "o@x.org")
            ],
        )
        self.add_repo(repo)
        self.push_access[metadata.full_name.lower()] = set(push)
        return repo

    def branch_sha(self, full_name: str, branch: str) -> str | None:
        try:
            return _git(
                "rev-parse", "--verify", f"refs/heads/{branch}", cwd=self.bare_path(full_name)
            )
        except RuntimeError:
            return None

    def protect(self, full_name: str, branch: str, contexts: list[str], *, strict: bool) -> None:
        self.protection[(full_name.lower(), branch)] = {"contexts": contexts, "strict": strict}

    def add_ruleset_checks(self, full_name: str, branch: str, contexts: list[str]) -> None:
        self.rulesets[(full_name.lower(), branch)] = contexts

    def pull(self, full_name: str, number: int) -> FakePull:
        return self.pulls[full_name.lower()][number]

    def complete_check(
        self,
        full_name: str,
        sha: str,
        name: str,
        conclusion: str | None,
        *,
        status_api: bool = False,
    ) -> None:
        """Report a check run (or, with ``status_api``, a commit status) on ``sha``.

        ``conclusion`` None means queued. Armed auto-merges then merge if they became clean.
        """
        with self._lock:
            if status_api:
                state = {"success": "success", "failure": "failure", None: "pending"}[conclusion]
                self.statuses.setdefault(sha, []).insert(0, {"context": name, "state": state})
            else:
                runs = [r for r in self.check_runs.get(sha, []) if r["name"] != name]
                runs.append({"name": name, "conclusion": conclusion, "repo": full_name})
                self.check_runs[sha] = runs
            for pr in self.pulls.get(full_name.lower(), {}).values():
                if (
                    pr.state == "open"
                    and pr.auto_merge
                    and self._mergeable_state(full_name, pr)
                    in (
                        "clean",
                        "unstable",
                    )
                ):
                    self._merge(full_name, pr)

    def move_base(self, full_name: str, branch: str, source: Path) -> str:
        """Push a new commit from ``source`` onto ``branch`` (someone else merged first)."""
        _git(
            "push",
            "--quiet",
            str(self.bare_path(full_name)),
            f"HEAD:refs/heads/{branch}",
            cwd=source,
        )
        return self.branch_sha(full_name, branch) or ""

    # state ---------------------------------------------------------------

    def _login(self, token: str | None) -> str:
        return self.logins.get(token or "", "anonymous")

    def _required(self, full_name: str, branch: str) -> list[str]:
        key = (full_name.lower(), branch)
        names = list(self.protection.get(key, {}).get("contexts", []))
        return names + [n for n in self.rulesets.get(key, []) if n not in names]

    def _check_states(self, sha: str) -> dict[str, str]:
        """name → pending | success | failure | neutral, check runs and statuses merged."""
        out: dict[str, str] = {}
        for run in self.check_runs.get(sha, []):
            c = run["conclusion"]
            out[run["name"]] = (
                "pending"
                if c is None
                else "success"
                if c == "success"
                else "neutral"
                if c in ("neutral", "skipped")
                else "failure"
            )
        for status in reversed(self.statuses.get(sha, [])):
            out[status["context"]] = {"error": "failure"}.get(status["state"], status["state"])
        return out

    def _mergeable_state(self, full_name: str, pr: FakePull) -> str:
        if pr.draft:
            return "draft"
        key = (full_name.lower(), pr.base_ref)
        current_base = self.branch_sha(full_name, pr.base_ref)
        if self.protection.get(key, {}).get("strict") and current_base != pr.base_sha:
            return "behind"
        states = self._check_states(pr.head_sha)
        required = self._required(full_name, pr.base_ref)
        if any(states.get(name) != "success" for name in required):
            return "blocked"
        if any(s == "failure" for s in states.values()):
            return "unstable"
        return "clean"

    def _merge(self, full_name: str, pr: FakePull) -> None:
        now = datetime.now(UTC)
        pr.state, pr.merged, pr.merged_at, pr.closed_at = "closed", True, now, now
        pr.merge_commit_sha = hashlib.sha1(
            f"merge:{pr.head_sha}:{pr.base_sha}".encode()
        ).hexdigest()
        self._sync_issue_record(full_name, pr)

    def _sync_issue_record(self, full_name: str, pr: FakePull) -> None:
        repo = self.repo(full_name)
        record = IssueRecord(
            repository=repo.full_name,
            number=pr.number,
            title=pr.title,
            body=pr.body,
            state="open" if pr.state == "open" else "closed",
            labels=list(pr.labels),
            created_at=pr.created_at,
            updated_at=datetime.now(UTC),
            closed_at=pr.closed_at,
        )
        repo.pull_requests = [p for p in repo.pull_requests if p.number != pr.number] + [record]

    def _next_number(self, full_name: str) -> int:
        repo = self.repo(full_name)
        used = [i.number for i in repo.issues] + [p.number for p in repo.pull_requests]
        used += list(self.pulls.get(full_name.lower(), {}))
        return max(used, default=0) + 1

    # request handling ----------------------------------------------------

    def handle(
        self, method: str, target: str, headers: Mapping[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        from urllib.parse import parse_qsl, urlsplit

        parts = urlsplit(target)
        path = parts.path.rstrip("/") or "/"
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        auth = headers.get("authorization", "")
        token = auth.split(None, 1)[1].strip() if " " in auth else None
        if method == "POST" and path == "/graphql" and _is_mutation(body):
            return self._count(method, path, query, "graphql_mutation", token, self._mutation, body)
        route = self._forge_route(method, path)
        if route is None:
            return super().handle(method, target, headers, body)
        return self._count(
            method, path, query, route, token, self._forge_rest, route, path, query, body
        )

    def _count(self, method, path, query, kind, token, fn, *args):  # type: ignore[no-untyped-def]
        from globallm_assets_tests.fakes.github_server import RequestLog

        record = RequestLog(method, path, query, kind, token, None)
        with self._lock:
            self.stats.by_kind[kind] += 1
            self.stats.by_token[token or "anonymous"] += 1
            self.stats.log.append(record)
            if token is None or (self._tokens is not None and token not in self._tokens):
                record.status = 401
                return 401, {}, _json({"message": "Bad credentials", "documentation_url": DOCS})
            resource = "graphql" if kind == "graphql_mutation" else "core"
            bucket = self._bucket(token, resource)
            assert bucket is not None
            fault = None
            for key in (kind, "*"):
                if self._faults.get(key):
                    fault = self._faults[key].pop(0)
                    break
            if fault is not None:
                extra = dict(_rate_headers(bucket, resource))
                if fault.retry_after is not None:
                    extra["retry-after"] = str(fault.retry_after)
                record.status = fault.status
                return (
                    fault.status,
                    extra,
                    _json({"message": fault.message, "documentation_url": DOCS}),
                )
            bucket.used += 1
            self.stats.points[resource] += 1
            status, extra, payload = fn(token, *args)
            record.status, record.cost = status, 1
            return status, {**extra, **_rate_headers(bucket, resource)}, payload

    @staticmethod
    def _forge_route(method: str, path: str) -> str | None:
        parts = path.split("/")[1:]
        if path == "/user" and method == "GET":
            return "user"
        if len(parts) < 3 or parts[0] != "repos":
            return None
        rest = parts[3:]
        if method == "DELETE" and rest[:3] == ["git", "refs", "heads"] and len(rest) > 3:
            return "delete_ref"
        table = {
            ("GET", 0): "repo",
            ("POST", 1, "forks"): "fork",
            ("POST", 1, "pulls"): "create_pull",
            ("GET", 2, "pulls"): "get_pull",
            ("PATCH", 2, "pulls"): "update_pull",
            ("PUT", 3, "pulls", "merge"): "merge",
            ("PUT", 3, "pulls", "update-branch"): "update_branch",
            ("GET", 3, "pulls", "reviews"): "reviews",
            ("GET", 3, "pulls", "comments"): "review_comments",
            ("GET", 2, "issues"): "get_issue",
            ("POST", 3, "issues", "labels"): "labels",
            ("POST", 3, "issues", "comments"): "create_comment",
            ("GET", 3, "issues", "comments"): "comments",
            ("GET", 2, "branches"): "branch",
            ("GET", 3, "rules", "branches"): "rules",
            ("GET", 3, "commits", "check-runs"): "check_runs",
            ("GET", 3, "commits", "status"): "status",
        }
        if not rest:
            return table.get((method, 0))
        if len(rest) == 1:
            return table.get((method, 1, rest[0]))
        if len(rest) == 2:
            return table.get((method, 2, rest[0]))
        if len(rest) == 3:
            if rest[0] == "rules":
                return table.get((method, 3, "rules", rest[1]))
            return table.get((method, 3, rest[0], rest[2]))
        return None

    def _forge_rest(
        self, token: str | None, route: str, path: str, query: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        urls = _Urls(self.url)
        login = self._login(token)
        payload = json.loads(body) if body else {}
        if route == "user":
            return 200, {}, _json(self._user_body(urls, login))
        parts = path.split("/")[1:]
        try:
            repo = self.repo(f"{parts[1]}/{parts[2]}")
        except KeyError:
            return 404, {}, _not_found()
        name = repo.full_name
        if route == "repo":
            return 200, {}, _json(self._repo_body(urls, repo, login))
        if route == "fork":
            return self._fork(urls, repo, login)
        if route == "create_pull":
            return self._create_pull(urls, repo, login, payload)
        if route == "branch":
            return self._branch(urls, repo, parts[4])
        if route == "delete_ref":
            if login not in self.push_access.get(name.lower(), set()):
                return (
                    403,
                    {},
                    _json({"message": "Resource not accessible", "documentation_url": DOCS}),
                )
            branch = "/".join(parts[6:])
            if self.branch_sha(name, branch) is None:
                return (
                    422,
                    {},
                    _json({"message": "Reference does not exist", "documentation_url": DOCS}),
                )
            _git("update-ref", "-d", f"refs/heads/{branch}", cwd=self.bare_path(name))
            return 204, {}, b""
        if route == "rules":
            contexts = self.rulesets.get((name.lower(), parts[5]), [])
            rules = []
            if contexts:
                rules.append(
                    {
                        "type": "required_status_checks",
                        "ruleset_source_type": "Repository",
                        "ruleset_source": name,
                        "ruleset_id": _stable_int(f"ruleset:{name}", 10_000),
                        "parameters": {
                            "strict_required_status_checks_policy": False,
                            "required_status_checks": [{"context": c} for c in contexts],
                        },
                    }
                )
            return 200, {}, _json(rules)
        if route == "check_runs":
            return self._check_runs_body(urls, repo, parts[4])
        if route == "status":
            return self._combined_status(urls, repo, parts[4])
        if route == "get_issue":
            number = int(parts[4])
            issue = next((i for i in repo.issues if i.number == number), None)
            if issue is not None:
                return 200, {}, _json(urls.issue(repo, issue, is_pr=False))
            pr_record = next((p for p in repo.pull_requests if p.number == number), None)
            if pr_record is not None:
                return 200, {}, _json(urls.issue(repo, pr_record, is_pr=True))
            return 404, {}, _not_found()
        number = int(parts[4])
        pr = self.pulls.get(name.lower(), {}).get(number)
        if pr is None:
            return 404, {}, _not_found()
        if route == "get_pull":
            return 200, {}, _json(self._pull_body(urls, repo, pr))
        if route == "update_pull":
            if payload.get("state") == "closed" and pr.state == "open":
                pr.state, pr.closed_at = "closed", datetime.now(UTC)
                pr.auto_merge = None
                self._sync_issue_record(name, pr)
            return 200, {}, _json(self._pull_body(urls, repo, pr))
        if route == "labels":
            for label in payload.get("labels", []):
                if label not in pr.labels:
                    pr.labels.append(label)
            self._sync_issue_record(name, pr)
            return 200, {}, _json([self._label(urls, repo, lb) for lb in pr.labels])
        if route == "create_comment":
            pr.comments.append({"author": login, "body": payload.get("body", "")})
            comment = self._comment(urls, repo, pr, len(pr.comments) - 1)
            return 201, {}, _json(comment)
        if route == "comments":
            return (
                200,
                {},
                _json([self._comment(urls, repo, pr, i) for i in range(len(pr.comments))]),
            )
        if route == "reviews":
            return 200, {}, _json([self._review(urls, repo, pr, i) for i in range(len(pr.reviews))])
        if route == "review_comments":
            rows = [self._review_comment(urls, repo, pr, i) for i in range(len(pr.review_comments))]
            return 200, {}, _json(rows)
        if route == "merge":
            return self._merge_route(repo, pr, payload)
        if route == "update_branch":
            base = self.branch_sha(name, pr.base_ref) or pr.base_sha
            pr.base_sha = base
            pr.head_sha = hashlib.sha1(f"update:{pr.head_sha}:{base}".encode()).hexdigest()
            api = f"{urls.base}/repos/{name}/pulls/{pr.number}"
            return 202, {}, _json({"message": "Updating pull request branch.", "url": api})
        return 404, {}, _not_found()

    def _fork(self, urls: _Urls, repo: FakeRepo, login: str) -> tuple[int, dict[str, str], bytes]:
        fork_name = f"{login}/{repo.name}"
        try:
            existing = self.repo(fork_name)
        except KeyError:
            existing = None
        if existing is None:
            bare = self.bare_path(fork_name)
            bare.parent.mkdir(parents=True, exist_ok=True)
            _git("clone", "--quiet", "--bare", str(self.bare_path(repo.full_name)), str(bare))
            meta = repo.metadata.model_copy(
                update={"full_name": fork_name, "is_fork": True, "stars": 0, "forks": 0}
            )
            existing = self.add_repo(FakeRepo(metadata=meta, commits=list(repo.commits)))
            self.push_access[fork_name.lower()] = {login}
            self.forks[fork_name.lower()] = repo.full_name
        return 202, {}, _json(self._repo_body(urls, existing, login))

    def _create_pull(
        self, urls: _Urls, repo: FakeRepo, login: str, payload: dict[str, Any]
    ) -> tuple[int, dict[str, str], bytes]:
        head = str(payload.get("head", ""))
        owner, _, ref = head.rpartition(":")
        head_repo = f"{owner}/{repo.name}" if owner else repo.full_name
        base_ref = str(payload.get("base", ""))
        head_sha = self.branch_sha(head_repo, ref) if self._has_repo(head_repo) else None
        base_sha = self.branch_sha(repo.full_name, base_ref)
        errors = []
        if head_sha is None:
            errors.append({"resource": "PullRequest", "field": "head", "code": "invalid"})
        if base_sha is None:
            errors.append({"resource": "PullRequest", "field": "base", "code": "invalid"})
        open_same = [
            p
            for p in self.pulls.get(repo.full_name.lower(), {}).values()
            if p.state == "open" and p.head_repo.lower() == head_repo.lower() and p.head_ref == ref
        ]
        if open_same:
            errors.append(
                {
                    "resource": "PullRequest",
                    "code": "custom",
                    "message": f"A pull request already exists for {head}.",
                }
            )
        if errors or not payload.get("title"):
            return (
                422,
                {},
                _json(
                    {"message": "Validation Failed", "errors": errors, "documentation_url": DOCS}
                ),
            )
        assert head_sha is not None and base_sha is not None
        pr = FakePull(
            number=self._next_number(repo.full_name),
            title=str(payload["title"]),
            body=str(payload.get("body") or ""),
            author=login,
            head_repo=head_repo,
            head_ref=ref,
            head_sha=head_sha,
            base_ref=base_ref,
            base_sha=base_sha,
            draft=bool(payload.get("draft")),
            created_at=datetime.now(UTC),
        )
        self.pulls.setdefault(repo.full_name.lower(), {})[pr.number] = pr
        self._sync_issue_record(repo.full_name, pr)
        return 201, {}, _json(self._pull_body(urls, repo, pr))

    def _has_repo(self, full_name: str) -> bool:
        try:
            self.repo(full_name)
        except KeyError:
            return False
        return True

    def _merge_route(
        self, repo: FakeRepo, pr: FakePull, payload: dict[str, Any]
    ) -> tuple[int, dict[str, str], bytes]:
        if pr.merged or pr.state != "open":
            msg = "Pull Request is not mergeable"
            return 405, {}, _json({"message": msg, "documentation_url": DOCS})
        if payload.get("sha") and payload["sha"] != pr.head_sha:
            msg = "Head branch was modified. Review and try the merge again."
            return 409, {}, _json({"message": msg, "documentation_url": DOCS})
        if self._mergeable_state(repo.full_name, pr) not in ("clean", "unstable"):
            msg = "Pull Request is not mergeable"
            return 405, {}, _json({"message": msg, "documentation_url": DOCS})
        self._merge(repo.full_name, pr)
        return (
            200,
            {},
            _json(
                {
                    "sha": pr.merge_commit_sha,
                    "merged": True,
                    "message": "Pull Request successfully merged",
                }
            ),
        )

    # GraphQL mutations ------------------------------------------------------

    def _mutation(self, token: str | None, body: bytes) -> tuple[int, dict[str, str], bytes]:
        import graphql

        request = json.loads(body)
        document = graphql.parse(request["query"])
        schema = _get_mutation_schema()
        problems = graphql.validate(schema, document)
        if problems:
            return 200, {}, _json({"errors": [{"message": p.message} for p in problems]})
        root = _MutationRoot(self, self._login(token))
        result = graphql.execute(
            schema, document, root_value=root, variable_values=request.get("variables") or {}
        )
        answer: dict[str, Any] = {"data": result.data}
        if result.errors:
            errors = []
            for error in result.errors:
                original = getattr(error, "original_error", None)
                item = {
                    "message": error.message,
                    "path": error.path,
                    "locations": error.formatted.get("locations"),
                }
                if isinstance(original, _Unprocessable):
                    item["type"] = original.kind
                errors.append(item)
            answer["errors"] = errors
        return 200, {}, _json(answer)

    def _by_node_id(self, node_id: str) -> tuple[str, FakePull]:
        for full_name, pulls in self.pulls.items():
            for pr in pulls.values():
                if pr.node_id == node_id:
                    return full_name, pr
        raise _Unprocessable(
            f"Could not resolve to a node with the global id of '{node_id}'", "NOT_FOUND"
        )

    # payloads ----------------------------------------------------------------

    def _user_body(self, urls: _Urls, login: str) -> dict[str, Any]:
        now = _iso(datetime(2020, 1, 1, tzinfo=UTC))
        return urls.user(login) | {
            "name": login,
            "company": None,
            "blog": "",
            "location": None,
            "email": None,
            "hireable": None,
            "bio": None,
            "public_repos": 1,
            "public_gists": 0,
            "followers": 0,
            "following": 0,
            "created_at": now,
            "updated_at": now,
        }

    def _repo_body(self, urls: _Urls, repo: FakeRepo, login: str) -> dict[str, Any]:
        body = urls.repo(repo)
        body["clone_url"] = self.clone_url(repo.full_name)
        can_push = login in self.push_access.get(repo.full_name.lower(), set())
        body["permissions"] = {
            "admin": can_push,
            "maintain": can_push,
            "push": can_push,
            "triage": can_push,
            "pull": True,
        }
        body["allow_auto_merge"] = repo.full_name.lower() in self.allow_auto_merge
        parent = self.forks.get(repo.full_name.lower())
        if parent is not None:
            body["parent"] = urls.repo(self.repo(parent))
            body["source"] = body["parent"]
        return body

    def _label(self, urls: _Urls, repo: FakeRepo, name: str) -> dict[str, Any]:
        return {
            "id": _stable_int(f"label:{name}"),
            "node_id": f"LA_kwDO{_stable_int(name):08d}",
            "url": f"{urls.base}/repos/{repo.full_name}/labels/{name}",
            "name": name,
            "description": None,
            "color": "ededed",
            "default": False,
            "archived_at": None,
            "archived_by": None,
        }

    def _ref(self, urls: _Urls, full_name: str, ref: str, sha: str, login: str) -> dict[str, Any]:
        repo = self.repo(full_name)
        return {
            "label": f"{full_name.split('/')[0]}:{ref}",
            "ref": ref,
            "repo": self._repo_body(urls, repo, login),
            "sha": sha,
            "user": urls.user(full_name.split("/")[0]),
        }

    def _pull_body(self, urls: _Urls, repo: FakeRepo, pr: FakePull) -> dict[str, Any]:
        api = f"{urls.base}/repos/{repo.full_name}"
        html = f"https://github.invalid/{repo.full_name}/pull/{pr.number}"
        pid = _stable_int(f"pull:{repo.full_name}#{pr.number}")
        state = self._mergeable_state(repo.full_name, pr) if pr.state == "open" else "unknown"

        def link(href: str) -> dict[str, str]:
            return {"href": href}

        return {
            "url": f"{api}/pulls/{pr.number}",
            "id": pid,
            "node_id": pr.node_id,
            "html_url": html,
            "diff_url": f"{html}.diff",
            "patch_url": f"{html}.patch",
            "issue_url": f"{api}/issues/{pr.number}",
            "commits_url": f"{api}/pulls/{pr.number}/commits",
            "review_comments_url": f"{api}/pulls/{pr.number}/comments",
            "review_comment_url": f"{api}/pulls/comments{{/number}}",
            "comments_url": f"{api}/issues/{pr.number}/comments",
            "statuses_url": f"{api}/statuses/{pr.head_sha}",
            "number": pr.number,
            "state": pr.state,
            "locked": False,
            "title": pr.title,
            "user": urls.user(pr.author),
            "body": pr.body,
            "labels": [self._label(urls, repo, lb) for lb in pr.labels],
            "milestone": None,
            "active_lock_reason": None,
            "created_at": _iso(pr.created_at),
            "updated_at": _iso(pr.merged_at or pr.closed_at or pr.created_at),
            "closed_at": _iso(pr.closed_at),
            "merged_at": _iso(pr.merged_at),
            "merge_commit_sha": pr.merge_commit_sha,
            "assignee": None,
            "assignees": [],
            "requested_reviewers": [],
            "requested_teams": [],
            "head": self._ref(urls, pr.head_repo, pr.head_ref, pr.head_sha, pr.author),
            "base": self._ref(urls, repo.full_name, pr.base_ref, pr.base_sha, pr.author),
            "_links": {
                "self": link(f"{api}/pulls/{pr.number}"),
                "html": link(html),
                "issue": link(f"{api}/issues/{pr.number}"),
                "comments": link(f"{api}/issues/{pr.number}/comments"),
                "review_comments": link(f"{api}/pulls/{pr.number}/comments"),
                "review_comment": link(f"{api}/pulls/comments{{/number}}"),
                "commits": link(f"{api}/pulls/{pr.number}/commits"),
                "statuses": link(f"{api}/statuses/{pr.head_sha}"),
            },
            "author_association": "CONTRIBUTOR",
            "auto_merge": pr.auto_merge,
            "draft": pr.draft,
            "merged": pr.merged,
            "mergeable": None if pr.state != "open" else state not in ("dirty",),
            "rebaseable": True,
            "mergeable_state": state,
            "merged_by": urls.user("merger") if pr.merged else None,
            "comments": len(pr.comments),
            "review_comments": len(pr.review_comments),
            "maintainer_can_modify": True,
            "commits": 1,
            "additions": 3,
            "deletions": 1,
            "changed_files": 1,
        }

    def _branch(
        self, urls: _Urls, repo: FakeRepo, branch: str
    ) -> tuple[int, dict[str, str], bytes]:
        sha = self.branch_sha(repo.full_name, branch)
        if sha is None:
            return 404, {}, _json({"message": "Branch not found", "documentation_url": DOCS})
        api = f"{urls.base}/repos/{repo.full_name}"
        rule = self.protection.get((repo.full_name.lower(), branch))
        commit = urls.commit(repo, FakeCommit(sha, datetime.now(UTC), repo.owner, "o@x.org"))
        protection: dict[str, Any] = {"enabled": False, "required_status_checks": None}
        if rule is not None:
            protection = {
                "enabled": True,
                "required_status_checks": {
                    "enforcement_level": "non_admins",
                    "contexts": list(rule["contexts"]),
                    "checks": [{"context": c, "app_id": None} for c in rule["contexts"]],
                    "strict": rule["strict"],
                },
            }
        body = {
            "name": branch,
            "commit": commit,
            "_links": {
                "html": f"https://github.invalid/{repo.full_name}/tree/{branch}",
                "self": f"{api}/branches/{branch}",
            },
            "protected": rule is not None,
            "protection": protection,
            "protection_url": f"{api}/branches/{branch}/protection",
        }
        return 200, {}, _json(body)

    def _check_runs_body(
        self, urls: _Urls, repo: FakeRepo, sha: str
    ) -> tuple[int, dict[str, str], bytes]:
        api = f"{urls.base}/repos/{repo.full_name}"
        runs = []
        for run in self.check_runs.get(sha, []):
            rid = _stable_int(f"run:{sha}:{run['name']}")
            done = run["conclusion"] is not None
            runs.append(
                {
                    "id": rid,
                    "head_sha": sha,
                    "node_id": f"CR_kwDO{rid:08d}",
                    "external_id": "",
                    "url": f"{api}/check-runs/{rid}",
                    "html_url": f"https://github.invalid/{repo.full_name}/runs/{rid}",
                    "details_url": None,
                    "status": "completed" if done else "queued",
                    "conclusion": run["conclusion"],
                    "started_at": _iso(datetime.now(UTC)),
                    "completed_at": _iso(datetime.now(UTC)) if done else None,
                    "output": {
                        "title": run["name"],
                        "summary": f"{run['name']}: {run['conclusion'] or 'queued'}",
                        "text": None,
                        "annotations_count": 0,
                        "annotations_url": f"{api}/check-runs/{rid}/annotations",
                    },
                    "name": run["name"],
                    "check_suite": {"id": _stable_int(f"suite:{sha}")},
                    "app": None,
                    "pull_requests": [],
                }
            )
        return 200, {}, _json({"total_count": len(runs), "check_runs": runs})

    def _combined_status(
        self, urls: _Urls, repo: FakeRepo, sha: str
    ) -> tuple[int, dict[str, str], bytes]:
        api = f"{urls.base}/repos/{repo.full_name}"
        seen: set[str] = set()
        statuses = []
        for status in self.statuses.get(sha, []):
            if status["context"] in seen:
                continue
            seen.add(status["context"])
            sid = _stable_int(f"status:{sha}:{status['context']}")
            statuses.append(
                {
                    "description": f"{status['context']} {status['state']}",
                    "id": sid,
                    "node_id": f"SC_kwDO{sid:08d}",
                    "state": status["state"],
                    "context": status["context"],
                    "target_url": None,
                    "avatar_url": None,
                    "url": f"{api}/statuses/{sha}",
                    "created_at": _iso(datetime.now(UTC)),
                    "updated_at": _iso(datetime.now(UTC)),
                }
            )
        states = {s["state"] for s in statuses}
        overall = (
            "failure"
            if states & {"failure", "error"}
            else "pending"
            if "pending" in states or not statuses
            else "success"
        )
        body = {
            "state": overall,
            "statuses": statuses,
            "sha": sha,
            "total_count": len(statuses),
            "repository": urls.repo(repo),
            "commit_url": f"{api}/commits/{sha}",
            "url": f"{api}/commits/{sha}/status",
        }
        return 200, {}, _json(body)

    def _comment(self, urls: _Urls, repo: FakeRepo, pr: FakePull, index: int) -> dict[str, Any]:
        c = pr.comments[index]
        cid = _stable_int(f"comment:{repo.full_name}#{pr.number}:{index}")
        api = f"{urls.base}/repos/{repo.full_name}"
        return {
            "id": cid,
            "node_id": f"IC_kwDO{cid:08d}",
            "url": f"{api}/issues/comments/{cid}",
            "html_url": f"https://github.invalid/{repo.full_name}/pull/{pr.number}#issuecomment-{cid}",
            "body": c["body"],
            "user": urls.user(c["author"]),
            "created_at": _iso(pr.created_at),
            "updated_at": _iso(pr.created_at),
            "issue_url": f"{api}/issues/{pr.number}",
            "author_association": "MEMBER",
        }

    def _review(self, urls: _Urls, repo: FakeRepo, pr: FakePull, index: int) -> dict[str, Any]:
        r = pr.reviews[index]
        rid = _stable_int(f"review:{repo.full_name}#{pr.number}:{index}")
        html = f"https://github.invalid/{repo.full_name}/pull/{pr.number}#pullrequestreview-{rid}"
        api = f"{urls.base}/repos/{repo.full_name}/pulls/{pr.number}"
        return {
            "id": rid,
            "node_id": f"PRR_kwDO{rid:08d}",
            "user": urls.user(r["author"]),
            "body": r.get("body", ""),
            "state": r["state"],
            "html_url": html,
            "pull_request_url": api,
            "_links": {"html": {"href": html}, "pull_request": {"href": api}},
            "submitted_at": _iso(datetime.now(UTC)),
            "commit_id": pr.head_sha,
            "author_association": "MEMBER",
        }

    def _review_comment(
        self, urls: _Urls, repo: FakeRepo, pr: FakePull, index: int
    ) -> dict[str, Any]:
        c = pr.review_comments[index]
        cid = _stable_int(f"rc:{repo.full_name}#{pr.number}:{index}")
        api = f"{urls.base}/repos/{repo.full_name}/pulls"
        html = f"https://github.invalid/{repo.full_name}/pull/{pr.number}#discussion_r{cid}"
        return {
            "url": f"{api}/comments/{cid}",
            "pull_request_review_id": None,
            "id": cid,
            "node_id": f"PRRC_kwDO{cid:08d}",
            "diff_hunk": "@@ -1 +1 @@",
            "path": c["path"],
            "line": c.get("line"),
            "commit_id": pr.head_sha,
            "original_commit_id": pr.head_sha,
            "user": urls.user(c["author"]),
            "body": c["body"],
            "created_at": _iso(pr.created_at),
            "updated_at": _iso(pr.created_at),
            "html_url": html,
            "pull_request_url": f"{api}/{pr.number}",
            "author_association": "MEMBER",
            "_links": {
                "self": {"href": f"{api}/comments/{cid}"},
                "html": {"href": html},
                "pull_request": {"href": f"{api}/{pr.number}"},
            },
        }

    # lifecycle: the base handler only knows GET and POST -------------------

    def start(self) -> FakeForgeGitHub:
        from http.server import ThreadingHTTPServer

        handler = type(
            "ForgeHandler",
            (_Handler,),
            {
                "fake": self,
                "do_PUT": _Handler._serve,
                "do_PATCH": _Handler._serve,
                "do_DELETE": _Handler._serve,
            },
        )
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def __enter__(self) -> FakeForgeGitHub:
        return self.start()


class _MutationRoot:
    def __init__(self, fake: FakeForgeGitHub, login: str) -> None:
        self._fake, self._login = fake, login

    def _pr_node(self, pr: FakePull) -> dict[str, Any]:
        request = None
        if pr.auto_merge is not None:
            request = {
                "enabledAt": _iso(pr.auto_merge_enabled_at),
                "mergeMethod": pr.auto_merge["merge_method"].upper(),
            }
        return {
            "id": pr.node_id,
            "number": pr.number,
            "isDraft": pr.draft,
            "state": "MERGED" if pr.merged else pr.state.upper(),
            "autoMergeRequest": request,
        }

    def node(self, info: Any, id: str) -> dict[str, Any]:
        return self._pr_node(self._fake._by_node_id(id)[1])

    def enablePullRequestAutoMerge(self, info: Any, input: dict[str, Any]) -> dict[str, Any]:
        fake = self._fake
        with fake._lock:
            full_name, pr = fake._by_node_id(input["pullRequestId"])
            if full_name not in fake.allow_auto_merge:
                raise _Unprocessable("Pull request Auto merge is not allowed for this repository")
            if pr.state != "open":
                raise _Unprocessable("Pull request is not open")
            if pr.draft:
                raise _Unprocessable("Pull request is in draft state")
            expected = input.get("expectedHeadOid")
            if expected and expected != pr.head_sha:
                raise _Unprocessable("Head sha didn't match expected head sha")
            if fake._mergeable_state(full_name, pr) == "clean":
                raise _Unprocessable("Pull request is in clean status")
            method = str(input.get("mergeMethod") or "MERGE").lower()
            pr.auto_merge = {
                "enabled_by": _Urls(fake.url).user(self._login),
                "merge_method": method,
                "commit_title": pr.title,
                "commit_message": None,
            }
            pr.auto_merge_enabled_at = datetime.now(UTC)
            return {
                "clientMutationId": input.get("clientMutationId"),
                "pullRequest": self._pr_node(pr),
            }

    def disablePullRequestAutoMerge(self, info: Any, input: dict[str, Any]) -> dict[str, Any]:
        with self._fake._lock:
            _, pr = self._fake._by_node_id(input["pullRequestId"])
            if pr.state != "open":
                raise _Unprocessable("Pull request is not open")
            pr.auto_merge, pr.auto_merge_enabled_at = None, None
            return {
                "clientMutationId": input.get("clientMutationId"),
                "pullRequest": self._pr_node(pr),
            }

    def markPullRequestReadyForReview(self, info: Any, input: dict[str, Any]) -> dict[str, Any]:
        with self._fake._lock:
            _, pr = self._fake._by_node_id(input["pullRequestId"])
            pr.draft = False
            return {
                "clientMutationId": input.get("clientMutationId"),
                "pullRequest": self._pr_node(pr),
            }


def _is_mutation(body: bytes) -> bool:
    try:
        query = json.loads(body or b"{}").get("query", "")
    except ValueError:
        return False
    return query.lstrip().startswith("mutation")
