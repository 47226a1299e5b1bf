"""GitHub as a :class:`RepoSource`: githubkit for typed REST and GraphQL over one policy transport.

Request budget, by design:

- Metadata and most health signals come from one aliased GraphQL query per ``batch_size``
  repositories (:mod:`.github_graphql` documents every field and approximation), so a
  1,000-repository analysis costs ~40 requests.
- Re-runs use a *freshness probe*: one GraphQL query per ``probe_batch_size`` repositories asking
  only for fields that are not connections (GitHub charges the minimum one point for it).
  Repositories whose ``pushedAt`` and default branch are unchanged, and whose cached snapshot is
  younger than ``snapshot_ttl``, reuse it with every probed field (stars, archived, licence, …)
  refreshed; only the rest are re-fetched. GraphQL POSTs cannot be conditional, so this is their
  equivalent of an ETag; snapshots live in the same :class:`EtagCache` (etag =
  ``pushedAt|branch``). What a probe cannot see - issue totals, releases, topics, the 90-day
  windows - is therefore at most ``snapshot_ttl`` old.
- REST is used only where GraphQL lacks the data - search, issue lists, the exact contributor
  count - and every REST GET is conditional (``If-None-Match``) when a cache is configured.
- Issue lists then get their open issues' linked pull requests (open PRs that would close them)
  from one GraphQL query per ``LINKED_PR_BATCH`` (100) open issues, one point each. When every
  page of the listing so far is unchanged (same ETags: the 304s of a re-run), the counts
  remembered with those ETags are reused instead (kept in the :class:`EtagCache`, at most
  ``snapshot_ttl`` old), so an unchanged repository's issue fetch costs no quota at all.
- Without a token, GraphQL is unavailable (GitHub requires authentication for it): metadata falls
  back to one REST call per repository and activity to two, at 60 requests/hour; READMEs,
  merged-PR CI and maintainer responses are then unknown, and ``linked_pull_requests`` stays 0
  (said once in the log) - a README or a PR lookup per item would not fit 60 requests an hour.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import httpx

from globallm_assets.core.models import ActivityStats, IssueRecord, RepoMetadata, parse_repo_name
from globallm_assets.sources import github_graphql as gql
from globallm_assets.sources.base import (
    NotFoundError,
    SearchQuery,
    SourceError,
    repository_not_found,
)
from globallm_assets.sources.github_transport import (
    EtagCache,
    GitHubPolicyTransport,
    GitHubStats,
    MemoryEtagCache,
    RateLimitBudgetExceeded,
    RateLimitLedger,
    TokenPool,
    mask_token,
    pool_identity,
)

if TYPE_CHECKING:
    from githubkit import GitHub

__all__ = [
    "EtagCache",
    "GitHubSource",
    "GitHubStats",
    "MemoryEtagCache",
    "RateLimitBudgetExceeded",
    "RepoSnapshot",
    "mask_token",
]

# GitHub's search returns at most this many results per query, whatever total_count says.
SEARCH_RESULT_CAP = 1000
SEARCH_PAGE_SIZE = 100
# No public repository predates GitHub's launch; the lower bound for created-date slicing.
GITHUB_EPOCH = datetime(2007, 10, 1, tzinfo=UTC)
# Below this a created-date slice is not split further (a pathological tie; we keep 1,000).
MIN_DATE_SLICE = timedelta(hours=1)
# v2: snapshots carry the README, merged-PR CI and maintainer responses; v3: the names in the
# root and .github/ trees.
_SNAPSHOT_VERSION = "v3"
_LINKED_VERSION = "v1"
_LAST_PAGE_RE = re.compile(r'<([^<>]+)>;\s*rel="last"')


@dataclass(frozen=True)
class _LinkedPrs:
    """Linked-PR counts of a repository's last issue listing, keyed by the ETags of its pages."""

    etags: list[str]
    counts: dict[int, int]
    at: float  # when GitHub was last asked (epoch seconds)


@dataclass(frozen=True)
class RepoSnapshot:
    """Metadata and activity of one repository, as of ``fetched_at``."""

    metadata: RepoMetadata
    activity: ActivityStats
    fetched_at: datetime
    # Entry names (lower case) of the default branch's root ("") and ".github" trees, where the
    # query saw them: they let repository_file answer "no such file" without a request.
    trees: dict[str, list[str]] | None = None


