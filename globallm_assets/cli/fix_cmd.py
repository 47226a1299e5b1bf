"""`globallm fix`: fix one issue — validated in the sandbox, risk-assessed, then contributed."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from globallm_assets.cli.common import (
    CommandFailed,
    UsageError,
    check_export,
    console,
    emit_json,
    err_console,
    state,
)


def register(app: typer.Typer) -> None:
    app.command("fix")(fix)


def fix(
    ctx: typer.Context,
    issue_url: str | None = typer.Option(
        None,
        "--issue-url",
        help="https://github.com/OWNER/REPO/issues/N, local-forge://OWNER/REPO/issues/N or "
        "OWNER/REPO#N (default: claim the best available issue; a dry run only peeks)",
    ),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="everything but push and pull request; write patch and report"
    ),
    branch: str | None = typer.Option(None, "--branch", help="base branch (default: HEAD)"),
    no_auto_merge: bool = typer.Option(
        False, "--no-auto-merge", help="never auto-merge, whatever the risk"
    ),
    output: Path | None = typer.Option(
        None, "--output", help="where --dry-run writes (default: <data_dir>/fixes)"
    ),
    export: str | None = typer.Option(None, "--export", help="json: machine-readable stdout"),
) -> None:
    """Fix an issue: clone, let the fixer work in the sandbox, require a test that fails
    before and passes after, assess the risk from the diff, then contribute (or, with
    --dry-run, write the patch and a report).

    Example: globallm fix --issue-url https://github.com/pallets/flask/issues/5000 --dry-run
    """
    check_export(export)
    if branch is not None and (not branch.strip() or branch.startswith("-")):
        raise UsageError("--branch must be a branch name")
    from globallm_assets.fixer.sandbox import SandboxUnavailable
    from globallm_assets.fixer.workspace import WorkspaceError
    from globallm_assets.services.fix import (
        FixFailed,
        FixInputError,
        FixOptions,
        parse_issue_url,
        run_fix,
    )

    if issue_url is not None:
        try:
            parse_issue_url(issue_url)  # refuse a bad URL before any work starts
        except FixInputError as exc:
            raise UsageError(str(exc)) from None
    settings = state(ctx).settings()
    options = FixOptions(
        issue_url=issue_url,
        dry_run=dry_run,
        base_branch=branch,
        auto_merge=not no_auto_merge,
        reports_dir=output,
    )
    with err_console.status("fixing…") as status:

        def progress(message: str) -> None:
            status.update(f"fixing… {message}")
            if export is None:
                err_console.print(f"[dim]·[/dim] {message}", highlight=False)

        try:
            outcome = run_fix(settings, options, progress=progress)
        except FixInputError as exc:
            raise UsageError(str(exc)) from None
        except (SandboxUnavailable, WorkspaceError, FixFailed) as exc:
            raise CommandFailed(str(exc)) from None
    result = outcome.result
    if export == "json":
        emit_json(
            {
                "result": result.as_record() | {"solution_id": result.solution_id},
                "attempts": len(outcome.attempts),
                "patch": str(outcome.patch_path) if outcome.patch_path else None,
                "report": str(outcome.report_path) if outcome.report_path else None,
                "contribution": outcome.contribution.as_dict() if outcome.contribution else None,
                "message": outcome.message,
            }
        )
    else:
        _print(outcome)
    contribution = outcome.contribution
    # A dry run's preview that could not reach the forge does not fail the fix itself.
    failed = not dry_run and contribution is not None and contribution.status == "failed"
    if not result.validated or failed:
        raise typer.Exit(1)


def _print(outcome) -> None:
    result = outcome.result
    table = Table(title=f"{result.repository}#{result.issue_number}: {result.issue_title}")
    table.add_column("", style="bold")
    table.add_column("")
    color = "green" if result.validated else "red"
    table.add_row("outcome", f"[{color}]{result.outcome.value}[/{color}] — {result.reason}")
    table.add_row("fixer", f"{result.fixer.value} ({result.provider})")
    if result.risk is not None:
        table.add_row("risk", f"{result.risk.level.value} → {result.risk.action.value}")
    table.add_row("tests", ", ".join(result.tests_added) or "—")
    for label, run in (("before", result.before), ("after", result.after), ("suite", result.suite)):
        if run is not None:
            table.add_row(label, _run(run))
    table.add_row("branch", f"{result.branch} ({(result.head_sha or 'uncommitted')[:12]})")
    table.add_row(
        "cost",
        f"{result.turns} turns, {result.input_tokens + result.output_tokens} tokens, "
        f"${result.cost_usd:.4f}, {result.duration_s:.1f} s, {len(outcome.attempts)} attempt(s)",
    )
    contribution = outcome.contribution
    if contribution is not None:
        where = f" {contribution.pr_url}" if contribution.pr_url else ""
        table.add_row("contribution", f"{contribution.status}{where} — {contribution.reason}")
    if outcome.patch_path:
        table.add_row("patch", str(outcome.patch_path))
    if outcome.report_path:
        table.add_row("report", str(outcome.report_path))
    console.print(table)
    console.print(outcome.message)


def _run(run) -> str:
    if run.killed:
        return f"killed at the {run.killed} limit"
    counts = "no counts"
    if run.passed is not None or run.failed is not None:
        counts = f"{run.passed or 0} passed, {run.failed or 0} failed"
    return f"exit {run.exit_code}, {counts}, {run.duration_s:.1f} s"
