"""Learning from outcomes end to end: pull requests opened through `contribute` on the real local
forge, maintainers merging, closing and asking for no bot PRs, the forge polled, and the
priority of the repository's other issues recomputed by the product's own ranking."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from globallm_assets.core.models import IssueRecord, RepoMetadata
from globallm_assets.fixer.sandbox import SandboxLimits
from globallm_assets.forge.local import LocalForge
from globallm_assets.services import issues as issue_service
from globallm_assets.services.agent import refresh_pr_outcomes
from globallm_assets.services.claim import claim
from globallm_assets.services.contribute import contribute, refresh_outcomes
from globallm_assets.settings import Settings, load_settings
from globallm_assets.store import repositories as repo_store
from globallm_assets.store.issues import save_fetch_state, upsert_issues
from globallm_assets_tests.forge.fixes import make_fix
from globallm_assets_tests.forge.gitrepos import fix_workspace, init_repo

CALC = "def add(a, b):\n    return a - b\n"
FIXED = "def add(a, b):\n    return a + b\n"
NEW_TEST = "from calc import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n"


@dataclass
class Site:
    settings: Settings
    dsn: str
    forge: LocalForge
    tmp: Path

    def host(self, repository: str) -> None:
        """A repository on the forge (no required check) with two open bug reports, stored,
        scored and ranked like any approved repository."""
        upstream = self.tmp / repository.replace("/", "__")
        init_repo(upstream, {"calc.py": CALC})
        self.forge.create_repository(repository, upstream, check_command=None)
        meta = RepoMetadata(full_name=repository, language="python", stars=3000, license="MIT")
        issues = [
            IssueRecord(
                repository=repository,
                number=number,
                title=f"add() is wrong in case {number}",
                body="add(2, 3) returns -1\n\nTraceback (most recent call last):\n  boom",
                labels=["bug"],
            )
            for number in (1, 2)
        ]
        with psycopg.connect(self.dsn) as conn:
            repo_store.upsert_repositories(conn, [(meta, "python")], source="simulated")
            repo_store.write_health(conn, [(repository, 0.8, {})])
            repo_store.write_impact(conn, [(repository, 0.6, {})])
            repo_store.write_verdicts(conn, [(repository, True, "test")])
            upsert_issues(conn, issues)
            issue_service.score_repositories(self.settings, conn, [repository])
        self.rank()

    def rank(self) -> None:
        issue_service.rank_partition(self.settings, self.dsn, language="python")

    def contribute(self, repository: str, number: int = 1, **kw):
        ws = fix_workspace(
            self.forge.bare_path(repository),
            self.tmp / f"ws-{repository.replace('/', '__')}-{number}",
            f"globallm/issue-{number}-fix",
            {"calc.py": FIXED, "tests/test_add.py": NEW_TEST},
            f"Make add() add (fixes #{number})",
        )
        fix = make_fix(ws, repository, issue_number=number)
        return contribute(self.settings, fix, forge=self.forge, dsn=self.dsn, **kw)

    def refresh(self):
        return refresh_outcomes(self.settings, forge=self.forge, dsn=self.dsn)

    def issue(self, repository: str, number: int) -> dict:
        with psycopg.connect(self.dsn) as conn, conn.cursor(row_factory=psycopg.rows.dict_row) as c:
            return c.execute(
                "SELECT k.priority, k.c_acceptance, i.do_not_touch, i.do_not_touch_reason "
                "FROM issues i LEFT JOIN issue_rankings k "
                "ON k.repository = i.repository AND k.number = i.number "
                "WHERE i.repository = %s AND i.number = %s",
                (repository, number),
            ).fetchone()


@pytest.fixture
def site(dsn: str, tmp_path: Path) -> Site:
    settings = load_settings(
        overrides={"database.url": dsn, "source.kind": "simulated", "data_dir": str(tmp_path)},
        env_file=None,
    )
    forge = LocalForge(tmp_path / "forge", dsn, limits=SandboxLimits(wall_seconds=60))
    return Site(settings, dsn, forge, tmp_path)


def _component(issue: dict) -> float:
    return issue["c_acceptance"]


def test_a_merged_pull_request_raises_the_priority_of_the_repositorys_other_issues(
    site: Site,
) -> None:
    site.host("acme/merges")
    before = site.issue("acme/merges", 2)
    assert _component(before) == 0.0  # nothing learned yet: neutral
    assert site.contribute("acme/merges").status == "merged"
    site.refresh()
    site.rank()
    after = site.issue("acme/merges", 2)
    # One merge against a prior worth 4 pull requests at 50 %: acceptance 3/5, signal 0.6,
    # priority + 0.2 · (2 · 0.6 − 1) = + 0.04.
    assert _component(after) == pytest.approx(0.04)
    assert after["priority"] == pytest.approx(before["priority"] + 0.04)


def test_a_closed_pull_request_lowers_priority_without_opting_out(site: Site) -> None:
    site.host("acme/declines")
    before = site.issue("acme/declines", 2)
    report = site.contribute("acme/declines", auto_merge=False)
    assert report.status == "open"
    site.forge.review(
        "acme/declines", report.pr_number, author="maintainer", state="COMMENTED",
        body="Thanks, but we would rather fix this differently.",
    )  # fmt: skip
    site.forge.close_pull_request("acme/declines", report.pr_number)
    # The fleet's poll (pr_outcomes_job) learns as `prs refresh` does.
    assert refresh_pr_outcomes(site.settings, site.dsn).refreshed == 1
    site.rank()
    after = site.issue("acme/declines", 2)
    assert _component(after) == pytest.approx(-0.04)
    assert after["priority"] == pytest.approx(before["priority"] - 0.04)
    assert not after["do_not_touch"]


def test_weight_zero_turns_learning_off_in_the_ranking(site: Site) -> None:
    site.host("acme/merges")
    site.contribute("acme/merges")
    site.refresh()
    site.settings = load_settings(
        overrides={"database.url": site.dsn, "priority_weights.acceptance": 0}, env_file=None
    )
    site.rank()
    assert _component(site.issue("acme/merges", 2)) == 0.0


def test_a_request_for_no_bot_pull_requests_opts_the_repository_out(site: Site) -> None:
    site.host("acme/nobots")
    report = site.contribute("acme/nobots", auto_merge=False)
    site.forge.review(
        "acme/nobots", report.pr_number, author="maintainer", state="COMMENTED",
        body="Please, no bot PRs here. We review every change by hand.",
    )  # fmt: skip
    site.forge.close_pull_request("acme/nobots", report.pr_number)
    refreshed = site.refresh()
    reason = refreshed.opted_out["acme/nobots"]
    assert reason.startswith("maintainer on pull request #") and "no bot PRs here" in reason
    # Do-not-touch applies at once: the open issue is left alone and cannot be claimed.
    issue = site.issue("acme/nobots", 2)
    assert issue["do_not_touch"] and issue["priority"] is None
    assert "no bot PRs here" in issue["do_not_touch_reason"]
    assert claim(site.settings, site.dsn, "agent-1").issue is None
    # A later fetch (its opt-out file and topics say nothing) does not undo the request …
    with psycopg.connect(site.dsn) as conn:
        save_fetch_state(conn, "acme/nobots", None, opted_out=False, opt_out_reason=None)
        conn.commit()
        issue_service.score_repositories(site.settings, conn, ["acme/nobots"])
        conn.commit()
    site.rank()
    assert site.issue("acme/nobots", 2)["do_not_touch"]
    # … and the forge's etiquette check skips the repository.
    again = site.contribute("acme/nobots", number=2)
    assert again.status == "skipped" and "opted out" in again.reason
    assert site.refresh().opted_out == {}  # recorded once
