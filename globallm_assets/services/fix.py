"""``globallm fix``: pick an issue, clone its repository, fix it, record every attempt.

The use-case the CLI (and later the fleet's fix job) calls. It resolves the issue (a URL, or the
top-ranked available issue), clones the repository into a private workspace, builds the
provider (a vendor model, or the demo world's replay), runs the solution engine under the token
budget, persists every attempt as a ``solutions`` row, and then either writes the patch and a
report (``dry_run``) or hands the validated result to the contribute stage.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from globallm_assets.config_file import atomic_write_text
from globallm_assets.core.categorize import categorize
from globallm_assets.core.issue_scores import complexity as rule_complexity
from globallm_assets.core.models import IssueRecord, parse_repo_name
from globallm_assets.fixer.engine import EngineConfig, FixTarget, solve
from globallm_assets.fixer.models import FixResult, Outcome
from globallm_assets.fixer.workspace import clone
from globallm_assets.llm.base import ToolProvider
from globallm_assets.observability import current_operation_id
from globallm_assets.settings import Settings

log = logging.getLogger(__name__)

CANDIDATES = 20


class FixInputError(ValueError):
    """Bad input (a malformed issue URL, an unknown issue): the CLI exits with code 2."""


class FixFailed(RuntimeError):
    """The fix could not be carried out (one line): the CLI exits with code 1."""


@dataclass(frozen=True)
class IssueRef:
    repository: str
    number: int
    host: str  # "github" | "local"


_GITHUB_ISSUE = re.compile(r"^/([^/]+)/([^/]+)/issues/(\d+)/?$")
_SHORT = re.compile(r"^([^#\s]+/[^#\s]+)#(\d+)$")


def parse_issue_url(url: str) -> IssueRef:
    """``https://<github host>/OWNER/REPO/issues/N``, ``local-forge://OWNER/REPO/issues/N``, or
    ``OWNER/REPO#N``; anything else raises :class:`FixInputError` (one line)."""
    text = url.strip()
    short = _SHORT.match(text)
    if short:
        return IssueRef(_repo(short.group(1), url), _number(short.group(2), url), "auto")
    parts = urlsplit(text)
    if parts.scheme == "local-forge":
        match = _GITHUB_ISSUE.match(f"/{parts.netloc}{parts.path}")
        if match:
            return IssueRef(
                _repo(f"{match.group(1)}/{match.group(2)}", url),
                _number(match.group(3), url),
                "local",
            )
    elif parts.scheme in ("http", "https") and parts.netloc and not parts.query:
        match = _GITHUB_ISSUE.match(parts.path)
        if match:
            return IssueRef(
                _repo(f"{match.group(1)}/{match.group(2)}", url),
                _number(match.group(3), url),
                "github",
            )
    raise FixInputError(
        f"not an issue URL: {url!r} (expected https://github.com/OWNER/REPO/issues/N, "
        "local-forge://OWNER/REPO/issues/N or OWNER/REPO#N)"
    )


def _repo(text: str, url: str) -> str:
    try:
        return parse_repo_name(text)
    except ValueError:
        raise FixInputError(f"not an issue URL: {url!r} (bad repository name)") from None


def _number(text: str, url: str) -> int:
    number = int(text)
    if number < 1 or number > 2**31 - 1:
        raise FixInputError(f"not an issue URL: {url!r} (bad issue number)")
    return number


# --------------------------------------------------------------------------- where things are


def local_forge_root(settings: Settings) -> Path:
    """Where the local forge keeps its bare repositories (``forge.local_root``)."""
    return settings.forge.local_root or settings.data_dir / "forge"


def github_web_url(api_url: str) -> str:
    """``https://api.github.com`` → ``https://github.com``; GitHub Enterprise's
    ``https://HOST/api/v3`` → ``https://HOST``."""
    parts = urlsplit(api_url.rstrip("/"))
    host = parts.netloc
    if host == "api.github.com":
        host = "github.com"
    return f"{parts.scheme or 'https'}://{host}"


def clone_source(settings: Settings, repository: str, host: str) -> tuple[str, bool]:
    """(URL or path to clone, whether it is a GitHub URL needing the token)."""
    for name, source in settings.fix.clone_sources.items():
        if name.lower() == repository.lower():
            return source, False
    owner, name = repository.lower().split("/")
    bare = local_forge_root(settings) / owner / f"{name}.git"
    if host == "local" or (host == "auto" and settings.source.kind == "simulated"):
        if not bare.is_dir():
            raise FixInputError(f"{repository} is not hosted on the local forge ({bare})")
        return str(bare), False
    return f"{github_web_url(settings.github.api_url)}/{repository}.git", True


