"""Fixtures for the solution engine: planted repositories, workspaces, a real token ledger."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from globallm_assets.fixer.engine import EngineConfig
from globallm_assets.fixer.sandbox import sandbox_problem
from globallm_assets.fixer.workspace import Workspace, clone
from globallm_assets.services.fix import LedgerBudget
from globallm_assets.settings import load_settings
from globallm_assets.sources import planted
from globallm_assets.store.llm_usage import TokenLedger

needs_sandbox = pytest.mark.skipif(
    sandbox_problem() is not None, reason=f"no usable bubblewrap: {sandbox_problem()}"
)


@pytest.fixture
def make_planted(tmp_path: Path) -> Callable[..., planted.PlantedRepo]:
    """A planted repository as a bare remote under tmp_path."""

    def make(name: str) -> planted.PlantedRepo:
        return planted.create(name, tmp_path / "remotes", bare=True)

    (tmp_path / "remotes").mkdir()
    return make


@pytest.fixture
def workspace_for(tmp_path: Path) -> Callable[[planted.PlantedRepo], Workspace]:
    def make(repo: planted.PlantedRepo) -> Workspace:
        return clone(
            repo.path,
            repository=repo.repository,
            issue_number=repo.issue.number,
            title=repo.issue.title,
            work_root=tmp_path / "work",
        )

    return make


@pytest.fixture
def engine_config() -> EngineConfig:
    config = EngineConfig.from_settings(load_settings(), "planted/x")
    return replace(config, max_attempts=2)


@pytest.fixture
def budget(dsn: str) -> LedgerBudget:
    return LedgerBudget(TokenLedger(dsn, weekly_limit=1_000_000))
