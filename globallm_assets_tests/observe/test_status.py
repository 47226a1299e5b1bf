"""`globallm status`: the report's figures come from what happened in the world, the JSON export
follows its published schema on stdout alone, and the dashboard fits 80 columns."""

from __future__ import annotations

import io
import json
from dataclasses import replace
from pathlib import Path

import jsonschema
import pytest
from rich.console import Console

from globallm_assets.cli import status_cmd
from globallm_assets.cli.status_cmd import Elided, elide, run_dashboard, status_view
from globallm_assets.services.status import collect
from globallm_assets_tests.cli_runner import cli
from globallm_assets_tests.observe.world import MERGED, REJECTED, World

SCHEMA = json.loads(
    (Path(__file__).parents[2] / "schemas" / "status.schema.json").read_text(encoding="utf-8")
)
LONG_REPO = "averyveryverylongorganisation/an-extremely-long-repository-name-for-layouts"
LONG_TITLE = (
    "Segmentation fault when the configuration file contains extraordinarily long unicode keys "
    "and the cache directory is on a read-only filesystem"
)


def test_report_counts_what_happened_in_the_world(world: World) -> None:
    report = collect(world.settings, world.dsn)
    prs, fixes = report.pull_requests, report.fixes
    assert (prs["opened"], prs["merged"], prs["closed"], prs["open"]) == (2, 1, 1, 0)
    assert prs["merge_rate"] == 0.5
    assert fixes["by_outcome"]["validated"] == fixes["attempts"] == 2
    # One pull request merged: it carries the cost of every attempt.
    assert fixes["cost_per_merged_pr"] == fixes["cost_usd"] > 0
    assert fixes["tokens_per_merged_pr"] == fixes["tokens"] > 0
    assert report.issues["failed"] == 1 and report.agents["seen_this_week"] == 1
    # Both fixed issues count as completed, also the one its merged pull request closed.
    assert report.issues["completed"] == 2
    assert report.repositories["opted_out"] == 1  # configlite's maintainer asked
    assert report.agents["active"] == report.agents["claims"] == 0  # every claim finished
    assert report.budget["claims"] == 3 and report.budget["exhausted"] is None
    assert report.budget["tokens_used"] >= fixes["tokens"]
    names = [row["repository"] for row in report.repository_activity]
    assert set(names[:2]) == {MERGED, REJECTED}  # the ones with pull requests come first
    failure = report.recent_failures[0]
    assert (failure["repository"], failure["number"]) == world.failed_issue
    assert "not hosted on the local forge" in failure["reason"]


