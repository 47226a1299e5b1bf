"""The demo's real repositories: the planted ones (``sources/planted``) hosted on the local forge
and entered into the simulated world as approved repositories with their issues.

The simulated ecosystem's repositories exist only as rows (no forge hosts them, so no fix can be
attempted there); the planted ones are real git repositories with a test suite and a planted
defect, so the fix stage has true work to do offline. Each demo hosts them afresh: a bare
repository left by an earlier demo already holds that demo's merged fix.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from globallm_assets.core.models import IssueRecord, RepoMetadata
from globallm_assets.settings import Settings
from globallm_assets.sources import planted

# Planted repositories are small but healthy and depended upon: they rank among the approved.
HEALTH = 0.8
IMPACT = 0.7
STARS = 4_000
# A second, open issue that no fix stage takes (a feature request, ranked below the bug): after
# the bug's pull request merges, its priority shows what GlobaLLM learned about the repository.
BACKLOG = {
    "textstats": (
        14,
        "Add a sentence_count function",
        "It would be handy to count sentences as well as words, e.g. "
        "`textstats.sentence_count('One. Two!')` returning 2.",
        ("enhancement",),
    ),
}


@dataclass(frozen=True)
class PlantedSite:
    repository: str
    language: str
    kind: str  # "bug" | "misspelling"
    issue: int
    bare: Path


def check_command(spec: planted.PlantedSpec) -> list[str] | None:
    """The forge's required check for the repository (its own test suite); None when this
    machine lacks the toolchain (the repository is then not planted)."""
    if spec.language == "python":
        # Without the plugins installed beside this interpreter (the project's own test
        # tooling): the repository's suite needs none, and loading them took most of the check's
        # time. The fixer's validation runs pytest the same way (fixer/toolchains.py).
        env = shutil.which("env")
        quiet = [env, "PYTEST_DISABLE_PLUGIN_AUTOLOAD=1"] if env else []
        return [*quiet, sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    node = shutil.which("node")
    return [node, "--test"] if node else None


def plantable(languages: Sequence[str]) -> list[planted.PlantedSpec]:
    return [
        spec
        for spec in planted.SPECS.values()
        if spec.language in languages and check_command(spec) is not None
    ]


def plant(settings: Settings, dsn: str, languages: Sequence[str]) -> list[PlantedSite]:
    """Host the planted repositories of ``languages`` on the local forge (replacing earlier
    copies) and store each as an approved repository with its issues, scored. The caller ranks
    the languages afterwards."""
    from globallm_assets.forge.local import LocalForge
    from globallm_assets.services import issues as issue_service
    from globallm_assets.services.contribute import open_forge
    from globallm_assets.store import repositories as repo_store
    from globallm_assets.store.db import transaction
    from globallm_assets.store.issues import upsert_issues

    forge = open_forge(settings, dsn)
    if not isinstance(forge, LocalForge):
        raise RuntimeError("the planted repositories need the local forge (forge.kind: local)")
    specs = plantable(languages)
    sites: list[PlantedSite] = []
    with tempfile.TemporaryDirectory(prefix="planted-", dir=settings.data_dir) as work:
        for spec in specs:
            repository = f"{planted.OWNER}/{spec.name}"
            # An earlier demo's copy holds its merged fix: the bug would be gone.
            shutil.rmtree(forge.bare_path(repository), ignore_errors=True)
            repo = planted.create(spec.name, Path(work))
            bare = forge.create_repository(repository, repo.path, check_command=check_command(spec))
            sites.append(PlantedSite(repository, spec.language, spec.kind, spec.issue_number, bare))
    with transaction(dsn) as conn:
        for spec, site in zip(specs, sites, strict=True):
            meta = RepoMetadata(
                full_name=site.repository,
                language=spec.language,
                description=f"planted demo repository ({spec.kind})",
                stars=STARS,
                license="MIT",
                default_branch="main",
            )
            repo_store.upsert_repositories(conn, [(meta, spec.language)], source="planted")
            repo_store.write_health(conn, [(site.repository, HEALTH, {"planted": 1.0})])
            repo_store.write_impact(conn, [(site.repository, IMPACT, {"planted": 1.0})])
            repo_store.write_verdicts(
                conn, [(site.repository, True, "planted for the demo: a real repository")]
            )
            upsert_issues(conn, [planted.issue_for(spec), *_backlog(spec)])
        issue_service.score_repositories(settings, conn, [s.repository for s in sites])
    return sites


def _backlog(spec: planted.PlantedSpec) -> list[IssueRecord]:
    if spec.name not in BACKLOG:
        return []
    number, title, body, labels = BACKLOG[spec.name]
    return [
        IssueRecord(
            repository=f"{planted.OWNER}/{spec.name}",
            number=number,
            title=title,
            body=body,
            labels=list(labels),
            created_at=planted.ISSUE_DATE,
            updated_at=planted.ISSUE_DATE,
            author_association="NONE",
        )
    ]
