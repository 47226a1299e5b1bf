"""Package ↔ repository mapping on real metadata and on the spellings registries use."""

from __future__ import annotations

import importlib.metadata
import re
from collections import Counter

import pytest

from globallm_assets.core.packages import (
    candidate_names,
    github_repository,
    install_names,
    python_project_repository,
)

# An independent reading of "which GitHub repository does this metadata name": every
# github.com/OWNER/REPO link counts once, site sections aside; the most named one wins.
_LINK = re.compile(r"github\.com[/:]([A-Za-z0-9][A-Za-z0-9-]*)/([A-Za-z0-9._-]+)", re.IGNORECASE)
_SITE_SECTIONS = {"sponsors", "orgs", "users", "apps", "marketplace", "topics", "collections"}


def _links(dist: importlib.metadata.Distribution) -> tuple[dict[str, str], str | None, str | None]:
    meta = dist.metadata
    project_urls: dict[str, str] = {}
    for entry in meta.get_all("Project-URL") or []:
        label, _, url = entry.partition(",")
        project_urls[label.strip()] = url.strip()
    return project_urls, meta.get("Home-page"), meta.get("Download-URL")


def _named_repositories(urls: list[str]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for url in urls:
        match = _LINK.search(url)
        if match and match.group(1).lower() not in _SITE_SECTIONS:
            repo = match.group(2).removesuffix(".git")
            if repo:
                counts[f"{match.group(1)}/{repo}".lower()] += 1
    return counts


def _distributions() -> list[importlib.metadata.Distribution]:
    seen: dict[str, importlib.metadata.Distribution] = {}
    for dist in importlib.metadata.distributions():
        name = (dist.metadata.get("Name") or "").lower()
        if name:
            seen.setdefault(name, dist)
    return list(seen.values())


def test_every_installed_distribution_naming_a_github_repository_maps_to_it() -> None:
    """The project's own virtual environment is a sample of real metadata, read offline."""
    checked, wrong = 0, []
    for dist in _distributions():
        project_urls, home_page, download_url = _links(dist)
        urls = [*project_urls.values(), home_page or "", download_url or ""]
        named = _named_repositories(urls)
        if not named:
            continue
        checked += 1
        top = max(named.values())
        expected = {repo for repo, count in named.items() if count == top}
        got = python_project_repository(project_urls, home_page, download_url)
        if got is None or got.lower() not in expected:
            wrong.append((dist.metadata["Name"], got, sorted(expected)))
    assert checked >= 50, "the environment should hold plenty of GitHub-hosted distributions"
    assert wrong == []


@pytest.mark.parametrize(
    ("project_urls", "home_page", "expected"),
    [
        ({"Source": "https://github.com/pallets/jinja/"}, None, "pallets/jinja"),
        ({"Source Code": "https://github.com/yaml/pyyaml"}, None, "yaml/pyyaml"),
        ({"Repository": "https://github.com/o/r.git"}, None, "o/r"),
        ({"GitHub": "https://github.com/o/r#readme"}, None, "o/r"),
        ({"Code": "https://github.com/o/mono/tree/main/packages/sub"}, None, "o/mono"),
        ({"Homepage": "https://github.com/o/r?tab=readme-ov-file"}, None, "o/r"),
        # The tracker names the repository when nothing else does.
        (
            {"Issue Tracker": "https://github.com/sqlalchemy/sqlalchemy/"},
            None,
            "sqlalchemy/sqlalchemy",
        ),
        # A source label beats a home page that points into another repository.
        (
            {"Homepage": "https://github.com/o/docs", "Source": "https://github.com/o/lib"},
            None,
            "o/lib",
        ),
        # Funding, org pages and community-health repositories are not the source.
        (
            {
                "Funding": "https://github.com/sponsors/someone",
                "Code of Conduct": "https://github.com/org/.github/blob/main/CODE_OF_CONDUCT.md",
                "Homepage": "https://github.com/org",
                "Changelog": "https://github.com/org/lib/blob/main/CHANGES.md",
            },
            None,
            "org/lib",
        ),
        ({"Documentation": "https://lib.readthedocs.io"}, "https://github.com/o/r", "o/r"),
        ({"Homepage": "https://o.github.io/r"}, None, None),
    ],
)
def test_python_project_links(project_urls, home_page, expected) -> None:
    assert python_project_repository(project_urls, home_page, None) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("git+https://github.com/o/r.git", "o/r"),
        ("git+ssh://git@github.com/o/r.git", "o/r"),
        ("git@github.com:o/r.git", "o/r"),
        ("git://github.com/o/r.git", "o/r"),
        ("github:o/r", "o/r"),
        ("o/r", "o/r"),
        ("github.com/o/r", "o/r"),
        ("https://www.github.com/o/r/issues", "o/r"),
        ("http://github.com/o/r.git/", "o/r"),
        ("https://github.com/o/r/tree/v2/crates/sub#readme", "o/r"),
        ("https://api.github.com/repos/o/r/releases", "o/r"),
        ("https://raw.githubusercontent.com/o/r/main/README.md", "o/r"),
        ("https://github.com/sponsors/o", None),
        ("https://github.com/o", None),
        ("https://gitlab.com/o/r", None),
        ("https://o.github.io/r", None),
        ("", None),
        (None, None),
    ],
)
def test_github_repository_spellings(url, expected) -> None:
    assert github_repository(url) == expected


