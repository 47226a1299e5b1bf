"""The solution engine: context → deterministic fixer → agent attempts → validation → risk.

For one issue in one workspace it tries the deterministic fixers first where they apply (no
model, no tokens), then up to ``fix.max_attempts`` agent attempts. Each attempt starts from the
base commit with what the previous one learned (why validation failed, its diff), and is
validated in the sandbox and assessed for risk from its diff. Every attempt is handed to
``record`` (the service persists it as a ``solutions`` row) and the first validated one is
committed on the fix branch and returned. When the token budget refuses a call the engine stops
at once with ``budget_exhausted``; nothing is committed or pushed.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from globallm_assets.core.models import IssueRecord
from globallm_assets.core.risk import SECRET_PATTERNS, RiskAssessment, assess
from globallm_assets.fixer import spelling
from globallm_assets.fixer.agent import AgentCaps, Budget, run_agent
from globallm_assets.fixer.context import FixContext, build_context
from globallm_assets.fixer.models import FixerKind, FixResult, Outcome
from globallm_assets.fixer.sandbox import SandboxLimits, require_sandbox
from globallm_assets.fixer.tools import ToolBox
from globallm_assets.fixer.validate import Validation, validate_change
from globallm_assets.fixer.workspace import Workspace
from globallm_assets.llm.base import ToolProvider
from globallm_assets.llm.prompts import FIXER_SYSTEM, retry_prompt, task_prompt
from globallm_assets.observability import redact

log = logging.getLogger(__name__)

CODESPELL_LABEL = "codespell (deterministic, no model)"
MAX_SUMMARY_CHARS = 1500


@dataclass(frozen=True)
class FixTarget:
    """The issue to fix with its triage (category and complexity come from the rules)."""

    issue: IssueRecord
    category: str
    complexity: int | None = None
    language: str | None = None


@dataclass(frozen=True)
class EngineConfig:
    caps: AgentCaps
    max_attempts: int
    test_limits: SandboxLimits
    command_limits: SandboxLimits
    sandbox_required: bool = True
    test_command: str | None = None
    observation_chars: int = 6000
    deterministic_first: bool = True
    commit_name: str = "GlobaLLM"
    commit_email: str = "globallm@users.noreply.invalid"
    known_secrets: tuple[str, ...] = ()

    @classmethod
    def from_settings(cls, settings, repository: str) -> EngineConfig:
        from globallm_assets.settings import secret_values

        fix = settings.fix
        limits = SandboxLimits.from_settings(settings)
        return cls(
            caps=AgentCaps(
                max_turns=fix.max_turns,
                max_tokens=fix.max_tokens_per_attempt,
                max_cost_usd=fix.max_cost_usd_per_attempt,
                max_wall_seconds=float(fix.max_wall_seconds_per_attempt),
                max_output_tokens=fix.max_output_tokens,
            ),
            max_attempts=fix.max_attempts,
            test_limits=limits,
            command_limits=replace(limits, wall_seconds=float(fix.command_seconds)),
            sandbox_required=settings.sandbox.required,
            test_command=_override(fix.test_commands, repository),
            observation_chars=fix.observation_chars,
            deterministic_first=fix.deterministic_first,
            commit_name=fix.commit_name,
            commit_email=fix.commit_email,
            known_secrets=tuple(secret_values(settings)),
        )


def _override(commands: dict[str, str], repository: str) -> str | None:
    for name, command in commands.items():
        if name.lower() == repository.lower():
            return command
    return None


def _noop(_: str) -> None:
    pass


def solve(
    target: FixTarget,
    workspace: Workspace,
    *,
    provider: ToolProvider | None,
    budget: Budget,
    config: EngineConfig,
    progress: Callable[[str], None] = _noop,
    record: Callable[[FixResult], FixResult] = lambda result: result,
) -> FixResult:
    """Fix ``target`` in ``workspace`` (module docstring); the last attempt's result."""
    require_sandbox(config.sandbox_required)
    issue = target.issue
    progress("reading the repository")
    context = build_context(
        issue, workspace, language_hint=target.language, test_command=config.test_command
    )
    plan = context.plan
    template = _template(target, workspace, context)
    if plan is None:
        why = "; ".join(context.detection.skipped) or "no test runner found"
        return record(
            _failed(template, Outcome.error, f"cannot run this repository's tests: {why}")
        )
    progress(f"tests: {plan.display} ({plan.language})")

    attempt = 0
    last: FixResult | None = None
    if config.deterministic_first and spelling.applies(issue, target.category):
        attempt += 1
        started = time.monotonic()
        files = spelling.target_files(issue, workspace.tree())
        progress(f"codespell on {', '.join(files) or 'no files'}")
        corrections = spelling.fix_spelling(workspace.path, files)
        if corrections:
            progress(f"codespell corrected {len(corrections)} word(s); validating in the sandbox")
            validation = validate_change(
                workspace, plan, limits=config.test_limits, required=config.sandbox_required
            )
            summary = "Spelling corrections (codespell dictionary): " + ", ".join(
                f"{c.wrong} → {c.right} ({c.path}:{c.line})" for c in corrections[:20]
            )
            last = record(
                _finish(
                    template,
                    workspace,
                    validation,
                    target,
                    config,
                    fixer=FixerKind.codespell,
                    provider_label=CODESPELL_LABEL,
                    attempt=attempt,
                    summary=summary,
                    started=started,
                )
            )
            if last.outcome in (Outcome.validated, Outcome.refused):
                return last
        else:
            progress("codespell found nothing to correct")
        workspace.reset()

    if provider is None:
        if last is not None:
            return last
        reason = "no model is configured (set ANTHROPIC_API_KEY or OPENAI_API_KEY)"
        return record(_failed(template, Outcome.error, reason))

    feedback: tuple[str, str] | None = None
    toolbox = ToolBox(
        workspace.path,
        limits=config.command_limits,
        required=config.sandbox_required,
        env=_agent_env(plan.command, plan.env),
        observation_chars=config.observation_chars,
    )
    for number in range(1, config.max_attempts + 1):
        attempt += 1
        started = time.monotonic()
        workspace.reset()
        task = task_prompt(context.brief)
        if feedback is not None:
            task += "\n\n" + retry_prompt(number, *feedback)
        progress(f"attempt {number}/{config.max_attempts}: {provider.label}")
        run = run_agent(
            provider,
            system=FIXER_SYSTEM,
            task=task,
            toolbox=toolbox,
            caps=config.caps,
            budget=budget,
            repository=issue.repository,
            on_turn=lambda turn, _t, n=number: progress(f"attempt {n}: turn {turn}"),
        )
        usage = {
            "turns": run.turns,
            "input_tokens": run.input_tokens,
            "output_tokens": run.output_tokens,
            "cost_usd": round(run.cost_usd, 6),
            "fixer": FixerKind.agent,
            "provider": provider.label,
            "attempt": attempt,
        }
        if run.stop != "submitted":
            diff = workspace.diff()
            outcome = Outcome.budget_exhausted if run.stop == "budget" else Outcome.failed
            last = record(
                replace(
                    template,
                    **usage,
                    outcome=outcome,
                    reason=f"stopped: {run.reason}",
                    diff=diff,
                    files_changed=tuple(workspace.changed_files()),
                    duration_s=round(time.monotonic() - started, 3),
                )
            )
            progress(f"attempt {number} stopped: {run.reason}")
            if run.stop in ("budget", "provider_error"):
                workspace.reset()
                return last
            feedback = (f"it stopped before submitting: {run.reason}", diff)
            continue
        assert run.submission is not None
        progress(f"attempt {number}: validating in the sandbox (fail before, pass after)")
        validation = validate_change(
            workspace,
            plan,
            named_tests=run.submission.tests,
            limits=config.test_limits,
            required=config.sandbox_required,
        )
        last = record(
            replace(
                _finish(
                    template,
                    workspace,
                    validation,
                    target,
                    config,
                    fixer=FixerKind.agent,
                    provider_label=provider.label,
                    attempt=attempt,
                    summary=run.submission.summary,
                    started=started,
                ),
                **usage,
            )
        )
        progress(f"attempt {number}: {last.outcome.value} — {last.reason}")
        if last.outcome in (Outcome.validated, Outcome.refused):
            return last
        feedback = (last.reason, validation.diff)
    assert last is not None
    return last