# --------------------------------------------------------------------------- budget


class LedgerBudget:
    """The agent loop's budget on the token ledger: reserve before a call, settle after.

    Only the ledger's public ``reserve``/``settle``/``record`` are used. A reservation is
    either the week it was charged to (settled with ``settle(reserved, used, week)``) or a
    reservation object the ledger settles by itself (``settle(reservation, used, cost_usd=)``).
    """

    def __init__(self, ledger: Any) -> None:
        self.ledger = ledger

    def reserve(self, tokens: int) -> Any:
        handle = self.ledger.reserve(tokens)
        return None if handle is None else (tokens, handle)

    def settle(self, reservation: Any, used_tokens: int, *, cost_usd: float = 0.0) -> None:
        tokens, handle = reservation
        if isinstance(handle, date):
            self.ledger.settle(tokens, used_tokens, handle)
        else:
            self.ledger.settle(handle, used_tokens, cost_usd=cost_usd)

    def record(self, **usage: Any) -> None:
        self.ledger.record(**usage)


def make_budget(settings: Settings, dsn: str, target: FixTarget) -> LedgerBudget:
    """The fleet's ledger, charging the issue's repository and language as well as the week."""
    from globallm_assets.services import budget

    ledger = budget.ledger(settings, dsn).scoped(
        repository=target.issue.repository,
        language=target.language,
        issue_number=target.issue.number,
    )
    return LedgerBudget(ledger)


# --------------------------------------------------------------------------- providers


def fix_provider(settings: Settings, repository: str, number: int) -> ToolProvider | None:
    """The model for the agent: the configured vendor, or (``llm.provider: replay``) the
    recording made for this issue; None when neither is available."""
    if settings.llm.provider == "replay":
        from globallm_assets.llm.replay import ReplayProvider, find_recording
        from globallm_assets.sources.planted import RECORDINGS

        directory = settings.llm.replay_dir or RECORDINGS
        recording = find_recording(Path(directory), repository, number)
        return ReplayProvider(recording) if recording else None
    from globallm_assets.llm.providers import provider_from_settings

    provider = provider_from_settings(settings)
    return provider if isinstance(provider, ToolProvider) else None


# --------------------------------------------------------------------------- the use-case


@dataclass(frozen=True)
class FixOptions:
    issue_url: str | None = None
    dry_run: bool = False
    base_branch: str | None = None
    auto_merge: bool = True
    reports_dir: Path | None = None


@dataclass(frozen=True)
class FixOutcome:
    result: FixResult
    attempts: tuple[FixResult, ...]
    patch_path: Path | None = None
    report_path: Path | None = None
    contribution: Any = None
    message: str = ""


def _target(row: dict[str, Any]) -> FixTarget:
    issue = IssueRecord.model_validate(row["data"])
    issue.repository = row["repository"]
    category = row["category"] or categorize(issue).category.value
    complexity = row["complexity"]
    if complexity is None:
        complexity = rule_complexity(issue, category=categorize(issue).category)
    return FixTarget(issue, category, complexity, row.get("language"))


def _load_target(settings: Settings, conn: Any, ref: IssueRef, dsn: str) -> FixTarget:
    from globallm_assets.store import solutions as store

    row = store.issue_for_fix(conn, ref.repository, ref.number)
    if row is None and ref.host == "github" and settings.source.kind == "github":
        _fetch_from_github(settings, ref.repository, dsn)
        row = store.issue_for_fix(conn, ref.repository, ref.number)
    if row is None:
        raise FixInputError(f"{ref.repository}#{ref.number}: no such issue in the store")
    if row["state"] != "open":
        raise FixInputError(f"{ref.repository}#{ref.number} is {row['state']}")
    if row["do_not_touch"]:
        raise FixInputError(
            f"{ref.repository}#{ref.number}: left alone ({row['do_not_touch_reason']})"
        )
    return _target(row)


def _fetch_from_github(settings: Settings, repository: str, dsn: str) -> None:
    """Fetch and score the repository's open issues (the ``issues`` command's pipeline)."""
    from globallm_assets.services import issues as issue_service
    from globallm_assets.services.sources import repo_source
    from globallm_assets.sources.base import NotFoundError

    try:
        issue_service.repository_issues(
            settings, repo_source(settings, dsn=dsn), dsn, repository, limit=1
        )
    except NotFoundError:
        raise FixInputError(f"repository {repository} not found") from None


