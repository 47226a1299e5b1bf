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
    """Where the local forge keeps its bare repositories (``<data_dir>/forge``)."""
    configured = getattr(getattr(settings, "forge", None), "local_root", None)
    return Path(configured) if configured else settings.data_dir / "forge"


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


def make_budget(settings: Settings, dsn: str) -> LedgerBudget:
    from globallm_assets.store.llm_usage import TokenLedger

    return LedgerBudget(TokenLedger(dsn, settings.budget.weekly_token_budget))


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
    contribute: Callable[..., Any] | None = None,
) -> FixOutcome:
    """Fix one issue (see the module docstring). ``provider`` overrides the configured one."""
    from globallm_assets.store import solutions as store
    from globallm_assets.store.db import pool, prepare

    ref = parse_issue_url(options.issue_url) if options.issue_url else None
    location = prepare(settings)
    db = pool(location.dsn)
    with db.connection() as conn:
        if ref is not None:
            targets = [_load_target(settings, conn, ref, location.dsn)]
            host = ref.host
        else:
            targets = [_target(row) for row in store.ranked_candidates(conn, CANDIDATES)]
            host = "auto"
    chosen: tuple[FixTarget, str, bool] | None = None
    for target in targets:
        try:
            source, needs_token = clone_source(settings, target.issue.repository, host)
        except FixInputError:
            if ref is not None:
                raise
            continue  # not cloneable in this world (a simulated repository): the next one
        chosen = (target, source, needs_token)
        break
    if chosen is None:
        raise FixInputError("no available issue to fix (run the ranking, or give --issue-url)")
    target, source, needs_token = chosen
    issue = target.issue
    progress(f"issue {issue.repository}#{issue.number}: {issue.title}")

    progress(f"cloning {issue.repository}")
    token = (
        settings.github.all_tokens()[0] if needs_token and settings.github.all_tokens() else None
    )
    workspace = clone(
        source,
        repository=issue.repository,
        issue_number=issue.number,
        title=issue.title,
        work_root=settings.fix.work_dir or settings.data_dir / "work",
        base_branch=options.base_branch,
        depth=settings.fix.clone_depth,
        token=token,
    )
    progress(
        f"workspace {workspace.path} on branch {workspace.branch} (base {workspace.base_branch})"
    )

    model = provider or fix_provider(settings, issue.repository, issue.number)
    attempts: list[FixResult] = []

    def record(result: FixResult) -> FixResult:
        with db.connection() as conn:
            row = result.as_record() | {"operation_id": current_operation_id()}
            saved = replace(result, solution_id=store.insert_solution(conn, row))
        attempts.append(saved)
        return saved

    result = solve(
        target,
        workspace,
        provider=model,
        budget=make_budget(settings, location.dsn),
        config=EngineConfig.from_settings(settings, issue.repository),
        progress=progress,
        record=record,
    )
    outcome = FixOutcome(result=result, attempts=tuple(attempts))
    if options.dry_run:
        directory = options.reports_dir or settings.fix.reports_dir or settings.data_dir / "fixes"
        patch, report = write_report(result, attempts, directory)
        return replace(
            outcome,
            patch_path=patch,
            report_path=report,
            message="dry run: nothing pushed; patch and report written",
        )
    if not result.validated:
        return replace(outcome, message=f"nothing to contribute: {result.outcome.value}")
    if contribute is None:
        return replace(
            outcome,
            message=(
                "validated and committed on the local branch; the contribute stage (push, pull "
                "request, auto-merge) is not available in this build yet, nothing was pushed"
            ),
        )
    contribution = contribute(settings, result, auto_merge=options.auto_merge)
    return replace(outcome, contribution=contribution, message="handed to the contribute stage")


# --------------------------------------------------------------------------- dry-run report


def _slug(result: FixResult) -> str:
    return re.sub(r"[^a-z0-9]+", "-", f"{result.repository}-{result.issue_number}".lower())


def write_report(
    result: FixResult, attempts: list[FixResult], directory: Path
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
    atomic_write_text(report_path, report_markdown(result, attempts))
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


def report_markdown(result: FixResult, attempts: list[FixResult]) -> str:
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
    return "\n".join(lines) + "\n"