class GitHubSource:
    """Repositories, activity and issues from GitHub (or any server speaking its API).

    Authenticated reads of metadata always fetch the full snapshot (metadata *and* activity):
    the activity fields are most of a batch's 8 points per 25 repositories, but with a cache a
    later ``activity_batch`` over the same names then costs only the freshness probe.
    """

    name = "github"

    def __init__(
        self,
        tokens: Sequence[str] = (),
        *,
        api_url: str = "https://api.github.com",
        max_concurrency: int = 4,
        etag_cache: EtagCache | None = None,
        rate_limits: RateLimitLedger | None = None,
        transport: httpx.BaseTransport | None = None,
        batch_size: int = 25,
        probe_batch_size: int = 200,
        snapshot_ttl: float = 24 * 3600.0,
        max_rate_limit_wait: float = 900.0,
        max_retries: int = 5,
        secondary_backoff: float = 60.0,
        timeout: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        logger: logging.Logger | None = None,
    ) -> None:
        """
        ``tokens``: personal access / app tokens, used round-robin (a comma-separated string is
        split too); none means anonymous REST only. ``max_concurrency``: requests in flight
        overall; each token also carries at most ``PER_TOKEN_IN_FLIGHT`` (2). ``etag_cache``:
        enables conditional REST GETs and GraphQL snapshot reuse. ``rate_limits``: where quota
        and pauses are kept (default: this process; ``store.ratelimit`` shares them). ``transport``:
        the real connection underneath (tests may pass ``httpx.MockTransport``). ``batch_size``:
        repositories per GraphQL query; 25 keeps each query far below GitHub's node limit and its
        10-second execution timeout even with 100-commit samples. ``probe_batch_size``:
        repositories per freshness probe. ``snapshot_ttl``: seconds a cached snapshot may be
        reused while unchanged (its 90-day windows drift). ``max_rate_limit_wait``: the longest
        sleep for a primary-limit reset before failing. ``sleep``/``clock``: injectable for tests.
        """
        from githubkit import GitHub

        if isinstance(tokens, str):
            tokens = tokens.split(",")
        cleaned = list(dict.fromkeys(t.strip() for t in tokens if t and t.strip()))
        self._log = logger or logging.getLogger(__name__)
        self._authenticated = bool(cleaned)
        self._api_url = api_url
        self._batch_size = max(1, batch_size)
        self._probe_batch_size = max(1, probe_batch_size)
        self._snapshot_ttl = snapshot_ttl
        self._max_concurrency = max(1, max_concurrency)
        self._cache = etag_cache
        self._clock = clock
        self._identity = pool_identity(cleaned)
        self._stats = GitHubStats()
        self._pool = TokenPool(
            cleaned,
            clock=clock,
            sleep=sleep,
            max_rate_limit_wait=max_rate_limit_wait,
            stats=self._stats,
            logger=self._log,
            ledger=rate_limits,
        )
        self._transport = GitHubPolicyTransport(
            self._pool,
            inner=transport,
            etag_cache=etag_cache,
            identity=self._identity,
            stats=self._stats,
            clock=clock,
            sleep=sleep,
            max_concurrency=self._max_concurrency,
            max_retries=max_retries,
            secondary_backoff=secondary_backoff,
            logger=self._log,
            base_url=api_url,
        )
        self._linked_skip_logged = False
        # The policy transport adds credentials and retries; githubkit's own retry sleeps with
        # time.sleep and its HTTP cache would hide 304s from us, so both are off.
        self._gh: GitHub[Any] = GitHub(
            base_url=api_url,
            transport=self._transport,
            http_cache=False,
            auto_retry=False,
            trust_env=False,
            user_agent="globallm",
            timeout=timeout,
        )
        if not self._authenticated:
            self._log.warning(
                "GitHub: no token configured - unauthenticated requests are limited to 60 per "
                "hour and GraphQL is unavailable, so each repository costs REST calls; set a "
                "token to analyse more than a handful of repositories"
            )

    # ------------------------------------------------------------------ plumbing

    def __repr__(self) -> str:
        return f"GitHubSource(api_url={self._api_url!r}, tokens={self._pool.labels})"

    def __enter__(self) -> GitHubSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._transport.shutdown()

    @property
    def stats(self) -> GitHubStats:
        """Live request counters (requests sent, 304s, retries, per token and resource)."""
        return self._stats

    @property
    def now(self) -> datetime:
        """The wall clock (injectable for tests): GitHub's data describes the present."""
        return datetime.fromtimestamp(self._clock(), tz=UTC)

    @contextmanager
    def _errors(self, what: str) -> Iterator[None]:
        """Turn githubkit/pydantic failures into one-line SourceErrors (never with secrets)."""
        from githubkit.exception import GitHubException, RequestError, RequestFailed
        from pydantic import ValidationError

        try:
            yield
        except SourceError:
            raise
        except RequestFailed as exc:
            status = exc.response.status_code
            if status == 404:
                raise NotFoundError(f"{what}: not found on GitHub") from None
            raise SourceError(f"{what}: GitHub answered {status} {_message(exc)}".strip()) from None
        except RequestError as exc:
            inner = exc.exc
            if isinstance(inner, SourceError):
                raise inner from None
            raise SourceError(f"{what}: {type(inner).__name__} talking to GitHub") from None
        except GitHubException as exc:
            raise SourceError(f"{what}: {type(exc).__name__}") from None
        except ValidationError as exc:
            raise SourceError(
                f"{what}: unexpected response shape ({exc.error_count()} errors)"
            ) from None

    def _valid_names(self, names: Sequence[str]) -> list[str]:
        out: dict[str, str] = {}
        for raw in names:
            try:
                name = parse_repo_name(raw)
            except ValueError:
                self._log.warning("GitHub: skipping invalid repository name %r", raw)
                continue
            out.setdefault(name.lower(), name)
        return list(out.values())

    def _parallel_map(self, fn: Callable[[Any], Any], items: list[Any]) -> list[Any]:
        """``fn`` over ``items`` on up to ``max_concurrency`` threads (the transport still caps
        requests per token), results in input order."""
        if len(items) <= 1:
            return [fn(i) for i in items]
        with ThreadPoolExecutor(max_workers=min(self._max_concurrency, len(items))) as pool:
            return list(pool.map(fn, items))

    # ------------------------------------------------------------------ GraphQL batches

    def repository_metadata(self, full_names: Sequence[str]) -> dict[str, RepoMetadata]:
        """Metadata keyed by the requested name (missing repositories are absent).

        ``full_name`` inside each record is GitHub's canonical spelling, which differs from the
        key after a rename or a case difference.
        """
        snaps = self._snapshots(full_names, need_activity=False)
        return {name: snap.metadata for name, snap in snaps.items()}

    def activity_batch(
        self, full_names: Sequence[str], *, exact_contributors: bool = False
    ) -> dict[str, ActivityStats]:
        """Activity for many repositories from the GraphQL batch.

        ``exact_contributors`` replaces the sampled contributor count with REST's all-time count
        (one extra, ETag-cacheable request per repository).
        """
        snaps = self._snapshots(full_names, need_activity=True)
        out = {name: snap.activity for name, snap in snaps.items()}
        if exact_contributors and self._authenticated:
            counts = self._parallel_map(self.contributors_count, list(out))
            for name, count in zip(out, counts, strict=True):
                out[name] = out[name].model_copy(update={"contributors": count})
        return out

    def repository_snapshots(self, full_names: Sequence[str]) -> dict[str, RepoSnapshot]:
        """Metadata and activity together - the cheapest way to feed a health analysis."""
        return self._snapshots(full_names, need_activity=True)

    def activity(self, full_name: str) -> ActivityStats:
        """Activity of one repository: the GraphQL batch of one plus REST's contributor count."""
        name = parse_repo_name(full_name)
        snap = self._snapshots([name], need_activity=True).get(name)
        if snap is None:
            raise repository_not_found(name, self.name)
        if not self._authenticated:
            return snap.activity
        return snap.activity.model_copy(update={"contributors": self.contributors_count(name)})

    def _snapshots(
        self, full_names: Sequence[str], *, need_activity: bool
    ) -> dict[str, RepoSnapshot]:
        names = self._valid_names(full_names)
        if not names:
            return {}
        if not self._authenticated:
            return self._rest_snapshots(names, need_activity=need_activity)
        now = self.now
        result: dict[str, RepoSnapshot] = {}
        to_fetch = names
        if self._cache is not None:
            result, to_fetch = self._reuse_fresh(names, now)
        chunks = [
            to_fetch[i : i + self._batch_size] for i in range(0, len(to_fetch), self._batch_size)
        ]
        for part in self._parallel_map(lambda c: self._fetch_batch(c, now), chunks):
            result.update(part)
        return {n: result[n] for n in names if n in result}

    def _fetch_batch(self, names: Sequence[str], now: datetime) -> dict[str, RepoSnapshot]:
        query, variables = gql.batch_query(names, now)
        nodes = self._graphql_repos(query, variables, names)
        out: dict[str, RepoSnapshot] = {}
        for name, node in nodes.items():
            snap = RepoSnapshot(
                metadata=gql.metadata_from_node(node, now),
                activity=gql.activity_from_node(node, now),
                fetched_at=now,
                trees=gql.tree_names(node),
            )
            out[name] = snap
            if self._cache is not None:
                self._cache.put(
                    self._snapshot_key(name), gql.content_version(node), _dump_snapshot(snap)
                )
        return out

    def _reuse_fresh(
        self, names: list[str], now: datetime
    ) -> tuple[dict[str, RepoSnapshot], list[str]]:
        """Split ``names`` into unchanged cached snapshots and names that need a full fetch."""
        assert self._cache is not None
        cached: dict[str, tuple[str, RepoSnapshot]] = {}
        for name in names:
            entry = self._cache.get(self._snapshot_key(name))
            snap = _load_snapshot(entry[1]) if entry else None
            if entry and snap and (now - snap.fetched_at).total_seconds() < self._snapshot_ttl:
                cached[name] = (entry[0], snap)
        if not cached:
            return {}, names
        probe_names = list(cached)
        chunks = [
            probe_names[i : i + self._probe_batch_size]
            for i in range(0, len(probe_names), self._probe_batch_size)
        ]
        probed: dict[str, dict[str, Any]] = {}
        for part in self._parallel_map(self._probe, chunks):
            probed.update(part)
        reused: dict[str, RepoSnapshot] = {}
        for name, (version, snap) in cached.items():
            node = probed.get(name)
            if node is None or gql.content_version(node) != version:
                continue
            fresh = snap.metadata.model_copy(update=gql.scalar_metadata(node))
            reused[name] = RepoSnapshot(fresh, snap.activity, snap.fetched_at, snap.trees)
        gone = {n for n in cached if n not in probed}
        to_fetch = [n for n in names if n not in reused and n not in gone]
        self._log.debug(
            "GitHub probe: %d unchanged, %d to fetch, %d gone",
            len(reused),
            len(to_fetch),
            len(gone),
        )
        return reused, to_fetch

    def _probe(self, names: Sequence[str]) -> dict[str, dict[str, Any]]:
        query, variables = gql.probe_query(names)
        return self._graphql_repos(query, variables, names)

    def _snapshot_key(self, name: str) -> str:
        return f"graphql-snapshot {_SNAPSHOT_VERSION} {name.lower()} #{self._identity}"

    def _graphql_repos(
        self, query: str, variables: Mapping[str, Any], names: Sequence[str]
    ) -> dict[str, dict[str, Any]]:
        """Run an aliased query; return ``name → node`` without the repositories GitHub lacks."""
        data, errors = self._graphql(query, variables, f"GraphQL batch of {len(names)}")
        missing: set[str] = set()
        for err in errors:
            path = list(err.path or [])
            if not path:
                raise SourceError(f"GraphQL query rejected: {err.message}")
            alias = str(path[0])
            if len(path) == 1 and err.type in ("NOT_FOUND", "FORBIDDEN"):
                missing.add(alias)
                if err.type == "FORBIDDEN":
                    self._log.warning("GitHub: %s", err.message)
            else:
                self._log.warning("GitHub GraphQL partial error at %s: %s", path, err.message)
        out: dict[str, dict[str, Any]] = {}
        for i, name in enumerate(names):
            node = data.get(f"r{i}")
            if node is None:
                if f"r{i}" not in missing:
                    self._log.warning("GitHub: no data for %s", name)
                continue
            out[name] = node
        return out

    def _graphql(
        self, query: str, variables: Mapping[str, Any], what: str
    ) -> tuple[dict[str, Any], list[Any]]:
        """``(data, errors)``: GitHub answers partial data *with* errors (e.g. one missing alias),
        which githubkit raises; both are returned so callers decide per path."""
        from githubkit.exception import GraphQLFailed

        with self._errors(what):
            try:
                return self._gh.graphql.request(query, dict(variables)), []
            except GraphQLFailed as exc:
                return exc.response.data or {}, list(exc.response.errors or [])

    def _with_linked_prs(
        self, name: str, records: list[IssueRecord], known: Mapping[int, int] | None = None
    ) -> list[IssueRecord]:
        """``records`` with ``linked_pull_requests`` set on the open ones: the open pull requests
        whose closing keywords or sidebar link would close each issue (GitHub's
        ``closedByPullRequestsReferences``), one GraphQL query for up to ``LINKED_PR_BATCH``.
        ``known``: counts remembered for an unchanged listing; when it answers every open issue,
        no query is sent."""
        numbers = [r.number for r in records if r.state == "open"]
        if not numbers:
            return records
        if known is not None and all(n in known for n in numbers):
            return [
                r.model_copy(update={"linked_pull_requests": known[r.number]})
                if r.state == "open"
                else r
                for r in records
            ]
        if not self._authenticated:
            if not self._linked_skip_logged:
                self._linked_skip_logged = True
                self._log.info(
                    "GitHub: no token, so linked pull requests of issues are not looked up "
                    "(GraphQL needs authentication); linked_pull_requests stays 0"
                )
            return records
        owner, repo = name.split("/")
        data, errors = self._graphql(
            gql.linked_prs_query(numbers),
            {"owner": owner, "name": repo},
            f"{name} linked pull requests of {len(numbers)} issues",
        )
        for err in errors:
            path = list(err.path or [])
            if not path:
                raise SourceError(f"GraphQL query rejected: {err.message}")
            # An issue transferred or deleted since the REST listing: it keeps 0.
            self._log.info("GitHub: no linked pull requests for %s at %s: %s", name, path, err.type)
        counts = gql.linked_prs_from_data(data, numbers)
        return [
            r.model_copy(update={"linked_pull_requests": counts[r.number]})
            if r.number in counts
            else r
            for r in records
        ]

    # ------------------------------------------------------------------ REST

    def repository_file(self, full_name: str, path: str) -> str | None:
        """Text of one file on the default branch (REST contents API, ETag-cached); None when
        the file does not exist. Used for the ``.github/globallm.yml`` opt-out.

        A file that the repository's cached snapshot shows absent (its root or ``.github`` tree
        lacks the name) is answered without a request: GitHub's 404 carries no ETag, so asking
        would cost a point on every fetch. The snapshot is at most ``snapshot_ttl`` old and is
        re-fetched whenever the repository is pushed to (which adding the file is) by the next
        metadata read; the health stage does one before every issue fetch.
        """
        import base64

        if self._known_absent(full_name, path):
            return None
        owner, repo = parse_repo_name(full_name).split("/")
        try:
            with self._errors(f"{full_name} {path}"):
                resp = self._gh.rest.repos.get_content(owner, repo, path)
        except NotFoundError:
            return None
        data = resp.raw_response.json()
        if not isinstance(data, dict) or data.get("type") != "file":
            return None
        if data.get("encoding") == "base64":
            raw = base64.b64decode(data.get("content") or "")
            return raw.decode("utf-8", errors="replace")
        return data.get("content")

    def _known_absent(self, full_name: str, path: str) -> bool:
        if self._cache is None or not self._authenticated:
            return False
        entry = self._cache.get(self._snapshot_key(parse_repo_name(full_name)))
        snap = _load_snapshot(entry[1]) if entry else None
        if snap is None or snap.trees is None:
            return False
        if (self.now - snap.fetched_at).total_seconds() >= self._snapshot_ttl:
            return False
        parts = [p.lower() for p in path.strip("/").split("/")]
        root = snap.trees.get("")
        if len(parts) == 1:
            return root is not None and parts[0] not in root
        if len(parts) == 2 and parts[0] == ".github":
            if root is not None and ".github" not in root:
                return True
            dot_github = snap.trees.get(".github")
            return dot_github is not None and parts[1] not in dot_github
        return False

    def contributors_count(self, full_name: str) -> int | None:
        """All-time contributors, anonymous ones included, from one REST request.

        With ``per_page=1`` the ``rel="last"`` page number of the Link header *is* the count.
        None when GitHub declines to list them (history too large to compute).
        """
        from githubkit.exception import RequestFailed

        owner, repo = parse_repo_name(full_name).split("/")
        with self._errors(f"{full_name} contributors"):
            try:
                resp = self._gh.rest.repos.list_contributors(owner, repo, anon="true", per_page=1)
            except RequestFailed as exc:
                if exc.response.status_code == 403 and "too large" in _message(exc).lower():
                    self._log.info("GitHub will not list contributors of %s", full_name)
                    return None
                raise
            return _count_from_link(resp.raw_response)

    def _commits_since(self, owner: str, repo: str, since: datetime) -> int | None:
        from githubkit.exception import RequestFailed

        with self._errors(f"{owner}/{repo} commits"):
            try:
                resp = self._gh.rest.repos.list_commits(
                    owner,
                    repo,
                    since=gql.iso(since),  # type: ignore[arg-type]  # see issues()
                    per_page=1,
                )
            except RequestFailed as exc:
                if exc.response.status_code == 409:  # empty repository
                    return 0
                raise
            return _count_from_link(resp.raw_response)

    def _rest_snapshots(self, names: list[str], *, need_activity: bool) -> dict[str, RepoSnapshot]:
        now = self.now
        out: dict[str, RepoSnapshot] = {}
        for name in names:
            owner, repo = name.split("/")
            try:
                with self._errors(name):
                    metadata = _metadata_from_rest(self._gh.rest.repos.get(owner, repo).json())
            except NotFoundError:
                continue
            activity = ActivityStats()
            if need_activity:
                activity = ActivityStats(
                    commits_90d=self._commits_since(owner, repo, now - gql.ACTIVITY_WINDOW),
                    contributors=self.contributors_count(name),
                )
            out[name] = RepoSnapshot(metadata, activity, now)
        return out

    def issues(
        self, full_name: str, *, state: str = "open", since: datetime | None = None
    ) -> Iterator[IssueRecord]:
        """Issues of one repository (pull requests excluded), following Link pagination.

        Open issues carry ``linked_pull_requests`` (see :meth:`_with_linked_prs`); records are
        therefore yielded in groups of up to ``LINKED_PR_BATCH`` open issues.
        """
        name = parse_repo_name(full_name)
        owner, repo = name.split("/")
        kwargs: dict[str, Any] = {"state": state, "per_page": 100}
        if since is not None:
            # githubkit would send str(datetime); GitHub documents ISO 8601 (YYYY-MM-DDTHH:MM:SSZ).
            kwargs["since"] = gql.iso(since)
        pending: list[IssueRecord] = []
        open_pending = 0
        etags: list[str] = []  # of the listing's pages fetched so far, in order
        remembered = self._remembered_linked_prs(name)
        answered: dict[int, int] = {}
        reused = False

        def page_items(response: Any) -> list[Any]:
            etags.append(response.headers.get("etag") or "")
            return _json_list(response)

        def flush(records: list[IssueRecord]) -> list[IssueRecord]:
            nonlocal reused
            # Every page read so far is the one the remembered counts were taken from: same
            # issues, same numbers; a page without an ETag proves nothing.
            unchanged = (
                remembered is not None and all(etags) and etags == remembered.etags[: len(etags)]
            )
            known = remembered.counts if unchanged and remembered is not None else None
            out = self._with_linked_prs(name, records, known)
            open_numbers = [r.number for r in out if r.state == "open"]
            reused |= known is not None and all(n in known for n in open_numbers)
            answered.update({r.number: r.linked_pull_requests for r in out if r.state == "open"})
            return out

        try:
            with self._errors(f"{name} issues"):
                pages = self._gh.rest.paginate(
                    self._gh.rest.issues.list_for_repo,
                    map_func=page_items,
                    owner=owner,
                    repo=repo,
                    **kwargs,
                )
                for issue in pages:
                    record = _issue_record(name, issue)
                    if record is None:
                        continue
                    pending.append(record)
                    open_pending += record.state == "open"
                    if open_pending >= gql.LINKED_PR_BATCH:
                        yield from flush(pending)
                        pending, open_pending = [], 0
        except NotFoundError:
            raise repository_not_found(name, self.name) from None
        yield from flush(pending)
        self._remember_linked_prs(name, etags, answered, remembered if reused else None)

    def _linked_prs_key(self, name: str) -> str:
        return f"linked-prs {_LINKED_VERSION} {name.lower()} #{self._identity}"

    def _remembered_linked_prs(self, name: str) -> _LinkedPrs | None:
        """The linked-PR counts of the repository's last listing, with its pages' ETags, if
        younger than ``snapshot_ttl`` (a PR that starts closing an unchanged issue shows up
        within that time)."""
        if self._cache is None or not self._authenticated:
            return None
        entry = self._cache.get(self._linked_prs_key(name))
        if entry is None:
            return None
        try:
            body = json.loads(entry[1])
            counts = {int(k): int(v) for k, v in body["counts"].items()}
            at = float(body["at"])
        except (ValueError, KeyError, TypeError, AttributeError):
            return None
        if self._clock() - at > self._snapshot_ttl:
            return None
        return _LinkedPrs(entry[0].split("\n"), counts, at)

    def _remember_linked_prs(
        self,
        name: str,
        etags: list[str],
        counts: dict[int, int],
        reused_from: _LinkedPrs | None,
    ) -> None:
        if self._cache is None or not self._authenticated or not etags or not all(etags):
            return
        # Counts carried over keep their age, so a remembered answer expires after the TTL
        # however often it is reused.
        at = reused_from.at if reused_from is not None else self._clock()
        body = json.dumps({"at": at, "counts": {str(k): v for k, v in counts.items()}})
        self._cache.put(self._linked_prs_key(name), "\n".join(etags), body.encode())

    def search_repositories(self, query: SearchQuery, max_results: int) -> Iterator[RepoMetadata]:
        """Most-starred first; walks down star bands because each query stops at 1,000 results."""
        seen: set[str] = set()
        emitted = 0
        upper = query.max_stars
        while emitted < max_results:
            q = _search_q(query, query.min_stars, upper, query.created_after, query.created_before)
            fetched, lowest = 0, None
            for meta in self._search_pages(q):
                fetched += 1
                lowest = meta.stars
                if meta.full_name.lower() in seen:
                    continue
                seen.add(meta.full_name.lower())
                yield meta
                emitted += 1
                if emitted >= max_results:
                    return
            if fetched < SEARCH_RESULT_CAP or lowest is None:
                return  # this band was complete, so everything below it was covered
            if upper is not None and lowest >= upper:
                # 1,000+ repositories share one star count: slice that count by creation date.
                for item in self._search_by_date(query, lowest, seen):
                    yield item
                    emitted += 1
                    if emitted >= max_results:
                        return
                if lowest <= query.min_stars:
                    return
                upper = lowest - 1
            else:
                # Ties at ``lowest`` may straddle the cap, so the next band repeats it; dedupe.
                upper = lowest

    def _search_by_date(
        self, query: SearchQuery, stars: int, seen: set[str]
    ) -> Iterator[RepoMetadata]:
        start = query.created_after or GITHUB_EPOCH
        end = query.created_before or self.now
        ranges = [(start, end)]
        while ranges:
            lo, hi = ranges.pop(0)
            q = _search_q(query, stars, stars, lo, hi)
            pages = self._search_pages(q, with_total=True)
            total = next(pages, None)
            if total is None:
                continue
            if total > SEARCH_RESULT_CAP and hi - lo > MIN_DATE_SLICE:
                mid = lo + (hi - lo) / 2
                ranges[0:0] = [(lo, mid), (mid + timedelta(seconds=1), hi)]
                continue
            if total > SEARCH_RESULT_CAP:
                self._log.warning("GitHub search: more than 1,000 results for %r; truncated", q)
            for meta in pages:
                if isinstance(meta, RepoMetadata) and meta.full_name.lower() not in seen:
                    seen.add(meta.full_name.lower())
                    yield meta

    def _search_pages(self, q: str, *, with_total: bool = False) -> Iterator[Any]:
        """Repositories for ``q`` over Link-paginated pages (≤ 1,000); ``with_total``: the
        total count first."""
        with self._errors("repository search"):
            pages = self._gh.rest.paginate(
                self._gh.rest.search.repos,
                map_func=_search_items,
                q=q,
                sort="stars",
                order="desc",
                per_page=SEARCH_PAGE_SIZE,
            )
            first = True
            for item in pages:
                if first and with_total:
                    latest = pages.latest_response
                    yield _total_count(latest.json()) if latest is not None else 0
                first = False
                yield _metadata_from_rest(item)
            if first and with_total:
                yield 0


