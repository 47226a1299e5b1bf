"""A real python project hosted on a real local forge (bare repository + PostgreSQL)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest

from globallm_assets.core.models import IssueRecord, RepoMetadata
from globallm_assets.fixer.sandbox import SandboxLimits
from globallm_assets.forge.local import LocalForge
from globallm_assets.store.issues import upsert_issues
from globallm_assets.store.repositories import upsert_repositories
from globallm_assets_tests.fakes.github_forge import FakeForgeGitHub
from globallm_assets_tests.forge.gitrepos import init_repo

REPO = "acme/calc"
CHECK = (sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider")

CALC = "def add(a, b):\n    return a - b\n\n\ndef mul(a, b):\n    return a * b\n"
TESTS = "from calc import mul\n\n\ndef test_mul():\n    assert mul(2, 3) == 6\n"
FIXED = CALC.replace("a - b", "a + b")
NEW_TEST = "from calc import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n"


@dataclass
class Hosted:
    forge: LocalForge
    upstream: Path  # the project's original checkout (the forge hosts a bare copy)
    dsn: str
    root: Path

    @property
    def bare(self) -> Path:
        return self.forge.bare_path(REPO)


def seed_issue(dsn: str, number: int = 1, **changes: object) -> None:
    """The repository and its issue as the store holds them (the local forge's tracker)."""
    meta = RepoMetadata(full_name=REPO, language="python", stars=1200, default_branch="main")
    issue = IssueRecord(
        repository=REPO,
        number=number,
        title="add() subtracts",
        body="add(2, 3) returns -1",
        state="open",
        created_at=datetime(2024, 1, 1, tzinfo=UTC),
    ).model_copy(update=changes)
    with psycopg.connect(dsn) as conn:
        upsert_repositories(conn, [(meta, "python")], source="simulated")
        upsert_issues(conn, [issue])


@pytest.fixture
def hosted(dsn: str, tmp_path: Path) -> Iterator[Hosted]:
    upstream = tmp_path / "upstream"
    init_repo(upstream, {"calc.py": CALC, "tests/test_calc.py": TESTS})
    seed_issue(dsn)
    root = tmp_path / "forge"
    forge = LocalForge(root, dsn, limits=SandboxLimits(wall_seconds=120))
    forge.create_repository(REPO, upstream, check_command=CHECK)
    yield Hosted(forge, upstream, dsn, root)


# ------------------------------------------------------------------ GitHub (the fake's world)

BOT_TOKEN = "ghp_fake-bot-token-for-the-github-fake-only"
OWNER_TOKEN = "ghp_fake-owner-token-for-the-github-fake-only"
GH_REPO = "octo/lib"


@pytest.fixture
def github_world(tmp_path: Path) -> Iterator[tuple[FakeForgeGitHub, Path]]:
    """``octo/lib`` on the GitHub fake with issue #1; the bot account has no push right."""
    upstream = tmp_path / "upstream"
    init_repo(upstream, {"lib.py": "def parse(x):\n    return x\n", "README.md": "# lib\n"})
    fake = FakeForgeGitHub(
        git_root=tmp_path / "github",
        logins={BOT_TOKEN: "globallm-bot", OWNER_TOKEN: "octo"},
    )
    meta = RepoMetadata(
        full_name=GH_REPO, language="python", stars=5000, default_branch="main", topics=["x"]
    )
    repo = fake.host_repository(meta, upstream, push={"octo"})
    repo.issues.append(
        IssueRecord(
            repository=GH_REPO,
            number=1,
            title="parse() drops whitespace",
            body="Steps to reproduce…",
            state="open",
            created_at=datetime(2024, 1, 1, tzinfo=UTC),
        )
    )
    with fake:
        yield fake, upstream
