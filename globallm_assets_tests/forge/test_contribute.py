"""contribute() and refresh_outcomes() on the real local forge: the risk policy's actions,
secrets, etiquette guards, caps, the one-auto-merge-per-branch rule, and failure handling."""

from __future__ import annotations

import logging
from pathlib import Path

import psycopg
import pytest

from globallm_assets.core.risk import RiskLevel
from globallm_assets.fixer.models import Outcome
from globallm_assets.forge.base import PRState, PullRequest
from globallm_assets.services.contribute import contribute, pr_body, refresh_outcomes
from globallm_assets.settings import load_settings
from globallm_assets.store import forge as store
from globallm_assets_tests.forge.conftest import (
    FIXED,
    NEW_TEST,
    REPO,
    Hosted,
    seed_issue,
)
from globallm_assets_tests.forge.fixes import SCRIPTED, make_fix
from globallm_assets_tests.forge.gitrepos import fix_workspace, git

FAKE_TOKEN = "ghp_" + "Zq9" * 12  # shaped like a GitHub token, valid nowhere


def _settings(dsn: str, **overrides: object):
    return load_settings(
        overrides={"database.url": dsn, "source.kind": "simulated", **overrides}, env_file=None
    )


def _fix(h: Hosted, tmp_path: Path, *, number: int = 1, files=None, name="ws", **kw):
    ws = fix_workspace(
        h.bare,
        tmp_path / name,
        f"globallm/issue-{number}-fix",
        files or {"calc.py": FIXED, "tests/test_add.py": NEW_TEST},
        f"Make add() add (fixes #{number})",
    )
    return make_fix(ws, REPO, issue_number=number, **kw)


def _go(h: Hosted, fix, **kw):
    settings = kw.pop("settings", None) or _settings(h.dsn)
    return contribute(settings, fix, forge=h.forge, dsn=h.dsn, **kw)


def _branches(h: Hosted) -> list[str]:
    return git("for-each-ref", "--format=%(refname:short)", "refs/heads", cwd=h.bare).split()


def _rows(dsn: str, query: str, *args: object) -> list[tuple]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(query, args).fetchall()


def test_low_risk_fix_is_opened_and_merged_with_the_fix_on_the_base_branch(
    hosted: Hosted, tmp_path: Path
) -> None:
    fix = _fix(hosted, tmp_path)
    report = _go(hosted, fix)
    assert report.status == "merged", report.reason
    assert report.risk_level == "LOW" and not report.draft
    assert git("show", "main:calc.py", cwd=hosted.bare) == FIXED.rstrip("\n")
    assert set(report.labels) == {"bug", "globallm"}
    outcome = _rows(
        hosted.dsn,
        "SELECT state, auto_merge, risk_level, issue_number, tokens FROM pr_outcomes",
    )
    assert outcome == [("merged", "merged", "LOW", 1, 9000 + 1234)]
    assert _rows(hosted.dsn, "SELECT status, pr_number FROM contributions") == [
        ("opened", report.pr_number)
    ]
    body = _rows(hosted.dsn, "SELECT body FROM local_pull_requests")[0][0]
    assert body.startswith("Fixes #1")
    assert "generated automatically by GlobaLLM" in body
    assert "scripted/replayed model" in body
    assert "10,234 tokens" in body and "$0.0421" in body
    assert "### Risk: LOW" in body and "tests/test_add.py" in body


def test_no_auto_merge_opens_a_ready_pull_request_that_stays_open(
    hosted: Hosted, tmp_path: Path
) -> None:
    main_before = git("rev-parse", "main", cwd=hosted.bare)
    report = _go(hosted, _fix(hosted, tmp_path), auto_merge=False)
    assert report.status == "open" and report.auto_merge == "off" and not report.draft
    refresh = refresh_outcomes(_settings(hosted.dsn), hosted.dsn, forge=hosted.forge)
    assert refresh.refreshed == 1 and not refresh.merged
    assert str(refresh).startswith("1 refreshed, 0 merged")
    assert git("rev-parse", "main", cwd=hosted.bare) == main_before
    # Undecided: its branch stays for the maintainers.
    assert refresh.branches_deleted == 0 and "globallm/issue-1-fix" in _branches(hosted)
    assert "auto-merge disabled" in _rows(hosted.dsn, "SELECT body FROM local_pull_requests")[0][0]


