"""`globallm fix` through the real entry point: the store, a clone, the replay, the sandbox."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest

from globallm_assets.core.models import RepoMetadata
from globallm_assets.fixer.models import FixResult, Outcome
from globallm_assets.services import issues as issue_service
from globallm_assets.services.fix import FixInputError, parse_issue_url
from globallm_assets.settings import load_settings
from globallm_assets.sources import planted
from globallm_assets.store import repositories as repo_store
from globallm_assets.store import solutions as solution_store
from globallm_assets.store.issues import upsert_issues
from globallm_assets_tests.cli_runner import cli
from globallm_assets_tests.fixer.conftest import needs_sandbox


@pytest.mark.parametrize(
    ("url", "repository", "number", "host"),
    [
        ("https://github.com/pallets/flask/issues/5000", "pallets/flask", 5000, "github"),
        ("https://ghe.example.com/a-b/c.d/issues/7/", "a-b/c.d", 7, "github"),
        ("local-forge://planted/textstats/issues/12", "planted/textstats", 12, "local"),
        ("planted/textstats#12", "planted/textstats", 12, "auto"),
    ],
)
def test_issue_urls(url: str, repository: str, number: int, host: str) -> None:
    ref = parse_issue_url(url)
    assert (ref.repository, ref.number, ref.host) == (repository, number, host)


@pytest.mark.parametrize(
    "url",
    [
        "https://github.com/pallets/flask/pull/5000",
        "https://github.com/pallets/flask/issues/abc",
        "https://github.com/pallets/flask/issues/0",
        "ftp://github.com/a/b/issues/1",
        "pallets/flask",
        "../../etc#1",
    ],
)
def test_bad_issue_urls_are_refused(url: str) -> None:
    with pytest.raises(FixInputError, match="not an issue URL"):
        parse_issue_url(url)


def test_bad_url_is_one_line_and_exit_2(capsys) -> None:
    assert cli("fix", "--issue-url", "https://github.com/o/r/pull/3") == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and "not an issue URL" in err and "\n" not in err


@pytest.fixture
def world(tmp_path: Path, dsn: str, monkeypatch: pytest.MonkeyPatch) -> dict:
    """The planted repositories as remotes, their issues scored in the store, the replay on."""
    remotes = planted.create_all(tmp_path / "remotes", bare=True)
    sources = {r.repository: str(r.path) for r in remotes}
    monkeypatch.setenv("GLOBALLM_DATABASE_URL", dsn)
    monkeypatch.setenv("GLOBALLM_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("GLOBALLM_FIX__CLONE_SOURCES", json.dumps(sources))
    monkeypatch.setenv("GLOBALLM_LLM__PROVIDER", "replay")
    settings = load_settings()
    with psycopg.connect(dsn) as conn:
        for repo in remotes:
            meta = RepoMetadata(
                full_name=repo.repository, language=repo.spec.language, stars=5000, license="MIT"
            )
            repo_store.upsert_repositories(conn, [(meta, repo.spec.language)], source="github")
            upsert_issues(conn, [repo.issue])
        issue_service.score_repositories(settings, conn, [r.repository for r in remotes])
    return {"remotes": remotes, "tmp": tmp_path}


@needs_sandbox
def test_dry_run_fixes_the_issue_and_writes_patch_and_report(world: dict, dsn: str, capsys) -> None:
    out = world["tmp"] / "out"
    code = cli(
        "fix",
        "--issue-url",
        "planted/textstats#12",
        "--dry-run",
        "--output",
        str(out),
        "--export",
        "json",
    )
    captured = capsys.readouterr()
    assert code == 0, captured.err
    data = json.loads(captured.out)  # stdout is JSON and nothing else
    assert data["result"]["outcome"] == "validated"
    assert "replay" in data["result"]["provider"]
    patch = Path(data["patch"])
    assert patch.parent == out and "+    if not items:" in patch.read_text()
    report = Path(data["report"]).read_text()
    assert "validated" in report and "Nothing was pushed" in report
    assert "not a live model" in report  # the replay says what it is
    assert not list(out.glob(".*"))  # no temp files left behind
    with psycopg.connect(dsn) as conn:
        rows = solution_store.solutions_for(conn, "planted/textstats", 12)
    assert len(rows) == 1
    stored = FixResult.from_record(rows[0])
    assert (
        stored.outcome is Outcome.validated and stored.solution_id == data["result"]["solution_id"]
    )
    assert stored.before is not None and stored.before.failed == 2
    assert stored.risk is not None and stored.risk.level.value == data["result"]["risk_level"]
    assert stored.turns == 5 and stored.cost_usd > 0


@needs_sandbox
def test_misspelling_fixed_without_a_model_and_progress_shown(world: dict, capsys) -> None:
    code = cli(
        "fix",
        "--issue-url",
        "planted/configlite#3",
        "--dry-run",
        "--output",
        str(world["tmp"] / "out"),
    )
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "codespell" in captured.err and "validating" in captured.err  # progress per stage
    assert "validated" in captured.out


def test_unknown_issue_is_a_usage_error(world: dict, capsys) -> None:
    assert cli("fix", "--issue-url", "planted/textstats#99", "--dry-run") == 2
    assert "no such issue" in capsys.readouterr().err


@needs_sandbox
def test_without_a_url_the_top_ranked_issue_is_fixed(world: dict, dsn: str, capsys) -> None:
    with psycopg.connect(dsn) as conn:
        conn.execute("UPDATE repositories SET worth_working_on = true")
        conn.execute(
            "INSERT INTO issue_rankings (repository, number, priority) "
            "SELECT repository, number, CASE repository WHEN 'planted/configlite' THEN 0.9 "
            "ELSE 0.1 END FROM issues"
        )
    code = cli("fix", "--dry-run", "--output", str(world["tmp"] / "out"), "--export", "json")
    captured = capsys.readouterr()
    assert code == 0, captured.err
    result = json.loads(captured.out)["result"]
    assert (result["repository"], result["issue_number"]) == ("planted/configlite", 3)


def test_solutions_rows_round_trip(dsn: str, tmp_path: Path) -> None:
    from globallm_assets.core.risk import assess
    from globallm_assets.fixer.models import FixerKind, TestRun

    run = TestRun(("python", "-m", "pytest"), 1, 0, 1, "E   ZeroDivisionError", 0.5)
    diff = "diff --git a/x.py b/x.py\n--- a/x.py\n+++ b/x.py\n@@ -1 +1 @@\n-a\n+b\n"
    result = FixResult(
        repository="o/r",
        issue_number=3,
        issue_title="t",
        category="bug",
        workspace=tmp_path,
        branch="globallm/issue-3-t",
        base_branch="main",
        base_sha="a" * 40,
        head_sha=None,
        diff=diff,
        files_changed=("x.py",),
        tests_added=(),
        before=run,
        after=None,
        existing_tests_passed=False,
        risk=assess(
            diff, category="bug", complexity=4, failed_before_passed_after=False, suite_passed=False
        ),
        turns=3,
        input_tokens=100,
        output_tokens=20,
        cost_usd=0.0012,
        duration_s=1.5,
        outcome=Outcome.failed,
        fixer=FixerKind.agent,
        provider="scripted test double",
        reason="no test",
    )
    with psycopg.connect(dsn) as conn:
        solution_id = solution_store.insert_solution(conn, result.as_record())
        back = FixResult.from_record(solution_store.get_solution(conn, solution_id))
    assert back == FixResult(**{**result.__dict__, "solution_id": solution_id})


@needs_sandbox
def test_a_github_issue_url_fetches_the_issue_through_the_api(
    tmp_path: Path, dsn: str, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    from globallm_assets_tests.fakes.github_server import FakeGitHub, synthesize_repo

    remote = planted.create("textstats", tmp_path / "remotes", bare=True)
    issue = remote.issue.model_copy(update={"repository": "acme/textstats"})
    meta = RepoMetadata(full_name="acme/textstats", language="python", stars=5000, license="MIT")
    recording = json.loads(remote.recording.read_text()) | {"repository": "acme/textstats"}
    replays = tmp_path / "replays"
    replays.mkdir()
    (replays / "acme.json").write_text(json.dumps(recording))
    monkeypatch.setenv("GLOBALLM_DATABASE_URL", dsn)
    monkeypatch.setenv("GLOBALLM_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv(
        "GLOBALLM_FIX__CLONE_SOURCES", json.dumps({"acme/textstats": str(remote.path)})
    )
    monkeypatch.setenv("GLOBALLM_LLM__PROVIDER", "replay")
    monkeypatch.setenv("GLOBALLM_LLM__REPLAY_DIR", str(replays))
    monkeypatch.setenv("GITHUB_TOKEN", "tok_test_aaaaaaaa")
    with FakeGitHub([synthesize_repo(meta, issues=[issue])], tokens=["tok_test_aaaaaaaa"]) as fake:
        monkeypatch.setenv("GITHUB_API_URL", fake.url)
        code = cli(
            "fix",
            "--issue-url",
            "https://github.com/acme/textstats/issues/12",
            "--dry-run",
            "--output",
            str(tmp_path / "out"),
            "--export",
            "json",
        )
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert json.loads(captured.out)["result"]["outcome"] == "validated"
    with psycopg.connect(dsn) as conn:
        stored = conn.execute(
            "SELECT title, category FROM issues WHERE repository = 'acme/textstats'"
        ).fetchall()
    assert stored == [(issue.title, "bug")]  # fetched from the API and scored by the rules