def run_fix(
    settings: Settings,
    options: FixOptions,
    *,
    progress: Callable[[str], None] = lambda _: None,
    provider: ToolProvider | None = None,
) -> FixOutcome:
    """Fix one issue (see the module docstring). ``provider`` overrides the configured one.

    With a URL: that issue. Without one, a dry run takes the top-ranked available issue without
    claiming it; a real run claims the best issue atomically, as a fleet agent does, and ends
    the claim (completed, back to available, or failed) with the outcome.
    """
    from globallm_assets.store import solutions as store
    from globallm_assets.store.db import pool, prepare

    ref = parse_issue_url(options.issue_url) if options.issue_url else None
    location = prepare(settings)
    if ref is None and not options.dry_run:
        return _claim_and_fix(settings, options, location.dsn, progress, provider)
    with pool(location.dsn).connection() as conn:
        if ref is not None:
            targets = [_load_target(settings, conn, ref, location.dsn)]
        else:
            targets = [_target(row) for row in store.ranked_candidates(conn, CANDIDATES)]
    for target in targets:
        try:
            source = clone_source(settings, target.issue.repository, ref.host if ref else "auto")
        except FixInputError:
            if ref is not None:
                raise
            continue  # not cloneable in this world (a simulated repository): the next one
        return fix_target(
            settings, options, target, source, location.dsn, progress=progress, provider=provider
        )
    raise FixInputError("no available issue to fix (run the ranking, or give --issue-url)")


def fix_target(
    settings: Settings,
    options: FixOptions,
    target: FixTarget,
    source: tuple[str, bool],
    dsn: str,
    *,
    progress: Callable[[str], None] = lambda _: None,
    provider: ToolProvider | None = None,
    budget: LedgerBudget | None = None,
) -> FixOutcome:
    """Clone, solve (recording every attempt), then report or contribute."""
    from globallm_assets.store import solutions as store
    from globallm_assets.store.db import pool

    url, needs_token = source
    issue = target.issue
    progress(f"issue {issue.repository}#{issue.number}: {issue.title}")
    progress(f"cloning {issue.repository}")
    tokens = settings.github.all_tokens() if needs_token else []
    workspace = clone(
        url,
        repository=issue.repository,
        issue_number=issue.number,
        title=issue.title,
        work_root=settings.fix.work_dir or settings.data_dir / "work",
        base_branch=options.base_branch,
        depth=settings.fix.clone_depth,
        token=tokens[0] if tokens else None,
    )
    progress(f"branch {workspace.branch} from {workspace.base_branch} in {workspace.path}")

    model = provider or fix_provider(settings, issue.repository, issue.number)
    attempts: list[FixResult] = []

    def record(result: FixResult) -> FixResult:
        with pool(dsn).connection() as conn:
            row = result.as_record() | {"operation_id": current_operation_id()}
            saved = replace(result, solution_id=store.insert_solution(conn, row))
        attempts.append(saved)
        return saved

    try:
        result = solve(
            target,
            workspace,
            provider=model,
            budget=budget or make_budget(settings, dsn, target),
            config=EngineConfig.from_settings(settings, issue.repository),
            progress=progress,
            record=record,
        )
        return _hand_over(settings, options, result, attempts, dsn, progress)
    finally:
        # The commit is pushed (or the patch written) by now; the clone is only worth keeping
        # to inspect it.
        if not settings.fix.keep_workspaces:
            workspace.remove()


# --------------------------------------------------------------------------- the fleet


def _claimed_target(settings: Settings, dsn: str, claimed: Any) -> FixTarget:
    from globallm_assets.store import solutions as store
    from globallm_assets.store.db import pool

    with pool(dsn).connection() as conn:
        row = store.issue_for_fix(conn, claimed.repository, claimed.number)
    if row is not None:
        return _target(row)
    issue = claimed.issue.model_copy(update={"repository": claimed.repository})
    return _target(
        {
            "data": issue.model_dump(mode="json"),
            "repository": claimed.repository,
            "category": claimed.category,
            "complexity": None,
            "language": claimed.language,
        }
    )