def test_medium_risk_opens_a_draft_notifies_and_merges_once_green(
    hosted: Hosted, tmp_path: Path
) -> None:
    report = _go(hosted, _fix(hosted, tmp_path, level=RiskLevel.MEDIUM))
    assert report.status == "merged" and report.draft
    comments = _rows(hosted.dsn, "SELECT body FROM local_pr_comments")
    assert any("MEDIUM" in c[0] for c in comments)
    assert _rows(hosted.dsn, "SELECT notified, draft FROM pr_outcomes") == [(True, False)]


def test_high_risk_opens_a_draft_for_manual_review_only(hosted: Hosted, tmp_path: Path) -> None:
    main_before = git("rev-parse", "main", cwd=hosted.bare)
    report = _go(hosted, _fix(hosted, tmp_path, level=RiskLevel.HIGH))
    assert report.status == "draft" and report.draft and report.auto_merge == "off"
    assert _rows(hosted.dsn, "SELECT draft, state FROM local_pull_requests") == [(True, "open")]
    refresh_outcomes(_settings(hosted.dsn), forge=hosted.forge, dsn=hosted.dsn)
    assert git("rev-parse", "main", cwd=hosted.bare) == main_before


def test_critical_risk_pushes_nothing(hosted: Hosted, tmp_path: Path) -> None:
    fix = _fix(
        hosted,
        tmp_path,
        files={".github/workflows/ci.yml": "on: push\n", "calc.py": FIXED},
    )
    assert fix.risk is not None and fix.risk.level is RiskLevel.CRITICAL
    report = _go(hosted, fix)
    assert report.status == "refused" and "CRITICAL" in report.reason
    assert _branches(hosted) == ["main"]
    assert _rows(hosted.dsn, "SELECT count(*) FROM local_pull_requests") == [(0,)]
    assert _rows(hosted.dsn, "SELECT status FROM contributions") == [("refused",)]


def test_a_fixer_that_under_rates_risk_is_overruled_by_the_diff(
    hosted: Hosted, tmp_path: Path
) -> None:
    fix = _fix(
        hosted, tmp_path, files={"pyproject.toml": "[project]\n", "calc.py": FIXED},
        level=RiskLevel.LOW,
    )  # fmt: skip
    report = _go(hosted, fix)
    assert report.status == "refused" and "dependency manifest" in report.reason
    assert _branches(hosted) == ["main"]


def test_unvalidated_fix_is_refused(hosted: Hosted, tmp_path: Path) -> None:
    from dataclasses import replace

    fix = replace(_fix(hosted, tmp_path), outcome=Outcome.failed, reason="tests still fail")
    report = _go(hosted, fix)
    assert report.status == "refused" and "tests still fail" in report.reason
    assert _branches(hosted) == ["main"]


def test_a_secret_in_the_diff_is_never_pushed_or_logged(
    hosted: Hosted, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", FAKE_TOKEN)
    caplog.set_level(logging.DEBUG)
    leaked = FIXED + f"\nTOKEN = '{FAKE_TOKEN}'\n"
    fix = _fix(hosted, tmp_path, files={"calc.py": leaked, "tests/test_add.py": NEW_TEST})
    report = _go(hosted, fix, settings=_settings(hosted.dsn))
    assert report.status == "refused" and "secret" in report.reason
    assert FAKE_TOKEN not in report.reason and FAKE_TOKEN not in report.body
    assert _branches(hosted) == ["main"]
    assert FAKE_TOKEN not in caplog.text
    stored = _rows(hosted.dsn, "SELECT reason FROM contributions")[0][0]
    assert FAKE_TOKEN not in stored


def test_an_environment_secret_in_the_pull_request_text_is_refused(
    hosted: Hosted, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "hunter2-but-much-longer-42"
    monkeypatch.setenv("DEPLOY_PASSWORD", secret)
    fix = _fix(hosted, tmp_path, issue_title=f"add() fails when password is {secret}")
    report = _go(hosted, fix)
    assert report.status == "refused" and "pull request text" in report.reason
    assert secret not in report.reason
    assert _branches(hosted) == ["main"]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"state": "closed"}, "issue is closed"),
        ({"locked": True}, "issue is locked"),
        ({"assignees": ["alice"]}, "assigned to @alice"),
    ],
)
def test_etiquette_skips_closed_locked_and_assigned_issues(
    hosted: Hosted, tmp_path: Path, change: dict, expected: str
) -> None:
    seed_issue(hosted.dsn, **change)
    report = _go(hosted, _fix(hosted, tmp_path))
    assert report.status == "skipped" and expected in report.reason
    assert _branches(hosted) == ["main"]


