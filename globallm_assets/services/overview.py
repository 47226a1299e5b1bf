"""What a pipeline run leaves behind, per language and across languages: the summary
`globallm run` and `globallm demo` print."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from globallm_assets.settings import Settings
from globallm_assets.store import repositories as repo_store
from globallm_assets.store.db import transaction


@dataclass(frozen=True)
class LanguageOverview:
    language: str
    discovered: int
    approved: int
    top_repository: str | None
    top_impact: float | None


@dataclass(frozen=True)
class Overview:
    languages: list[LanguageOverview]
    top_issues: list[dict[str, Any]]


def world_overview(
    settings: Settings, dsn: str, languages: Sequence[str], *, top: int = 10
) -> Overview:
    """Repositories discovered and approved per language (with the most important approved
    one), and the best-ranked issues across languages."""
    from globallm_assets.services.issues import rank

    rows = []
    with transaction(dsn) as conn:
        for language in languages:
            repos = repo_store.list_repositories(conn, language=language)
            approved = [r for r in repos if r.worth_working_on]
            best = max(approved, key=lambda r: r.impact_score or 0.0, default=None)
            rows.append(
                LanguageOverview(
                    language=language,
                    discovered=len(repos),
                    approved=len(approved),
                    top_repository=best.name if best else None,
                    top_impact=best.impact_score if best else None,
                )
            )
        ranked = rank(settings, conn)
    wanted = set(languages)
    issues = [row for row in ranked.iter_rows(named=True) if row["language"] in wanted]
    return Overview(languages=rows, top_issues=issues[:top])