def _template(target: FixTarget, workspace: Workspace, context: FixContext) -> FixResult:
    plan = context.plan
    return FixResult(
        repository=target.issue.repository,
        issue_number=target.issue.number,
        issue_title=target.issue.title,
        category=target.category,
        workspace=workspace.path,
        branch=workspace.branch,
        base_branch=workspace.base_branch,
        base_sha=workspace.base_sha,
        head_sha=None,
        diff="",
        files_changed=(),
        tests_added=(),
        before=None,
        after=None,
        existing_tests_passed=False,
        risk=None,
        turns=0,
        input_tokens=0,
        output_tokens=0,
        cost_usd=0.0,
        duration_s=0.0,
        outcome=Outcome.error,
        fixer=FixerKind.agent,
        provider="",
        language=plan.language if plan else target.language,
    )


def _failed(template: FixResult, outcome: Outcome, reason: str) -> FixResult:
    return replace(template, outcome=outcome, reason=reason)


def _finish(
    template: FixResult,
    workspace: Workspace,
    validation: Validation,
    target: FixTarget,
    config: EngineConfig,
    *,
    fixer: FixerKind,
    provider_label: str,
    attempt: int,
    summary: str,
    started: float,
) -> FixResult:
    """Risk from the diff, the outcome, and the commit of a validated, unrefused change."""
    suite_passed = validation.suite is not None and validation.suite.ok
    risk: RiskAssessment = assess(
        validation.diff,
        category=target.category,
        complexity=target.complexity,
        tests_named=validation.tests,
        failed_before_passed_after=validation.failed_before_passed_after,
        suite_passed=suite_passed,
        known_secrets=config.known_secrets,
    )
    summary = _clean_summary(summary, config.known_secrets)
    if risk.refused:
        outcome, reason = Outcome.refused, risk.reasons[-1]
    elif validation.ok:
        outcome, reason = Outcome.validated, validation.reason
    elif not validation.files:
        outcome, reason = Outcome.no_change, validation.reason
    else:
        outcome, reason = Outcome.failed, validation.reason
    head = None
    if outcome is Outcome.validated:
        head = workspace.commit(
            _commit_message(target.issue, summary, validation, provider_label),
            name=config.commit_name,
            email=config.commit_email,
        )
    return replace(
        template,
        head_sha=head,
        diff=validation.diff,
        files_changed=validation.files,
        tests_added=validation.tests,
        before=validation.before,
        after=validation.after,
        suite=validation.suite,
        existing_tests_passed=suite_passed,
        risk=risk,
        outcome=outcome,
        reason=reason,
        fixer=fixer,
        provider=provider_label,
        attempt=attempt,
        summary=summary,
        duration_s=round(time.monotonic() - started, 3),
    )