# ---------------------------------------------------------------------- helpers


def _message(exc: Any) -> str:
    try:
        body = exc.response.json()
    except ValueError:
        return ""
    return str(body.get("message", ""))[:200] if isinstance(body, dict) else ""


def _count_from_link(response: httpx.Response) -> int:
    if response.status_code == 204:
        return 0
    match = _LAST_PAGE_RE.search(response.headers.get("link", ""))
    if match:
        page = httpx.URL(match.group(1)).params.get("page")
        if page and page.isdigit():
            return int(page)
    body = response.json()
    return len(body) if isinstance(body, list) else 0


def _dump_snapshot(snap: RepoSnapshot) -> bytes:
    return json.dumps(
        {
            "fetched_at": snap.fetched_at.isoformat(),
            "metadata": snap.metadata.model_dump(mode="json"),
            "activity": snap.activity.model_dump(mode="json"),
            "trees": snap.trees,
        }
    ).encode()


def _load_snapshot(blob: bytes) -> RepoSnapshot | None:
    try:
        raw = json.loads(blob)
        return RepoSnapshot(
            metadata=RepoMetadata.model_validate(raw["metadata"]),
            activity=ActivityStats.model_validate(raw["activity"]),
            fetched_at=datetime.fromisoformat(raw["fetched_at"]),
            trees=raw.get("trees"),
        )
    except (ValueError, KeyError, TypeError):
        return None  # an older or foreign entry: treat as absent


