"""contribute() and refresh_outcomes() with the GitHub forge, against the GitHub fake: the same
service path as the local forge, through fork, push, pull request, labels and auto-merge."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from globallm_assets.core.risk import RiskLevel
from globallm_assets.services.contribute import contribute, refresh_outcomes
from globallm_assets.settings import ConfigError, load_settings
from globallm_assets_tests.fakes.github_forge import FakeForgeGitHub
from globallm_assets_tests.forge.conftest import BOT_TOKEN
from globallm_assets_tests.forge.conftest import GH_REPO as REPO
from globallm_assets_tests.forge.fixes import make_fix
from globallm_assets_tests.forge.gitrepos import fix_workspace

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
