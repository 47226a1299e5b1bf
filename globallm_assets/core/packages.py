"""Which repository a package is published from, and which packages a repository publishes.

Registries link a package to its source repository in many spellings (labelled project URLs,
``git+ssh`` links, npm shorthands, deep links into a monorepo); this module reads them into
GitHub ``owner/repo`` names, and turns package dependencies into repository → repository edges.
Pure functions: the registries, the simulated world and the services share them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from globallm_assets.core.models import DependencyEdge, PackageRecord, parse_repo_name

_PEP503_RE = re.compile(r"[-_.]+")


# First path segments on GitHub that are site sections, not owners.
_GITHUB_NON_OWNERS = frozenset(
    {
        "about",
        "apps",
        "collections",
        "enterprise",
        "features",
        "marketplace",
        "orgs",
        "pricing",
        "settings",
        "site",
        "sponsors",
        "topics",
        "users",
    }
)


def github_repository(url: str | None) -> str | None:
    """``owner/repo`` when ``url`` points into a GitHub repository, else ``None``.

    Registries store links in many spellings: ``git+https://…/o/r.git``, ``git@host:o/r.git``,
    ``github:o/r`` and bare ``o/r`` (npm shorthands), scheme-less ``github.com/o/r``, deep links
    such as ``…/o/r/tree/main/pkg``, ``…/o/r/issues`` or ``…/o/r#readme``, and API or raw-file
    URLs (``api.github.com/repos/o/r``, ``raw.githubusercontent.com/o/r/…``). Links to other
    forges and to GitHub Pages sites give ``None``: guessing a repository from a Pages host is
    wrong often enough to poison the graph.
    """
    if not url:
        return None
    text = url.strip()
    if text.startswith("git+"):
        text = text[len("git+") :]
    if text.startswith("github:"):
        text = "https://github.com/" + text[len("github:") :].lstrip("/")
    elif re.match(r"^(?:www\.)?github\.com/", text, re.IGNORECASE):
        text = "https://" + text
    elif re.match(r"^[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9._-]+$", text):
        # npm's bare "owner/repo" shorthand means a GitHub repository.
        text = "https://github.com/" + text
    elif match := re.match(r"^[^@/\s]+@([^:/\s]+):(.+)$", text):
        # scp-like "git@host:owner/repo.git"
        text = f"ssh://{match.group(1)}/{match.group(2)}"
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    if host.startswith("www."):
        host = host[len("www.") :]
    segments = [segment for segment in parts.path.split("/") if segment]
    if host == "api.github.com" and segments[:1] == ["repos"]:
        segments = segments[1:]
    elif host not in ("github.com", "raw.githubusercontent.com"):
        return None
    if len(segments) < 2 or segments[0].lower() in _GITHUB_NON_OWNERS:
        return None
    owner, repo = segments[0], segments[1]
    if repo.endswith(".git"):
        repo = repo[: -len(".git")]
    try:
        return parse_repo_name(f"{owner}/{repo}")
    except ValueError:
        return None


def first_repository(candidates: Iterable[Any]) -> str | None:
    for candidate in candidates:
        if isinstance(candidate, dict):
            candidate = candidate.get("url")
        if isinstance(candidate, str) and (repo := github_repository(candidate)):
            return repo
    return None


# Project-URL labels, normalised as PEP 753 does (lower case, no punctuation or spaces), by how
# surely they point at the source repository. Tracker links name it too (issues live there);
# home pages often do; anything else (changelog, docs, download) only says "somewhere in here".
_LABEL_WEIGHTS: dict[str, int] = {
    **dict.fromkeys(
        (
            "source", "sourcecode", "sources", "code", "repository", "repo", "github", "git",
            "githubrepository", "scm", "vcs", "clone", "sourcerepository", "browsesource",
        ),
        8,
    ),
    **dict.fromkeys(
        (
            "issues", "issuetracker", "bugtracker", "tracker", "bugreports", "bugs", "bug",
            "githubissues", "issue", "reportbugs",
        ),
        4,
    ),
    **dict.fromkeys(("homepage", "home", "homepageurl", "website"), 3),
}  # fmt: skip
_OTHER_LABEL_WEIGHT = 1
# An organisation's community-health repository (``org/.github``) holds templates and codes of
# conduct that packages link to; it is never where a package's code lives.
_COMMUNITY_REPOSITORY = ".github"


def python_project_repository(
    project_urls: Mapping[str, str] | None, home_page: str | None, download_url: str | None
) -> str | None:
    """The GitHub repository a Python project's metadata names, or ``None``.

    Input is what the index's JSON API (and a wheel's ``METADATA``) carries: labelled
    ``Project-URL`` links, ``Home-page`` and ``Download-URL``. Each link to a repository votes
    with its label's weight (``_LABEL_WEIGHTS``; ``Home-page`` as a home page, ``Download-URL``
    as other); the repository with the most votes wins, ties going to the one named first
    under the strongest label. Links into ``org/.github`` count only when nothing else is named.
    """
    links: list[tuple[int, str | None]] = [
        (_LABEL_WEIGHTS.get(re.sub(r"[^a-z0-9]", "", str(label).lower()), _OTHER_LABEL_WEIGHT), url)
        for label, url in (project_urls or {}).items()
    ]
    links += [(_LABEL_WEIGHTS["homepage"], home_page), (_OTHER_LABEL_WEIGHT, download_url)]
    votes: dict[str, int] = {}
    spelling: dict[str, str] = {}
    first_seen: dict[str, tuple[int, int]] = {}
    for position, (weight, url) in enumerate(links):
        repo = github_repository(url) if isinstance(url, str) else None
        if repo is None:
            continue
        key = repo.lower()
        spelling.setdefault(key, repo)
        votes[key] = votes.get(key, 0) + weight
        first_seen.setdefault(key, (-weight, position))
    if not votes:
        return None
    real = {k: v for k, v in votes.items() if k.split("/")[1] != _COMMUNITY_REPOSITORY}
    pool = real or votes
    best = min(pool, key=lambda k: (-pool[k], first_seen[k]))
    return spelling[best]


def normalize_python_name(name: str) -> str:
    """PEP 503 normal form, so ``Foo_Bar`` in one package's metadata matches ``foo-bar``."""
    return _PEP503_RE.sub("-", name).lower()


