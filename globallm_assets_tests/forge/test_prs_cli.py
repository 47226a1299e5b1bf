"""`globallm prs list | refresh` through the real entry point on a real local forge."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from globallm_assets.core.risk import RiskLevel
from globallm_assets.services.contribute import contribute
from globallm_assets.settings import load_settings
from globallm_assets_tests.cli_runner import cli
from globallm_assets_tests.forge.conftest import FIXED, NEW_TEST, REPO, Hosted
from globallm_assets_tests.forge.fixes import make_fix
from globallm_assets_tests.forge.gitrepos import fix_workspace


@pytest.fixture
def opened(hosted: Hosted, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Hosted:
    """One HIGH-risk draft pull request on the local forge; the CLI finds that forge."""
    monkeypatch.setenv("GLOBALLM_FORGE__KIND", "local")
    monkeypatch.setenv("GLOBALLM_FORGE__LOCAL_ROOT", str(hosted.root))
    ws = fix_workspace(
        hosted.bare,
        tmp_path / "ws",
        "globallm/issue-1-fix",
        {"calc.py": FIXED, "tests/test_add.py": NEW_TEST},
        "Fix add",
    )
    settings = load_settings(overrides={"database.url": hosted.dsn})
    report = contribute(
        settings, make_fix(ws, REPO, level=RiskLevel.HIGH), forge=hosted.forge, dsn=hosted.dsn
    )
    assert report.status == "draft"
    return hosted


def test_list_and_refresh_show_the_pull_request_and_its_review(opened: Hosted, capsys) -> None:
    opened.forge.review(REPO, 2, author="maintainer", state="APPROVED", body="ok")
    assert cli("--database-url", opened.dsn, "prs", "refresh", "--export", "json") == 0
    refreshed = json.loads(capsys.readouterr().out)
    assert refreshed["refreshed"] == 1 and refreshed["errors"] == []

    assert cli("--database-url", opened.dsn, "prs", "list", "--export", "json") == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["repository"], r["number"], r["state"], r["draft"]) for r in rows] == [
        (REPO, 2, "open", True)
    ]
    assert rows[0]["reviews"][0]["state"] == "APPROVED"

    assert cli("--database-url", opened.dsn, "prs", "list", "--state", "merged") == 0
    assert "No pull requests yet" in capsys.readouterr().out


def test_bad_state_is_a_usage_error(opened: Hosted, capsys) -> None:
    assert cli("--database-url", opened.dsn, "prs", "list", "--state", "weird") == 2
    assert "--state must be one of" in capsys.readouterr().err