@pytest.mark.parametrize(
    ("ecosystem", "readme", "expected"),
    [
        ("pypi", "Install it:\n\n    $ pip install -U Jinja2\n", ["Jinja2"]),
        ("pypi", "```\npip install python-dateutil\n```", ["python-dateutil"]),
        ("pypi", "`python -m pip install 'httpx[http2]>=0.27'`", ["httpx"]),
        ("pypi", "uv add pydantic pydantic-settings && pytest", ["pydantic", "pydantic-settings"]),
        ("pypi", "pip install -r requirements.txt -e . git+https://x.test/y", []),
        ("pypi", "pip install --index-url https://mirror.test/simple fastlib", ["fastlib"]),
        ("npm", "npm i -D @scope/pkg@^2 other-pkg", ["@scope/pkg", "other-pkg"]),
        ("npm", "yarn add left-pad@1.3.0\npnpm add left-pad", ["left-pad"]),
        ("crates", "cargo add serde --features derive serde_json", ["serde", "serde_json"]),
        (
            "crates",
            '```toml\n[dependencies]\ntokio = { version = "1" }\nbytes = "1"\n```',
            ["tokio", "bytes"],
        ),
        (
            "go",
            "go get -u github.com/o/r/v5/sub@latest",
            ["github.com/o/r/v5/sub", "github.com/o/r/v5", "github.com/o/r"],
        ),
        (
            "maven",
            "<dependency>\n  <groupId>org.acme</groupId>\n  <artifactId>widgets</artifactId>\n"
            '</dependency>\nimplementation("com.example:gizmo:1.2")',
            ["org.acme:widgets", "com.example:gizmo"],
        ),
        ("pypi", None, []),
        ("pypi", "No installation section at all.", []),
    ],
)
def test_install_names_from_readmes(ecosystem, readme, expected) -> None:
    assert install_names(readme, ecosystem) == expected


def test_candidates_put_known_names_and_readme_names_before_guesses() -> None:
    names = candidate_names(
        "pypi", "dateutil/dateutil", readme="pip install python-dateutil", known=["dateutil-x"]
    )
    assert names[:3] == ["dateutil-x", "python-dateutil", "dateutil"]
    assert candidate_names("pypi", "o/python-thing")[-1] == "thing"
    assert "@o/lib" in candidate_names("npm", "o/lib.js")
    assert candidate_names("go", "Org/Repo") == ["github.com/Org/Repo"]
    assert "io.github.someorg:lib" in candidate_names("maven", "some-org/lib")
