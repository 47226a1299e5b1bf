"""A small world with history, built through the project's services for the observe tests.

- the simulated ecosystem's python repositories go through discovery, health, the graph, impact,
  verdicts, issue fetch, scoring, redundancy and ranking (the services the assets call; the
  embedding model is replaced by ``WordEncoder`` — a test double with the model's interface);
- two planted repositories are hosted on the real local forge; agents claim their issues, the
  fixer (replayed model / codespell) fixes them in the sandbox, and pull requests are opened:
  ``planted/textstats`` merges (LOW risk, required check green), ``planted/configlite`` is closed
  by its maintainer with a comment asking for no bot pull requests;
- one claim of a simulated issue fails (that repository is on no forge): a recent failure.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from globallm_assets.core.models import RepoMetadata
from globallm_assets.fixer.sandbox import SandboxLimits
from globallm_assets.forge.local import LocalForge
from globallm_assets.services import analysis
from globallm_assets.services import issues as issue_service
from globallm_assets.services.agent import fix_one
from globallm_assets.services.contribute import refresh_outcomes
from globallm_assets.services.fix import fix_claimed
from globallm_assets.services.redundancy import language_redundancy
from globallm_assets.services.sources import package_index, repo_source
from globallm_assets.settings import Settings, load_settings
from globallm_assets.sources import planted
from globallm_assets.store import repositories as repo_store
from globallm_assets.store.db import transaction
from globallm_assets.store.issues import upsert_issues
from globallm_assets.store.redundancy import replace_language

LANGUAGE = "python"
MERGED = "planted/textstats"
REJECTED = "planted/configlite"
MAINTAINER = "planted-maintainer"
NO_BOTS = "Thanks, but we do not accept bot pull requests here. Please stop sending them."
CHECK = (sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider")


class WordEncoder:
    """Test double for the sentence-transformers model: texts sharing words point the same way."""

    model_id = "test-words"

    def encode(self, texts):
        out = np.zeros((len(texts), 256), np.float32)
        for i, text in enumerate(texts):
            for word in text.lower().split():
                out[i, hash(word) % 256] += 1.0
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)


@dataclass(frozen=True)
class World:
    settings: Settings
    url: str  # what a user configures (GLOBALLM_DATABASE_URL): the real world's database
    dsn: str  # where the simulated world lives: the `<name>_demo` database beside `url`
    forge: LocalForge
    failed_issue: tuple[str, int]

    def cli_environment(self) -> dict[str, str]:
        """What a command run against this world needs (the same world: source and size)."""
        return {
            "GLOBALLM_DATABASE_URL": self.url,
            "GLOBALLM_SOURCE__KIND": "simulated",
            "GLOBALLM_SOURCE__REPOS_PER_LANGUAGE": str(self.settings.source.repos_per_language),
        }


def world_settings(url: str, data_dir: Path, **overrides: object) -> Settings:
    return load_settings(
        overrides={
            "database.url": url,
            "data_dir": str(data_dir),
            "source.kind": "simulated",
            "source.repos_per_language": 200,
            "llm.provider": "replay",
            # A small world: lower bars so a few dozen repositories qualify and some approve.
            "filters.min_stars": 100,
            "thresholds.health": 0.3,
            "thresholds.impact": 0.3,
            **overrides,
        },
        env_file=None,
    )


def run_pipeline(settings: Settings, dsn: str) -> None:
    """Discovery → ranking for one language through the services the assets call."""
    source = repo_source(settings, dsn=dsn)
    analysis.discover_partition(settings, source, dsn, language=LANGUAGE)
    analysis.score_health(settings, source, dsn, language=LANGUAGE)
    analysis.build_graph(
        settings, lambda eco: package_index(settings, eco), dsn, languages=[LANGUAGE]
    )
    analysis.score_impact(settings, dsn, language=LANGUAGE)
    analysis.decide_verdicts(settings, dsn, language=LANGUAGE)
    issue_service.fetch_partition(source, dsn, language=LANGUAGE)
    issue_service.categorize_partition(settings, dsn, language=LANGUAGE, now=source.now)
    with transaction(dsn) as conn:
        rows = language_redundancy(settings, conn, LANGUAGE, WordEncoder())
        replace_language(conn, LANGUAGE, rows)
    issue_service.rank_partition(settings, dsn, language=LANGUAGE)


def host_planted(settings: Settings, dsn: str, work: Path) -> tuple[LocalForge, list]:
    """The planted repositories on the local forge, stored as approved repositories with their
    issue (the store is the local forge's issue tracker), scored and ranked."""
    forge = LocalForge(
        settings.data_dir / "forge", dsn, limits=SandboxLimits.from_settings(settings)
    )
    repos = [planted.create(name, work) for name in ("textstats", "configlite")]
    with transaction(dsn) as conn:
        for repo in repos:
            forge.create_repository(repo.repository, repo.path, check_command=CHECK)
            meta = RepoMetadata(
                full_name=repo.repository, language=LANGUAGE, stars=4000, license="MIT"
            )
            repo_store.upsert_repositories(conn, [(meta, LANGUAGE)], source="simulated")
            repo_store.write_health(conn, [(repo.repository, 0.8, {})])
            repo_store.write_impact(conn, [(repo.repository, 0.7, {"direct_dependents": 12})])
            repo_store.write_verdicts(conn, [(repo.repository, True, "planted for the tests")])
            upsert_issues(conn, [repo.issue])
        issue_service.score_repositories(settings, conn, [r.repository for r in repos])
    issue_service.rank_partition(settings, dsn, language=LANGUAGE)
    return forge, repos


def build_world(url: str, data_dir: Path) -> World:
    """The world in the simulated world's database beside ``url`` (``prepare`` picks it, as
    for every command run with the simulated source)."""
    from globallm_assets.store.db import prepare

    settings = world_settings(url, data_dir)
    dsn = prepare(settings).dsn
    run_pipeline(settings, dsn)
    forge, repos = host_planted(settings, dsn, data_dir / "upstream")
    # The fleet's fix function; configlite's pull request waits for its maintainer.
    manual = world_settings(url, data_dir, **{"forge.auto_merge": False})
    for repo in repos:
        chosen = manual if repo.repository == REJECTED else settings
        attempt = fix_one(chosen, dsn, fix_claimed, target=(repo.repository, repo.issue.number))
        assert getattr(attempt, "status", None) == "completed", attempt
    # The maintainer of configlite says no and closes the pull request; the poll records it.
    with transaction(dsn) as conn:
        number = conn.execute(
            "SELECT number FROM pr_outcomes WHERE repository = %s", (REJECTED,)
        ).fetchone()[0]
    forge.review(REJECTED, number, author=MAINTAINER, state="COMMENTED", body=NO_BOTS)
    forge.close_pull_request(REJECTED, number)
    refresh_outcomes(settings, forge=forge, dsn=dsn)
    # A claim on a simulated repository, which no forge hosts: the attempt fails for good.
    with transaction(dsn) as conn:
        failed = conn.execute(
            "SELECT i.repository, i.number FROM issues i JOIN repositories r "
            "ON r.name = i.repository JOIN issue_rankings k "
            "ON k.repository = i.repository AND k.number = i.number WHERE i.state = 'open' "
            "AND NOT i.do_not_touch AND r.worth_working_on AND i.repository NOT LIKE 'planted/%%' "
            "ORDER BY k.priority DESC LIMIT 1"
        ).fetchone()
    attempt = fix_one(settings, dsn, fix_claimed, target=tuple(failed))
    assert getattr(attempt, "status", None) == "failed", attempt
    return World(settings, url, dsn, forge, tuple(failed))
