"""GraphQL documents for batched repository reads, and the pure mapping of their answers.

One query asks for many repositories through aliases (``r0: repository(owner: $o0, name: $n0)``),
so metadata *and* most health signals for ``batch_size`` repositories cost one HTTP request.

What GraphQL gives exactly, per repository: stars, forks, archived/fork flags, SPDX licence,
default branch, dates, open/closed issue totals, languages, topics, commits on the default branch
in the last 90 days (``history(since:) { totalCount }``).

What it gives by sample (documented approximations, all capped by GitHub's 100-node pages):

- ``releases_last_year``: releases created in the last 365 days among the newest 100.
- ``issues_opened_90d`` / ``issues_closed_90d``: counted over issues *updated* in the last 90
  days (every issue opened or closed in the window was updated in it). Exact while that set holds
  ≤ 100 issues, a lower bound beyond.
- ``contributors`` (batch only): distinct commit authors among the newest ≤ 100 commits of the
  last year - a lower bound on *recently active* contributors, not REST's all-time count.
  ``GitHubSource.activity`` and ``activity_batch(exact_contributors=True)`` use REST instead.
- ``top_contributor_share``: the most frequent author's share of that same commit sample.
- ``ci_runs_total`` / ``ci_runs_passed``: ``statusCheckRollup`` (checks *and* commit statuses
  combined, as the branch page shows them) of the newest ``CI_COMMITS`` commits; pending rollups
  are not counted. 0/0 means "no CI ran", distinct from None ("could not tell").
- ``has_readme`` / ``has_contributing``: file names in the root tree and ``.github/``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from globallm_assets.core.models import ActivityStats, RepoMetadata

RELEASES_SAMPLE = 100
COMMITS_SAMPLE = 100
ISSUES_SAMPLE = 100
CI_COMMITS = 10
LANGUAGES_MAX = 10
TOPICS_MAX = 20
ACTIVITY_WINDOW = timedelta(days=90)
YEAR = timedelta(days=365)

# ``Repository`` fields for metadata and health, in GitHub's schema vocabulary.
REPO_FRAGMENT = f"""
fragment RepoFields on Repository {{
  nameWithOwner
  description
  homepageUrl
  stargazerCount
  forkCount
  isArchived
  isFork
  pushedAt
  createdAt
  licenseInfo {{ spdxId }}
  primaryLanguage {{ name }}
  defaultBranchRef {{
    name
    target {{
      ... on Commit {{
        recent: history(since: $since90) {{ totalCount }}
        yearly: history(since: $since365, first: {COMMITS_SAMPLE}) {{
          nodes {{ author {{ email user {{ login }} }} }}
        }}
        ci: history(first: {CI_COMMITS}) {{ nodes {{ statusCheckRollup {{ state }} }} }}
      }}
    }}
  }}
  openIssues: issues(states: [OPEN]) {{ totalCount }}
  closedIssues: issues(states: [CLOSED]) {{ totalCount }}
  recentIssues: issues(
    first: {ISSUES_SAMPLE}
    filterBy: {{ since: $issuesSince }}
    orderBy: {{ field: UPDATED_AT, direction: DESC }}
  ) {{
    totalCount
    nodes {{ createdAt closedAt }}
  }}
  releases(first: {RELEASES_SAMPLE}, orderBy: {{ field: CREATED_AT, direction: DESC }}) {{
    nodes {{ createdAt }}
  }}
  languages(first: {LANGUAGES_MAX}, orderBy: {{ field: SIZE, direction: DESC }}) {{
    nodes {{ name }}
  }}
  repositoryTopics(first: {TOPICS_MAX}) {{ nodes {{ topic {{ name }} }} }}
  rootTree: object(expression: "HEAD:") {{ ... on Tree {{ entries {{ name }} }} }}
  githubTree: object(expression: "HEAD:.github") {{ ... on Tree {{ entries {{ name }} }} }}
}}
"""

# The freshness probe: every metadata field that is not a connection. Without connections GitHub
# charges the minimum of one point for the whole query, however many aliases it holds.
PROBE_FRAGMENT = """
fragment ProbeFields on Repository {
  nameWithOwner
  description
  homepageUrl
  stargazerCount
  forkCount
  isArchived
  isFork
  pushedAt
  createdAt
  licenseInfo { spdxId }
  primaryLanguage { name }
  defaultBranchRef { name }
}
"""


def _aliases(names: Sequence[str], fragment: str) -> tuple[str, str, dict[str, Any]]:
    """Variable declarations, aliased fields and variables; alias ``r{i}`` is ``names[i]``."""
    params: list[str] = []
    fields: list[str] = []
    variables: dict[str, Any] = {}
    for i, full_name in enumerate(names):
        owner, _, repo = full_name.partition("/")
        params.append(f"$o{i}: String!, $n{i}: String!")
        fields.append(f"  r{i}: repository(owner: $o{i}, name: $n{i}) {{ ...{fragment} }}")
        variables[f"o{i}"], variables[f"n{i}"] = owner, repo
    return ", ".join(params), "\n".join(fields), variables


def batch_query(names: Sequence[str], now: datetime) -> tuple[str, dict[str, Any]]:
    """The full metadata+activity query for ``names`` and its variables."""
    params, fields, variables = _aliases(names, "RepoFields")
    query = (
        f"query Repos($since90: GitTimestamp!, $since365: GitTimestamp!, $issuesSince: DateTime!, "
        f"{params}) {{\n"
        f"{fields}\n}}\n{REPO_FRAGMENT}"
    )
    return query, {
        **variables,
        "since90": iso(now - ACTIVITY_WINDOW),
        "since365": iso(now - YEAR),
        # Same instant, but GitHub types history's ``since`` and IssueFilters' differently.
        "issuesSince": iso(now - ACTIVITY_WINDOW),
    }


def probe_query(names: Sequence[str]) -> tuple[str, dict[str, Any]]:
    """The cheap freshness query for ``names`` and its variables."""
    params, fields, variables = _aliases(names, "ProbeFields")
    return f"query Probe({params}) {{\n{fields}\n}}\n{PROBE_FRAGMENT}", variables


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _nodes(connection: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    if not connection:
        return []
    return [n for n in connection.get("nodes") or [] if n]


def _total(connection: Mapping[str, Any] | None) -> int | None:
    return None if not connection else connection.get("totalCount")


def spdx(value: str | None) -> str | None:
    # GitHub says NOASSERTION when it found a licence file it could not identify.
    return None if value in (None, "", "NOASSERTION") else value


def scalar_metadata(node: Mapping[str, Any]) -> dict[str, Any]:
    """The :class:`RepoMetadata` fields that need no connection - all a probe can refresh."""
    primary = (node.get("primaryLanguage") or {}).get("name")
    return {
        "full_name": node["nameWithOwner"],
        "language": primary.lower() if primary else None,
        "description": node.get("description"),
        "stars": node.get("stargazerCount") or 0,
        "forks": node.get("forkCount") or 0,
        "archived": bool(node.get("isArchived")),
        "is_fork": bool(node.get("isFork")),
        "license": spdx((node.get("licenseInfo") or {}).get("spdxId")),
        "default_branch": (node.get("defaultBranchRef") or {}).get("name"),
        "created_at": parse_time(node.get("createdAt")),
        "pushed_at": parse_time(node.get("pushedAt")),
        "homepage": node.get("homepageUrl") or None,
    }


def content_version(node: Mapping[str, Any]) -> str:
    """What must not move for a cached snapshot's connection data to still hold.

    Only ``pushedAt`` and the default branch: ``updatedAt`` also moves on every new star, which
    would make popular repositories look changed on every run.
    """
    return f"{node.get('pushedAt')}|{(node.get('defaultBranchRef') or {}).get('name')}"


def metadata_from_node(node: Mapping[str, Any], now: datetime) -> RepoMetadata:
    """Map one ``RepoFields`` answer to :class:`RepoMetadata` (languages lower-cased)."""
    year_ago = now - YEAR
    releases = [parse_time(n.get("createdAt")) for n in _nodes(node.get("releases"))]
    return RepoMetadata(
        **scalar_metadata(node),
        open_issues=_total(node.get("openIssues")) or 0,
        closed_issues=_total(node.get("closedIssues")) or 0,
        releases_last_year=sum(1 for r in releases if r is not None and r >= year_ago),
        languages=[n["name"].lower() for n in _nodes(node.get("languages")) if n.get("name")],
        topics=[n["topic"]["name"] for n in _nodes(node.get("repositoryTopics")) if n.get("topic")],
    )


def _tree_names(tree: Mapping[str, Any] | None) -> list[str] | None:
    if tree is None or "entries" not in tree:
        return None
    return [str(e.get("name", "")).lower() for e in tree.get("entries") or []]


def activity_from_node(node: Mapping[str, Any], now: datetime) -> ActivityStats:
    """Map one ``RepoFields`` answer to :class:`ActivityStats` (see module docstring)."""
    since = now - ACTIVITY_WINDOW
    target = (node.get("defaultBranchRef") or {}).get("target") or {}
    has_branch = bool(target)

    authors = Counter(_author_key(n.get("author") or {}) for n in _nodes(target.get("yearly")))
    authors.pop(None, None)
    sample = sum(authors.values())

    rollups = [(n.get("statusCheckRollup") or {}).get("state") for n in _nodes(target.get("ci"))]
    finished = [s for s in rollups if s in ("SUCCESS", "FAILURE", "ERROR")]

    recent = node.get("recentIssues")
    issues = _nodes(recent)
    opened = sum(1 for i in issues if (t := parse_time(i.get("createdAt"))) and t >= since)
    closed = sum(1 for i in issues if (t := parse_time(i.get("closedAt"))) and t >= since)

    root = _tree_names(node.get("rootTree"))
    dot_github = _tree_names(node.get("githubTree")) or []
    return ActivityStats(
        commits_90d=_total(target.get("recent")) if has_branch else 0,
        contributors=len(authors) if has_branch else 0,
        top_contributor_share=(max(authors.values()) / sample) if sample else None,
        ci_runs_total=len(finished) if has_branch else None,
        ci_runs_passed=sum(1 for s in finished if s == "SUCCESS") if has_branch else None,
        issues_opened_90d=opened if recent is not None else None,
        issues_closed_90d=closed if recent is not None else None,
        has_readme=None if root is None else any(n.startswith("readme") for n in root),
        has_contributing=(
            None
            if root is None
            else any(n.startswith("contributing") for n in [*root, *dot_github])
        ),
    )


def _author_key(author: Mapping[str, Any]) -> str | None:
    # Prefer the GitHub account; fall back to the e-mail for commits not linked to one.
    user = author.get("user") or {}
    if user.get("login"):
        return f"user:{user['login'].lower()}"
    email = author.get("email")
    return f"email:{email.lower()}" if email else None