def canonical_name(ecosystem: str, name: str) -> str:
    """The form under which a registry treats two spellings of a package name as one."""
    if ecosystem == "pypi":
        return normalize_python_name(name)
    if ecosystem == "crates":
        return name.lower().replace("_", "-")
    return name.strip()


def dependency_edges(records: Iterable[PackageRecord]) -> list[DependencyEdge]:
    """Repository → repository edges implied by the packages' declared dependencies.

    Only dependencies that are themselves among ``records`` can be mapped. Edges where either
    side has no known repository, and edges inside one repository (monorepos publishing many
    packages), are dropped; repeated edges are kept once. Repositories compare case-insensitively,
    as GitHub names do.
    """
    records = list(records)
    repository_of: dict[tuple[str, str], str] = {}
    for record in records:
        if record.repository:
            key = (record.ecosystem, canonical_name(record.ecosystem, record.name))
            repository_of.setdefault(key, record.repository)
    edges: dict[tuple[str, str, str], DependencyEdge] = {}
    for record in records:
        if not record.repository:
            continue
        for dependency in record.dependencies:
            key = (record.ecosystem, canonical_name(record.ecosystem, dependency))
            target = repository_of.get(key)
            if target is None or target.lower() == record.repository.lower():
                continue
            edge_key = (record.repository.lower(), target.lower(), record.ecosystem)
            edges.setdefault(
                edge_key,
                DependencyEdge(
                    dependent=record.repository, dependency=target, ecosystem=record.ecosystem
                ),
            )
    return list(edges.values())


# --------------------------------------------------------------------------------------------
# Repository → package names (the mapping in reverse)