def _search_q(
    query: SearchQuery,
    min_stars: int,
    max_stars: int | None,
    created_after: datetime | None,
    created_before: datetime | None,
) -> str:
    parts = [query.text.strip()] if query.text.strip() else []
    if query.language:
        lang = query.language
        parts.append(f'language:"{lang}"' if " " in lang else f"language:{lang}")
    if max_stars is None:
        parts.append(f"stars:>={min_stars}")
    else:
        parts.append(f"stars:{min_stars}..{max_stars}")
    if created_after or created_before:
        lo = gql.iso(created_after) if created_after else "*"
        hi = gql.iso(created_before) if created_before else "*"
        parts.append(f"created:{lo}..{hi}")
    if query.include_forks:
        parts.append("fork:true")
    if not query.include_archived:
        parts.append("archived:false")
    if query.owner:
        parts.append(f"user:{query.owner}")
    return " ".join(parts)


# REST payloads are read as plain JSON, not through githubkit's generated models: those require
# every field of the newest API version (``has_discussions``, …), so a recorded answer from an
# older GitHub, or a GitHub Enterprise Server, would be rejected for lacking a field nothing here
# reads. Only the fields listed in each reader matter; unknown ones are ignored.


def _shape_error(what: str) -> SourceError:
    return SourceError(f"GitHub answered an unexpected response shape ({what})")