def fix_claimed_outcome(
    settings: Settings,
    options: FixOptions,
    claimed: Any,
    dsn: str,
    *,
    progress: Callable[[str], None] = lambda _: None,
    provider: ToolProvider | None = None,
) -> FixOutcome:
    """Fix an issue this agent has claimed; model calls are charged through the claim's ledger
    (its repository and language as well as the week)."""
    from globallm_assets.services import budget

    target = _claimed_target(settings, dsn, claimed)
    source = clone_source(settings, claimed.repository, "auto")
    ledger = LedgerBudget(budget.ledger_for(settings, dsn, claimed))
    return fix_target(
        settings, options, target, source, dsn, progress=progress, provider=provider, budget=ledger
    )


def agent_outcome(outcome: FixOutcome) -> Any:
    """The fleet's view of a fix: succeeded when a pull request was opened (or merged), and
    whether another attempt could help."""
    from globallm_assets.services.agent import FixOutcome as AgentOutcome

    result = outcome.result
    tokens = sum(a.total_tokens for a in outcome.attempts)
    cost = round(sum(a.cost_usd for a in outcome.attempts), 6)
    contribution = outcome.contribution
    if result.outcome is not Outcome.validated:
        # A refusal by the risk policy will be refused again; a failed or budget-stopped
        # attempt may go better next time.
        retry = result.outcome is not Outcome.refused
        detail = f"{result.outcome.value}: {result.reason}"
        return AgentOutcome(False, detail, retry=retry, tokens=tokens, cost_usd=cost)
    if contribution is None:
        return AgentOutcome(False, outcome.message, retry=True, tokens=tokens, cost_usd=cost)
    if contribution.status in ("merged", "auto_merge", "open", "draft"):
        detail = contribution.pr_url or f"{contribution.status}: {contribution.reason}"
        return AgentOutcome(True, detail, tokens=tokens, cost_usd=cost)
    detail = f"contribution {contribution.status}: {contribution.reason}"
    return AgentOutcome(
        False, detail, retry=contribution.status == "failed", tokens=tokens, cost_usd=cost
    )


def fix_claimed(settings: Settings, claimed: Any) -> Any:
    """The fleet's fix function (``services.agent.FixFunction``): fix, contribute, report."""
    from globallm_assets.services.agent import FixOutcome as AgentOutcome
    from globallm_assets.store.db import prepare

    dsn = prepare(settings).dsn
    options = FixOptions(auto_merge=settings.forge.auto_merge)
    try:
        outcome = fix_claimed_outcome(settings, options, claimed, dsn, progress=log.info)
    except FixInputError as exc:
        return AgentOutcome(False, str(exc), retry=False)
    return agent_outcome(outcome)


def _claim_and_fix(
    settings: Settings,
    options: FixOptions,
    dsn: str,
    progress: Callable[[str], None],
    provider: ToolProvider | None,
) -> FixOutcome:
    """``globallm fix`` without a URL: claim the best issue as a fleet agent would, fix it, and
    end the claim with the outcome (the fleet's attempt: heartbeats, time budget, claim state)."""
    from globallm_assets.services import agent
    from globallm_assets.services.claim import ClaimResult

    captured: list[FixOutcome] = []

    def fix(settings: Settings, claimed: Any) -> Any:
        try:
            outcome = fix_claimed_outcome(
                settings, options, claimed, dsn, progress=progress, provider=provider
            )
        except FixInputError as exc:
            from globallm_assets.services.agent import FixOutcome as AgentOutcome

            return AgentOutcome(False, str(exc), retry=False)
        captured.append(outcome)
        return agent_outcome(outcome)

    report = agent.fix_one(settings, dsn, fix)
    if isinstance(report, ClaimResult):
        raise FixFailed(f"no issue to claim: {report.reason or 'none available'}")
    if not captured:
        raise FixFailed(f"{report.issue}: {report.detail} (claim {report.status})")
    progress(f"claim {report.issue}: {report.status}")
    return captured[0]


def _hand_over(
    settings: Settings,
    options: FixOptions,
    result: FixResult,
    attempts: list[FixResult],
    dsn: str,
    progress: Callable[[str], None],
) -> FixOutcome:
    """Dry run: the preview, the patch and the report. Otherwise: the contribute stage."""
    from globallm_assets.services.contribute import contribute

    outcome = FixOutcome(result=result, attempts=tuple(attempts))
    if options.dry_run:
        preview = None
        if result.validated:
            progress("checking what the contribution would be (no push)")
            preview = _preview(contribute, settings, result, dsn, options.auto_merge)
        directory = options.reports_dir or settings.fix.reports_dir or settings.data_dir / "fixes"
        patch, report = write_report(result, attempts, directory, preview=preview)
        return replace(
            outcome,
            patch_path=patch,
            report_path=report,
            contribution=preview,
            message="dry run: nothing pushed; patch and report written",
        )
    if not result.validated:
        return replace(outcome, message=f"nothing to contribute: {result.outcome.value}")
    progress("contributing: guards, push, pull request")
    contribution = contribute(settings, result, dsn=dsn, auto_merge=options.auto_merge)
    return replace(
        outcome,
        contribution=contribution,
        message=f"contribution {contribution.status}: {contribution.reason}",
    )