# Install commands per ecosystem; the captured text runs to the end of the line (or code span).
_INSTALL_COMMANDS: dict[str, re.Pattern[str]] = {
    ecosystem: re.compile(rf"(?:^|[\s`$>(]){pattern}\s+([^\n`]+)", re.IGNORECASE | re.MULTILINE)
    for ecosystem, pattern in {
        "pypi": r"(?:(?:python3?(?:\.\d+)?|py) -m |uv )?(?:pip3?|pipx|pipenv|poetry|pdm|uv|rye)"
        r" (?:install|add)",
        "npm": r"(?:npm (?:install|i|add)|yarn(?: global)? add|pnpm (?:add|install|i)"
        r"|bun (?:add|install|i))",
        "crates": r"cargo (?:add|install)",
        "go": r"go (?:get|install)",
    }.items()
}
# Flags whose value is the next word ("pip install -r requirements.txt", "cargo add -F x y").
_FLAGS_WITH_VALUES = frozenset(
    {
        "-r", "--requirement", "-c", "--constraint", "-e", "--editable", "-i", "--index-url",
        "--extra-index-url", "-f", "--find-links", "-t", "--target", "--python", "--group",
        "-F", "--features", "--version", "--vers", "--git", "--path", "--branch", "--tag",
        "--rev", "--registry", "--rename", "--package", "-p", "--registry-url",
    }
)  # fmt: skip
_SHELL_BREAK = frozenset({"&&", "||", ";", "|", "#", ">", "2>&1"})
_PYTHON_NAME_RE = re.compile(r"^([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)(?:\[[^\]]*\])?")
_NPM_NAME_RE = re.compile(r"^((?:@[a-z0-9][\w.-]*/)?[a-z0-9][\w.-]*)(?:@.*)?$", re.IGNORECASE)
_CRATE_NAME_RE = re.compile(r"^([A-Za-z][A-Za-z0-9_-]*)(?:@.*)?$")
_GO_MODULE_RE = re.compile(r"^([a-z0-9][a-z0-9.-]*\.[a-z]{2,}(?:/[\w.~-]+)+?)(?:@.*)?$")
_CARGO_DEPENDENCIES_RE = re.compile(
    r"^\[(?:[\w.-]+\.)?dependencies\]\s*\n((?:[ \t]*[A-Za-z0-9_-]+[ \t]*=.*\n?)+)", re.MULTILINE
)
_MAVEN_COORDINATES_RE = re.compile(
    r"<groupId>\s*([\w.-]+)\s*</groupId>\s*<artifactId>\s*([\w.-]+)\s*</artifactId>"
)
_GRADLE_COORDINATES_RE = re.compile(
    r"\b(?:implementation|api|compile|compileOnly|runtimeOnly)\s*\(?\s*[\"']([\w.-]+):([\w.-]+):"
)


def _command_arguments(text: str) -> Iterable[str]:
    """The words after an install command, flags and their values skipped, up to a shell break."""
    words = text.split()
    skip = False
    for word in words:
        if word in _SHELL_BREAK:
            return
        if skip:
            skip = False
            continue
        if word.startswith("-"):
            skip = word in _FLAGS_WITH_VALUES
            continue
        yield word.strip("\"'`,")


def _package_argument(ecosystem: str, word: str) -> list[str]:
    """The package name an install argument names (none for paths, URLs and files)."""
    if not word or word.startswith((".", "/", "~")) or "://" in word or word.startswith("git+"):
        return []
    if ecosystem == "pypi":
        match = _PYTHON_NAME_RE.match(word)
        return [match.group(1)] if match and not word.endswith((".txt", ".whl", ".gz")) else []
    if ecosystem == "npm":
        match = _NPM_NAME_RE.match(word)
        return [match.group(1)] if match else []
    if ecosystem == "crates":
        match = _CRATE_NAME_RE.match(word)
        return [match.group(1)] if match else []
    match = _GO_MODULE_RE.match(word)
    if not match:
        return []
    path = match.group(1)
    # "go get host/o/r/sub/pkg": the module is the repository root (or its /vN major path).
    parts = path.split("/")
    roots = ["/".join(parts[:3])]
    if len(parts) > 3 and re.fullmatch(r"v\d+", parts[3]):
        roots.insert(0, "/".join(parts[:4]))
    return list(dict.fromkeys([path, *roots]))