def test_etiquette_skips_opted_out_repositories(hosted: Hosted, tmp_path: Path) -> None:
    settings = _settings(hosted.dsn, **{"forge.opted_out_repositories": [REPO.upper()]})
    report = _go(hosted, _fix(hosted, tmp_path), settings=settings)
    assert report.status == "skipped" and "opted out" in report.reason
    with psycopg.connect(hosted.dsn) as conn:
        conn.execute(
            "INSERT INTO issue_fetch_state (repository, opted_out, opt_out_reason) "
            "VALUES (%s, true, 'topic no-globallm')",
            (REPO,),
        )
    report = _go(hosted, _fix(hosted, tmp_path, name="ws2"))
    assert report.status == "skipped" and "no-globallm" in report.reason
    assert _branches(hosted) == ["main"]


def test_etiquette_skips_an_issue_already_referenced_by_an_open_pull_request(
    hosted: Hosted, tmp_path: Path
) -> None:
    first = _go(hosted, _fix(hosted, tmp_path, level=RiskLevel.HIGH))
    assert first.status == "draft"
    second = _go(hosted, _fix(hosted, tmp_path, name="ws2"))
    assert second.status == "skipped"
    assert f"#{first.pr_number}" in second.reason


def test_caps_on_open_pull_requests_and_pull_requests_per_hour(
    hosted: Hosted, tmp_path: Path
) -> None:
    for n in (2, 3, 4):
        seed_issue(hosted.dsn, number=n)
    settings = _settings(hosted.dsn, **{"forge.max_open_prs_per_repo": 1})
    first = _go(hosted, _fix(hosted, tmp_path, level=RiskLevel.HIGH), settings=settings)
    assert first.status == "draft"
    capped = _go(
        hosted, _fix(hosted, tmp_path, number=2, name="ws2", level=RiskLevel.HIGH),
        settings=settings,
    )  # fmt: skip
    assert capped.status == "skipped" and "open pull request" in capped.reason

    hourly = _settings(
        hosted.dsn,
        **{"forge.max_open_prs_per_repo": 10, "forge.max_prs_per_hour_per_repo": 2},
    )
    second = _go(
        hosted, _fix(hosted, tmp_path, number=3, name="ws3", level=RiskLevel.HIGH), settings=hourly
    )
    assert second.status == "draft"
    third = _go(
        hosted, _fix(hosted, tmp_path, number=4, name="ws4", level=RiskLevel.HIGH), settings=hourly
    )
    assert third.status == "skipped" and "last hour" in third.reason


def test_a_failure_after_the_push_leaves_no_branch_and_is_recorded(
    hosted: Hosted, tmp_path: Path
) -> None:
    from dataclasses import replace

    fix = replace(_fix(hosted, tmp_path), base_branch="release")  # the forge has no such base
    report = _go(hosted, fix)
    assert report.status == "failed" and "release" in report.reason
    assert _branches(hosted) == ["main"]
    assert _rows(hosted.dsn, "SELECT status FROM contributions") == [("failed",)]
    assert _rows(hosted.dsn, "SELECT count(*) FROM pr_outcomes") == [(0,)]
    assert _rows(
        hosted.dsn, "SELECT push_repository, branch_deleted_at IS NOT NULL FROM contributions"
    ) == [(REPO, True)]  # fmt: skip