def _clean_summary(summary: str, known_secrets: Sequence[str]) -> str:
    """The fixer's own words are untrusted: cut, redacted, dropped if they hold a secret."""
    text = redact(summary.strip())[:MAX_SUMMARY_CHARS]
    if any(p.search(text) for p in SECRET_PATTERNS.values()) or any(
        s and s in text for s in known_secrets
    ):
        return "(summary withheld: it contained a secret-looking value)"
    return text


def _commit_message(
    issue: IssueRecord, summary: str, validation: Validation, provider_label: str
) -> str:
    title = " ".join(issue.title.split())[:60]
    lines = [f"Fix #{issue.number}: {title}", "", summary or "(no summary)", ""]
    if validation.prose_only:
        lines.append("Validated: prose-only change; the test suite passes.")
    else:
        lines.append(
            f"Validated: {', '.join(validation.tests[:5])} failed before this change and pass "
            "after it; the test suite passes."
        )
    lines.append(f"Generated by GlobaLLM ({provider_label}).")
    return "\n".join(lines)


def _agent_env(command: Sequence[str], env: Sequence[tuple[str, str]]) -> dict[str, str]:
    """The plan's variables, and its interpreter's directory first on PATH, so ``python`` in
    an agent's command is the interpreter that has the test runner."""
    result = dict(env)
    first = Path(command[0])
    if first.is_absolute():
        result["PATH"] = f"{first.parent}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}"
    return result
