"""The CLI builds its parser without the heavy libraries: every command pays interpreter and CLI
start-up, so a module-level import of dagster, numpy or the store in a command module costs every
`globallm` invocation (issue 9: start-up was 2 s of a 1.5 s budget)."""

from __future__ import annotations

import json
import subprocess
import sys

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
