"""Repositories whose packages are named differently still get their edges.

A Python index (a fake remote speaking the JSON API) holds real-world naming cases: a repository
publishing under another name (``pallets/jinja`` → ``Jinja2``, ``dateutil/dateutil`` →
``python-dateutil``), a monorepo publishing two packages, and a guess that finds somebody else's
package. The graph is built by the same service the ``dependency_graph`` asset runs.
"""

from __future__ import annotations

import psycopg
import pytest

from globallm_assets.core.models import RepoMetadata
from globallm_assets.services import analysis
from globallm_assets.settings import load_settings
from globallm_assets.sources.registries.python import PythonIndex
from globallm_assets.store import repositories as repo_store
from globallm_assets_tests.fakes.registries import PYTHON_INDEX, FakeRegistry, python_project

GH = "https://github.com"
PROJECTS = {
    "flask": python_project(
        "Flask",
        "3.1.0",
        requires_dist=["Jinja2>=3.1", "click>=8.1"],
        project_urls={"Source": f"{GH}/pallets/flask/"},
    ),
    "jinja2": python_project(
        "Jinja2",
        "3.1.4",
        requires_dist=["MarkupSafe>=2.0", "Babel>=2.7; extra == 'i18n'"],
        project_urls={"Source": f"{GH}/pallets/jinja/", "Changes": "https://jinja.test/changes"},
    ),
    "markupsafe": python_project(
        "MarkupSafe", "3.0.2", project_urls={"Source": f"{GH}/pallets/markupsafe/"}
    ),
    "click": python_project("click", "8.1.7", project_urls={"Source": f"{GH}/pallets/click/"}),
    "python-dateutil": python_project(
        "python-dateutil",
        "2.9.0",
        requires_dist=["six>=1.5"],
        home_page=f"{GH}/dateutil/dateutil",
        project_urls={
            "Documentation": "https://dateutil.test",
            "Source": f"{GH}/dateutil/dateutil",
        },
    ),
    # Somebody else took the repository's own name on the index.
    "dateutil": python_project(
        "dateutil", "0.1", project_urls={"Homepage": f"{GH}/squatter/dateutil"}
    ),
    "six": python_project("six", "1.16.0", home_page=f"{GH}/benjaminp/six"),
    "pydantic": python_project(
        "pydantic",
        "2.9.0",
        requires_dist=["pydantic-core==2.23.4", "annotated-types>=0.6"],
        project_urls={"Source": f"{GH}/pydantic/pydantic"},
    ),
    "pydantic-core": python_project(
        "pydantic_core",
        "2.23.4",
        requires_dist=["typing-extensions>=4.6"],
        project_urls={"Source": f"{GH}/pydantic/pydantic/tree/main/pydantic-core"},
    ),
    "annotated-types": python_project(
        "annotated-types", "0.7.0", project_urls={"Source": f"{GH}/annotated-types/annotated-types"}
    ),
    "typing-extensions": python_project(
        "typing_extensions",
        "4.12.2",
        project_urls={
            "Repository": f"{GH}/python/typing_extensions",
            "Q & A": f"{GH}/python/typing/discussions",
        },
    ),
}
REPOS = {
    "pallets/jinja": "# Jinja\n\n```\n$ pip install -U Jinja2\n```\n",
    "pallets/markupsafe": None,
    "dateutil/dateutil": "Installation\n\n    pip install python-dateutil\n",
    "benjaminp/six": None,
    "pydantic/pydantic": "```\npip install pydantic\n```",
    "python/typing_extensions": None,
    "annotated-types/annotated-types": None,
}


@pytest.fixture
def registry() -> FakeRegistry:
    fake = FakeRegistry()
    for name, payload in PROJECTS.items():
        fake.add_json(f"/pypi/{name}/json", payload)
        fake.add_json(f"/pypi/{payload['info']['name']}/json", payload)
    return fake


def _store(dsn: str, readmes: dict[str, str | None]) -> None:
    with psycopg.connect(dsn) as conn:
        repo_store.upsert_repositories(
            conn,
            [
                (
                    RepoMetadata(full_name=name, language="python", stars=1000, readme=readme),
                    "python",
                )
                for name, readme in readmes.items()
            ],
            source="github",
        )


def _build(dsn: str, registry: FakeRegistry) -> analysis.GraphReport:
    settings = load_settings(overrides={"languages": ["python"]})
    index = PythonIndex(PYTHON_INDEX, client=registry.client())
    return analysis.build_graph(settings, lambda _ecosystem: index, dsn)


def _edges(dsn: str) -> set[tuple[str, str]]:
    with psycopg.connect(dsn) as conn:
        return set(conn.execute("SELECT dependent, dependency FROM dependency_edges").fetchall())


def test_repositories_publishing_under_other_names_keep_their_edges(dsn, registry) -> None:
    _store(dsn, REPOS)
    report = _build(dsn, registry)
    assert report.skipped == {}
    assert _edges(dsn) == {
        ("pallets/jinja", "pallets/markupsafe"),  # Jinja2, found through its README
        ("dateutil/dateutil", "benjaminp/six"),  # python-dateutil, not the squatter
        ("pydantic/pydantic", "annotated-types/annotated-types"),
        # pydantic-core lives in the same repository: its dependency is the monorepo's.
        ("pydantic/pydantic", "python/typing_extensions"),
    }
    with psycopg.connect(dsn) as conn:
        owners = dict(conn.execute("SELECT name, repository FROM packages").fetchall())
    assert owners["python-dateutil"] == "dateutil/dateutil"
    assert owners["dateutil"] == "squatter/dateutil"


def test_names_learned_once_are_looked_up_again_without_the_readme(dsn, registry) -> None:
    _store(dsn, REPOS)
    _build(dsn, registry)
    # The READMEs lose their install lines; the packages table remembers the names.
    _store(dsn, dict.fromkeys(REPOS))
    registry.requests.clear()
    _build(dsn, registry)
    assert ("pallets/jinja", "pallets/markupsafe") in _edges(dsn)
    assert ("dateutil/dateutil", "benjaminp/six") in _edges(dsn)
    assert registry.hits("/pypi/python-dateutil/json") >= 1


def test_a_dependency_published_from_a_known_repository_is_expanded(dsn, registry) -> None:
    """Nothing names Flask's repository's packages but Flask: Jinja2 is learned as Flask's
    dependency, found to live in a known repository, and its own dependencies are fetched."""
    _store(dsn, {"pallets/flask": None, "pallets/jinja": None, "pallets/markupsafe": None})
    _build(dsn, registry)
    assert _edges(dsn) == {
        ("pallets/flask", "pallets/jinja"),
        ("pallets/flask", "pallets/click"),  # not stored, still a dependency of a stored one
        ("pallets/jinja", "pallets/markupsafe"),
    }