def _preview(
    contribute: Callable[..., Any], settings: Settings, result: FixResult, dsn: str, auto: bool
) -> Any:
    """The pull request a real run would open (guards applied, nothing pushed); None when the
    forge cannot be reached or configured (e.g. no GitHub token for a dry run)."""
    from globallm_assets.forge.base import ForgeError
    from globallm_assets.settings import ConfigError

    try:
        return contribute(settings, result, dsn=dsn, auto_merge=auto, dry_run=True)
    except (ConfigError, ForgeError) as exc:
        log.info("no contribution preview: %s", exc)
        return None


# --------------------------------------------------------------------------- dry-run report


def _slug(result: FixResult) -> str:
    return re.sub(r"[^a-z0-9]+", "-", f"{result.repository}-{result.issue_number}".lower())


def write_report(
    result: FixResult, attempts: list[FixResult], directory: Path, *, preview: Any = None
) -> tuple[Path | None, Path]:
    """The patch (only for a change that may leave the machine) and a Markdown + JSON report,
    each written atomically."""
    directory.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    base = directory / f"{_slug(result)}-{stamp}"
    patch_path: Path | None = None
    refused = result.outcome is Outcome.refused or (result.risk and result.risk.refused)
    if result.diff and not refused:
        patch_path = base.with_suffix(".patch")
        atomic_write_text(patch_path, result.diff)
    report_path = base.with_suffix(".md")
    atomic_write_text(report_path, report_markdown(result, attempts, preview))
    records = []
    for attempt in attempts:
        record = attempt.as_record() | {"solution_id": attempt.solution_id}
        if refused:
            record["diff"] = ""
        records.append(record)
    atomic_write_text(base.with_suffix(".json"), json.dumps(records, indent=2, default=str) + "\n")
    return patch_path, report_path


def _run_line(label: str, run: Any) -> str:
    if run is None:
        return f"- {label}: not run"
    counts = ""
    if run.passed is not None or run.failed is not None:
        counts = f", {run.passed or 0} passed, {run.failed or 0} failed"
    status = f"killed ({run.killed})" if run.killed else f"exit {run.exit_code}"
    return f"- {label}: `{' '.join(run.command)}` → {status}{counts} ({run.duration_s:.1f} s)"


def report_markdown(result: FixResult, attempts: list[FixResult], preview: Any = None) -> str:
    risk = result.risk
    lines = [
        f"# {result.repository}#{result.issue_number}: {result.issue_title}",
        "",
        f"- outcome: **{result.outcome.value}** — {result.reason}",
        f"- fixer: {result.fixer.value} ({result.provider})",
        f"- branch: `{result.branch}` from `{result.base_branch}` @ {result.base_sha[:12]}"
        + (f", commit {result.head_sha[:12]}" if result.head_sha else ""),
        f"- risk: {risk.level.value} → {risk.action.value}" if risk else "- risk: not assessed",
    ]
    if risk:
        lines += [f"  - {reason}" for reason in risk.reasons]
    lines += [
        f"- tests added or named: {', '.join(result.tests_added) or 'none'}",
        _run_line("before (base commit + new tests)", result.before),
        _run_line("after (the fix)", result.after),
        _run_line("whole suite on the fix", result.suite),
        f"- model turns {result.turns}, tokens {result.input_tokens} in / "
        f"{result.output_tokens} out, cost ${result.cost_usd:.4f}, {result.duration_s:.1f} s",
        f"- attempts: {len(attempts)}",
        "",
        "Generated by GlobaLLM. Nothing was pushed (dry run).",
    ]
    if result.summary:
        lines += ["", "## The fixer's summary (unverified)", "", result.summary]
    if preview is not None:
        lines += [
            "",
            f"## The contribution a real run would make: {preview.status}",
            "",
            preview.reason,
        ]
        if preview.title:
            kind = "draft pull request" if preview.draft else "pull request"
            lines += ["", f"{kind}: **{preview.title}**", "", preview.body]
    return "\n".join(lines) + "\n"
