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
- ``ci_runs_total`` / ``ci_runs_passed``, OpenSSF Scorecard's CI-Tests idea: of the newest
  ``MERGED_PRS_SAMPLE`` merged pull requests (by last update), how many had a head commit whose
  ``statusCheckRollup`` (checks *and* commit statuses combined) was SUCCESS. A PR merged without
  any CI counts as not passed, as in Scorecard; one whose rollup is still pending is left out.
  This figure is used when at least ``MIN_MERGED_PRS`` PRs are judged that way and at least one
  of them ran CI at all. Otherwise (young repositories, direct pushes, no CI on PRs) it falls back
  to the rollups of the newest ``CI_COMMITS`` default-branch commits, pending ones not counted.
  0/0 means "no CI ran", distinct from None ("could not tell").
- ``maintainer_responses_90d``: among the newest ``RESPONSE_SAMPLE`` issues created in the last
  90 days, those with a comment by an OWNER, MEMBER or COLLABORATOR within their first
  ``RESPONSE_COMMENTS`` comments. Exact when the window holds fewer issues than the sample; else
  the sample's share scaled to ``issues_opened_90d``.
- ``has_readme`` / ``has_contributing``: file names in the root tree and ``.github/``.
- ``RepoMetadata.readme``: the text of the first of ``README_FILES`` that exists at ``HEAD``
  (exact names: Git trees are case-sensitive, so a ``Readme.markdown`` is not read, though
  ``has_readme`` still sees it), cut to ``README_MAX_CHARS`` characters.

Cost, per GitHub's published formula (one request per connection per parent, summed, / 100):
each repository asks for 11 connections (history x3, issues x4, releases, languages, topics,
merged PRs) plus one per sampled merged PR (its head commit) and one per sampled new issue (its
comments), 31 in all, so a batch of 25 costs 8 points (1,000 repositories: 320 of a token's
5,000 per hour; before merged-PR CI and responses it was 2 points). ``object(expression:)``
lookups (trees, README blobs) are not connections and cost nothing.
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
# Scorecard's CI-Tests looks at the last 30 merged PRs; each sampled PR costs GitHub one more
# request (its ``commits(last: 1)``), so 10 keeps a 25-repository batch at 8 points.
MERGED_PRS_SAMPLE = 10
# Below this many judged merged PRs the share says too little; the commit rollups are used.
MIN_MERGED_PRS = 5
RESPONSE_SAMPLE = 10
RESPONSE_COMMENTS = 10
MAINTAINER_ASSOCIATIONS = frozenset({"OWNER", "MEMBER", "COLLABORATOR"})
# Preference order when several exist. Git paths are case-sensitive, hence the lower-case variant.
README_FILES = ("README.md", "README.rst", "README.txt", "README", "readme.md")
# Redundancy detection embeds the README's opening (what the project *is*); the rest (install
# steps, API tables) adds bytes to every cached snapshot, not meaning.
README_MAX_CHARS = 20_000
# Issues whose linked pull requests one query asks for: one connection each, so 100 cost 1 point.
LINKED_PR_BATCH = 100
LANGUAGES_MAX = 10
TOPICS_MAX = 20
ACTIVITY_WINDOW = timedelta(days=90)
YEAR = timedelta(days=365)

# One aliased blob lookup per README candidate: ``readme0`` is ``README_FILES[0]`` and so on.
_README_FIELDS = "\n".join(
    f'  readme{i}: object(expression: "HEAD:{path}") {{ ... on Blob {{ isBinary text }} }}'
    for i, path in enumerate(README_FILES)
)

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
  mergedPulls: pullRequests(
    states: [MERGED]
    first: {MERGED_PRS_SAMPLE}
    orderBy: {{ field: UPDATED_AT, direction: DESC }}
  ) {{
    nodes {{ commits(last: 1) {{ nodes {{ commit {{ statusCheckRollup {{ state }} }} }} }} }}
  }}
  newIssues: issues(
    first: {RESPONSE_SAMPLE}
    filterBy: {{ since: $issuesSince }}
    orderBy: {{ field: CREATED_AT, direction: DESC }}
  ) {{
    nodes {{ createdAt comments(first: {RESPONSE_COMMENTS}) {{ nodes {{ authorAssociation }} }} }}
  }}
  rootTree: object(expression: "HEAD:") {{ ... on Tree {{ entries {{ name }} }} }}
  githubTree: object(expression: "HEAD:.github") {{ ... on Tree {{ entries {{ name }} }} }}
{_README_FIELDS}
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
        readme=readme_from_node(node),
    )


def readme_from_node(node: Mapping[str, Any]) -> str | None:
    """The first non-blank README of ``README_FILES`` (an empty one only when no other has text),
    cut to ``README_MAX_CHARS``; None when none exists or only binary ones do."""
    texts = []
    for i in range(len(README_FILES)):
        blob = node.get(f"readme{i}") or {}
        text = blob.get("text")
        if not blob.get("isBinary") and isinstance(text, str):
            texts.append(text)
    if not texts:
        return None
    chosen = next((t for t in texts if t.strip()), texts[0])
    return chosen[:README_MAX_CHARS]