def test_the_poll_deletes_the_branch_of_a_contribution_abandoned_after_its_push(
    hosted: Hosted, tmp_path: Path
) -> None:
    """An agent that dies between the push and the pull request leaves a pushed branch; once
    the reservation expires, the poll deletes it from the forge (once)."""
    fix = _fix(hosted, tmp_path)
    with psycopg.connect(hosted.dsn) as conn:
        cid, _ = store.reserve_contribution(
            conn, forge="local", repository=REPO, issue_number=1, solution_id=None,
            branch=fix.branch, base_branch="main", head_sha=fix.head_sha, risk_level="LOW",
            max_open=3, max_per_hour=2,
        )  # fmt: skip
        assert cid is not None
        target = hosted.forge.ensure_push_access(REPO)
        store.set_push_target(conn, cid, target.repository, target.remote_url, target.is_fork)
        conn.commit()
        hosted.forge.push_branch(target, fix.workspace, fix.head_sha, fix.branch)  # then dies
        store.set_contribution(conn, cid, "pushed")
        conn.commit()
    settings = _settings(hosted.dsn)
    young = refresh_outcomes(settings, forge=hosted.forge, dsn=hosted.dsn)
    assert young.abandoned == 0 and young.branches_deleted == 0  # its agent may be alive
    assert fix.branch in _branches(hosted)
    with psycopg.connect(hosted.dsn) as conn:
        conn.execute(
            "UPDATE contributions SET updated_at = now() - interval '2 hours' WHERE id = %s",
            (cid,),
        )
    report = refresh_outcomes(settings, forge=hosted.forge, dsn=hosted.dsn)
    assert report.abandoned == 1 and report.branches_deleted == 1, report.errors
    assert _branches(hosted) == ["main"]
    assert _rows(
        hosted.dsn, "SELECT status, branch_deleted_at IS NOT NULL FROM contributions"
    ) == [("failed", True)]  # fmt: skip
    again = refresh_outcomes(settings, forge=hosted.forge, dsn=hosted.dsn)
    assert again.branches_deleted == 0 and again.errors == []


def test_one_auto_merge_per_base_branch_is_enforced_by_the_database(
    hosted: Hosted, tmp_path: Path
) -> None:
    seed_issue(hosted.dsn, number=2)
    first = _go(hosted, _fix(hosted, tmp_path, level=RiskLevel.HIGH))
    second = _go(
        hosted,
        _fix(hosted, tmp_path, number=2, name="ws2", files={"README.md": "# calc\n"}),
        auto_merge=False,
    )
    with psycopg.connect(hosted.dsn) as conn:
        conn.execute("UPDATE pr_outcomes SET auto_merge = 'waiting', draft = false")
        assert store.arm_auto_merge(conn, "local", REPO, first.pr_number, "poll")
        assert not store.arm_auto_merge(conn, "local", REPO, second.pr_number, "poll")
        conn.execute(
            "UPDATE pr_outcomes SET state = 'closed' WHERE number = %s", (first.pr_number,)
        )
        assert store.arm_auto_merge(conn, "local", REPO, second.pr_number, "poll")


def test_a_waiting_auto_merge_is_armed_and_merged_by_the_poll_once_the_slot_frees(
    hosted: Hosted, tmp_path: Path
) -> None:
    seed_issue(hosted.dsn, number=2)
    blocker = _go(hosted, _fix(hosted, tmp_path, level=RiskLevel.HIGH))
    with psycopg.connect(hosted.dsn) as conn:  # pretend it holds main's auto-merge slot
        conn.execute("UPDATE pr_outcomes SET auto_merge = 'enabled', auto_merge_via = 'forge'")
    docs = _go(hosted, _fix(hosted, tmp_path, number=2, name="ws2", files={"README.md": "# c\n"}))
    assert docs.status == "open" and "another auto-merge holds main" in docs.reason
    hosted.forge.close_pull_request(REPO, blocker.pr_number, "Not needed")
    report = refresh_outcomes(_settings(hosted.dsn), forge=hosted.forge, dsn=hosted.dsn)
    assert f"{REPO}#{blocker.pr_number}" in report.closed
    assert f"{REPO}#{docs.pr_number}" in report.merged
    assert git("show", "main:README.md", cwd=hosted.bare) == "# c"
    # Both decided in this poll: the closed one's branch and the merged one's are gone.
    assert report.branches_deleted == 2 and _branches(hosted) == ["main"]
    again = refresh_outcomes(_settings(hosted.dsn), forge=hosted.forge, dsn=hosted.dsn)
    assert again.branches_deleted == 0 and again.errors == []


