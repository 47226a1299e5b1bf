"""`globallm fix` end to end on the local forge: planted bug → sandboxed fix → PR → merged."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from globallm_assets.core.models import RepoMetadata
from globallm_assets.services import issues as issue_service
from globallm_assets.services.contribute import open_forge
from globallm_assets.settings import load_settings
from globallm_assets.sources import planted
from globallm_assets.store import repositories as repo_store
from globallm_assets.store.db import prepare
from globallm_assets.store.issues import upsert_issues
from globallm_assets_tests.cli_runner import cli
from globallm_assets_tests.fixer.conftest import needs_sandbox

pytestmark = needs_sandbox


@pytest.fixture
def hosted(tmp_path: Path, dsn: str, monkeypatch: pytest.MonkeyPatch) -> dict:
    """The planted repository hosted on the local forge, its issue in the store (the tracker)."""
    monkeypatch.setenv("GLOBALLM_DATABASE_URL", dsn)
    monkeypatch.setenv("GLOBALLM_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("GLOBALLM_SOURCE__KIND", "simulated")
    monkeypatch.setenv("GLOBALLM_LLM__PROVIDER", "replay")
    settings = load_settings()
    # The simulated world has its own database on the server (<name>_demo).
    dsn = prepare(settings).dsn
    repo = planted.create("textstats", tmp_path / "upstream")
    forge = open_forge(settings, dsn)
    check = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    bare = forge.create_repository(repo.repository, repo.path, check_command=check)
    meta = RepoMetadata(
        full_name=repo.repository,
        language="python",
        stars=5000,
        license="MIT",
        default_branch="main",
    )
    with psycopg.connect(dsn) as conn:
        repo_store.upsert_repositories(conn, [(meta, "python")], source="simulated")
        upsert_issues(conn, [repo.issue])
        issue_service.score_repositories(settings, conn, [repo.repository])
    return {"bare": bare, "repo": repo, "dsn": dsn}


def test_a_fix_becomes_a_merged_pull_request_with_the_fix_on_the_base_branch(
    hosted: dict, capsys
) -> None:
    dsn = hosted["dsn"]
    url = "local-forge://planted/textstats/issues/12"
    code = cli("fix", "--issue-url", url, "--export", "json")
    captured = capsys.readouterr()
    assert code == 0, captured.err
    data = json.loads(captured.out)
    assert data["result"]["outcome"] == "validated"
    contribution = data["contribution"]
    assert contribution["status"] == "merged", contribution["reason"]
    assert contribution["risk_level"] == "LOW" and not contribution["draft"]
    assert "replay" in contribution["body"].lower()  # the PR says who wrote it

    bare = hosted["bare"]
    main = subprocess.run(
        ["git", "show", "main:textstats/core.py"],
        cwd=bare,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "if not items:" in main
    tests = subprocess.run(
        ["git", "show", "main:tests/test_empty_text.py"],
        cwd=bare,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "mean_word_length" in tests
    with psycopg.connect(dsn) as conn:
        state = conn.execute(
            "SELECT state FROM issues WHERE repository = 'planted/textstats' AND number = 12"
        ).fetchone()
        solution = conn.execute(
            "SELECT outcome, head_sha FROM solutions WHERE repository = 'planted/textstats'"
        ).fetchone()
    assert state == ("closed",)  # the merge closed the issue, like a closing keyword
    assert solution[0] == "validated" and solution[1]


def test_no_auto_merge_leaves_the_pull_request_open(hosted: dict, capsys) -> None:
    url = "local-forge://planted/textstats/issues/12"
    assert cli("fix", "--issue-url", url, "--no-auto-merge", "--export", "json") == 0
    contribution = json.loads(capsys.readouterr().out)["contribution"]
    assert contribution["status"] == "open" and contribution["auto_merge"] == "off"
    main = subprocess.run(
        ["git", "show", "main:textstats/core.py"],
        cwd=hosted["bare"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "if not items:" not in main


def test_dry_run_previews_the_pull_request_and_pushes_nothing(
    hosted: dict, tmp_path: Path, capsys
) -> None:
    url = "local-forge://planted/textstats/issues/12"
    code = cli(
        "fix",
        "--issue-url",
        url,
        "--dry-run",
        "--output",
        str(tmp_path / "out"),
        "--export",
        "json",
    )
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert data["contribution"]["status"] == "dry_run"
    report = Path(data["report"]).read_text()
    assert "would make: dry_run" in report and "pull request" in report
    branches = subprocess.run(
        ["git", "branch", "--list"], cwd=hosted["bare"], capture_output=True, text=True, check=True
    ).stdout
    assert "globallm/" not in branches  # nothing pushed


def test_without_a_url_the_best_issue_is_claimed_fixed_and_completed(hosted: dict, capsys) -> None:
    dsn = hosted["dsn"]
    with psycopg.connect(dsn) as conn:
        conn.execute("UPDATE repositories SET worth_working_on = true")
        conn.execute(
            "INSERT INTO issue_rankings (repository, number, priority) "
            "SELECT repository, number, 0.9 FROM issues"
        )
    assert cli("fix", "--export", "json") == 0, capsys.readouterr().err
    data = json.loads(capsys.readouterr().out)
    assert data["result"]["repository"] == "planted/textstats"
    assert data["contribution"]["status"] == "merged"
    with psycopg.connect(dsn) as conn:
        status = conn.execute(
            "SELECT assignment_status, assigned_to FROM issues WHERE number = 12"
        ).fetchone()
        fix_tokens = conn.execute(
            "SELECT COALESCE(sum(reserved), 0) FROM token_budget WHERE scope = 'repository' "
            "AND key = 'planted/textstats'"
        ).fetchone()
    assert status == ("completed", None)  # the claim ended with the outcome
    # Model calls were charged to the claimed issue's repository as well as the week.
    assert fix_tokens[0] == data["result"]["input_tokens"] + data["result"]["output_tokens"]


def test_the_fleets_fix_function_refuses_an_issue_it_cannot_clone(hosted: dict) -> None:
    dsn = hosted["dsn"]
    from globallm_assets.services import agent
    from globallm_assets.services.fix import fix_claimed

    meta = RepoMetadata(full_name="acme/elsewhere", language="python", stars=5000)
    issue = hosted["repo"].issue.model_copy(update={"repository": "acme/elsewhere"})
    with psycopg.connect(dsn) as conn:
        repo_store.upsert_repositories(conn, [(meta, "python")], source="simulated")
        upsert_issues(conn, [issue])
        issue_service.score_repositories(load_settings(), conn, ["acme/elsewhere"])
        conn.execute("UPDATE repositories SET worth_working_on = true")
        conn.execute(
            "INSERT INTO issue_rankings (repository, number, priority) "
            "SELECT repository, number, 0.9 FROM issues"
        )
    report = agent.fix_one(load_settings(), dsn, fix_claimed, target=("acme/elsewhere", 12))
    assert report.status == "failed" and "not hosted on the local forge" in report.detail