def _tree_names(tree: Mapping[str, Any] | None) -> list[str] | None:
    if tree is None or "entries" not in tree:
        return None
    return [str(e.get("name", "")).lower() for e in tree.get("entries") or []]


def tree_names(node: Mapping[str, Any]) -> dict[str, list[str]] | None:
    """Entry names of the root ("") and ``.github`` trees the query saw; a tree the answer does
    not show (no ``.github`` directory, or an empty repository) is left out."""
    trees = {
        key: names
        for key, field in (("", "rootTree"), (".github", "githubTree"))
        if (names := _tree_names(node.get(field))) is not None
    }
    return trees or None


def activity_from_node(node: Mapping[str, Any], now: datetime) -> ActivityStats:
    """Map one ``RepoFields`` answer to :class:`ActivityStats` (see module docstring)."""
    since = now - ACTIVITY_WINDOW
    target = (node.get("defaultBranchRef") or {}).get("target") or {}
    has_branch = bool(target)

    authors = Counter(_author_key(n.get("author") or {}) for n in _nodes(target.get("yearly")))
    authors.pop(None, None)
    sample = sum(authors.values())

    ci_total, ci_passed = _ci_runs(node, target) if has_branch else (None, None)

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
        ci_runs_total=ci_total,
        ci_runs_passed=ci_passed,
        issues_opened_90d=opened if recent is not None else None,
        issues_closed_90d=closed if recent is not None else None,
        maintainer_responses_90d=(
            _maintainer_responses(node.get("newIssues"), opened, since)
            if recent is not None
            else None
        ),
        has_readme=None if root is None else any(n.startswith("readme") for n in root),
        has_contributing=(
            None
            if root is None
            else any(n.startswith("contributing") for n in [*root, *dot_github])
        ),
    )


_FINISHED = ("SUCCESS", "FAILURE", "ERROR")


def _ci_runs(node: Mapping[str, Any], target: Mapping[str, Any]) -> tuple[int, int]:
    """(total, passed): merged PRs' head-commit rollups when enough, else the branch's commits."""
    heads: list[str | None] = []
    for pull in _nodes(node.get("mergedPulls")):
        commits = _nodes(pull.get("commits"))
        commit = (commits[-1].get("commit") or {}) if commits else {}
        heads.append((commit.get("statusCheckRollup") or {}).get("state"))
    # Merged while CI was still pending: neither passed nor failed, so not judged.
    judged = [s for s in heads if s is None or s in _FINISHED]
    if len(judged) >= MIN_MERGED_PRS and any(s is not None for s in judged):
        return len(judged), sum(1 for s in judged if s == "SUCCESS")
    rollups = [(n.get("statusCheckRollup") or {}).get("state") for n in _nodes(target.get("ci"))]
    finished = [s for s in rollups if s in _FINISHED]
    return len(finished), sum(1 for s in finished if s == "SUCCESS")


def _maintainer_responses(
    connection: Mapping[str, Any] | None, opened: int, since: datetime
) -> int | None:
    """Issues created since ``since`` that a maintainer commented on (see module docstring)."""
    if connection is None:
        return None
    nodes = _nodes(connection)
    window = [n for n in nodes if (t := parse_time(n.get("createdAt"))) and t >= since]
    answered = sum(
        1
        for n in window
        if any(
            c.get("authorAssociation") in MAINTAINER_ASSOCIATIONS for c in _nodes(n.get("comments"))
        )
    )
    if len(window) < RESPONSE_SAMPLE:
        return answered  # the sample reached past the window's oldest issue: exact
    return round(answered / len(window) * max(opened, len(window)))


def linked_prs_query(numbers: Sequence[int]) -> str:
    """Open pull requests that would close each issue (``i{number}`` aliases, one repository).

    Numbers are ints, so inlining them is safe; ``$owner``/``$name`` are variables.
    """
    fields = "\n".join(
        f"    i{int(n)}: issue(number: {int(n)}) {{ "
        "closedByPullRequestsReferences(first: 1, includeClosedPrs: false) { totalCount } }"
        for n in numbers
    )
    return (
        "query LinkedPulls($owner: String!, $name: String!) {\n"
        f"  repository(owner: $owner, name: $name) {{\n{fields}\n  }}\n}}\n"
    )


def linked_prs_from_data(data: Mapping[str, Any] | None, numbers: Sequence[int]) -> dict[int, int]:
    """``number → open linked PRs`` for the issues GitHub resolved (others are absent)."""
    repo = (data or {}).get("repository") or {}
    out: dict[int, int] = {}
    for n in numbers:
        issue = repo.get(f"i{int(n)}")
        if issue is not None:
            out[int(n)] = _total(issue.get("closedByPullRequestsReferences")) or 0
    return out


def _author_key(author: Mapping[str, Any]) -> str | None:
    # Prefer the GitHub account; fall back to the e-mail for commits not linked to one.
    user = author.get("user") or {}
    if user.get("login"):
        return f"user:{user['login'].lower()}"
    email = author.get("email")
    return f"email:{email.lower()}" if email else None
