"""The local forge on real git repositories: pull requests, the sandboxed required check on the
merge result, merges that land exactly the tested tree, and the rows behind them."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from globallm_assets.forge.base import (
    CheckState,
    ForgeError,
    Mergeability,
    PRState,
    PullRequestRequest,
)
from globallm_assets.forge.local import REQUIRED_CHECK
from globallm_assets_tests.forge.conftest import FIXED, NEW_TEST, REPO, Hosted, seed_issue
from globallm_assets_tests.forge.gitrepos import commit, fix_workspace, git

BRANCH = "globallm/issue-1-add-subtracts"


def _push_fix(h: Hosted, tmp_path: Path, files=None, branch: str = BRANCH, name: str = "ws"):
    ws = fix_workspace(
        h.bare,
        tmp_path / name,
        branch,
        files or {"calc.py": FIXED, "tests/test_add.py": NEW_TEST},
        "Make add() add (fixes #1)",
    )
    target = h.forge.ensure_push_access(REPO)
    h.forge.push_branch(target, ws.path, ws.head_sha, ws.branch)
    return ws, target


def _open(h: Hosted, tmp_path: Path, *, draft: bool = False, **kw):
    ws, target = _push_fix(h, tmp_path, **kw)
    request = PullRequestRequest(
        title="Make add() add",
        body="Fixes #1",
        head_branch=ws.branch,
        base_branch="main",
        draft=draft,
        issue_number=1,
        labels=("bug", "globallm"),
    )
    return ws, h.forge.open_pull_request(REPO, target, request)


def _show(bare: Path, spec: str) -> str:
    return git("show", spec, cwd=bare)


def test_pull_request_is_tested_on_its_merge_result_and_merged_into_the_bare_base(
    hosted: Hosted, tmp_path: Path
) -> None:
    ws, pr = _open(hosted, tmp_path)
    assert pr.number == 2  # after issue #1: one sequence, as on GitHub
    checks = hosted.forge.check_results(REPO, pr.number)
    assert [(c.name, c.state) for c in checks] == [(REQUIRED_CHECK, CheckState.success)]
    assert "2 passed" in checks[0].summary
    merge_ref = git("rev-parse", f"refs/pull/{pr.number}/merge", cwd=hosted.bare)
    assert git("rev-parse", f"{merge_ref}^2", cwd=hosted.bare) == ws.head_sha

    attempt = hosted.forge.merge_if_green(pr, "merge")
    assert attempt.merged
    # The fix is on the bare repository's main, as git sees it.
    assert _show(hosted.bare, "main:calc.py") == FIXED.rstrip("\n")
    assert git("rev-parse", "main", cwd=hosted.bare) == attempt.merge_sha == merge_ref
    with psycopg.connect(hosted.dsn) as conn:
        pr_row = conn.execute(
            "SELECT state, merge_sha FROM local_pull_requests WHERE number = %s", (pr.number,)
        ).fetchone()
        issue_state = conn.execute(
            "SELECT state FROM issues WHERE repository = %s AND number = 1", (REPO,)
        ).fetchone()
    assert pr_row == ("merged", attempt.merge_sha)
    assert issue_state == ("closed",)
    status = hosted.forge.pull_request_status(REPO, pr.number)
    assert status.state is PRState.merged and status.merge_sha == attempt.merge_sha


def test_squash_lands_the_tested_tree_as_one_commit_on_the_base(
    hosted: Hosted, tmp_path: Path
) -> None:
    base_before = git("rev-parse", "main", cwd=hosted.bare)
    _, pr = _open(hosted, tmp_path)
    tested = git("rev-parse", f"refs/pull/{pr.number}/merge^{{tree}}", cwd=hosted.bare)
    attempt = hosted.forge.merge_if_green(pr, "squash")
    assert attempt.merged
    assert git("rev-parse", "main^{tree}", cwd=hosted.bare) == tested
    assert git("rev-parse", "main^", cwd=hosted.bare) == base_before
    message = git("log", "-1", "--format=%B", "main", cwd=hosted.bare)
    assert message.startswith(f"Make add() add (#{pr.number})")
    assert f"Pull-Request: #{pr.number}" in message


def test_a_failing_merge_result_blocks_the_merge(hosted: Hosted, tmp_path: Path) -> None:
    _, pr = _open(hosted, tmp_path)
    assert hosted.forge.check_results(REPO, pr.number)[0].state is CheckState.success
    # Meanwhile main gains a test the fix breaks: the head alone was green, the merge is not.
    other = tmp_path / "maintainer"
    git("clone", "--quiet", str(hosted.bare), str(other), cwd=tmp_path)
    pinned = "from calc import add\n\n\ndef test_neg():\n    assert add(2, 3) == -1\n"
    commit(other, {"tests/test_sub.py": pinned}, "Pin the old behaviour")
    git("push", "--quiet", "origin", "main", cwd=other)
    main_before = git("rev-parse", "main", cwd=hosted.bare)

    assert hosted.forge.pull_request_status(REPO, pr.number).mergeability is Mergeability.behind
    attempt = hosted.forge.merge_if_green(pr, "merge")
    assert not attempt.merged and REQUIRED_CHECK in attempt.reason
    assert git("rev-parse", "main", cwd=hosted.bare) == main_before
    status = hosted.forge.pull_request_status(REPO, pr.number)
    assert status.state is PRState.open and status.mergeability is Mergeability.blocked
    assert status.checks[0].state is CheckState.failure
    assert "1 failed" in status.checks[0].summary


def test_second_pull_request_is_retested_on_the_moved_base_and_lands_on_top(
    hosted: Hosted, tmp_path: Path
) -> None:
    _, first = _open(hosted, tmp_path)
    seed_issue(hosted.dsn, number=5, title="mul docs")
    ws2, target = _push_fix(
        hosted,
        tmp_path,
        files={"README.md": "# calc\n"},
        branch="globallm/issue-5-docs",
        name="ws2",
    )
    second = hosted.forge.open_pull_request(
        REPO,
        target,
        PullRequestRequest("Add a README", "Fixes #5", ws2.branch, "main", False, 5),
    )
    assert hosted.forge.merge_if_green(first, "merge").merged
    with psycopg.connect(hosted.dsn) as conn:
        runs_before = conn.execute("SELECT count(*) FROM local_check_runs").fetchone()[0]
    landed = hosted.forge.merge_if_green(second, "merge")
    assert landed.merged
    with psycopg.connect(hosted.dsn) as conn:
        runs_after = conn.execute("SELECT count(*) FROM local_check_runs").fetchone()[0]
    assert runs_after == runs_before + 1  # its old check tested a base that no longer exists
    assert _show(hosted.bare, "main:calc.py") == FIXED.rstrip("\n")
    assert _show(hosted.bare, "main:README.md") == "# calc"


def test_conflicting_pull_request_is_reported_and_never_merged(
    hosted: Hosted, tmp_path: Path
) -> None:
    _, first = _open(hosted, tmp_path)
    seed_issue(hosted.dsn, number=7)
    ws2, target = _push_fix(
        hosted,
        tmp_path,
        files={"calc.py": FIXED.replace("a + b", "b + a")},
        branch="globallm/issue-7-other",
        name="ws2",
    )
    second = hosted.forge.open_pull_request(
        REPO, target, PullRequestRequest("Other add", "Fixes #7", ws2.branch, "main", False, 7)
    )
    assert hosted.forge.merge_if_green(first, "merge").merged
    attempt = hosted.forge.merge_if_green(second, "merge")
    assert not attempt.merged and "conflict" in attempt.reason
    status = hosted.forge.pull_request_status(REPO, second.number)
    assert status.mergeability is Mergeability.conflict


def test_draft_waits_until_marked_ready(hosted: Hosted, tmp_path: Path) -> None:
    _, pr = _open(hosted, tmp_path, draft=True)
    assert not hosted.forge.merge_if_green(pr, "merge").merged
    assert not hosted.forge.enable_auto_merge(pr, "merge").merged
    hosted.forge.mark_ready(pr)
    assert hosted.forge.enable_auto_merge(pr, "merge").merged


def test_auto_merge_respects_the_repository_setting(hosted: Hosted, tmp_path: Path) -> None:
    hosted.forge.create_repository(
        REPO, hosted.upstream, check_command=None, allow_auto_merge=False
    )
    _, pr = _open(hosted, tmp_path)
    attempt = hosted.forge.enable_auto_merge(pr, "merge")
    assert not attempt.merged and "not allowed" in attempt.reason
    assert hosted.forge.required_checks(REPO, "main") == []


def test_reviews_and_comments_are_reported(hosted: Hosted, tmp_path: Path) -> None:
    _, pr = _open(hosted, tmp_path)
    hosted.forge.review(
        REPO,
        pr.number,
        author="maintainer",
        state="CHANGES_REQUESTED",
        body="Please add a docstring",
        comments=[("calc.py", 2, "Why not sum()?")],
    )
    hosted.forge.comment(REPO, pr.number, "Updated.")
    status = hosted.forge.pull_request_status(REPO, pr.number)
    assert status.changes_requested
    assert [(c.author, c.path, c.line, c.body) for c in status.comments] == [
        ("maintainer", "calc.py", 2, "Why not sum()?"),
        ("globallm", None, None, "Updated."),
    ]
    hosted.forge.close_pull_request(REPO, pr.number, "Closing in favour of #9")
    assert hosted.forge.pull_request_status(REPO, pr.number).state is PRState.closed
    assert not hosted.forge.merge_if_green(pr, "merge").merged


def test_issue_status_reads_the_tracker_links_and_opt_out_file(
    hosted: Hosted, tmp_path: Path
) -> None:
    assert hosted.forge.issue_status(REPO, 1).refusal() is None
    _, pr = _open(hosted, tmp_path)
    assert hosted.forge.issue_status(REPO, 1).open_pull_requests == (pr.number,)
    seed_issue(hosted.dsn, number=1, assignees=["alice"])
    assert "@alice" in (hosted.forge.issue_status(REPO, 1).refusal() or "")

    maintainer = tmp_path / "maintainer"
    git("clone", "--quiet", str(hosted.bare), str(maintainer), cwd=tmp_path)
    commit(maintainer, {".github/globallm.yml": "enabled: false\n"}, "No bots, thanks")
    git("push", "--quiet", "origin", "main", cwd=maintainer)
    assert "opted out" in (hosted.forge.issue_status(REPO, 1).refusal() or "")
    with pytest.raises(ForgeError, match="no such issue"):
        hosted.forge.issue_status(REPO, 404)


def test_a_merge_whose_row_update_was_lost_is_recognised_from_git(
    hosted: Hosted, tmp_path: Path
) -> None:
    _, pr = _open(hosted, tmp_path)
    merged = hosted.forge.merge_if_green(pr, "squash")
    with psycopg.connect(hosted.dsn) as conn:
        conn.execute(
            "UPDATE local_pull_requests SET state = 'open', merge_sha = NULL, merged_at = NULL "
            "WHERE number = %s",
            (pr.number,),
        )
    status = hosted.forge.pull_request_status(REPO, pr.number)
    assert status.state is PRState.merged and status.merge_sha == merged.merge_sha


def test_unpushed_branch_and_unknown_repository_are_clear_errors(
    hosted: Hosted, tmp_path: Path
) -> None:
    target = hosted.forge.ensure_push_access(REPO)
    with pytest.raises(ForgeError, match="was not pushed"):
        hosted.forge.open_pull_request(
            REPO, target, PullRequestRequest("t", "b", "nope", "main", False, 1)
        )
    with pytest.raises(ForgeError, match="not hosted"):
        hosted.forge.ensure_push_access("acme/other")


def test_a_push_to_the_branch_moves_the_head_and_voids_old_checks(
    hosted: Hosted, tmp_path: Path
) -> None:
    ws, pr = _open(hosted, tmp_path)
    commit(ws.path, {"extra.py": "x = 1\n"}, "One more thing")
    git("push", "--quiet", str(hosted.bare), f"HEAD:refs/heads/{BRANCH}", cwd=ws.path)
    status = hosted.forge.pull_request_status(REPO, pr.number)
    assert status.head_sha != pr.head_sha and status.checks == ()
    assert status.mergeability is Mergeability.blocked
    attempt = hosted.forge.merge_if_green(pr, "merge")  # pr still names the old head
    assert not attempt.merged and "head changed" in attempt.reason
