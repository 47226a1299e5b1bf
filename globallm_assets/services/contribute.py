"""Contribute a validated fix: guards, one pull request, the risk policy's merge action, outcomes.

:func:`contribute` turns a :class:`~globallm_assets.fixer.models.FixResult` into at most one pull
request, in this order, stopping at the first refusal with nothing pushed:

1. **Validation**: only a ``validated`` fix whose commits are in its workspace goes anywhere.
2. **Risk**, re-assessed here from the diff git shows between ``base_sha`` and ``head_sha`` (what
   would be pushed, not the diff text handed over), the worse of that and the fixer's assessment:
   LOW → a pull request with auto-merge; MEDIUM → a draft that is marked ready and auto-merged
   once its required checks pass, with a comment telling maintainers so (the notification);
   HIGH → a draft for manual review; CRITICAL → nothing is pushed.
3. **Secrets**: the diff, the commit messages and the pull-request text are scanned for token and
   key patterns and every configured secret value; a hit refuses the contribution.
4. **Etiquette** (SWE-agent's and Renovate's lessons): an opted-out repository (settings, the
   repository's ``.github/globallm.yml`` or topic), a closed, locked or assigned issue, or one an
   open pull request already references is skipped — asked of the forge right before pushing.
   Per-repository caps on open pull requests and new ones per hour are taken as a slot in SQL.
5. **Push and open**; everything above LOW opens as a draft. A failure after the push deletes
   the branch again; a pull request that cannot be recorded is closed again. Where the branch
   goes is recorded before the push, so the poll deletes any branch a failed or abandoned
   contribution left behind, and a pull request's branch once it is merged or closed
   (:func:`delete_finished_branches`). Every attempt,
   refused or failed included, is a ``contributions`` row; every pull request a ``pr_outcomes``
   row.

Auto-merge: at most one per base branch at a time (a unique index decides). On GitHub the host
merges once green (GraphQL ``enablePullRequestAutoMerge``); where it cannot (the local forge, or
a repository without auto-merge) :func:`refresh_outcomes` merges once green and up to date.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

from globallm_assets.core.risk import (
    SECRET_PATTERNS,
    RiskAction,
    RiskAssessment,
    assess,
    scan_secrets,
)
from globallm_assets.fixer.models import FixResult, TestRun
from globallm_assets.forge.base import (
    Forge,
    ForgeError,
    MergeAttempt,
    MergeMethod,
    PRState,
    PullRequest,
    PullRequestRequest,
    PullRequestStatus,
    checks_verdict,
)
from globallm_assets.forge.git import run_git
from globallm_assets.observability import redact
from globallm_assets.settings import ConfigError, Settings, secret_values
from globallm_assets.store import forge as store

log = logging.getLogger(__name__)

# Pull-request titles longer than this are cut (GitHub shows ~70 characters in lists).
TITLE_CHARS = 100
# Configured or environment values shorter than this would match ordinary words.
MIN_SECRET_CHARS = 8
_CREDENTIAL_NAME = re.compile(r"TOKEN|SECRET|PASSW|API_?KEY|CREDENTIAL|PRIVATE_KEY", re.I)
_TEST_DOUBLE = re.compile(r"scripted|replay", re.I)


@dataclass(frozen=True)
class ContributionReport:
    """What happened to one fix. ``status``: merged | auto_merge | open | draft | dry_run |
    skipped | refused | failed."""

    repository: str
    issue_number: int
    status: str
    reason: str
    forge: str
    risk_level: str | None = None
    risk_action: str | None = None
    pr_number: int | None = None
    pr_url: str | None = None
    draft: bool = False
    auto_merge: str = "off"
    labels: tuple[str, ...] = ()
    title: str = ""
    body: str = ""
    contribution_id: int | None = None

    @property
    def pushed(self) -> bool:
        return self.pr_number is not None

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["labels"] = list(self.labels)
        return data


@dataclass
class RefreshReport:
    refreshed: int = 0
    merged: list[str] = field(default_factory=list)
    closed: list[str] = field(default_factory=list)
    armed: list[str] = field(default_factory=list)
    abandoned: int = 0  # contributions whose agent died mid-push, now marked failed
    branches_deleted: int = 0  # branches of failed, abandoned, merged or closed work removed
    errors: list[str] = field(default_factory=list)
    # Repositories whose maintainers asked for no automated pull requests (services/learning).
    opted_out: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __str__(self) -> str:
        return (
            f"{self.refreshed} refreshed, {len(self.merged)} merged, {len(self.closed)} closed, "
            f"{len(self.armed)} auto-merge armed, {len(self.errors)} error(s)"
        )


# --------------------------------------------------------------------------- forges


def open_forge(settings: Settings, dsn: str) -> Forge:
    """The configured forge: the local one for the simulated world, GitHub for the real one."""
    kind = settings.forge.kind
    if kind == "auto":
        kind = "local" if settings.source.kind == "simulated" else "github"
    if kind == "local":
        from globallm_assets.fixer.sandbox import SandboxLimits
        from globallm_assets.forge.local import LocalForge

        root = settings.forge.local_root or Path(settings.data_dir) / "forge"
        return LocalForge(
            root,
            dsn,
            limits=SandboxLimits.from_settings(settings),
            sandbox_required=settings.sandbox.required,
            git_timeout=settings.forge.git_timeout,
        )
    tokens = settings.github.all_tokens()
    if not tokens:
        raise ConfigError(
            "contributing to GitHub needs a token: set GITHUB_TOKEN (push and pull-request rights)"
        )
    from globallm_assets.forge.github import GitHubForge

    return GitHubForge(
        tokens[0],
        api_url=settings.github.api_url,
        git_timeout=settings.forge.git_timeout,
        fork_wait=settings.forge.fork_wait,
    )


# --------------------------------------------------------------------------- contribute


def contribute(
    settings: Settings,
    fix: FixResult,
    *,
    forge: Forge | None = None,
    dsn: str | None = None,
    auto_merge: bool = True,
    dry_run: bool = False,
) -> ContributionReport:
    """Open (at most) one pull request for ``fix`` under the risk policy and etiquette guards.

    ``auto_merge=False`` (``--no-auto-merge``) never merges automatically. ``dry_run`` stops
    before the push and returns the pull request it would open; nothing is recorded.
    """
    if dsn is None:
        from globallm_assets.store.db import prepare

        dsn = prepare(settings).dsn
    forge = forge or open_forge(settings, dsn)
    run = _Run(
        settings, fix, forge, dsn, auto_merge=auto_merge and settings.forge.auto_merge,
        dry_run=dry_run,
    )  # fmt: skip
    return run.execute()


class _Run:
    """One contribution attempt; every exit goes through ``_finish`` so it is recorded."""

    def __init__(
        self,
        settings: Settings,
        fix: FixResult,
        forge: Forge,
        dsn: str,
        *,
        auto_merge: bool,
        dry_run: bool = False,
    ) -> None:
        self.settings = settings
        self.dry_run = dry_run
        self.fix = fix
        self.forge = forge
        self.kind = forge.info.kind
        self.dsn = dsn
        self.auto_merge = auto_merge
        self.risk: RiskAssessment | None = fix.risk
        self.title = ""
        self.body = ""

    def _connect(self) -> Any:
        from globallm_assets.store.db import pool

        return pool(self.dsn).connection()

    def _report(self, status: str, reason: str, **extra: Any) -> ContributionReport:
        return ContributionReport(
            repository=self.fix.repository,
            issue_number=self.fix.issue_number,
            status=status,
            reason=reason,
            forge=self.kind,
            risk_level=self.risk.level.value if self.risk else None,
            risk_action=self.risk.action.value if self.risk else None,
            title=self.title,
            body=self.body,
            **extra,
        )

    def _stop(self, status: str, reason: str) -> ContributionReport:
        """A contribution that never reached the forge: recorded, nothing pushed. A dry run
        records nothing: it only previews what a real run would do."""
        fix = self.fix
        if self.dry_run:
            log.info("dry run %s#%s: %s (%s)", fix.repository, fix.issue_number, status, reason)
            return self._report(status, reason)
        with self._connect() as conn:
            cid = store.record_contribution(
                conn,
                forge=self.kind,
                repository=fix.repository,
                issue_number=fix.issue_number,
                status=status,
                reason=reason,
                solution_id=fix.solution_id,
                branch=fix.branch,
                base_branch=fix.base_branch,
                head_sha=fix.head_sha,
                risk_level=self.risk.level.value if self.risk else None,
            )
        log.info("contribute %s#%s: %s (%s)", fix.repository, fix.issue_number, status, reason)
        return self._report(status, reason, contribution_id=cid)

    def execute(self) -> ContributionReport:
        fix = self.fix
        if not fix.validated or fix.head_sha is None:
            why = fix.reason or "no validated change"
            return self._stop("refused", f"fix is not validated ({fix.outcome.value}: {why})")
        try:
            diff, messages = _pushed_change(fix)
        except ForgeError as exc:
            return self._stop("refused", f"the fix's commits are not in its workspace: {exc}")
        known = _known_secrets(self.settings)
        self.risk = _effective_risk(fix, diff, known)
        if self.risk.refused or not self.risk.may_open_pull_request:
            return self._stop("refused", f"risk {self.risk.level.value}: {_reasons(self.risk)}")

        skip = self._etiquette()
        if skip is not None:
            return self._stop("skipped", skip)
        try:
            status = self.forge.issue_status(fix.repository, fix.issue_number)
        except ForgeError as exc:
            return self._stop("failed", _one_line(exc, "read the issue on the forge"))
        refusal = status.refusal()
        if refusal is not None:
            return self._stop("skipped", refusal)

        self.title = _title(fix)
        self.body = pr_body(fix, self.risk, issue_url=status.url, auto_merge=self.auto_merge)
        leak = _secret_leak(diff, [self.title, self.body, *messages], known)
        if leak is not None:
            return self._stop("refused", leak)
        labels = _labels(self.settings, fix.category)
        draft = self.risk.draft
        if self.dry_run:
            return self._report("dry_run", "stopped before the push (--dry-run)", draft=draft)

        with self._connect() as conn:
            cid, why = store.reserve_contribution(
                conn,
                forge=self.kind,
                repository=fix.repository,
                issue_number=fix.issue_number,
                solution_id=fix.solution_id,
                branch=fix.branch,
                base_branch=fix.base_branch,
                head_sha=fix.head_sha,
                risk_level=self.risk.level.value,
                max_open=self.settings.forge.max_open_prs_per_repo,
                max_per_hour=self.settings.forge.max_prs_per_hour_per_repo,
            )
        if cid is None:
            return self._stop("skipped", why or "per-repository cap reached")
        request = PullRequestRequest(
            title=self.title,
            body=self.body,
            head_branch=fix.branch,
            base_branch=fix.base_branch,
            draft=draft,
            issue_number=fix.issue_number,
            labels=tuple(labels),
        )
        return self._push_and_open(cid, request)

    def _etiquette(self) -> str | None:
        fix = self.fix
        opted = {name.lower() for name in self.settings.forge.opted_out_repositories}
        if fix.repository.lower() in opted:
            return "repository opted out (forge.opted_out_repositories)"
        with self._connect() as conn:
            ours = store.open_outcomes_for_issue(conn, self.kind, fix.repository, fix.issue_number)
        if ours:
            return f"GlobaLLM already has pull request #{ours[0]} open for this issue"
        return None

    def _push_and_open(self, cid: int, request: PullRequestRequest) -> ContributionReport:
        fix = self.fix
        assert fix.head_sha is not None and self.risk is not None
        pushed = False
        target = None
        try:
            target = self.forge.ensure_push_access(fix.repository)
            with self._connect() as conn:
                store.set_push_target(
                    conn, cid, target.repository, target.remote_url, target.is_fork
                )
            self.forge.push_branch(target, fix.workspace, fix.head_sha, fix.branch)
            pushed = True
            with self._connect() as conn:
                store.set_contribution(conn, cid, "pushed")
            pr = self.forge.open_pull_request(fix.repository, target, request)
        except Exception as exc:
            reason = _one_line(exc, "push" if not pushed else "open the pull request")
            if pushed and target is not None:
                self._undo_push(target, cid)
            with self._connect() as conn:
                if not pushed:
                    # Nothing of ours landed; a branch of that name, if any, is not ours.
                    store.set_push_target(conn, cid, None, None, None)
                store.set_contribution(conn, cid, "failed", reason=reason)
            return self._report("failed", reason, contribution_id=cid)
        try:
            with self._connect() as conn, conn.transaction():
                store.set_contribution(conn, cid, "opened", pr_number=pr.number)
                store.insert_outcome(
                    conn,
                    forge=self.kind,
                    repository=fix.repository,
                    number=pr.number,
                    contribution_id=cid,
                    issue_number=fix.issue_number,
                    solution_id=fix.solution_id,
                    url=pr.url,
                    head_repository=pr.head_repository,
                    head_branch=pr.head_branch,
                    head_sha=pr.head_sha,
                    base_branch=pr.base_branch,
                    risk_level=self.risk.level.value,
                    draft=pr.draft,
                    labels=list(pr.labels),
                    node_id=pr.node_id,
                    auto_merge="waiting" if self._may_auto_merge() else "off",
                    tokens=fix.total_tokens,
                    cost_usd=fix.cost_usd,
                )
        except Exception as exc:
            # A pull request nobody tracks would be exactly the half-done state to avoid.
            reason = _one_line(exc, "record the pull request")
            self._withdraw(pr, target, reason, cid)
            with self._connect() as conn:
                store.set_contribution(conn, cid, "failed", reason=reason)
            return self._report("failed", reason, contribution_id=cid, pr_url=pr.url)
        return self._after_open(cid, pr)

    def _may_auto_merge(self) -> bool:
        return self.auto_merge and self.risk is not None and self.risk.auto_merge_allowed

    def _undo_push(self, target: Any, cid: int) -> None:
        """Delete the pushed branch again; when that fails the poll retries it
        (:func:`delete_finished_branches`)."""
        try:
            self.forge.delete_branch(target, self.fix.branch)
            with self._connect() as conn:
                store.mark_branch_deleted(conn, cid)
        except Exception as exc:
            log.warning("could not delete branch %s again: %s", self.fix.branch, _one_line(exc))

    def _withdraw(self, pr: PullRequest, target: Any, reason: str, cid: int) -> None:
        try:
            self.forge.close_pull_request(
                pr.repository,
                pr.number,
                "GlobaLLM could not record this pull request and withdraws it "
                f"({reason}). Sorry for the noise.",
            )
        except Exception as exc:
            log.error("pull request %s is open but untracked: %s", pr.url, _one_line(exc))
        if target is not None:
            self._undo_push(target, cid)

    def _after_open(self, cid: int, pr: PullRequest) -> ContributionReport:
        assert self.risk is not None
        if self.risk.action is RiskAction.auto_merge_notify and self._may_auto_merge():
            self._notify(pr)
        auto = "off"
        status = "draft" if pr.draft else "open"
        reason = f"pull request opened ({'draft, ' if pr.draft else ''}{_action_text(self)})"
        if self._may_auto_merge():
            with self._connect() as conn:
                row = store.get_outcome(conn, self.kind, pr.repository, pr.number)
            assert row is not None
            try:
                row = advance_auto_merge(self.forge, self.dsn, row, self._method())
            except Exception as exc:  # the pull request stands; the poll retries later
                log.warning("auto-merge of %s not armed yet: %s", pr.url, _one_line(exc))
            auto = row["auto_merge"]
            if row["state"] == "merged":
                status, reason = "merged", "pull request merged (LOW risk, required checks green)"
            elif auto == "enabled":
                status = "auto_merge"
                reason = "pull request opened; it merges automatically once its checks pass"
            elif row.get("auto_merge_reason"):
                reason += f"; auto-merge waits: {row['auto_merge_reason']}"
        return self._report(
            status,
            reason,
            contribution_id=cid,
            pr_number=pr.number,
            pr_url=pr.url,
            draft=pr.draft,
            auto_merge=auto,
            labels=pr.labels,
        )

    def _notify(self, pr: PullRequest) -> None:
        assert self.risk is not None
        text = (
            "Heads-up from GlobaLLM: this change is rated **MEDIUM** risk "
            f"({_reasons(self.risk)}). It stays a draft until its required checks pass; then "
            "GlobaLLM marks it ready and merges it automatically. Request changes or close it "
            "to stop that."
        )
        try:
            self.forge.comment(pr.repository, pr.number, text)
            with self._connect() as conn:
                store.update_outcome(conn, self.kind, pr.repository, pr.number, notified=True)
        except Exception as exc:
            log.warning("could not notify on %s: %s", pr.url, _one_line(exc))

    def _method(self) -> MergeMethod:
        return self.settings.forge.merge_method


def _action_text(run: _Run) -> str:
    assert run.risk is not None
    if not run.auto_merge and run.risk.auto_merge_allowed:
        return "auto-merge disabled"
    return {
        RiskAction.auto_merge: "auto-merge allowed",
        RiskAction.auto_merge_notify: "auto-merge once green, maintainers notified",
        RiskAction.manual_review: "manual review",
    }.get(run.risk.action, run.risk.action.value)


# --------------------------------------------------------------------------- auto-merge


def advance_auto_merge(
    forge: Forge, dsn: str, row: dict[str, Any], method: MergeMethod
) -> dict[str, Any]:
    """Move one pull request's auto-merge along; returns its updated ``pr_outcomes`` row.

    ``waiting`` → (a draft: once green and no changes requested, mark it ready) → take the base
    branch's slot → ask the forge to auto-merge (``enabled`` via ``forge``) or, where it
    cannot, keep the slot and merge here once green (``enabled`` via ``poll``). A required
    check that fails gives the slot back (``waiting`` again): via ``poll`` the merge attempt
    says so; via ``forge`` the host's auto-merge is disabled first.
    """
    from globallm_assets.store.db import pool

    kind, repo, number = forge.info.kind, row["repository"], row["number"]
    pr = _pull_request(row)

    def save(**fields: Any) -> dict[str, Any]:
        with pool(dsn).connection() as conn:
            store.update_outcome(conn, kind, repo, number, **fields)
            fresh = store.get_outcome(conn, kind, repo, number)
        assert fresh is not None
        return fresh

    if row["state"] != "open":
        return row
    if row["auto_merge"] == "waiting":
        status = forge.pull_request_status(repo, number)
        if status.state is not PRState.open:
            return row
        if status.head_sha != row["head_sha"]:
            return save(auto_merge="cancelled", auto_merge_reason="the branch changed")
        if row["draft"]:
            verdict = checks_verdict(status.required_checks, status.checks)
            if status.changes_requested:
                return save(auto_merge_reason="a reviewer requested changes")
            if not verdict.green:
                return save(auto_merge_reason=verdict.reason)
            forge.mark_ready(pr)
            row = save(draft=False)
            pr = _pull_request(row)
        with pool(dsn).connection() as conn:
            took = store.arm_auto_merge(conn, kind, repo, number, "poll")
        if not took:
            return save(auto_merge_reason=f"another auto-merge holds {row['base_branch']}")
        attempt = forge.enable_auto_merge(pr, method)
        if attempt.armed:
            return save(auto_merge_via="forge", auto_merge_reason=attempt.reason)
        return _settle(attempt, save)
    if row["auto_merge"] == "enabled" and row["auto_merge_via"] == "forge":
        # The host merges once green; a failed required check only a new push (or a re-run)
        # can fix, so the base branch's slot is not held for it meanwhile.
        status = forge.pull_request_status(repo, number)
        verdict = checks_verdict(status.required_checks, status.checks)
        if status.state is not PRState.open or not verdict.failing:
            return row
        forge.disable_auto_merge(pr)
        return save(
            auto_merge="waiting",
            auto_merge_via=None,
            auto_merge_reason=f"{verdict.reason}: auto-merge disabled until they pass",
        )
    if row["auto_merge"] == "enabled" and row["auto_merge_via"] == "poll":
        try:
            attempt = forge.merge_if_green(pr, method)
        except ForgeError as exc:
            # e.g. no merge right from a fork: give the base branch's slot back.
            return save(auto_merge="failed", auto_merge_reason=_one_line(exc))
        return _settle(attempt, save)
    return row


def _settle(attempt: MergeAttempt, save: Any) -> dict[str, Any]:
    """Record a merge attempt the poll owns: merged; still waiting for checks (keeps the base
    branch's slot); or blocked until a new push (gives the slot back to others)."""
    if attempt.merged:
        return save(
            state="merged", auto_merge="merged", merge_sha=attempt.merge_sha,
            merged_at=_now_utc(), auto_merge_reason=attempt.reason,
        )  # fmt: skip
    if attempt.failing:
        return save(auto_merge="waiting", auto_merge_via=None, auto_merge_reason=attempt.reason)
    return save(auto_merge_reason=attempt.reason)


def _pull_request(row: dict[str, Any]) -> PullRequest:
    return PullRequest(
        repository=row["repository"],
        number=row["number"],
        url=row["url"],
        head_repository=row["head_repository"],
        head_branch=row["head_branch"],
        head_sha=row["head_sha"],
        base_branch=row["base_branch"],
        draft=row["draft"],
        labels=tuple(row["labels"]),
        node_id=row.get("node_id"),
    )


def _now_utc() -> datetime:
    return datetime.now(UTC)


# --------------------------------------------------------------------------- outcomes


def refresh_outcomes(
    settings: Settings,
    dsn: str | None = None,
    *,
    forge: Forge | None = None,
    limit: int = 200,
) -> RefreshReport:
    """Poll the forge for every open pull request GlobaLLM opened there: state, checks, reviews
    and comments into ``pr_outcomes``, and auto-merges moved along (see
    :func:`advance_auto_merge`); then learn from the outcomes (``services/learning.py``:
    per-repository acceptance, opt-outs asked for). A sensor can call this on an interval."""
    if dsn is None:
        from globallm_assets.store.db import prepare

        dsn = prepare(settings).dsn
    forge = forge or open_forge(settings, dsn)
    from globallm_assets.store.db import pool

    report = RefreshReport()
    kind = forge.info.kind
    with pool(dsn).connection() as conn:
        report.abandoned = store.expire_reservations(conn, kind)
        rows = store.outcomes_to_refresh(conn, kind, limit=limit)
    for row in rows:
        key = f"{row['repository']}#{row['number']}"
        try:
            status = forge.pull_request_status(row["repository"], row["number"])
            row = _record_status(dsn, kind, row, status)
            if status.state is PRState.open and row["auto_merge"] in ("waiting", "enabled"):
                before = row["auto_merge"]
                row = advance_auto_merge(forge, dsn, row, settings.forge.merge_method)
                if before == "waiting" and row["auto_merge"] == "enabled":
                    report.armed.append(key)
        except (ForgeError, psycopg.Error) as exc:
            report.errors.append(f"{key}: {_one_line(exc)}")
            continue
        report.refreshed += 1
        if row["state"] == "merged":
            report.merged.append(key)
        elif row["state"] == "closed":
            report.closed.append(key)
    # After the poll, so the branch of a pull request decided just now goes in the same poll
    # (the sensor stops polling once none is open).
    report.branches_deleted = delete_finished_branches(forge, dsn, report.errors)
    from globallm_assets.services.learning import learn_from_outcomes

    report.opted_out = learn_from_outcomes(settings, dsn).opted_out
    return report


def delete_finished_branches(forge: Forge, dsn: str, errors: list[str] | None = None) -> int:
    """Delete the pushed branches nothing needs any more: those of contributions that failed
    or were abandoned after their push (an agent that died mid-push, a deletion that failed at
    the time), and those of pull requests merged or closed — a bot leaves no branch behind.
    Returns how many were deleted."""
    from globallm_assets.forge.base import PushTarget
    from globallm_assets.store.db import pool

    with pool(dsn).connection() as conn:
        rows = store.branches_to_delete(conn, forge.info.kind)
    deleted = 0
    for row in rows:
        target = PushTarget(row["push_repository"], row["push_url"], bool(row["push_is_fork"]))
        try:
            forge.delete_branch(target, row["branch"])
        except ForgeError as exc:
            if errors is not None:
                errors.append(f"branch {row['branch']} of {target.repository}: {_one_line(exc)}")
            continue
        with pool(dsn).connection() as conn:
            store.mark_branch_deleted(conn, row["id"])
        deleted += 1
    return deleted


def _record_status(
    dsn: str, kind: str, row: dict[str, Any], status: PullRequestStatus
) -> dict[str, Any]:
    from globallm_assets.store.db import pool

    fields: dict[str, Any] = {
        "state": status.state.value,
        "draft": status.draft,
        "labels": list(status.labels),
        "checks": [c.as_dict() for c in status.checks],
        "reviews": [r.as_dict() for r in status.reviews],
        "review_comments": [c.as_dict() for c in status.comments],
        "merge_sha": status.merge_sha,
        "merged_at": status.merged_at,
        "closed_at": status.closed_at,
    }
    if status.state is not PRState.open and row["auto_merge"] in ("waiting", "enabled"):
        fields["auto_merge"] = "merged" if status.state is PRState.merged else "cancelled"
    elif status.head_sha != row["head_sha"] and row["auto_merge"] in ("waiting", "enabled"):
        # Someone pushed to the branch: what GlobaLLM validated is no longer what would merge.
        fields["auto_merge"] = "cancelled"
        fields["auto_merge_reason"] = (
            f"the branch changed after GlobaLLM pushed it ({status.head_sha[:12]})"
        )
    with pool(dsn).connection() as conn:
        store.update_outcome(conn, kind, row["repository"], row["number"], **fields)
        store.mark_refreshed(conn, kind, row["repository"], row["number"])
        fresh = store.get_outcome(conn, kind, row["repository"], row["number"])
    assert fresh is not None
    return fresh


def list_outcomes(
    settings: Settings,
    *,
    state: str | None = None,
    repository: str | None = None,
    limit: int = 50,
) -> list[dict[str, Any]]:
    """Pull requests GlobaLLM opened (any forge), newest first, as stored by the last poll."""
    from globallm_assets.store.db import pool, prepare

    with pool(prepare(settings).dsn).connection() as conn:
        return store.list_outcomes(conn, state=state, repository=repository, limit=limit)


# --------------------------------------------------------------------------- pieces


def _pushed_change(fix: FixResult) -> tuple[str, list[str]]:
    """The diff and commit messages of exactly what would be pushed (``base..head``)."""
    assert fix.head_sha is not None
    ws = Path(fix.workspace)
    if not ws.is_dir():
        raise ForgeError(f"{ws} does not exist")
    ancestor = run_git(
        ["merge-base", "--is-ancestor", fix.base_sha, fix.head_sha], cwd=ws, check=False
    )
    if ancestor.returncode != 0:
        raise ForgeError(f"{fix.head_sha[:12]} does not descend from {fix.base_sha[:12]}")
    diff = run_git(
        ["diff", "--no-color", "--no-ext-diff", "--binary", fix.base_sha, fix.head_sha], cwd=ws
    ).stdout
    log_text = run_git(["log", "--format=%B%x00", f"{fix.base_sha}..{fix.head_sha}"], cwd=ws).stdout
    return diff, [m.strip() for m in log_text.split("\x00") if m.strip()]


def _known_secrets(settings: Settings) -> list[str]:
    """Configured secrets and credential-named environment values (GITHUB_TOKEN, …)."""
    values = list(secret_values(settings))
    for name, value in os.environ.items():
        if _CREDENTIAL_NAME.search(name) and len(value) >= MIN_SECRET_CHARS and " " not in value:
            values.append(value)
    return [v for v in dict.fromkeys(values) if len(v) >= MIN_SECRET_CHARS]


def _effective_risk(fix: FixResult, diff: str, known: list[str]) -> RiskAssessment:
    """The worse of the fixer's assessment and one recomputed from the diff to be pushed."""
    before, after = fix.before, fix.after
    recomputed = assess(
        diff,
        category=fix.category,
        complexity=fix.risk.complexity if fix.risk else None,
        tests_named=fix.tests_added,
        failed_before_passed_after=(
            before is not None and not before.ok and after is not None and after.ok
        ),
        suite_passed=fix.existing_tests_passed,
        known_secrets=known,
    )
    given = fix.risk
    if given is None:
        return recomputed
    if recomputed.refused:
        return recomputed
    if given.refused or given.level.rank >= recomputed.level.rank:
        return given
    return recomputed


def _secret_leak(diff: str, texts: Iterable[str], known: list[str]) -> str | None:
    """Why the change or its text may not leave the machine (never quoting the secret)."""
    findings = scan_secrets(diff, known)
    if findings:
        where = ", ".join(f"{f.kind} in {f.path}:{f.line}" for f in findings[:3])
        return f"secret-like content in the diff ({where}); nothing pushed"
    for text in texts:
        for kind, pattern in SECRET_PATTERNS.items():
            if pattern.search(text):
                return f"secret-like content ({kind}) in the pull request text; nothing pushed"
        if any(secret in text for secret in known):
            return "a configured secret appears in the pull request text; nothing pushed"
    return None


def _labels(settings: Settings, category: str) -> list[str]:
    wanted = [*settings.forge.labels.get(category, []), *settings.forge.extra_labels]
    return list(dict.fromkeys(label for label in wanted if label))


def _title(fix: FixResult) -> str:
    title = " ".join(fix.issue_title.split()) or f"issue #{fix.issue_number}"
    text = f"Fix #{fix.issue_number}: {title}"
    return text if len(text) <= TITLE_CHARS else text[: TITLE_CHARS - 1] + "…"


def _reasons(risk: RiskAssessment) -> str:
    return "; ".join(risk.reasons) or "no reasons recorded"


def _one_line(exc: BaseException, doing: str | None = None) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    text = redact(text)[:300]
    return f"could not {doing}: {text}" if doing else text


def _run_line(label: str, run: TestRun | None) -> str:
    if run is None:
        return f"| {label} | — | not run |"
    counts = []
    if run.passed is not None:
        counts.append(f"{run.passed} passed")
    if run.failed is not None:
        counts.append(f"{run.failed} failed")
    result = ", ".join(counts) or "no counts"
    ending = f"killed ({run.killed})" if run.killed else f"exit {run.exit_code}"
    command = " ".join(run.command).replace("|", "\\|")
    return f"| {label} | `{command}` | {result}; {ending}; {run.duration_s:.1f} s |"


def pr_body(
    fix: FixResult, risk: RiskAssessment, *, issue_url: str, auto_merge: bool = True
) -> str:
    """The pull request's description: what, why, evidence, risk, cost, and who made it."""
    generator = f"GlobaLLM's {fix.fixer.value} fixer"
    made_by = f"{generator} using {fix.provider}" if fix.provider else generator
    lines = [
        f"Fixes #{fix.issue_number} ({issue_url})",
        "",
        f"**This pull request was generated automatically by GlobaLLM** ({made_by}). "
        "Please review it like any other contribution; close it if it is not wanted.",
    ]
    if _TEST_DOUBLE.search(fix.provider or ""):
        lines += [
            "",
            "**Note:** the change was written by a scripted/replayed model — a test double that "
            "plays back recorded responses — not by a live model.",
        ]
    lines += ["", "### What changed", ""]
    lines += [f"- `{path}`" for path in fix.files_changed] or ["- (no files)"]
    if fix.summary.strip():
        summary = fix.summary.strip()[:1500]
        # A fence longer than any backtick run inside keeps model text from closing it.
        fence = "`" * max(3, 1 + max((len(m) for m in re.findall(r"`+", summary)), default=0))
        lines += ["", "The fixer's own summary:", "", f"{fence}text", summary, fence]
    lines += [
        "",
        "### Behaviour before and after",
        "",
        "| run | command | result |",
        "| --- | --- | --- |",
        _run_line("before the fix (with the new tests)", fix.before),
        _run_line("after the fix", fix.after),
        _run_line("whole suite after the fix", fix.suite),
        "",
        "Existing tests "
        + ("pass with the change." if fix.existing_tests_passed else "did NOT all pass."),
        "All runs happened in a sandbox without network access.",
        "",
        "### Tests added or named",
        "",
    ]
    lines += [f"- `{name}`" for name in fix.tests_added] or ["- none (a prose-only change)"]
    action = {
        RiskAction.auto_merge: "auto-merge allowed once required checks pass",
        RiskAction.auto_merge_notify: "opened as a draft; auto-merged once checks pass",
        RiskAction.manual_review: "opened as a draft for manual review",
    }.get(risk.action, risk.action.value)
    if not auto_merge and risk.auto_merge_allowed:
        action = "auto-merge disabled for this run; a maintainer merges it"
    lines += ["", f"### Risk: {risk.level.value} — {action}", ""]
    lines += [f"- {reason}" for reason in risk.reasons] or ["- no reasons recorded"]
    lines += [
        "",
        "The risk is computed from the diff itself (files and public API touched, size, tests) "
        "and the issue's category, never from the model's own claims.",
        "",
        "### Cost",
        "",
        f"{fix.total_tokens:,} tokens ({fix.input_tokens:,} in, {fix.output_tokens:,} out), "
        f"${fix.cost_usd:.4f}, {fix.turns} turn(s), {fix.duration_s:.0f} s.",
        "",
        "<sub>Maintainers: to stop GlobaLLM pull requests, add `.github/globallm.yml` with "
        "`enabled: false`, or the repository topic `no-globallm`.</sub>",
    ]
    return "\n".join(lines) + "\n"


__all__ = [
    "ContributionReport",
    "RefreshReport",
    "advance_auto_merge",
    "contribute",
    "delete_finished_branches",
    "list_outcomes",
    "open_forge",
    "pr_body",
    "refresh_outcomes",
]
