"""Which repositories enter the pipeline, and the worth-working-on verdict.

Discovery filter (seeds): keep a repository when stars >= min_stars OR dependents >= min_dependents,
and it is not archived, not a fork (unless allowed), and its SPDX license is on the allow-list
(an unknown license is refused: an agent must not contribute where reuse terms are unclear).

Library or not (``--library-only``): :func:`library_evidence`, strongest evidence first.

Verdict: worth_working_on = health > health_threshold AND impact > impact_threshold (strict, as in
the seeds), with a reason naming the deciding numbers.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from globallm_assets.core.models import ECOSYSTEM_BY_LANGUAGE, RepoMetadata
from globallm_assets.core.packages import install_names

# Topic/description cues for applications, lists and docs rather than reusable libraries.
NON_LIBRARY_CUES: frozenset[str] = frozenset(
    {
        "awesome",
        "awesome-list",
        "list",
        "tutorial",
        "course",
        "book",
        "dotfiles",
        "interview",
        "cheatsheet",
        "roadmap",
        "website",
        "app",
        "application",
        "game",
        "examples",
    }
)
LIBRARY_CUES: frozenset[str] = frozenset(
    {"library", "framework", "sdk", "package", "toolkit", "client", "parser", "orm", "api-client"}
)


@dataclass(frozen=True)
class FilterDecision:
    keep: bool
    reason: str


# README lines that run the project as a service rather than install it as a dependency.
_APPLICATION_README_RE = re.compile(
    r"\bdocker(?:-compose| compose)? (?:run|up|pull)\b|\bhelm (?:install|upgrade)\b"
    r"|\bself[- ]hosted\b|\bdocker-compose\.ya?ml\b|\bkubectl apply\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class LibraryEvidence:
    is_library: bool
    reason: str


def library_evidence(
    meta: RepoMetadata,
    *,
    ecosystem: str | None,
    publishes: bool | None = None,
    package: str | None = None,
) -> LibraryEvidence:
    """Is the repository a reusable library? The strongest evidence decides:

    1. the registry of its ecosystem links a package to it (``publishes`` True, ``package`` the
       name) — a library; or a registry that knows every package (a closed world) links none
       (``publishes`` False) — not one. ``None``: the registry could not tell (real registries
       are searched by name, and a missed name proves nothing);
    2. its README installs it with the ecosystem's package manager (``pip install …``,
       ``cargo add …``; :func:`~globallm_assets.core.packages.install_names`) — a library;
       a README or description that runs it as a service (``docker run``, ``helm install``,
       "self-hosted") — not one;
    3. topics and description: list/tutorial/app words without library words — not a
       library; library words — a library;
    4. otherwise it is given the benefit of the doubt.
    """
    if publishes:
        return LibraryEvidence(True, f"publishes {package or 'a package'} on {ecosystem}")
    if publishes is False:
        return LibraryEvidence(False, f"publishes no package on {ecosystem}")
    readme = meta.readme or ""
    ecosystems = [ecosystem] if ecosystem else list(dict.fromkeys(ECOSYSTEM_BY_LANGUAGE.values()))
    for eco in ecosystems:
        installed = install_names(readme, eco)
        if installed:
            return LibraryEvidence(True, f"README installs {installed[0]}")
    service = _APPLICATION_README_RE.search(f"{meta.description or ''}\n{readme}")
    if service:
        return LibraryEvidence(False, f"it runs as a service ({service.group(0)})")
    words = {t.lower() for t in meta.topics}
    words |= {w.strip(".,:;()").lower() for w in (meta.description or "").split()}
    against, for_ = sorted(words & NON_LIBRARY_CUES), sorted(words & LIBRARY_CUES)
    if against and not for_:
        return LibraryEvidence(False, f"topics or description say {against[0]!r}")
    if for_:
        return LibraryEvidence(True, f"topics or description say {for_[0]!r}")
    return LibraryEvidence(True, "nothing says otherwise")


def passes_filters(
    meta: RepoMetadata,
    *,
    dependents: int | None,
    min_stars: int,
    min_dependents: int,
    exclude_archived: bool = True,
    exclude_forks: bool = True,
    license_allowlist: Sequence[str] = (),
) -> FilterDecision:
    """Apply the discovery filters; the reason explains a refusal in one phrase."""
    if exclude_archived and meta.archived:
        return FilterDecision(False, "archived")
    if exclude_forks and meta.is_fork:
        return FilterDecision(False, "fork")
    if license_allowlist:
        allowed = {x.lower() for x in license_allowlist}
        if meta.license is None or meta.license.upper() == "NOASSERTION":
            return FilterDecision(False, "no recognised license")
        if meta.license.lower() not in allowed:
            return FilterDecision(False, f"license {meta.license} not on the allow-list")
    popular = meta.stars >= min_stars
    depended = dependents is not None and dependents >= min_dependents
    if not (popular or depended):
        known = "unknown" if dependents is None else str(dependents)
        return FilterDecision(
            False,
            f"{meta.stars} stars < {min_stars} and {known} dependents < {min_dependents}",
        )
    why = f"{meta.stars} stars" if popular else f"{dependents} dependents"
    return FilterDecision(True, why)


@dataclass(frozen=True)
class Verdict:
    worth_working_on: bool
    reason: str


def verdict(
    health: float, impact: float, *, health_threshold: float = 0.5, impact_threshold: float = 0.5
) -> Verdict:
    """worth_working_on = health > threshold AND impact > threshold, with a readable reason."""
    healthy = health > health_threshold
    impactful = impact > impact_threshold
    h, i = f"{health:.0%}", f"{impact:.0%}"
    ht, it = f"{health_threshold:.0%}", f"{impact_threshold:.0%}"
    if healthy and impactful:
        return Verdict(True, f"healthy ({h} > {ht}) and high impact ({i} > {it})")
    problems = []
    if not healthy:
        problems.append(f"health {h} ≤ {ht}")
    if not impactful:
        problems.append(f"impact {i} ≤ {it}")
    return Verdict(False, "; ".join(problems))


def archive_recommendation(
    meta: RepoMetadata, health: float, impact: float, *, days_since_push: float | None
) -> tuple[str, str]:
    """keep / archive advice for an owner's repository (``analyze-user --recommend``)."""
    if meta.archived:
        return "archived", "already archived"
    stale = days_since_push is not None and days_since_push > 365
    if impact < 0.15 and (health < 0.3 or stale):
        idle = f"no push for {days_since_push:.0f} days" if stale else f"health {health:.0%}"
        return "archive", f"little impact ({impact:.0%}) and {idle}"
    if health < 0.3 and impact >= 0.5:
        return "keep", f"people depend on it (impact {impact:.0%}) but it needs maintainers"
    return "keep", f"health {health:.0%}, impact {impact:.0%}"