def test_refresh_records_reviews_comments_checks_and_a_maintainer_merge(
    hosted: Hosted, tmp_path: Path
) -> None:
    report = _go(hosted, _fix(hosted, tmp_path, level=RiskLevel.HIGH))
    hosted.forge.review(
        REPO, report.pr_number, author="maintainer", state="APPROVED", body="LGTM",
        comments=[("calc.py", 2, "nice")],
    )  # fmt: skip
    result = refresh_outcomes(_settings(hosted.dsn), forge=hosted.forge, dsn=hosted.dsn)
    assert result.refreshed == 1
    row = _rows(hosted.dsn, "SELECT state, reviews, review_comments, checks FROM pr_outcomes")[0]
    assert row[0] == "open"
    assert row[1][0]["state"] == "APPROVED" and row[2][0]["path"] == "calc.py"
    assert row[3][0]["name"] == "globallm/sandboxed-tests" and row[3][0]["state"] == "success"

    # A maintainer takes it out of draft and merges it.
    status = hosted.forge.pull_request_status(REPO, report.pr_number)
    assert status.draft
    ref = PullRequest(
        REPO, status.number, "", REPO, "globallm/issue-1-fix", status.head_sha, "main", True
    )
    hosted.forge.mark_ready(ref)
    assert hosted.forge.merge_if_green(ref, "merge").merged
    after = refresh_outcomes(_settings(hosted.dsn), forge=hosted.forge, dsn=hosted.dsn)
    assert after.merged == [f"{REPO}#{report.pr_number}"]
    assert after.branches_deleted == 1 and _branches(hosted) == ["main"]
    assert _rows(hosted.dsn, "SELECT state, merge_sha IS NOT NULL FROM pr_outcomes") == [
        ("merged", True)
    ]
    assert hosted.forge.pull_request_status(REPO, report.pr_number).state is PRState.merged


def test_dry_run_builds_the_pull_request_and_pushes_nothing(hosted: Hosted, tmp_path: Path) -> None:
    report = _go(hosted, _fix(hosted, tmp_path), dry_run=True)
    assert report.status == "dry_run" and report.body.startswith("Fixes #1")
    assert _branches(hosted) == ["main"]
    assert _rows(hosted.dsn, "SELECT count(*) FROM contributions") == [(0,)]


def test_a_dry_run_that_stops_early_records_no_contribution(hosted: Hosted, tmp_path: Path) -> None:
    """Refused (risk), skipped (etiquette) and unvalidated dry runs preview only: the same
    guards answer, but no contributions row is written (a real run would write one each)."""
    from dataclasses import replace

    critical = _fix(
        hosted, tmp_path, files={".github/workflows/ci.yml": "on: push\n", "calc.py": FIXED},
        name="critical",
    )  # fmt: skip
    opted_out = _settings(hosted.dsn, **{"forge.opted_out_repositories": [REPO]})
    unvalidated = replace(
        _fix(hosted, tmp_path, name="failed"), outcome=Outcome.failed, reason="tests still fail"
    )
    reports = [
        _go(hosted, critical, dry_run=True),
        _go(hosted, _fix(hosted, tmp_path, name="skipped"), dry_run=True, settings=opted_out),
        _go(hosted, unvalidated, dry_run=True),
    ]
    assert [r.status for r in reports] == ["refused", "skipped", "refused"]
    assert "CRITICAL" in reports[0].reason and "opted out" in reports[1].reason
    assert all(r.contribution_id is None for r in reports)
    assert _rows(hosted.dsn, "SELECT count(*) FROM contributions") == [(0,)]
    assert _branches(hosted) == ["main"]
    # The same refusal without --dry-run is recorded.
    assert _go(hosted, critical).contribution_id is not None
    assert _rows(hosted.dsn, "SELECT status FROM contributions") == [("refused",)]


def test_pr_body_says_plainly_who_made_it(hosted: Hosted, tmp_path: Path) -> None:
    fix = _fix(hosted, tmp_path, provider="anthropic claude-sonnet-4")
    assert fix.risk is not None
    body = pr_body(fix, fix.risk, issue_url="https://example.invalid/issues/1")
    assert "generated automatically by GlobaLLM" in body and "claude-sonnet-4" in body
    assert "scripted" not in body.lower()
    assert SCRIPTED.startswith("Scripted")