def _json_list(response: Any) -> list[Any]:
    body = response.json()
    if not isinstance(body, list):
        raise _shape_error("a list was expected")
    return body


def _search_items(response: Any) -> list[Any]:
    body = response.json()
    items = body.get("items") if isinstance(body, dict) else None
    if not isinstance(items, list):
        raise _shape_error("search results without items")
    return items


def _total_count(body: Any) -> int:
    total = body.get("total_count") if isinstance(body, dict) else None
    return total if isinstance(total, int) else 0


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _time(value: Any) -> datetime | None:
    try:
        return gql.parse_time(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _metadata_from_rest(repo: Any) -> RepoMetadata:
    """Map a REST repository (search item or full repository) to :class:`RepoMetadata`.

    Only ``full_name`` is required. REST's ``open_issues_count`` includes open pull requests;
    GraphQL batches count issues only.
    """
    name = repo.get("full_name") if isinstance(repo, dict) else None
    if not isinstance(name, str) or "/" not in name:
        raise _shape_error("a repository without full_name")
    license_ = repo.get("license")
    language = _str(repo.get("language"))
    topics = repo.get("topics")
    return RepoMetadata(
        full_name=name,
        language=language.lower() if language else None,
        description=_str(repo.get("description")),
        stars=_int(repo.get("stargazers_count")),
        forks=_int(repo.get("forks_count")),
        archived=repo.get("archived") is True,
        is_fork=repo.get("fork") is True,
        license=gql.spdx(license_.get("spdx_id")) if isinstance(license_, dict) else None,
        default_branch=_str(repo.get("default_branch")),
        created_at=_time(repo.get("created_at")),
        pushed_at=_time(repo.get("pushed_at")),
        open_issues=_int(repo.get("open_issues_count")),
        topics=[t for t in topics if isinstance(t, str)] if isinstance(topics, list) else [],
        homepage=_str(repo.get("homepage")),
    )


def _issue_record(full_name: str, issue: Any) -> IssueRecord | None:
    """An issue from a REST issue list; ``None`` for a pull request (REST lists both).

    ``number`` and ``title`` are required; everything else has a neutral default.
    """
    if not isinstance(issue, dict) or not isinstance(issue.get("number"), int):
        raise _shape_error(f"{full_name} issue without a number")
    if issue.get("pull_request"):
        return None
    labels = [
        label if isinstance(label, str) else _str(label.get("name"))
        for label in issue.get("labels") or []
        if isinstance(label, str | dict)
    ]
    reactions = issue.get("reactions")
    return IssueRecord(
        repository=full_name,
        number=issue["number"],
        title=issue.get("title") if isinstance(issue.get("title"), str) else "",
        body=_str(issue.get("body")),
        state=_str(issue.get("state")) or "open",
        labels=[label for label in labels if label],
        created_at=_time(issue.get("created_at")),
        updated_at=_time(issue.get("updated_at")),
        closed_at=_time(issue.get("closed_at")),
        comments=_int(issue.get("comments")),
        reactions=_int(reactions.get("total_count")) if isinstance(reactions, dict) else 0,
        author_association=_str(issue.get("author_association")),
        assignees=[
            a["login"]
            for a in issue.get("assignees") or []
            if isinstance(a, dict) and isinstance(a.get("login"), str)
        ],
        locked=issue.get("locked") is True,
    )
