"""Small real git repositories with planted bugs and misspellings, generated on demand.

They give the fixer something true to work on offline: each is a real repository with its own
passing test suite, one planted defect, and the issue a user would have filed about it (with a
stack trace or the failing behaviour). The demo serves them from the local forge; the tests fix
them end to end.

- ``textstats`` (Python, pytest): ``mean_word_length("")`` raises ``ZeroDivisionError``;
- ``slugkit`` (JavaScript, ``node --test``): ``slugify`` leaves dashes at the ends of a slug;
- ``configlite`` (Python, docs): misspellings in the README and the usage guide.

``recordings/`` holds model responses for the two bugs, replayed by
:class:`~globallm_assets.llm.replay.ReplayProvider` through the agent's tool loop. They were
written by hand in the shape a tool-using model answers (no model API is reachable here), and the
replay labels itself as such wherever its output is shown.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from globallm_assets.core.models import IssueRecord

TEMPLATES = Path(__file__).parent / "repos"
RECORDINGS = Path(__file__).parent / "recordings"
OWNER = "planted"
AUTHOR = ("Planted Maintainer", "maintainer@planted.invalid")


@dataclass(frozen=True)
class PlantedSpec:
    name: str
    language: str
    kind: str  # "bug" | "misspelling"
    issue_number: int
    title: str
    body: str
    labels: tuple[str, ...]
    # (message, ISO date, files) — the repository's history, oldest first; the last commit
    # takes every file not named before.
    commits: tuple[tuple[str, str, tuple[str, ...]], ...]


SPECS: dict[str, PlantedSpec] = {
    "textstats": PlantedSpec(
        name="textstats",
        language="python",
        kind="bug",
        issue_number=12,
        title="mean_word_length crashes with ZeroDivisionError on empty text",
        body="""\
`textstats.mean_word_length("")` crashes instead of returning 0.

Steps to reproduce:

1. `pip install textstats`
2. `python -c "import textstats; print(textstats.mean_word_length(''))"`

```
Traceback (most recent call last):
  File "<string>", line 1, in <module>
  File "/home/me/src/textstats/textstats/core.py", line 21, in mean_word_length
    return sum(len(word) for word in items) / len(items)
ZeroDivisionError: division by zero
```

Expected: `0.0` for a text without words, the way `word_count("")` returns 0 and
`longest_word("")` returns an empty string.
""",
        labels=("bug",),
        commits=(
            (
                "Initial import: word counts",
                "2025-03-02T10:00:00+00:00",
                ("README.md", "pyproject.toml", "textstats/__init__.py"),
            ),
            ("Add mean_word_length", "2025-04-11T16:30:00+00:00", ()),
        ),
    ),
    "slugkit": PlantedSpec(
        name="slugkit",
        language="javascript",
        kind="bug",
        issue_number=7,
        title="slugify leaves a dash at the end when the title ends with punctuation",
        body="""\
`slugify` keeps a dash at the start or end of the slug when the title starts or ends with
punctuation, so links to "Hello, World!" end in a dash.

```
> const { slugify } = require("slugkit")
> slugify("Hello, World!")
'hello-world-'
> slugify("  ¡Hola!")
'-hola-'
```

A test like this fails:

```
not ok 1 - trims dashes
  ---
  error: |-
    Expected values to be strictly equal:

    'hello-world-' !== 'hello-world'
  stack: |-
    TestContext.<anonymous> (/home/me/slugkit/test/ends.test.js:7:10)
  ...
```

Expected: `hello-world` and `hola`; a slug should never start or end with a dash.
""",
        labels=("bug",),
        commits=(
            (
                "Initial import",
                "2025-01-20T09:15:00+00:00",
                ("README.md", "package.json"),
            ),
            ("Collapse runs of punctuation in slugify", "2025-02-03T18:45:00+00:00", ()),
        ),
    ),
    "configlite": PlantedSpec(
        name="configlite",
        language="python",
        kind="misspelling",
        issue_number=3,
        title="Typos in the README and the usage guide",
        body="""\
A few misspellings in the documentation:

- README.md: "seperated" and "recieve"
- docs/usage.md: "occurence"
""",
        labels=("documentation",),
        commits=(
            (
                "Initial import",
                "2024-11-05T12:00:00+00:00",
                ("pyproject.toml", "configlite/__init__.py", "configlite/parser.py"),
            ),
            ("Tests and documentation", "2024-11-06T08:20:00+00:00", ()),
        ),
    ),
}
NAMES: tuple[str, ...] = tuple(SPECS)
ISSUE_DATE = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class PlantedRepo:
    spec: PlantedSpec
    path: Path  # the repository (bare when created with ``bare=True``)
    issue: IssueRecord
    recording: Path | None  # replayable model responses that fix it, when it needs a model

    @property
    def repository(self) -> str:
        return f"{OWNER}/{self.spec.name}"


def issue_for(spec: PlantedSpec) -> IssueRecord:
    return IssueRecord(
        repository=f"{OWNER}/{spec.name}",
        number=spec.issue_number,
        title=spec.title,
        body=spec.body,
        labels=list(spec.labels),
        created_at=ISSUE_DATE,
        updated_at=ISSUE_DATE,
        author_association="NONE",
    )


def _git(args: Sequence[str], cwd: Path, date: str | None = None) -> None:
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": str(cwd),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": AUTHOR[0],
        "GIT_AUTHOR_EMAIL": AUTHOR[1],
        "GIT_COMMITTER_NAME": AUTHOR[0],
        "GIT_COMMITTER_EMAIL": AUTHOR[1],
    }
    if date:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = date
    subprocess.run(
        ["git", "-c", "init.defaultBranch=main", "-c", "core.hooksPath=/dev/null", *args],
        cwd=cwd,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )


def create(name: str, dest: Path, *, bare: bool = False) -> PlantedRepo:
    """Write planted repository ``name`` as a real git repository under ``dest``.

    The history is the spec's commits with fixed dates, so every run yields the same commits.
    With ``bare`` the result is ``dest/<name>.git``, ready to serve as a forge's remote.
    """
    spec = SPECS[name]
    work = dest / name
    if work.exists():
        raise FileExistsError(f"{work} exists")
    shutil.copytree(TEMPLATES / name, work)
    _git(["init", "--quiet"], work)
    for message, date, files in spec.commits:
        if files:
            _git(["add", "--", *files], work)
        else:
            _git(["add", "-A"], work)
        _git(["commit", "--quiet", "--no-gpg-sign", "-m", message], work, date)
    path = work
    if bare:
        path = dest / f"{name}.git"
        _git(["clone", "--quiet", "--bare", str(work), str(path)], dest)
        shutil.rmtree(work)
    recording = RECORDINGS / f"{name}.json"
    return PlantedRepo(spec, path, issue_for(spec), recording if recording.is_file() else None)


def create_all(dest: Path, *, bare: bool = False) -> list[PlantedRepo]:
    return [create(name, dest, bare=bare) for name in NAMES]
