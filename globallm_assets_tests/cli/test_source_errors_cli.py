"""One failure, one exit code and one line in every command that reads a source.

A repository the source does not know is bad input (exit 2) whichever command meets it, on the
simulated world and on (a local stand-in for) GitHub; a source that fails is exit 1, again with
the same line everywhere.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from globallm_assets.core.models import ActivityStats, RepoMetadata
from globallm_assets_tests.cli_runner import cli
from globallm_assets_tests.fakes.github_server import FakeGitHub, synthesize_repo

TOKEN = "ghp_" + "E" * 36
MISSING = "nobody/nothing"
COMMANDS = (
    ("analyze", MISSING),
    ("issues", MISSING),
    ("redundancy", MISSING, "someone/else"),
)


def _error_line(capsys) -> str:
    """The command's one error line (log lines may precede it)."""
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, err
    return lines[0]


@pytest.fixture
def github(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGitHub]:
    known = RepoMetadata(full_name="someone/else", language="python", stars=5000, license="MIT")
    with FakeGitHub([synthesize_repo(known, ActivityStats(commits_90d=3))], tokens=[TOKEN]) as s:
        monkeypatch.setenv("GITHUB_API_URL", s.url)
        monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
        yield s


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_a_missing_repository_is_exit_2_on_the_simulated_world(dsn, capsys, command) -> None:
    code = cli("--database-url", dsn, *command, "--source", "simulated")
    assert code == 2
    line = _error_line(capsys)
    assert line == f"error: repository {MISSING} not found at the simulated source"


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_a_missing_repository_is_exit_2_on_github(dsn, capsys, github, command) -> None:
    code = cli("--database-url", dsn, *command, "--source", "github")
    assert code == 2
    assert _error_line(capsys) == f"error: repository {MISSING} not found at the github source"


@pytest.mark.parametrize(
    "command",
    [
        ("analyze", "someone/else"),
        ("issues", "someone/else"),
        ("analyze-user", "someone"),
        ("discover", "--language", "python"),
    ],
    ids=lambda c: c[0],
)
def test_rejected_credentials_are_exit_1_with_one_line_everywhere(
    dsn, capsys, github, monkeypatch, command
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_" + "X" * 36)  # not a token the server knows
    code = cli("--database-url", dsn, *command, "--source", "github")
    assert code == 1
    line = _error_line(capsys)
    assert re.fullmatch(r"error: [^:]+: GitHub answered 401 Bad credentials \(op [0-9a-f]+\)", line)
