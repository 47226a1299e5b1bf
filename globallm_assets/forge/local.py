"""The local forge: bare git repositories under the data dir, pull requests in PostgreSQL.

Not a mock: the demo's pull requests and merges happen here, and both halves can be inspected —
``git -C <data_dir>/forge/<owner>/<name>.git log main`` and the ``local_*`` tables.

How it behaves like a code host:

- **Push**: a branch is pushed with ``git push`` into the repository's bare repository (the
  agent has push rights here, so there are no forks).
- **Required check**: when a pull request is opened (and again when its base moved), the forge
  merges the head into the current base in a temporary clone — GitHub's ``refs/pull/<n>/merge``,
  which it also writes into the bare repository — and runs the repository's ``check_command``
  there in the sandbox (:func:`~globallm_assets.fixer.sandbox.run_sandboxed`). The run is a row
  in ``local_check_runs`` named ``globallm/sandboxed-tests``. A repository registered without a
  check command requires no check.
- **Merge**: only a pull request whose required check passed on the merge of its *current* head
  into the *current* base is merged, and what lands is exactly the tested tree: the tested merge
  commit itself (``merge``) or a commit with its tree on top of the base (``squash``). The base
  ref moves with ``git update-ref <ref> <new> <old>``, a compare-and-swap: if another merge
  moved the base in between, nothing lands and the pull request waits for a fresh check. The
  database row flips to merged in the same transaction; every forge commit carries a
  ``Pull-Request: #<n>`` trailer so a merge whose row update was lost is recognised later.
- **Issues** are the store's ``issues`` rows (the world's issue tracker); a merged pull request
  closes the issue it fixes, like GitHub's closing keywords.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import psycopg

from globallm_assets.core.issue_scores import OPT_OUT_CONFIG_PATH, repository_opt_out
from globallm_assets.core.models import parse_repo_name
from globallm_assets.fixer.sandbox import SandboxLimits, run_sandboxed
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
from globallm_assets.forge.git import FORGE_IDENTITY, GitError, run_git
from globallm_assets.observability import redact
from globallm_assets.store import forge as store

REQUIRED_CHECK = "globallm/sandboxed-tests"
# Characters of the check's output kept in its summary (the tail, where failures are).
SUMMARY_CHARS = 4000
_CONCLUSION_STATE = {
    "success": CheckState.success,
    "failure": CheckState.failure,
    "timed_out": CheckState.failure,
    "cancelled": CheckState.failure,
}
CONFLICT_SUMMARY = "merge conflict with the base branch"


class LocalForge:
    """A code host on this machine (see the module docstring)."""

    def __init__(
        self,
        root: Path,
        dsn: str,
        *,
        limits: SandboxLimits,
        sandbox_required: bool = True,
        author: str = "globallm",
        git_timeout: float = 300.0,
        logger: logging.Logger | None = None,
    ) -> None:
        self.root = Path(root)
        self._dsn = dsn
        self._limits = limits
        self._sandbox_required = sandbox_required
        self._author = author
        self._git_timeout = git_timeout
        self._log = logger or logging.getLogger(__name__)

    def __repr__(self) -> str:
        return f"LocalForge(root={str(self.root)!r})"

    @property
    def info(self) -> ForgeInfo:
        return ForgeInfo(kind="local")

    # ------------------------------------------------------------------ plumbing

    def _connect(self) -> psycopg.Connection:
        from globallm_assets.store.db import pool

        return pool(self._dsn).connection()  # type: ignore[return-value]

    def _git(self, args: Sequence[str], cwd: Path | None = None, **kw: Any) -> str:
        return run_git(args, cwd=cwd, timeout=self._git_timeout, **kw).stdout.strip()

    def bare_path(self, repository: str) -> Path:
        owner, name = parse_repo_name(repository).lower().split("/")
        return self.root / owner / f"{name}.git"

    def _repository(self, conn: psycopg.Connection, repository: str) -> store.LocalRepository:
        repo = store.get_repository(conn, repository)
        if repo is None:
            raise ForgeError(f"{repository} is not hosted on the local forge")
        return repo

    def _ref_sha(self, bare: Path, ref: str) -> str | None:
        proc = run_git(
            ["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], cwd=bare, check=False
        )
        return proc.stdout.strip() or None

    @staticmethod
    def pull_url(repository: str, number: int) -> str:
        return f"local-forge://{repository}/pull/{number}"

    # ------------------------------------------------------------------ hosting

    def create_repository(
        self,
        repository: str,
        source: Path,
        *,
        default_branch: str = "main",
        check_command: Sequence[str] | None = None,
        allow_auto_merge: bool = True,
    ) -> Path:
        """Host ``source`` (a git repository) as ``repository``; returns the bare path.

        ``check_command`` is the argv of the required check, e.g. ``python -m pytest -q``.
        """
        name = parse_repo_name(repository)
        bare = self.bare_path(name)
        if not bare.exists():
            bare.parent.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(prefix=f".{bare.name}.", dir=bare.parent))
            try:
                self._git(["clone", "--quiet", "--bare", str(source), str(staging / "repo.git")])
                if self._ref_sha(staging / "repo.git", f"refs/heads/{default_branch}") is None:
                    raise ForgeError(f"{source} has no branch {default_branch!r}")
                (staging / "repo.git").rename(bare)
            finally:
                shutil.rmtree(staging, ignore_errors=True)
        with self._connect() as conn:
            store.register_repository(
                conn,
                name,
                str(bare),
                default_branch=default_branch,
                check_command=check_command,
                allow_auto_merge=allow_auto_merge,
            )
        return bare

    # ------------------------------------------------------------------ issues

    def issue_status(self, repository: str, number: int) -> IssueStatus:
        with self._connect() as conn:
            repo = self._repository(conn, repository)
            issue = store.stored_issue(conn, repository, number)
            if issue is None:
                raise ForgeError(f"{repository}#{number}: no such issue")
            linked = store.open_pull_requests_for_issue(conn, repository, number)
        opt_out = (issue.opt_out_reason or "opted out") if issue.opted_out else None
        if opt_out is None:
            text = self._file_on(Path(repo.bare_path), repo.default_branch, OPT_OUT_CONFIG_PATH)
            opt_out = repository_opt_out(text, list(issue.topics))
        return IssueStatus(
            repository=repository,
            number=number,
            url=f"local-forge://{repository}/issues/{number}",
            state=issue.state,
            locked=issue.locked,
            assignees=issue.assignees,
            open_pull_requests=tuple(linked),
            opt_out=opt_out,
        )

    def _file_on(self, bare: Path, branch: str, path: str) -> str | None:
        proc = run_git(["show", f"refs/heads/{branch}:{path}"], cwd=bare, check=False)
        return proc.stdout if proc.returncode == 0 else None

    # ------------------------------------------------------------------ push

    def ensure_push_access(self, repository: str) -> PushTarget:
        with self._connect() as conn:
            repo = self._repository(conn, repository)
        return PushTarget(repo.name, repo.bare_path, is_fork=False)

    def push_branch(self, target: PushTarget, workdir: Path, commit: str, branch: str) -> None:
        self._git(
            [
                "push",
                "--porcelain",
                "--no-verify",
                target.remote_url,
                f"{commit}:refs/heads/{branch}",
            ],
            cwd=workdir,
        )

    def delete_branch(self, target: PushTarget, branch: str) -> None:
        self._git(["update-ref", "-d", f"refs/heads/{branch}"], cwd=Path(target.remote_url))

    # ------------------------------------------------------------------ pull requests

    def open_pull_request(
        self, repository: str, target: PushTarget, request: PullRequestRequest
    ) -> PullRequest:
        with self._connect() as conn:
            repo = self._repository(conn, repository)
        bare = Path(repo.bare_path)
        head_sha = self._ref_sha(bare, f"refs/heads/{request.head_branch}")
        if head_sha is None:
            raise ForgeError(f"{repository}: branch {request.head_branch!r} was not pushed")
        if self._ref_sha(bare, f"refs/heads/{request.base_branch}") is None:
            raise ForgeError(f"{repository}: no base branch {request.base_branch!r}")
        try:
            with self._connect() as conn:
                row = store.insert_pull_request(
                    conn,
                    repository=repo.name,
                    title=request.title,
                    body=request.body,
                    author=self._author,
                    issue_number=request.issue_number,
                    head_branch=request.head_branch,
                    head_sha=head_sha,
                    base_branch=request.base_branch,
                    draft=request.draft,
                    labels=list(dict.fromkeys(request.labels)),
                )
        except psycopg.errors.UniqueViolation:
            raise ForgeError(
                f"{repository}: a pull request for {request.head_branch} is already open"
            ) from None
        pr = PullRequest(
            repository=repo.name,
            number=row["number"],
            url=self.pull_url(repo.name, row["number"]),
            head_repository=repo.name,
            head_branch=request.head_branch,
            head_sha=head_sha,
            base_branch=request.base_branch,
            draft=request.draft,
            labels=tuple(row["labels"]),
        )
        # Like CI on GitHub: the required check runs as soon as the pull request exists.
        self._run_check(repo, row)
        return pr

    def comment(self, repository: str, number: int, body: str) -> None:
        with self._connect() as conn:
            row = self._pr(conn, repository, number)
            store.add_comment(conn, row["id"], self._author, body)

    def review(
        self,
        repository: str,
        number: int,
        *,
        author: str,
        state: str,
        body: str = "",
        comments: Sequence[tuple[str, int | None, str]] = (),
    ) -> None:
        """A maintainer's review (APPROVED / CHANGES_REQUESTED / COMMENTED) with line comments
        ``(path, line, body)``: how people act on the local forge."""
        with self._connect() as conn:
            row = self._pr(conn, repository, number)
            store.add_review(conn, row["id"], author, state, body)
            for path, line, text in comments:
                store.add_comment(conn, row["id"], author, text, path=path, line=line)

    def _pr(
        self, conn: psycopg.Connection, repository: str, number: int, *, for_update: bool = False
    ) -> dict[str, Any]:
        row = store.get_pull_request(conn, repository, number, for_update=for_update)
        if row is None:
            raise ForgeError(f"{repository}#{number}: no such pull request")
        return row

    def _live(self, repository: str, number: int) -> tuple[store.LocalRepository, dict[str, Any]]:
        """The repository and the pull request with its head as the branch is *now*: a push to
        an open pull request's branch moves its head (its old check results no longer apply)."""
        with self._connect() as conn:
            repo = self._repository(conn, repository)
            row = self._pr(conn, repository, number)
            if row["state"] == "open":
                live = self._ref_sha(Path(repo.bare_path), f"refs/heads/{row['head_branch']}")
                if live is not None and live != row["head_sha"]:
                    store.update_pull_request(conn, row["id"], head_sha=live)
                    row = {**row, "head_sha": live}
        return repo, row

    def required_checks(self, repository: str, base_branch: str) -> list[str]:
        with self._connect() as conn:
            repo = self._repository(conn, repository)
        return [REQUIRED_CHECK] if repo.check_command else []

    def check_results(self, repository: str, number: int) -> list[CheckResult]:
        _, row = self._live(repository, number)
        with self._connect() as conn:
            runs = store.latest_check_runs(conn, row["id"])
        return [_check_result(run) for run in runs if run["head_sha"] == row["head_sha"]]

    def mark_ready(self, pr: PullRequest) -> None:
        with self._connect() as conn:
            row = self._pr(conn, pr.repository, pr.number)
            store.update_pull_request(conn, row["id"], draft=False)

    # ------------------------------------------------------------------ checks

    def _run_check(self, repo: store.LocalRepository, row: dict[str, Any]) -> _Tested:
        """Merge head into base in a scratch clone, keep it as refs/pull/<n>/merge, and run the
        required check on it (recorded as a check run when the repository has a command)."""
        bare = Path(repo.bare_path)
        number = row["number"]
        base_sha = self._ref_sha(bare, f"refs/heads/{row['base_branch']}")
        head_sha = self._ref_sha(bare, f"refs/heads/{row['head_branch']}") or row["head_sha"]
        if base_sha is None:
            raise ForgeError(f"{repo.name}: base branch {row['base_branch']!r} is gone")
        if head_sha != row["head_sha"]:
            with self._connect() as conn:
                store.update_pull_request(conn, row["id"], head_sha=head_sha)
        run_id: int | None = None
        if repo.check_command:
            with self._connect() as conn:
                run_id = store.start_check_run(
                    conn, row["id"], REQUIRED_CHECK, head_sha=head_sha, base_sha=base_sha
                )
        tested = _Tested("cancelled", "", None, base_sha, head_sha)
        scratch = Path(tempfile.mkdtemp(prefix=f"pr-{number}-", dir=self._scratch_dir()))
        try:
            tested = self._merge_and_test(repo, row, scratch / "merge", base_sha, head_sha)
        except Exception as exc:
            # The check infrastructure failed (e.g. no sandbox): the check fails, visibly.
            tested = replace(tested, summary=f"check could not run: {redact(str(exc))[:300]}")
            if run_id is None:
                raise
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
            if run_id is not None:
                with self._connect() as conn:
                    store.finish_check_run(
                        conn,
                        run_id,
                        conclusion=tested.conclusion,
                        summary=tested.summary,
                        merge_sha=tested.merge_sha,
                    )
        return tested

    def _merge_and_test(
        self,
        repo: store.LocalRepository,
        row: dict[str, Any],
        work: Path,
        base_sha: str,
        head_sha: str,
    ) -> _Tested:
        bare = Path(repo.bare_path)
        number = row["number"]
        self._git(["clone", "--quiet", "--no-checkout", str(bare), str(work)])
        self._git(["checkout", "--quiet", "--detach", base_sha], cwd=work)
        merged = run_git(
            ["merge", "--no-ff", "--no-edit", "-m", _merge_message(row), head_sha],
            cwd=work,
            env=FORGE_IDENTITY,
            check=False,
            timeout=self._git_timeout,
        )
        if merged.returncode != 0:
            return _Tested("failure", CONFLICT_SUMMARY, None, base_sha, head_sha)
        merge_sha = self._git(["rev-parse", "HEAD"], cwd=work)
        # Keep the tested merge in the bare repository, where the merge will take it from.
        self._git(
            ["fetch", "--quiet", str(work), f"+{merge_sha}:refs/pull/{number}/merge"], cwd=bare
        )
        self._git(["update-ref", f"refs/pull/{number}/head", head_sha], cwd=bare)
        if not repo.check_command:
            return _Tested("success", "no required check", merge_sha, base_sha, head_sha)
        conclusion, summary = self._sandboxed_check(work, list(repo.check_command))
        return _Tested(conclusion, summary, merge_sha, base_sha, head_sha)

    def _scratch_dir(self) -> Path:
        path = self.root / ".scratch"
        path.mkdir(parents=True, exist_ok=True)
        return path

    def _sandboxed_check(self, work: Path, argv: list[str]) -> tuple[str, str]:
        result = run_sandboxed(work, argv, limits=self._limits, required=self._sandbox_required)
        tail = redact(result.output[-SUMMARY_CHARS:])
        if result.killed == "wall":
            return "timed_out", f"killed after {result.duration_s:.0f}s\n{tail}"
        where = "" if result.sandboxed else " (NOT sandboxed: sandbox.required is false)"
        head = f"$ {' '.join(argv)}  → exit {result.exit_code}{where}"
        if result.killed:
            head += f", killed ({result.killed})"
        return ("success" if result.ok else "failure"), f"{head}\n{tail}"

    # ------------------------------------------------------------------ merging

    def enable_auto_merge(self, pr: PullRequest, method: MergeMethod) -> MergeAttempt:
        """Record the request and merge at once when already green; the local forge has no
        background worker, so a pull request that is not green yet is merged by the poll."""
        with self._connect() as conn:
            repo = self._repository(conn, pr.repository)
            row = self._pr(conn, pr.repository, pr.number)
            if not repo.allow_auto_merge:
                return MergeAttempt(False, reason="auto-merge is not allowed for this repository")
            if row["draft"]:
                return MergeAttempt(False, reason="pull request is a draft")
            store.update_pull_request(conn, row["id"], auto_merge=True, merge_method=method)
        return self.merge_if_green(pr, method)

    def disable_auto_merge(self, pr: PullRequest) -> None:
        with self._connect() as conn:
            row = self._pr(conn, pr.repository, pr.number)
            store.update_pull_request(conn, row["id"], auto_merge=False)

    def merge_if_green(self, pr: PullRequest, method: MergeMethod) -> MergeAttempt:
        if method == "rebase":
            raise ForgeError("the local forge merges with 'merge' or 'squash', not 'rebase'")
        repo, row = self._live(pr.repository, pr.number)
        early = self._not_mergeable(row, pr)
        if early is not None:
            return early
        bare = Path(repo.bare_path)
        base_sha = self._ref_sha(bare, f"refs/heads/{row['base_branch']}")
        tested = self._current_run(repo, row, base_sha) or self._run_check(repo, row)
        if tested.head_sha != pr.head_sha:
            return MergeAttempt(False, reason="head changed since it was opened; not merging")
        if tested.conclusion != "success" or tested.merge_sha is None:
            what = "found a merge conflict" if tested.summary == CONFLICT_SUMMARY else "failed"
            return MergeAttempt(
                False, reason=f"required check {REQUIRED_CHECK} {what}", failing=True
            )
        return self._land(repo, row, tested, method)

    def _not_mergeable(self, row: dict[str, Any], pr: PullRequest) -> MergeAttempt | None:
        if row["state"] == "merged":
            return MergeAttempt(True, merge_sha=row["merge_sha"], reason="already merged")
        if row["state"] != "open":
            return MergeAttempt(False, reason="pull request is closed")
        if row["draft"]:
            return MergeAttempt(False, reason="pull request is a draft")
        if row["head_sha"] != pr.head_sha:
            return MergeAttempt(False, reason="head changed since it was opened; not merging")
        return None

    def _current_run(
        self, repo: store.LocalRepository, row: dict[str, Any], base_sha: str | None
    ) -> _Tested | None:
        """The latest required-check run, if it tested this head on this base."""
        if not repo.check_command:
            return None  # nothing recorded to reuse: merge afresh (cheap without tests)
        with self._connect() as conn:
            runs = store.latest_check_runs(conn, row["id"])
        run = next((r for r in runs if r["name"] == REQUIRED_CHECK), None)
        if run is None or run["status"] != "completed":
            return None
        if run["head_sha"] != row["head_sha"] or run["base_sha"] != base_sha:
            return None
        return _Tested(
            run["conclusion"], run["summary"], run["merge_sha"], run["base_sha"], run["head_sha"]
        )

    def _land(
        self,
        repo: store.LocalRepository,
        row: dict[str, Any],
        tested: _Tested,
        method: MergeMethod,
    ) -> MergeAttempt:
        bare = Path(repo.bare_path)
        base_ref = f"refs/heads/{row['base_branch']}"
        old = tested.base_sha
        new = tested.merge_sha
        assert new is not None
        if method == "squash":
            tree = self._git(["rev-parse", f"{new}^{{tree}}"], cwd=bare)
            message = f"{row['title']} (#{row['number']})\n\n{_trailer(row)}\n"
            new = run_git(
                ["commit-tree", tree, "-p", old, "-F", "-"],
                cwd=bare,
                env=FORGE_IDENTITY,
                input_text=message,
                timeout=self._git_timeout,
            ).stdout.strip()
        with self._connect() as conn:
            locked = self._pr(conn, row["repository"], row["number"], for_update=True)
            if locked["state"] != "open" or locked["head_sha"] != tested.head_sha:
                return MergeAttempt(False, reason="pull request changed while merging")
            store.update_pull_request(
                conn,
                row["id"],
                state="merged",
                merge_sha=new,
                merged_at=_now(conn),
                closed_at=_now(conn),
                auto_merge=False,
            )
            if row["issue_number"]:
                store.close_issue(conn, row["repository"], row["issue_number"])
            try:
                # Compare-and-swap: lands only if the base is still the one that was tested.
                self._git(["update-ref", base_ref, new, old], cwd=bare)
            except GitError:
                conn.rollback()
                return MergeAttempt(False, reason="the base branch moved; the check runs again")
        self._log.info(
            "local forge: merged %s#%s into %s", row["repository"], row["number"], base_ref
        )
        return MergeAttempt(True, merge_sha=new, reason=f"merged ({method})")

    # ------------------------------------------------------------------ status

    def pull_request_status(self, repository: str, number: int) -> PullRequestStatus:
        repo, row = self._live(repository, number)
        with self._connect() as conn:
            runs = store.latest_check_runs(conn, row["id"])
            reviews, comments = store.reviews_and_comments(conn, row["id"])
        bare = Path(repo.bare_path)
        if row["state"] == "open":
            row = self._reconcile(row, bare)
        checks = [_check_result(r) for r in runs if r["head_sha"] == row["head_sha"]]
        required = [REQUIRED_CHECK] if repo.check_command else []
        base_sha = self._ref_sha(bare, f"refs/heads/{row['base_branch']}")
        return PullRequestStatus(
            repository=repo.name,
            number=number,
            state=PRState(row["state"]),
            draft=row["draft"],
            head_sha=row["head_sha"],
            base_branch=row["base_branch"],
            mergeability=self._mergeability(row, runs, required, checks, base_sha),
            auto_merge_enabled=row["auto_merge"],
            merge_sha=row["merge_sha"],
            merged_at=row["merged_at"],
            closed_at=row["closed_at"] if row["state"] != "open" else None,
            labels=tuple(row["labels"]),
            checks=tuple(checks),
            required_checks=tuple(required),
            reviews=tuple(
                Review(r["author"], r["state"], r["body"], r["submitted_at"]) for r in reviews
            ),
            comments=tuple(
                ReviewComment(c["author"], c["body"], c["path"], c["line"], c["created_at"])
                for c in comments
            ),
        )

    def _mergeability(
        self,
        row: dict[str, Any],
        runs: list[dict[str, Any]],
        required: list[str],
        checks: list[CheckResult],
        base_sha: str | None,
    ) -> Mergeability:
        if row["state"] != "open":
            return Mergeability.unknown
        if row["draft"]:
            return Mergeability.draft
        run = next((r for r in runs if r["name"] == REQUIRED_CHECK), None)
        if run is not None and run["summary"] == CONFLICT_SUMMARY:
            return Mergeability.conflict
        if run is not None and run["base_sha"] != base_sha:
            return Mergeability.behind
        if not checks_verdict(required, checks).green:
            return Mergeability.blocked
        return Mergeability.clean

    def _reconcile(self, row: dict[str, Any], bare: Path) -> dict[str, Any]:
        """An open row whose merge landed in git (the row update was lost) becomes merged."""
        found = run_git(
            [
                "log",
                "--format=%H",
                "-n1",
                f"--grep=^{_trailer(row)}$",
                f"refs/heads/{row['base_branch']}",
            ],
            cwd=bare,
            check=False,
        ).stdout.strip()
        if not found:
            return row
        with self._connect() as conn:
            store.update_pull_request(
                conn, row["id"], state="merged", merge_sha=found, merged_at=_now(conn),
                closed_at=_now(conn), auto_merge=False,
            )  # fmt: skip
            return self._pr(conn, row["repository"], row["number"])

    def close_pull_request(self, repository: str, number: int, comment: str | None = None) -> None:
        with self._connect() as conn:
            row = self._pr(conn, repository, number, for_update=True)
            if comment:
                store.add_comment(conn, row["id"], self._author, comment)
            if row["state"] == "open":
                store.update_pull_request(
                    conn, row["id"], state="closed", closed_at=_now(conn), auto_merge=False
                )


@dataclass(frozen=True)
class _Tested:
    """The required check's verdict on one merge of ``head_sha`` into ``base_sha``."""

    conclusion: str
    summary: str
    merge_sha: str | None
    base_sha: str
    head_sha: str


def _check_result(run: dict[str, Any]) -> CheckResult:
    state = (
        _CONCLUSION_STATE.get(run["conclusion"], CheckState.failure)
        if run["status"] == "completed"
        else CheckState.pending
    )
    return CheckResult(run["name"], state, run["summary"])


def _trailer(row: dict[str, Any]) -> str:
    return f"Pull-Request: #{row['number']}"


def _merge_message(row: dict[str, Any]) -> str:
    return (
        f"Merge pull request #{row['number']} from {row['head_branch']}\n\n"
        f"{row['title']}\n\n{_trailer(row)}"
    )


def _now(conn: psycopg.Connection) -> Any:
    row = conn.execute("SELECT now()").fetchone()
    assert row is not None
    return row[0]
