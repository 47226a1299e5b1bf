"""contribute() and refresh_outcomes() with the GitHub forge, against the GitHub fake: the same
service path as the local forge, through fork, push, pull request, labels and auto-merge."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest

from globallm_assets.core.models import IssueRecord
from globallm_assets.core.risk import RiskLevel
from globallm_assets.services.contribute import contribute, refresh_outcomes
from globallm_assets.settings import ConfigError, load_settings
from globallm_assets_tests.fakes.github_forge import FakeForgeGitHub
from globallm_assets_tests.forge.conftest import BOT_TOKEN
from globallm_assets_tests.forge.conftest import GH_REPO as REPO
from globallm_assets_tests.forge.fixes import make_fix
from globallm_assets_tests.forge.gitrepos import fix_workspace

BRANCH = "globallm/issue-1-add"
PARSE_TEST = "from lib import parse\n\n\ndef test_strip():\n    assert parse(' a ') == 'a'\n"


def _settings(fake: FakeForgeGitHub, dsn: str):
    return load_settings(
        overrides={
            "database.url": dsn,
            "source.kind": "github",
            "github.api_url": fake.url,
            "github.token": BOT_TOKEN,
            "forge.fork_wait": 0,
        },
        env_file=None,
    )


def _fix(upstream: Path, tmp_path: Path, **kw):
    ws = fix_workspace(
        upstream,
        tmp_path / "ws",
        "globallm/issue-1-add",
        {"lib.py": "def parse(x):\n    return x.strip()\n", "tests/test_parse.py": PARSE_TEST},
        "Fix parse (fixes #1)",
    )
    return make_fix(
        ws, REPO, issue_title="parse() drops whitespace", tests_added=("tests/test_parse.py",), **kw
    )


def _outcome(dsn: str) -> tuple:
    with psycopg.connect(dsn) as conn:
        return conn.execute(
            "SELECT state, auto_merge, auto_merge_via, draft, head_repository FROM pr_outcomes"
        ).fetchone()


def test_low_risk_fix_goes_through_a_fork_and_github_auto_merges_it(
    github_world,
    dsn: str,
    tmp_path: Path,
) -> None:
    fake, upstream = github_world
    fake.allow_auto_merge.add(REPO.lower())
    fake.protect(REPO, "main", ["ci/tests"], strict=False)
    fix = _fix(upstream, tmp_path)
    settings = _settings(fake, dsn)
    report = contribute(settings, fix, dsn=dsn)
    assert report.status == "auto_merge", report.reason
    pull = fake.pull(REPO, report.pr_number)
    assert pull.head_repo == "globallm-bot/lib" and pull.head_sha == fix.head_sha
    assert set(pull.labels) == {"bug", "globallm"}
    assert pull.body.startswith("Fixes #1 (https://github.invalid/octo/lib/issues/1)")
    assert pull.auto_merge is not None
    assert _outcome(dsn) == ("open", "enabled", "forge", False, "globallm-bot/lib")

    fake.complete_check(REPO, fix.head_sha, "ci/tests", "success")  # GitHub merges it
    refreshed = refresh_outcomes(settings, dsn=dsn)
    assert refreshed.merged == [f"{REPO}#{report.pr_number}"]
    assert _outcome(dsn)[:2] == ("merged", "merged")


def test_medium_risk_stays_a_draft_until_green_then_is_readied_and_merged(
    github_world,
    dsn: str,
    tmp_path: Path,
) -> None:
    fake, upstream = github_world
    fake.allow_auto_merge.add(REPO.lower())
    fake.protect(REPO, "main", ["ci/tests"], strict=False)
    fix = _fix(upstream, tmp_path, level=RiskLevel.MEDIUM)
    settings = _settings(fake, dsn)
    report = contribute(settings, fix, dsn=dsn)
    assert report.status == "draft" and "waiting for checks" in report.reason
    pull = fake.pull(REPO, report.pr_number)
    assert pull.draft and any("MEDIUM" in c["body"] for c in pull.comments)

    assert refresh_outcomes(settings, dsn=dsn).merged == []  # still pending
    fake.complete_check(REPO, fix.head_sha, "ci/tests", "success")
    refreshed = refresh_outcomes(settings, dsn=dsn)
    assert refreshed.merged == [f"{REPO}#{report.pr_number}"]
    assert not pull.draft and pull.merged
    mutations = [r for r in fake.stats.log if r.kind == "graphql_mutation"]
    assert len(mutations) == 2  # markPullRequestReadyForReview, enablePullRequestAutoMerge


def test_high_risk_opens_a_draft_and_asks_github_for_nothing_more(
    github_world,
    dsn: str,
    tmp_path: Path,
) -> None:
    fake, upstream = github_world
    fake.allow_auto_merge.add(REPO.lower())
    report = contribute(
        _settings(fake, dsn), _fix(upstream, tmp_path, level=RiskLevel.HIGH), dsn=dsn
    )
    assert report.status == "draft"
    assert fake.pull(REPO, report.pr_number).draft
    assert not any(r.kind == "graphql_mutation" for r in fake.stats.log)


def test_assigned_issue_on_github_is_skipped_before_any_write(
    github_world,
    dsn: str,
    tmp_path: Path,
) -> None:
    fake, upstream = github_world
    repo = fake.repo(REPO)
    repo.issues[0] = repo.issues[0].model_copy(update={"assignees": ["alice"]})
    report = contribute(_settings(fake, dsn), _fix(upstream, tmp_path), dsn=dsn)
    assert report.status == "skipped" and "@alice" in report.reason
    writes = [r for r in fake.stats.log if r.method != "GET" and r.kind != "graphql"]
    assert writes == []


def test_github_without_a_token_is_a_configuration_error(dsn: str, tmp_path: Path) -> None:
    settings = load_settings(
        overrides={"database.url": dsn, "source.kind": "github"}, env_file=None
    )
    upstream = tmp_path / "up"
    from globallm_assets_tests.forge.gitrepos import init_repo

    init_repo(upstream, {"lib.py": "x = 1\n"})
    with pytest.raises(ConfigError, match="GITHUB_TOKEN"):
        contribute(settings, _fix(upstream, tmp_path), dsn=dsn)


def test_failing_checks_disable_github_auto_merge_and_free_the_base_branch_slot(
    github_world,
    dsn: str,
    tmp_path: Path,
) -> None:
    """One auto-merge per base branch: a pull request whose required check failed must not keep
    the slot (GitHub would hold it armed until someone re-runs the check)."""
    fake, upstream = github_world
    fake.allow_auto_merge.add(REPO.lower())
    fake.protect(REPO, "main", ["ci/tests"], strict=False)
    fake.repo(REPO).issues.append(
        IssueRecord(
            repository=REPO, number=2, title="parse() ignores tabs", body="tabs stay",
            state="open", created_at=datetime(2024, 1, 2, tzinfo=UTC),
        )
    )  # fmt: skip
    settings = _settings(fake, dsn)
    first = _fix(upstream, tmp_path)
    report = contribute(settings, first, dsn=dsn)
    assert report.status == "auto_merge", report.reason
    pull = fake.pull(REPO, report.pr_number)
    assert pull.auto_merge is not None

    fake.complete_check(REPO, first.head_sha, "ci/tests", "failure")
    refresh_outcomes(settings, dsn=dsn)
    assert pull.auto_merge is None and pull.state == "open"  # disarmed on GitHub
    with psycopg.connect(dsn) as conn:
        state = conn.execute(
            "SELECT auto_merge, auto_merge_via, auto_merge_reason FROM pr_outcomes "
            "WHERE number = %s",
            (report.pr_number,),
        ).fetchone()
    assert state[:2] == ("waiting", None) and "failing checks: ci/tests" in state[2]
    # The next poll does not arm it again while the check still fails.
    refresh_outcomes(settings, dsn=dsn)
    assert pull.auto_merge is None
    with psycopg.connect(dsn) as conn:
        assert conn.execute(
            "SELECT count(*) FROM pr_outcomes WHERE auto_merge = 'enabled'"
        ).fetchone() == (0,)

    # The slot is free: a second pull request to the same base branch is armed at once.
    ws = fix_workspace(
        upstream, tmp_path / "ws2", "globallm/issue-2-tabs",
        {"lib.py": "def parse(x):\n    return x.strip(' \\t')\n", "tests/test_tabs.py": PARSE_TEST},
        "Strip tabs (fixes #2)",
    )  # fmt: skip
    second = make_fix(
        ws, REPO, issue_number=2, issue_title="parse() ignores tabs",
        tests_added=("tests/test_tabs.py",),
    )  # fmt: skip
    other = contribute(settings, second, dsn=dsn)
    assert other.status == "auto_merge", other.reason
    assert fake.pull(REPO, other.pr_number).auto_merge is not None

    refresh_outcomes(settings, dsn=dsn)
    assert fake.pull(REPO, other.pr_number).auto_merge is not None  # still holds the slot
    fake.complete_check(REPO, first.head_sha, "ci/tests", "success")  # no merge: disarmed
    assert pull.auto_merge is None and not pull.merged


def test_the_poll_deletes_an_abandoned_contributions_branch_from_the_fork(
    github_world,
    dsn: str,
    tmp_path: Path,
) -> None:
    """The agent pushed to its fork and died before opening the pull request: once the
    reservation expires, the poll deletes the branch through the git refs API (and a branch
    that is already gone is not an error)."""
    from globallm_assets.services.contribute import open_forge
    from globallm_assets.store import forge as store

    fake, upstream = github_world
    settings = _settings(fake, dsn)
    fix = _fix(upstream, tmp_path)
    forge = open_forge(settings, dsn)
    target = forge.ensure_push_access(REPO)
    assert target.is_fork and target.repository == "globallm-bot/lib"
    with psycopg.connect(dsn) as conn:
        ids = []
        for number, branch in ((1, fix.branch), (2, "globallm/issue-2-never-pushed")):
            cid, _ = store.reserve_contribution(
                conn, forge="github", repository=REPO, issue_number=number, solution_id=None,
                branch=branch, base_branch="main", head_sha=fix.head_sha, risk_level="LOW",
                max_open=3, max_per_hour=5,
            )  # fmt: skip
            assert cid is not None
            store.set_push_target(conn, cid, target.repository, target.remote_url, True)
            ids.append(cid)
        forge.push_branch(target, fix.workspace, fix.head_sha, fix.branch)
        store.set_contribution(conn, ids[0], "pushed")
        conn.execute("UPDATE contributions SET updated_at = now() - interval '2 hours'")
    assert fake.branch_sha("globallm-bot/lib", BRANCH) == fix.head_sha
    report = refresh_outcomes(settings, dsn=dsn)
    assert report.abandoned == 2 and report.branches_deleted == 2, report.errors
    assert fake.branch_sha("globallm-bot/lib", BRANCH) is None
    deletes = [r for r in fake.stats.log if r.method == "DELETE"]
    assert [r.path.rsplit("/heads/", 1)[1] for r in deletes] == [
        BRANCH,
        "globallm/issue-2-never-pushed",
    ]
    assert refresh_outcomes(settings, dsn=dsn).branches_deleted == 0
