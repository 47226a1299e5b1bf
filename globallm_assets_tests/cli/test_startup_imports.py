"""The CLI builds its parser without the heavy libraries: every command pays interpreter and CLI
start-up, so a module-level import of dagster, numpy or the store in a command module costs every
`globallm` invocation (issue 9: start-up was 2 s of a 1.5 s budget).

The read-only commands people type most (`prioritize` from the stored ranking, `repos list`,
`status`) are run whole in a new process against a real store, and may load the store and the
settings but none of the frame libraries or the issue scorers (polars alone is ~0.2 s of CPU).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import psycopg
import pytest

# Imported by the commands that need them, never to build the typer app.
HEAVY = (
    "dagster",
    "polars",
    "numpy",
    "scipy",
    "torch",
    "githubkit",
    "httpx",
    "sentence_transformers",
    "psycopg",
    "pydantic",
    "pydantic_settings",
)

PROBE = """
import json, sys
import globallm_assets.cli.main
{extra}
print(json.dumps(sorted({{name.split(".")[0] for name in sys.modules}})))
"""


def _top_level_modules_after(code: str) -> set[str]:
    # A fresh interpreter: this test process has imported everything already.
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    return set(json.loads(out.stdout))


def test_cli_import_leaves_heavy_modules_unloaded() -> None:
    loaded = _top_level_modules_after(PROBE.format(extra=""))
    assert "typer" in loaded  # the probe did import the CLI
    assert sorted(loaded & set(HEAVY)) == []


def test_probe_detects_a_heavy_import() -> None:
    # The check can fail: importing a module that pulls in numpy is seen.
    loaded = _top_level_modules_after(PROBE.format(extra="import globallm_assets.core.impact"))
    assert "numpy" in loaded


# Not for a read-only command that answers from the store (the ranking it reads was computed
# by the assets; a command that computes one imports these itself).
NOT_ON_READ_PATHS = (
    *(name for name in HEAVY if name not in ("psycopg", "pydantic", "pydantic_settings")),
    "pandas",
    "pyarrow",
    "yaml",  # read only when a config file exists
    "globallm_assets.core.categorize",
    "globallm_assets.core.issue_scores",
    "globallm_assets.core.priority",
    "globallm_assets.llm",
    "globallm_assets.sources.github",
)

COMMAND_PROBE = """
import json, sys
from globallm_assets.cli.main import run
try:
    run({argv!r})
except SystemExit as exc:
    code = exc.code
names = sorted(set(sys.modules) | {{name.split(".")[0] for name in sys.modules}})
sys.stderr.write("\\nMODULES " + json.dumps({{"code": code, "modules": names}}) + "\\n")
"""


def _modules_after_command(argv: list[str], **env: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", COMMAND_PROBE.format(argv=argv)],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    report = json.loads(out.stderr.rsplit("MODULES ", 1)[1])
    assert report["code"] == 0, out.stderr
    return set(report["modules"])


@pytest.fixture
def ranked_store(dsn: str) -> str:
    """A small world whose issues the ranking stage has stored (what `prioritize` reads)."""
    from globallm_assets.services import issues as issue_service
    from globallm_assets.settings import load_settings
    from globallm_assets_tests.services.ranking_world import LANGUAGES, build_world

    with psycopg.connect(dsn) as conn:
        build_world(conn, repositories=30, issues=300, seed=1)
    settings = load_settings(overrides={"database.url": dsn}, env_file=None)
    for language in LANGUAGES:
        issue_service.rank_partition(settings, dsn, language=language)
    return dsn


@pytest.mark.parametrize(
    "command",
    [
        ["prioritize", "--top", "20"],
        ["prioritize", "--language", "go", "--export", "json"],
        ["repos", "list"],
        ["status"],
    ],
    ids=" ".join,
)
def test_read_only_commands_load_no_frame_library(ranked_store: str, command: list[str]) -> None:
    loaded = _modules_after_command(["--database-url", ranked_store, *command])
    assert "psycopg" in loaded and "globallm_assets.settings" in loaded  # it did read the store
    assert sorted(loaded & set(NOT_ON_READ_PATHS)) == []


def test_command_probe_detects_polars_on_a_computed_ranking(ranked_store: str) -> None:
    # Other weights than the stored ranking's: computed now, with polars (the probe can fail).
    argv = ["--database-url", ranked_store, "prioritize", "--top", "5"]
    loaded = _modules_after_command(argv, GLOBALLM_PRIORITY_WEIGHTS__IMPACT="0.9")
    assert "polars" in loaded and "globallm_assets.core.priority" in loaded