def test_model_text_in_the_body_cannot_break_out_of_its_fence(
    hosted: Hosted, tmp_path: Path
) -> None:
    from dataclasses import replace

    fix = replace(_fix(hosted, tmp_path), summary="Done.\n```\n## Risk: LOW, please merge\n```")
    assert fix.risk is not None
    body = pr_body(fix, fix.risk, issue_url="u")
    summary_at = body.index("The fixer's own summary:")
    fence = body[summary_at:].split("\n")[2]
    assert fence == "````text"
    closing = body.index("\n````\n", summary_at)
    assert body.index("## Risk: LOW, please merge") < closing


def test_a_red_pull_request_gives_the_auto_merge_slot_back(hosted: Hosted, tmp_path: Path) -> None:
    seed_issue(hosted.dsn, number=2)
    broken = FIXED.replace("a + b", "a * b")  # the fix breaks the suite on the merge result
    red = _go(
        hosted, _fix(hosted, tmp_path, files={"calc.py": broken, "tests/test_add.py": NEW_TEST})
    )
    assert red.status == "open" and "failed" in red.reason
    assert _rows(hosted.dsn, "SELECT auto_merge FROM pr_outcomes") == [("waiting",)]
    green = _go(
        hosted, _fix(hosted, tmp_path, number=2, name="ws2", files={"README.md": "# calc\n"})
    )
    assert green.status == "merged", green.reason
    assert git("show", "main:calc.py", cwd=hosted.bare) != broken.rstrip("\n")


def test_a_branch_changed_by_someone_else_is_never_auto_merged(
    hosted: Hosted, tmp_path: Path
) -> None:
    with psycopg.connect(hosted.dsn) as conn:  # hold main's slot so the fix cannot merge at once
        conn.execute("UPDATE local_forge_repositories SET allow_auto_merge = true")
    seed_issue(hosted.dsn, number=2)
    blocker = _go(hosted, _fix(hosted, tmp_path, level=RiskLevel.HIGH))
    with psycopg.connect(hosted.dsn) as conn:
        conn.execute("UPDATE pr_outcomes SET auto_merge = 'enabled', auto_merge_via = 'forge'")
    report = _go(hosted, _fix(hosted, tmp_path, number=2, name="ws2", files={"README.md": "x\n"}))
    assert report.status == "open"
    intruder = tmp_path / "intruder"
    git(
        "clone",
        "--quiet",
        "-b",
        "globallm/issue-2-fix",
        str(hosted.bare),
        str(intruder),
        cwd=tmp_path,
    )
    (intruder / "evil.py").write_text("import os\n")
    git("add", "-A", cwd=intruder)
    git("commit", "--quiet", "-m", "sneak in", cwd=intruder)
    git("push", "--quiet", "origin", "globallm/issue-2-fix", cwd=intruder)
    hosted.forge.close_pull_request(REPO, blocker.pr_number)
    result = refresh_outcomes(_settings(hosted.dsn), forge=hosted.forge, dsn=hosted.dsn)
    assert result.merged == []
    row = _rows(
        hosted.dsn, "SELECT auto_merge, auto_merge_reason FROM pr_outcomes WHERE number = %s",
        report.pr_number,
    )[0]  # fmt: skip
    assert row[0] == "cancelled" and "branch changed" in row[1]
    assert "evil.py" not in git("ls-tree", "-r", "--name-only", "main", cwd=hosted.bare)


def test_a_reservation_abandoned_mid_push_is_marked_failed_by_the_poll(hosted: Hosted) -> None:
    with psycopg.connect(hosted.dsn) as conn:
        cid, _ = store.reserve_contribution(
            conn, forge="local", repository=REPO, issue_number=1, solution_id=None,
            branch="b", base_branch="main", head_sha="0" * 40, risk_level="LOW",
            max_open=3, max_per_hour=2,
        )  # fmt: skip
        conn.execute(
            "UPDATE contributions SET updated_at = now() - interval '2 hours' WHERE id = %s",
            (cid,),
        )
    report = refresh_outcomes(_settings(hosted.dsn), forge=hosted.forge, dsn=hosted.dsn)
    assert report.abandoned == 1
    status, reason = _rows(hosted.dsn, "SELECT status, reason FROM contributions")[0]
    assert status == "failed" and "abandoned" in reason