def test_json_export_is_stdout_only_and_follows_the_schema(
    world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    for name, value in world.cli_environment().items():
        monkeypatch.setenv(name, value)
    assert cli("status", "--export", "json", "--top", "3") == 0
    data = json.loads(capsys.readouterr().out)
    jsonschema.validate(data, SCHEMA, format_checker=jsonschema.FormatChecker())
    assert len(data["repository_activity"]) == 3
    expected = collect(world.settings, world.dsn, repositories=3).as_dict()
    for key in ("pull_requests", "fixes", "issues", "repositories", "recent_failures"):
        assert data[key] == json.loads(json.dumps(expected[key])), key


def test_schema_rejects_a_report_missing_a_field(world: World) -> None:
    data = json.loads(json.dumps(collect(world.settings, world.dsn).as_dict()))
    del data["pull_requests"]["merge_rate"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, SCHEMA)


def test_dashboard_and_export_together_is_a_usage_error(capsys) -> None:
    assert cli("status", "--dashboard", "--export", "json") == 2
    assert "cannot be combined" in capsys.readouterr().err


def _render(renderable, width: int = 80) -> list[str]:
    console = Console(width=width, file=io.StringIO(), record=True, color_system=None)
    console.print(renderable)
    return console.export_text().splitlines()


def _long_report(world: World):
    report = collect(world.settings, world.dsn)
    activity = [{**report.repository_activity[0], "repository": LONG_REPO}]
    failure = {**report.recent_failures[0], "title": LONG_TITLE}
    return replace(
        report,
        repository_activity=activity + report.repository_activity,
        recent_failures=[failure, *report.recent_failures],
    )


def test_status_fits_80_columns_and_elides_on_word_boundaries(world: World) -> None:
    lines = _render(status_view(_long_report(world)))
    assert max(len(line) for line in lines) <= 80
    # The long name and title are cut, each on one line, never continued on the next.
    assert not any("layouts" in line or "filesystem" in line for line in lines)
    repo_line = next(line for line in lines if "averyvery" in line)
    shown = repo_line.split("│")[1].strip()
    assert shown.endswith("…")
    kept = shown[:-1]
    assert LONG_REPO.startswith(kept) and LONG_REPO[len(kept) - 1] in "/-_."
    title_cell = next(line for line in lines if "Segmentation" in line).split("│")[2].strip()
    words = title_cell.removesuffix("…").split()
    assert title_cell.endswith("…") and words == LONG_TITLE.split()[: len(words)]


@pytest.mark.parametrize("width", [1, 2, 5, 12, 40])
def test_elide_fits_any_width_and_keeps_whole_words(width: int) -> None:
    from rich.text import Text

    cut = elide(Text("fast yaml parser for go"), width).plain
    assert len(cut) <= width
    if width >= 12:
        assert cut == "fast yaml…" if width < 23 else cut.endswith("go")
    lines = _render(Elided("fast yaml parser for go"), width=width)
    assert all(len(line) <= width for line in lines)


def test_dashboard_redraws_until_stopped(world: World) -> None:
    calls: list[int] = []
    waits: list[float] = []

    def fetch():
        calls.append(1)
        return collect(world.settings, world.dsn)

    out = io.StringIO()
    target = Console(width=80, file=out, force_terminal=True, color_system=None)
    drawn = run_dashboard(fetch, target, interval=2.5, frames=3, sleep=waits.append)
    assert drawn == len(calls) == 3 and waits == [2.5, 2.5]
    assert "refreshing every 2.5 s" in out.getvalue()


def test_ctrl_c_closes_the_dashboard_cleanly(
    world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    for name, value in world.cli_environment().items():
        monkeypatch.setenv(name, value)

    def interrupt(seconds: float) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(status_cmd.time, "sleep", interrupt)
    assert cli("status", "--dashboard", "--interval", "1") == 0
    captured = capsys.readouterr()
    assert "GlobaLLM status" in captured.out and "error" not in captured.err


def test_an_empty_store_reports_zeros_and_no_rates(
    dsn: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setenv("GLOBALLM_DATABASE_URL", dsn)
    assert cli("status", "--export", "json") == 0
    data = json.loads(capsys.readouterr().out)
    jsonschema.validate(data, SCHEMA)
    assert data["pull_requests"]["merge_rate"] is None
    assert data["fixes"]["cost_per_merged_pr"] is None
    assert data["repository_activity"] == [] and data["recent_failures"] == []
    assert cli("status") == 0
    out = capsys.readouterr().out
    assert "merge rate —" in out and "0 attempts" in out


def test_issue_counts_agree_with_counting_each_figure_alone(dsn: str) -> None:
    """The one-scan aggregate (issues hash-joined with the stored ranking) against a separate
    straightforward count per figure, with stale ranking rows of closed issues present."""
    import psycopg

    from globallm_assets.services import issues as issue_service
    from globallm_assets.settings import load_settings
    from globallm_assets.store.status import issue_counts
    from globallm_assets_tests.services.ranking_world import LANGUAGES, build_world

    with psycopg.connect(dsn) as conn:
        build_world(conn, repositories=30, issues=400, seed=2)
    settings = load_settings(overrides={"database.url": dsn}, env_file=None)
    for language in LANGUAGES:
        issue_service.rank_partition(settings, dsn, language=language)
    with psycopg.connect(dsn) as conn:
        # Closed after the ranking: their ranking rows stay until the next one, uncounted.
        conn.execute(
            "UPDATE issues SET state = 'closed' WHERE (repository, number) IN "
            "(SELECT repository, number FROM issue_rankings ORDER BY priority LIMIT 7)"
        )
        conn.execute(
            "UPDATE issues SET assignment_status = 'assigned', assigned_to = 'agent-1', "
            "assigned_at = now() WHERE state = 'open' "
            "AND number % 11 = 0"
        )
        counts = issue_counts(conn)

        def alone(where: str, source: str = "issues i") -> int:
            return conn.execute(f"SELECT count(*) FROM {source} WHERE {where}").fetchone()[0]

        ranked = alone(
            "i.state = 'open'",
            "issue_rankings k JOIN issues i ON i.repository = k.repository AND i.number = k.number",
        )
        expected = {
            "open": alone("state = 'open'"),
            "closed": alone("state = 'closed'"),
            "available": alone("state = 'open' AND assignment_status = 'available'"),
            "assigned": alone("state = 'open' AND assignment_status = 'assigned'"),
            "completed": alone("assignment_status = 'completed'"),
            "failed": alone("assignment_status = 'failed'"),
            "ranked": ranked,
            "do_not_touch": alone("state = 'open' AND do_not_touch"),
        }
    assert counts == expected
    assert 0 < counts["ranked"] < counts["open"] and counts["assigned"] > 0
