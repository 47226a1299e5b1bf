"""REST payloads from other API versions still parse: fields the project does not read may be
missing (older GitHub, GitHub Enterprise Server) and unknown fields may appear (newer GitHub).

The remote is the local fake GitHub; ``rest_fields`` rewrites each repository and issue it sends,
the way a recorded answer from another API version differs from today's."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pydantic
import pytest

from globallm_assets.core.models import IssueRecord, RepoMetadata
from globallm_assets.sources.base import SearchQuery, SourceError
from globallm_assets.sources.github import GitHubSource
from globallm_assets_tests.fakes.github_server import FakeGitHub, synthesize_repo

TOKEN = "ghp_" + "L" * 36
NOW = datetime.now(UTC).replace(microsecond=0)

# Fields today's REST schema requires that older API versions did not send.
LEGACY_REPOSITORY_DROPS = (
    "has_discussions",
    "web_commit_signoff_required",
    "allow_forking",
    "is_template",
    "visibility",
    "topics",
    "node_id",
    "license",
)
LEGACY_ISSUE_DROPS = ("reactions", "state_reason", "timeline_url", "node_id", "active_lock_reason")


def legacy(kind: str, body: dict[str, Any]) -> dict[str, Any]:
    drops = LEGACY_REPOSITORY_DROPS if kind == "repository" else LEGACY_ISSUE_DROPS
    out = {k: v for k, v in body.items() if k not in drops}
    out["owner"] = {k: v for k, v in (out.get("owner") or {}).items() if k != "user_view_type"}
    # ...and something a newer GitHub might add.
    out["custom_properties_v9"] = {"tier": ["gold"], "nested": {"deep": [1, 2, 3]}}
    return out


def _world() -> list:
    meta = RepoMetadata(
        full_name="legacy-org/old-lib",
        language="python",
        description="A library answered by an older GitHub",
        stars=4321,
        forks=210,
        license="MIT",
        default_branch="main",
        created_at=NOW - timedelta(days=900),
        topics=["http"],
    )
    issues = [
        IssueRecord(
            repository=meta.full_name,
            number=k,
            title=f"Crash {k}",
            body="Traceback (most recent call last):",
            labels=["bug"],
            created_at=NOW - timedelta(days=k),
            updated_at=NOW - timedelta(days=k),
            comments=k,
            reactions=2,
            author_association="MEMBER",
        )
        for k in range(1, 6)
    ]
    return [synthesize_repo(meta, issues=issues, now=NOW)]


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    with FakeGitHub(_world(), tokens=[TOKEN], rest_fields=legacy) as server:
        yield server


def _source(fake: FakeGitHub, tokens: list[str]) -> GitHubSource:
    return GitHubSource(tokens, api_url=fake.url, sleep=lambda _s: None, clock=time.time)


def test_the_strict_schema_would_reject_these_payloads(fake: FakeGitHub) -> None:
    """The premise: githubkit's generated model for today's API refuses the legacy shape."""
    import httpx
    from githubkit.versions.latest.models import FullRepository

    body = httpx.get(f"{fake.url}/repos/legacy-org/old-lib").json()
    assert "has_discussions" not in body and "custom_properties_v9" in body
    with pytest.raises(pydantic.ValidationError):
        FullRepository.model_validate(body)


def test_search_parses_repositories_of_an_older_api(fake: FakeGitHub) -> None:
    source = _source(fake, [TOKEN])
    found = list(source.search_repositories(SearchQuery(language="python"), 10))
    assert [m.full_name for m in found] == ["legacy-org/old-lib"]
    meta = found[0]
    assert (meta.stars, meta.forks, meta.default_branch) == (4321, 210, "main")
    assert meta.topics == [] and meta.license is None  # absent upstream, so unknown here
    assert meta.created_at == NOW - timedelta(days=900)


def test_anonymous_metadata_reads_the_full_repository_of_an_older_api(fake: FakeGitHub) -> None:
    source = _source(fake, [])
    found = source.repository_metadata(["legacy-org/old-lib"])
    assert found["legacy-org/old-lib"].description == "A library answered by an older GitHub"
    assert found["legacy-org/old-lib"].stars == 4321


def test_issues_of_an_older_api_parse(fake: FakeGitHub) -> None:
    got = {i.number: i for i in _source(fake, [TOKEN]).issues("legacy-org/old-lib")}
    assert sorted(got) == [1, 2, 3, 4, 5]
    assert got[3].comments == 3 and got[3].labels == ["bug"]
    assert got[3].reactions == 0  # the field is missing, not an error
    assert got[3].author_association == "MEMBER"


def test_a_payload_without_what_we_read_is_one_line_source_error() -> None:
    def broken(kind: str, body: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in body.items() if k != "full_name"}

    with FakeGitHub(_world(), tokens=[TOKEN], rest_fields=broken) as fake:
        source = _source(fake, [TOKEN])
        with pytest.raises(SourceError) as info:
            list(source.search_repositories(SearchQuery(language="python"), 10))
    message = str(info.value)
    assert "unexpected response shape" in message and "\n" not in message
