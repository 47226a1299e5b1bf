"""GitHub as a :class:`~globallm_assets.forge.base.Forge`: githubkit over the project's transport.

Requests go through :class:`~globallm_assets.sources.github_transport.GitHubPolicyTransport` with a
one-token pool: the same rate-limit, secondary-limit and retry policy as the read side, but a
single identity, because a fork, its pushed branch and the pull request must all belong to the
same account. That token is the first configured GitHub token.

What each operation asks GitHub (REST unless noted, shapes as GitHub documents them):

- push access: ``GET /repos/{o}/{r}`` (``permissions.push``); without it ``POST …/forks``
  (idempotent: an existing fork is returned) and a short wait until the fork answers.
- push: ``git push`` to the repository's ``clone_url``, the token sent as an HTTP header from the
  environment (see :mod:`.git`), never in the URL.
- pull request: ``POST …/pulls`` (``head`` is ``login:branch`` from a fork), then
  ``POST …/issues/{n}/labels``; a refused label (no triage right on a fork's target) is logged.
- required checks: ``GET …/branches/{b}`` (``protection.required_status_checks``, readable
  without admin rights) plus ``GET …/rules/branches/{b}`` (rulesets).
- check results: ``GET …/commits/{sha}/check-runs`` and ``GET …/commits/{sha}/status``.
- auto-merge: GraphQL ``enablePullRequestAutoMerge`` (with ``expectedHeadOid``, so a branch
  changed after our checks cannot be merged); when GitHub answers that the pull request is
  already mergeable ("clean status") it is merged at once through ``PUT …/pulls/{n}/merge``.
  Auto-merge is not armed while a required check has already failed on the head (GitHub would
  hold it, and with it GlobaLLM's one auto-merge slot of the base branch, until someone re-runs
  the check); ``disablePullRequestAutoMerge`` withdraws an armed one whose checks failed.
- merge once green: ``GET …/pulls/{n}`` (``mergeable_state``), ``PUT …/update-branch`` when it
  is behind its base, else ``PUT …/merge`` with the tested head ``sha``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from globallm_assets.core.issue_scores import OPT_OUT_CONFIG_PATH, repository_opt_out
from globallm_assets.core.models import parse_repo_name
from globallm_assets.forge.base import (
    CheckResult,
    CheckState,
    ForgeError,
    ForgeInfo,
    IssueStatus,
    Mergeability,
    MergeAttempt,
    MergeMethod,
    PRState,
    PullRequest,
    PullRequestRequest,
    PullRequestStatus,
    PushTarget,
    Review,
    ReviewComment,
    checks_verdict,
)
from globallm_assets.forge.git import HttpAuth, origin_of, run_git
from globallm_assets.sources.base import SourceError
from globallm_assets.sources.github_transport import (
    GitHubPolicyTransport,
    GitHubStats,
    TokenPool,
    pool_identity,
)

if TYPE_CHECKING:
    from githubkit import GitHub

# GitHub creates forks asynchronously; poll this often (doubling) until it answers.
FORK_POLL_SECONDS = 1.0
PAGE_SIZE = 100
LINKED_PRS_LIMIT = 20

_LINKED_PRS_QUERY = """
query IssueLinkedPulls($owner: String!, $name: String!, $number: Int!, $first: Int!) {
  repository(owner: $owner, name: $name) {
    issue(number: $number) {
      closedByPullRequestsReferences(first: $first, includeClosedPrs: false) {
        nodes { number state }
      }
    }
  }
}
"""
_ENABLE_AUTO_MERGE = """
mutation EnableAutoMerge($id: ID!, $method: PullRequestMergeMethod!, $head: GitObjectID) {
  enablePullRequestAutoMerge(
    input: {pullRequestId: $id, mergeMethod: $method, expectedHeadOid: $head}
  ) {
    pullRequest { number autoMergeRequest { enabledAt mergeMethod } }
  }
}
"""
_DISABLE_AUTO_MERGE = """
mutation DisableAutoMerge($id: ID!) {
  disablePullRequestAutoMerge(input: {pullRequestId: $id}) {
    pullRequest { number autoMergeRequest { enabledAt } }
  }
}
"""
_MARK_READY = """
mutation MarkReady($id: ID!) {
  markPullRequestReadyForReview(input: {pullRequestId: $id}) { pullRequest { number isDraft } }
}
"""
# check-run conclusions → merge semantics (GitHub treats neutral and skipped as passing, but a
# *required* check that was skipped never ran, so base.checks_verdict keeps it pending).
_CONCLUSIONS = {
    "success": CheckState.success,
    "neutral": CheckState.neutral,
    "skipped": CheckState.neutral,
    "failure": CheckState.failure,
    "cancelled": CheckState.failure,
    "timed_out": CheckState.failure,
    "action_required": CheckState.failure,
    "stale": CheckState.pending,
}
_STATUS_STATES = {
    "success": CheckState.success,
    "pending": CheckState.pending,
    "failure": CheckState.failure,
    "error": CheckState.failure,
}
_MERGEABLE_STATES = {
    "clean": Mergeability.clean,
    "unstable": Mergeability.clean,  # only non-required checks fail
    "has_hooks": Mergeability.clean,
    "behind": Mergeability.behind,
    "dirty": Mergeability.conflict,
    "blocked": Mergeability.blocked,
    "draft": Mergeability.draft,
    "unknown": Mergeability.unknown,
}


class GitHubForge:
    """Pull requests on GitHub (or GitHub Enterprise: ``api_url``)."""

    def __init__(
        self,
        token: str,
        *,
        api_url: str = "https://api.github.com",
        transport: httpx.BaseTransport | None = None,
        git_timeout: float = 300.0,
        fork_wait: float = 60.0,
        max_retries: int = 5,
        timeout: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        logger: logging.Logger | None = None,
    ) -> None:
        from githubkit import GitHub

        if not token or not token.strip():
            raise ForgeError(
                "the GitHub forge needs a token (GITHUB_TOKEN) to push branches and open pull "
                "requests"
            )
        self._token = token.strip()
        self._log = logger or logging.getLogger(__name__)
        self._sleep = sleep
        self._clock = clock
        self._git_timeout = git_timeout
        self._fork_wait = fork_wait
        self._login: str | None = None
        self.stats = GitHubStats()
        pool = TokenPool(
            [self._token],
            clock=clock,
            sleep=sleep,
            max_rate_limit_wait=900.0,
            stats=self.stats,
            logger=self._log,
        )
        self._transport = GitHubPolicyTransport(
            pool,
            inner=transport,
            etag_cache=None,
            identity=pool_identity([self._token]),
            stats=self.stats,
            clock=clock,
            sleep=sleep,
            max_concurrency=2,
            max_retries=max_retries,
            secondary_backoff=60.0,
            logger=self._log,
            base_url=api_url,
        )
        # Credentials and retries live in the transport (see sources.github for why).
        self._gh: GitHub[Any] = GitHub(
            base_url=api_url,
            transport=self._transport,
            http_cache=False,
            auto_retry=False,
            trust_env=False,
            user_agent="globallm",
            timeout=timeout,
        )

    def __repr__(self) -> str:
        return "GitHubForge(token=***)"

    def close(self) -> None:
        self._transport.shutdown()

    @property
    def info(self) -> ForgeInfo:
        return ForgeInfo(kind="github")

    # ------------------------------------------------------------------ plumbing

    @contextmanager
    def _errors(self, what: str) -> Iterator[None]:
        """githubkit failures as one-line ForgeErrors carrying GitHub's message, never a token."""
        from githubkit.exception import GitHubException, RequestError, RequestFailed
        from pydantic import ValidationError

        try:
            yield
        except ForgeError:
            raise
        except RequestFailed as exc:
            status = exc.response.status_code
            raise ForgeError(f"{what}: GitHub answered {status} {_message(exc)}".strip()) from None
        except RequestError as exc:
            inner = exc.exc
            detail = str(inner) if isinstance(inner, SourceError) else type(inner).__name__
            raise ForgeError(f"{what}: {detail}") from None
        except SourceError as exc:
            raise ForgeError(f"{what}: {exc}") from None
        except GitHubException as exc:
            raise ForgeError(f"{what}: {type(exc).__name__}") from None
        except ValidationError as exc:
            raise ForgeError(
                f"{what}: unexpected response shape ({exc.error_count()} errors)"
            ) from None

    def _auth_for(self, remote_url: str) -> HttpAuth | None:
        origin = origin_of(remote_url)
        return HttpAuth(origin, self._token) if origin else None

    def login(self) -> str:
        """The account the token belongs to (forks are created under it)."""
        if self._login is None:
            with self._errors("authenticated user"):
                self._login = self._gh.rest.users.get_authenticated().parsed_data.login
        return self._login

    # ------------------------------------------------------------------ issues and etiquette

    def issue_status(self, repository: str, number: int) -> IssueStatus:
        owner, repo = parse_repo_name(repository).split("/")
        with self._errors(f"{repository}#{number}"):
            issue = self._gh.rest.issues.get(owner, repo, number).parsed_data
        if _present(issue.pull_request):
            raise ForgeError(f"{repository}#{number} is a pull request, not an issue")
        assignees = tuple(a.login for a in (_present(issue.assignees) or []))
        linked: list[int] = []
        if issue.state == "open":
            with self._errors(f"{repository}#{number} linked pull requests"):
                data = self._gh.graphql.request(
                    _LINKED_PRS_QUERY,
                    {"owner": owner, "name": repo, "number": number, "first": LINKED_PRS_LIMIT},
                )
            refs = ((data.get("repository") or {}).get("issue") or {}).get(
                "closedByPullRequestsReferences"
            ) or {}
            linked = [n["number"] for n in refs.get("nodes") or [] if n and n["state"] == "OPEN"]
        return IssueStatus(
            repository=repository,
            number=number,
            url=issue.html_url,
            state=issue.state,
            locked=issue.locked,
            assignees=assignees,
            open_pull_requests=tuple(linked),
            opt_out=self._opt_out(owner, repo),
        )

    def _opt_out(self, owner: str, repo: str) -> str | None:
        import base64

        from githubkit.exception import RequestFailed

        with self._errors(f"{owner}/{repo}"):
            full = self._gh.rest.repos.get(owner, repo).parsed_data
        text: str | None = None
        with self._errors(f"{owner}/{repo} {OPT_OUT_CONFIG_PATH}"):
            try:
                resp = self._gh.rest.repos.get_content(owner, repo, OPT_OUT_CONFIG_PATH)
            except RequestFailed as exc:
                if exc.response.status_code != 404:
                    raise
            else:
                data = resp.raw_response.json()
                if isinstance(data, dict) and data.get("type") == "file":
                    raw = data.get("content") or ""
                    if data.get("encoding") == "base64":
                        raw = base64.b64decode(raw).decode("utf-8", errors="replace")
                    text = raw
        return repository_opt_out(text, list(_present(full.topics) or []))

    # ------------------------------------------------------------------ push

    def ensure_push_access(self, repository: str) -> PushTarget:
        owner, repo = parse_repo_name(repository).split("/")
        with self._errors(repository):
            full = self._gh.rest.repos.get(owner, repo).parsed_data
        permissions = _present(full.permissions)
        if permissions is not None and permissions.push:
            return PushTarget(full.full_name, full.clone_url, is_fork=False)
        with self._errors(f"fork of {repository}"):
            fork = self._gh.rest.repos.create_fork(
                owner, repo, data={"default_branch_only": True}
            ).parsed_data
        self._wait_for_fork(fork.full_name)
        self._log.info(
            "GitHub: pushing to fork %s of %s (no push right)", fork.full_name, repository
        )
        return PushTarget(fork.full_name, fork.clone_url, is_fork=True)

    def _wait_for_fork(self, full_name: str) -> None:
        from githubkit.exception import RequestFailed

        owner, repo = full_name.split("/")
        deadline = self._clock() + self._fork_wait
        delay = FORK_POLL_SECONDS
        while True:
            with self._errors(f"fork {full_name}"):
                try:
                    self._gh.rest.repos.get(owner, repo)
                    return
                except RequestFailed as exc:
                    if exc.response.status_code != 404:
                        raise
            if self._clock() + delay > deadline:
                raise ForgeError(f"fork {full_name} did not appear within {self._fork_wait:.0f}s")
            self._sleep(delay)
            delay *= 2

    def push_branch(self, target: PushTarget, workdir: Path, commit: str, branch: str) -> None:
        run_git(
            [
                "push",
                "--porcelain",
                "--no-verify",
                target.remote_url,
                f"{commit}:refs/heads/{branch}",
            ],
            cwd=workdir,
            auth=self._auth_for(target.remote_url),
            timeout=self._git_timeout,
        )

    def delete_branch(self, target: PushTarget, branch: str) -> None:
        """Idempotent: a branch that is already gone ("Reference does not exist") is fine."""
        from githubkit.exception import RequestFailed

        owner, repo = target.repository.split("/")
        with self._errors(f"delete branch {branch} of {target.repository}"):
            try:
                self._gh.rest.git.delete_ref(owner, repo, f"heads/{branch}")
            except RequestFailed as exc:
                gone = exc.response.status_code == 422 and "does not exist" in _message(exc)
                if not gone:
                    raise

    # ------------------------------------------------------------------ pull requests

    def open_pull_request(
        self, repository: str, target: PushTarget, request: PullRequestRequest
    ) -> PullRequest:
        owner, repo = parse_repo_name(repository).split("/")
        head = request.head_branch
        if target.is_fork:
            head = f"{target.repository.split('/')[0]}:{request.head_branch}"
        with self._errors(f"pull request on {repository}"):
            pr = self._gh.rest.pulls.create(
                owner,
                repo,
                data={
                    "title": request.title,
                    "head": head,
                    "base": request.base_branch,
                    "body": request.body,
                    "draft": request.draft,
                    "maintainer_can_modify": True,
                },
            ).parsed_data
        applied: tuple[str, ...] = ()
        if request.labels:
            applied = self._add_labels(owner, repo, pr.number, list(request.labels))
        return PullRequest(
            repository=repository,
            number=pr.number,
            url=pr.html_url,
            head_repository=target.repository,
            head_branch=request.head_branch,
            head_sha=pr.head.sha,
            base_branch=request.base_branch,
            draft=bool(_present(pr.draft)),
            labels=applied,
            node_id=pr.node_id,
        )

    def _add_labels(self, owner: str, repo: str, number: int, labels: list[str]) -> tuple[str, ...]:
        try:
            with self._errors(f"labels on {owner}/{repo}#{number}"):
                resp = self._gh.rest.issues.add_labels(owner, repo, number, data={"labels": labels})
        except ForgeError as exc:
            # Labelling needs triage rights, which a contributor from a fork lacks.
            self._log.warning("GitHub: labels not applied: %s", exc)
            return ()
        return tuple(label.name for label in resp.parsed_data)

    def comment(self, repository: str, number: int, body: str) -> None:
        owner, repo = parse_repo_name(repository).split("/")
        with self._errors(f"comment on {repository}#{number}"):
            self._gh.rest.issues.create_comment(owner, repo, number, data={"body": body})

    def required_checks(self, repository: str, base_branch: str) -> list[str]:
        from githubkit.exception import RequestFailed

        owner, repo = parse_repo_name(repository).split("/")
        names: list[str] = []
        with self._errors(f"{repository} branch {base_branch}"):
            branch = self._gh.rest.repos.get_branch(owner, repo, base_branch).raw_response.json()
        protection = branch.get("protection") or {}
        if branch.get("protected") and protection.get("enabled", True):
            rsc = protection.get("required_status_checks") or {}
            names += list(rsc.get("contexts") or [])
            names += [c["context"] for c in rsc.get("checks") or [] if c.get("context")]
        with self._errors(f"{repository} rules for {base_branch}"):
            try:
                rules = self._gh.rest.repos.get_branch_rules(
                    owner, repo, base_branch, per_page=PAGE_SIZE
                ).raw_response.json()
            except RequestFailed as exc:
                if exc.response.status_code != 404:
                    raise
                rules = []
        for rule in rules:
            if rule.get("type") == "required_status_checks":
                params = rule.get("parameters") or {}
                names += [c["context"] for c in params.get("required_status_checks") or []]
        return list(dict.fromkeys(names))

    def check_results(self, repository: str, number: int) -> list[CheckResult]:
        owner, repo = parse_repo_name(repository).split("/")
        with self._errors(f"{repository}#{number}"):
            pr = self._gh.rest.pulls.get(owner, repo, number).parsed_data
        return self._checks_for(owner, repo, pr.head.sha)

    def _checks_for(self, owner: str, repo: str, sha: str) -> list[CheckResult]:
        out: list[CheckResult] = []
        with self._errors(f"{owner}/{repo} checks of {sha[:12]}"):
            runs = self._gh.rest.paginate(
                self._gh.rest.checks.list_for_ref,
                map_func=lambda resp: resp.parsed_data.check_runs,
                owner=owner,
                repo=repo,
                ref=sha,
                filter_="latest",
                per_page=PAGE_SIZE,
            )
            for run in runs:
                if run.status != "completed":
                    state = CheckState.pending
                else:
                    state = _CONCLUSIONS.get(run.conclusion or "", CheckState.failure)
                output = _present(run.output)
                summary = (_present(output.summary) or "") if output is not None else ""
                out.append(CheckResult(run.name, state, summary or "", run.html_url))
            combined = self._gh.rest.repos.get_combined_status_for_ref(
                owner, repo, sha, per_page=PAGE_SIZE
            ).parsed_data
            for status in combined.statuses:
                out.append(
                    CheckResult(
                        status.context,
                        _STATUS_STATES.get(status.state, CheckState.failure),
                        status.description or "",
                        status.target_url,
                    )
                )
        return out

    def mark_ready(self, pr: PullRequest) -> None:
        if pr.node_id is None:
            raise ForgeError(f"{pr.repository}#{pr.number}: no GraphQL id to mark it ready")
        with self._errors(f"{pr.repository}#{pr.number} ready for review"):
            self._gh.graphql.request(_MARK_READY, {"id": pr.node_id})

    def enable_auto_merge(self, pr: PullRequest, method: MergeMethod) -> MergeAttempt:
        from githubkit.exception import GraphQLFailed

        if pr.node_id is None:
            raise ForgeError(f"{pr.repository}#{pr.number}: no GraphQL id to enable auto-merge")
        owner, repo = parse_repo_name(pr.repository).split("/")
        required = self.required_checks(pr.repository, pr.base_branch)
        verdict = checks_verdict(required, self._checks_for(owner, repo, pr.head_sha))
        if verdict.failing:
            return MergeAttempt(False, reason=verdict.reason, failing=True)
        variables = {"id": pr.node_id, "method": method.upper(), "head": pr.head_sha}
        with self._errors(f"{pr.repository}#{pr.number} auto-merge"):
            try:
                data = self._gh.graphql.request(_ENABLE_AUTO_MERGE, variables)
            except GraphQLFailed as exc:
                message = "; ".join(e.message for e in exc.response.errors or [])[:300]
                if "clean status" in message.lower():
                    # Already mergeable: GitHub will not arm auto-merge, so merge it ourselves.
                    return self.merge_if_green(pr, method)
                return MergeAttempt(merged=False, armed=False, reason=message)
        request = ((data.get("enablePullRequestAutoMerge") or {}).get("pullRequest") or {}).get(
            "autoMergeRequest"
        )
        if not request:
            return MergeAttempt(merged=False, armed=False, reason="GitHub did not arm auto-merge")
        return MergeAttempt(merged=False, armed=True, reason="auto-merge enabled on GitHub")

    def disable_auto_merge(self, pr: PullRequest) -> None:
        if pr.node_id is None:
            raise ForgeError(f"{pr.repository}#{pr.number}: no GraphQL id to disable auto-merge")
        with self._errors(f"{pr.repository}#{pr.number} disable auto-merge"):
            self._gh.graphql.request(_DISABLE_AUTO_MERGE, {"id": pr.node_id})

    def merge_if_green(self, pr: PullRequest, method: MergeMethod) -> MergeAttempt:
        from githubkit.exception import RequestFailed

        owner, repo = parse_repo_name(pr.repository).split("/")
        with self._errors(f"{pr.repository}#{pr.number}"):
            resp = self._gh.rest.pulls.get(owner, repo, pr.number)
            current = resp.parsed_data
        if current.merged:
            sha = _merge_commit_sha(resp)
            return MergeAttempt(True, merge_sha=sha, reason="already merged")
        if current.state != "open":
            return MergeAttempt(False, reason="pull request is closed")
        if _present(current.draft):
            return MergeAttempt(False, reason="pull request is a draft")
        if current.head.sha != pr.head_sha:
            return MergeAttempt(False, reason="head changed since it was opened; not merging")
        required = self.required_checks(pr.repository, current.base.ref)
        verdict = checks_verdict(required, self._checks_for(owner, repo, current.head.sha))
        if not verdict.green:
            return MergeAttempt(False, reason=verdict.reason, failing=bool(verdict.failing))
        state = _MERGEABLE_STATES.get(current.mergeable_state, Mergeability.unknown)
        if state is Mergeability.behind:
            with self._errors(f"{pr.repository}#{pr.number} update branch"):
                self._gh.rest.pulls.update_branch(
                    owner, repo, pr.number, data={"expected_head_sha": current.head.sha}
                )
            return MergeAttempt(False, reason="behind its base: branch updated, checks rerun")
        if state is not Mergeability.clean:
            return MergeAttempt(
                False,
                reason=f"not mergeable yet ({current.mergeable_state})",
                failing=state is Mergeability.conflict,
            )
        with self._errors(f"merge {pr.repository}#{pr.number}"):
            try:
                result = self._gh.rest.pulls.merge(
                    owner, repo, pr.number, data={"merge_method": method, "sha": pr.head_sha}
                ).parsed_data
            except RequestFailed as exc:
                if exc.response.status_code in (405, 409):
                    return MergeAttempt(False, reason=f"GitHub refused the merge: {_message(exc)}")
                raise
        return MergeAttempt(bool(result.merged), merge_sha=result.sha, reason=result.message)

    def pull_request_status(self, repository: str, number: int) -> PullRequestStatus:
        owner, repo = parse_repo_name(repository).split("/")
        with self._errors(f"{repository}#{number}"):
            resp = self._gh.rest.pulls.get(owner, repo, number)
            pr = resp.parsed_data
            reviews = self._gh.rest.paginate(
                self._gh.rest.pulls.list_reviews,
                owner=owner,
                repo=repo,
                pull_number=number,
                per_page=PAGE_SIZE,
            )
            review_list = [
                Review(
                    author=r.user.login if r.user else "ghost",
                    state=r.state,
                    body=r.body or "",
                    submitted_at=_present(r.submitted_at),
                )
                for r in reviews
            ]
            line_comments = self._gh.rest.paginate(
                self._gh.rest.pulls.list_review_comments,
                owner=owner,
                repo=repo,
                pull_number=number,
                per_page=PAGE_SIZE,
            )
            comments = [
                ReviewComment(
                    author=c.user.login if c.user else "ghost",
                    body=c.body,
                    path=c.path,
                    line=_present(c.line),
                    created_at=c.created_at,
                )
                for c in line_comments
            ]
            conversation = self._gh.rest.paginate(
                self._gh.rest.issues.list_comments,
                owner=owner,
                repo=repo,
                issue_number=number,
                per_page=PAGE_SIZE,
            )
            comments += [
                ReviewComment(
                    author=c.user.login if c.user else "ghost",
                    body=_present(c.body) or "",
                    path=None,
                    line=None,
                    created_at=c.created_at,
                )
                for c in conversation
            ]
        state = PRState.merged if pr.merged else PRState(pr.state)
        checks: list[CheckResult] = []
        required: list[str] = []
        if state is PRState.open:
            checks = self._checks_for(owner, repo, pr.head.sha)
            required = self.required_checks(repository, pr.base.ref)
        draft = bool(_present(pr.draft))
        mergeability = (
            Mergeability.draft
            if draft
            else _MERGEABLE_STATES.get(pr.mergeable_state, Mergeability.unknown)
        )
        return PullRequestStatus(
            repository=repository,
            number=number,
            state=state,
            draft=draft,
            head_sha=pr.head.sha,
            base_branch=pr.base.ref,
            mergeability=mergeability,
            auto_merge_enabled=pr.auto_merge is not None,
            merge_sha=_merge_commit_sha(resp) if pr.merged else None,
            merged_at=pr.merged_at,
            closed_at=pr.closed_at,
            labels=tuple(label.name for label in pr.labels),
            checks=tuple(checks),
            required_checks=tuple(required),
            reviews=tuple(review_list),
            comments=tuple(comments),
        )

    def close_pull_request(self, repository: str, number: int, comment: str | None = None) -> None:
        owner, repo = parse_repo_name(repository).split("/")
        if comment:
            self.comment(repository, number, comment)
        with self._errors(f"close {repository}#{number}"):
            self._gh.rest.pulls.update(owner, repo, number, data={"state": "closed"})


def _present(value: Any) -> Any:
    from githubkit.utils import UNSET

    return None if value is UNSET else value


def _merge_commit_sha(resp: Any) -> str | None:
    # Read from the JSON: newer REST API versions' typed PullRequest model omits this field.
    body = resp.raw_response.json()
    return body.get("merge_commit_sha") if isinstance(body, dict) else None


def _message(exc: Any) -> str:
    try:
        body = exc.response.json()
    except ValueError:
        return ""
    return str(body.get("message", ""))[:200] if isinstance(body, dict) else ""