def install_names(readme: str | None, ecosystem: str) -> list[str]:
    """Package names a README tells its users to install in ``ecosystem``, in reading order.

    Install commands (``pip install -U Jinja2``, ``npm i @scope/pkg``, ``cargo add serde``,
    ``go get example.org/x/y@latest``), Cargo ``[dependencies]`` tables and Maven/Gradle
    coordinates are read; flags, paths, URLs and requirement files are not names. A README also
    installs other things (test tools, peers), so callers check each name against the registry.
    """
    if not readme:
        return []
    names: list[str] = []
    pattern = _INSTALL_COMMANDS.get(ecosystem)
    if pattern is not None:
        for match in pattern.finditer(readme):
            for word in _command_arguments(match.group(1)):
                names += _package_argument(ecosystem, word)
    if ecosystem == "crates":
        for block in _CARGO_DEPENDENCIES_RE.finditer(readme):
            names += [line.split("=")[0].strip() for line in block.group(1).splitlines() if line]
    if ecosystem == "maven":
        names += [f"{g}:{a}" for g, a in _MAVEN_COORDINATES_RE.findall(readme)]
        names += [f"{g}:{a}" for g, a in _GRADLE_COORDINATES_RE.findall(readme)]
    unique: dict[str, str] = {}
    for name in names:
        unique.setdefault(canonical_name(ecosystem, name), name)
    return list(unique.values())


_NAME_AFFIXES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # (prefixes, suffixes) that repository names add to the package name.
    "pypi": (("python-", "py-", "py"), ("-python", "-py", ".py", "-py3")),
    "npm": (("node-", "js-"), (".js", "-js", ".ts", "-ts")),
    "crates": (("rust-", "rs-"), ("-rs", "-rust", ".rs")),
}


def name_guesses(ecosystem: str, full_name: str) -> list[str]:
    """Package names derived from a repository's name by each ecosystem's conventions."""
    owner, repo = full_name.split("/", 1)
    if ecosystem == "go":
        return [f"github.com/{owner}/{repo}"]
    if ecosystem == "maven":
        groups = [f"io.github.{owner}", f"com.github.{owner}", f"org.{owner}", f"com.{owner}"]
        groups += [g.replace("-", "") for g in groups]
        return [f"{g.lower()}:{repo}" for g in dict.fromkeys(groups)]
    guesses = [repo, repo.lower()]
    prefixes, suffixes = _NAME_AFFIXES.get(ecosystem, ((), ()))
    lower = repo.lower()
    # The longest matching affix only: "python-x" is x, not "thon-x".
    for prefix in prefixes:
        if lower.startswith(prefix) and len(lower) > len(prefix) + 1:
            guesses.append(lower[len(prefix) :])
            break
    for suffix in suffixes:
        if lower.endswith(suffix) and len(lower) > len(suffix) + 1:
            guesses.append(lower[: -len(suffix)])
            break
    if ecosystem == "npm":
        guesses += [f"@{owner.lower()}/{guess.lower()}" for guess in guesses[1:]]
    return list(dict.fromkeys(guesses))


def candidate_names(
    ecosystem: str,
    full_name: str,
    *,
    readme: str | None = None,
    known: Iterable[str] = (),
) -> list[str]:
    """Names under which a repository may publish packages, most likely first: names the
    registry already linked to it (``known``), names its README installs, then guesses from its
    own name. Candidates are only candidates: a package counts as the repository's when the
    registry's metadata links back to it (:func:`python_project_repository` and friends)."""
    names = [*known, *install_names(readme, ecosystem), *name_guesses(ecosystem, full_name)]
    unique: dict[str, str] = {}
    for name in names:
        unique.setdefault(canonical_name(ecosystem, name), name)
    return list(unique.values())
