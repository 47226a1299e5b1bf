"""Issue claims: agents take, heartbeat, finish and give back issues through single statements.

The claim is one statement: it walks the available rankings from the top, locking each ranking
row it reads ``FOR NO KEY UPDATE SKIP LOCKED`` (so concurrent agents pass each other instead of
queueing behind the top row, and an issue another agent is claiming costs one skipped row, not
its caps' lookups); for each, it checks every cap and the budget and locks the issue and its
repository's ``repository_claims`` row, again SKIP LOCKED; the first row that passes is claimed.
It bumps the language's weekly claim count with a guarded upsert and assigns the issue. The
repository caps are checked on the locked row's newest version and the language cap by the
guarded upsert, so no interleaving of agents can exceed them. A trigger (sql/0091) keeps the
repository counts equal to the issues actually assigned.

States: available → assigned → completed | failed; a stale or failed attempt returns the issue
to available with ``attempts + 1`` until the maximum, then it stays failed with its last error.

A claim commits without waiting for its WAL flush (``synchronous_commit`` off for that one
transaction), so the language row it updates is held for microseconds instead of a disk flush
and claims do not queue behind each other's fsync. What this risks is safe by construction: a
claim lost in a server crash is one the agent cannot use, because everything that publishes or
finishes work — the heartbeat, the check before a push, the completion — is a durable statement
that requires the claim to be there (and its flush makes the claim durable too).
Completions, failures and releases commit synchronously.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property, lru_cache
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from globallm_assets.core.models import IssueRecord
from globallm_assets.store import direct
from globallm_assets.store.forge import STALE_RESERVATION


@dataclass(frozen=True)
class ClaimLimits:
    """Everything a claim must respect; built from settings by ``services.claim``."""

    max_active_per_repo: int  # agents working in one repository at once
    max_claims_per_repo: int  # issues claimed per repository per budget week
    max_claims_per_language: int  # issues claimed per language per budget week
    weekly_tokens: int  # the fleet's weekly token budget
    max_tokens_per_repo: int  # tokens per repository per budget week
    max_seconds_per_repo: int  # fix-run seconds per repository per budget week
    run_seconds: int  # seconds a fix run reserves; a repository must still have them
    max_open_prs_per_repo: int  # the forge's cap on open pull requests per repository
    max_prs_per_hour_per_repo: int  # the forge's cap on new pull requests per hour
    # Only issues whose repository this world can clone (the simulated world: the local forge's
    # repositories). Applies to picking the best issue, not to claiming a named one.
    cloneable_only: bool = False

    def params(self) -> dict[str, int]:
        return {
            "max_active": self.max_active_per_repo,
            "max_repo_claims": self.max_claims_per_repo,
            "max_language_claims": self.max_claims_per_language,
            "weekly_tokens": self.weekly_tokens,
            "max_repo_tokens": self.max_tokens_per_repo,
            "max_repo_seconds": self.max_seconds_per_repo,
            "run_seconds": self.run_seconds,
            "max_open_prs": self.max_open_prs_per_repo,
            "max_prs_per_hour": self.max_prs_per_hour_per_repo,
        }


@dataclass(frozen=True)
class ClaimedIssue:
    repository: str
    number: int
    title: str | None
    language: str
    priority: float | None
    category: str | None
    cost_estimate: int | None
    attempts: int  # attempts that ended before this one
    agent_id: str
    claimed_at: datetime
    # The issue as stored, as JSON text: parsed on first use, off the claim's hot path (a
    # parse on every claim was a quarter of the agent's CPU per claim outside libpq).
    data_json: str | None

    @property
    def key(self) -> str:
        return f"{self.repository}#{self.number}"

    @cached_property
    def data(self) -> dict[str, Any]:
        return json.loads(self.data_json) if self.data_json else {}

    @cached_property
    def issue(self) -> IssueRecord:
        return IssueRecord.model_validate(
            self.data or {"repository": self.repository, "number": self.number, "title": ""}
        )


# The forge's load per repository, counted as the forge's own caps count it (store/forge.py):
# open pull requests plus contributions still being pushed, and contributions in the last hour.
_PR_LOAD = f"""
    SELECT lower(repository) AS repository, sum(open_now) AS open_now,
           sum(last_hour) AS last_hour
    FROM (
        SELECT repository, 1 AS open_now, 0 AS last_hour FROM pr_outcomes WHERE state = 'open'
        UNION ALL
        SELECT repository, (updated_at > now() - interval '{STALE_RESERVATION}')::int,
               (created_at > now() - interval '1 hour')::int
        FROM contributions WHERE status IN ('reserved', 'pushed')
        UNION ALL
        -- Two branches, so each is a range of contributions_status_idx (sql/0071).
        SELECT repository, 0, 1 FROM contributions
        WHERE status = 'opened' AND created_at > now() - interval '1 hour'
    ) load
    GROUP BY 1
"""

# This week's claim count per language, read once per statement by the statements that test
# every candidate (the claim itself looks its language's row up; its guarded upsert enforces the
# cap exactly).
_LANGUAGE_WEEK = """
    SELECT key AS language, claims FROM token_budget
    WHERE week_start = budget_week(now()) AND scope = 'language'
"""

# The per-statement sets the candidate rows are joined with; every statement over ``_FROM``
# starts with these.
_COUNTS = f"pr_load AS MATERIALIZED ({_PR_LOAD}), language_week AS MATERIALIZED ({_LANGUAGE_WEEK})"

# Rows a claim may consider at all: the issue is open, ranked and available, its repository is
# approved and has not opted out. `i` issues, `r` repositories, `rc` repository_claims, `k` the
# issue's ranking. Every other value a cap tests is a lookup, bound one of two ways (below).
_ISSUE = """issues i
    JOIN repositories r ON r.name = i.repository
    JOIN repository_claims rc ON rc.repository = i.repository{joins}
    WHERE i.assignment_status = 'available' AND i.state = 'open'
      AND NOT i.do_not_touch AND r.worth_working_on IS TRUE
      AND NOT COALESCE({opted_out}, false)"""
_FROM = f"""
    FROM issue_rankings k, {_ISSUE}
      AND k.available AND i.repository = k.repository AND i.number = k.number
"""

# The repository's budget row this week (`tb`): joined in both forms below, one probe for both
# of its caps (tokens and seconds).
_REPOSITORY_BUDGET = """
    LEFT JOIN token_budget tb
           ON tb.week_start = budget_week(now()) AND tb.scope = 'repository'
          AND tb.key = i.repository"""

# The lookups joined: for the statements that read every candidate (the diagnosis, the fix
# sensor's list), where hash joins beat a lookup per row. `f` the repository's fetch state,
# `tb` its budget row this week, `tl` the language's claims this week, `pr` the forge's load.
_JOINS = f"""
    LEFT JOIN pr_load pr ON pr.repository = lower(i.repository)
    LEFT JOIN issue_fetch_state f ON f.repository = i.repository{_REPOSITORY_BUDGET}
    LEFT JOIN language_week tl ON tl.language = r.language"""
JOINED = {
    "joins": _JOINS,
    "opted_out": "f.opted_out",
    "repo_tokens": "tb.reserved",
    "repo_seconds": "tb.seconds",
    "language_claims": "tl.claims",
    "open_prs": "pr.open_now",
    "prs_last_hour": "pr.last_hour",
}

# The same lookups per candidate row, for the claim: it reads a handful of rows, and with eight
# joined relations PostgreSQL spent ~40 ms planning it (the join search), where four plan in
# ~4 ms (and, prepared without parameters, once per connection). Each lookup is one probe; the
# repository's budget row is joined (four relations), as it serves two caps.
_BUDGET_ROW = (
    "(SELECT tb.{column} FROM token_budget tb WHERE tb.week_start = budget_week(now()) "
    "AND tb.scope = '{scope}' AND tb.key = {key})"
)
PER_ROW = {
    "joins": _REPOSITORY_BUDGET,
    "opted_out": (
        "(SELECT f.opted_out FROM issue_fetch_state f WHERE f.repository = i.repository)"
    ),
    "repo_tokens": "tb.reserved",
    "repo_seconds": "tb.seconds",
    "language_claims": _BUDGET_ROW.format(column="claims", scope="language", key="r.language"),
    # The forge's load of this one repository, counted as _PR_LOAD counts it for all (sql/0090).
    "open_prs": (
        "((SELECT count(*) FROM pr_outcomes p WHERE p.state = 'open' "
        "AND lower(p.repository) = lower(i.repository)) + "
        "(SELECT count(*) FROM contributions c WHERE c.status IN ('reserved', 'pushed') "
        "AND lower(c.repository) = lower(i.repository) "
        f"AND c.updated_at > now() - interval '{STALE_RESERVATION}'))"
    ),
    "prs_last_hour": (
        "(SELECT count(*) FROM contributions c WHERE c.status IN ('reserved', 'pushed', 'opened') "
        "AND lower(c.repository) = lower(i.repository) "
        "AND c.created_at > now() - interval '1 hour')"
    ),
}

# The week's one total row (its key is '' by the table's CHECK), probed by its primary key.
_WEEK_TOKENS = (
    "COALESCE((SELECT reserved FROM token_budget "
    "WHERE week_start = budget_week(now()) AND scope = 'total' AND key = ''), 0)"
)

# Each cap is named so a claim that finds nothing can say which caps held the candidates back.
CAPS: dict[str, str] = {
    "per-repository concurrency": "rc.active < %(max_active)s",
    "per-repository issue cap": (
        "(rc.week_start IS DISTINCT FROM budget_week(now()) "
        "OR rc.week_claims < %(max_repo_claims)s)"
    ),
    "per-language issue cap": "COALESCE({language_claims}, 0) < %(max_language_claims)s",
    "per-repository token budget": (
        "COALESCE({repo_tokens}, 0) + COALESCE(i.cost_estimate, 0) <= %(max_repo_tokens)s"
    ),
    "per-repository time budget": (
        "COALESCE({repo_seconds}, 0) + %(run_seconds)s <= %(max_repo_seconds)s"
    ),
    "weekly token budget": f"{_WEEK_TOKENS} + COALESCE(i.cost_estimate, 0) <= %(weekly_tokens)s",
    "per-repository open-PR cap": "COALESCE({open_prs}, 0) < %(max_open_prs)s",
    "per-repository PR rate": "COALESCE({prs_last_hour}, 0) < %(max_prs_per_hour)s",
}


def _caps(lookups: dict[str, str]) -> dict[str, str]:
    """The cap predicates with their lookups bound."""
    return {name: predicate.format(**lookups) for name, predicate in CAPS.items()}


def _from(lookups: dict[str, str]) -> str:
    return _FROM.format(**lookups)


def _target(alias: str) -> str:
    """The filter of a claim for one named issue, on table ``alias``."""
    return f" AND {alias}.repository = %(repository)s AND {alias}.number = %(number)s"


_TARGET = _target("i")

# ``can_attempt``: a simulated repository exists on no forge, so an attempt could only fail.
CLONEABLE = (
    " AND EXISTS (SELECT 1 FROM local_forge_repositories lf "
    "WHERE lower(lf.name) = lower(i.repository))"
)


def _cloneable(limits: ClaimLimits, *, targeted: bool) -> str:
    return CLONEABLE if limits.cloneable_only and not targeted else ""


# The walk, outermost first: LIMIT 1 over the rows whose check found the issue claimable; the
# check (a scalar subquery: caps, filters, and the lock on the issue and its repository's claims
# row, SKIP LOCKED — so it locks them only for a row that passed everything else); the rankings
# from the top, each locked SKIP LOCKED before anything else is read for it. Each level has one
# relation and no join, so PostgreSQL plans the innermost for the first row (the index walk):
# with a join above it, it planned for reading every row, and after a mid-storm ANALYZE chose to
# read and sort every available ranking on each claim. OFFSET 0 keeps the check from being
# copied into the outer filter (it would run, and lock, twice). A ranking the check rejects
# stays locked until the claim commits: other agents skip it, and the caps reject it for them
# too. The candidate row also turns this transaction's commit asynchronous (module docstring)
# in its own projection, computed for the one row the LIMIT takes: a subquery joined into the
# UPDATE for it cost three plan nodes, each started on every claim.
_CLAIM = """
WITH candidate AS MATERIALIZED (
    SELECT repository, number, language, priority,
           set_config('synchronous_commit', 'off', true) AS quick_commit FROM (
        SELECT k.repository, k.number, k.priority, (
            SELECT r.language FROM {issue}
              AND i.repository = k.repository AND i.number = k.number AND {caps}{cloneable}
            FOR NO KEY UPDATE OF i, rc SKIP LOCKED
        ) AS language
        FROM (
            SELECT k.repository, k.number, k.priority FROM issue_rankings k
            WHERE k.available{target}
            ORDER BY k.priority DESC, k.repository, k.number
            FOR NO KEY UPDATE SKIP LOCKED
        ) k
        OFFSET 0
    ) walk
    WHERE language IS NOT NULL
    LIMIT 1
),
language_claim AS (
    INSERT INTO token_budget (week_start, scope, key, claims)
    SELECT budget_week(now()), 'language', c.language, 1
    FROM candidate c WHERE %(max_language_claims)s > 0
    ON CONFLICT (week_start, scope, key) DO UPDATE SET claims = token_budget.claims + 1
    WHERE token_budget.claims < %(max_language_claims)s
    RETURNING key
)
UPDATE issues i
SET assignment_status = 'assigned', assigned_to = %(agent)s, assigned_at = now(),
    last_heartbeat_at = now(), last_agent = %(agent)s
FROM candidate c, language_claim l
WHERE i.repository = c.repository AND i.number = c.number
RETURNING i.repository, i.number, i.title, c.language, c.priority, i.category,
          i.cost_estimate, i.attempts, i.assigned_to, i.assigned_at, i.data::text
"""


@lru_cache(maxsize=32)
def claim_sql(limits: ClaimLimits, *, targeted: bool = False) -> str:
    """The claim statement for these limits, the agent still a placeholder.

    The limits are written into the text as integer constants rather than bound, and
    :func:`claim_statement` writes the agent in too: a statement without parameters, prepared at
    its first use, is planned once per connection and that plan reused for every claim (with
    parameters PostgreSQL plans each of the first five calls again — ~4 ms each here, more than
    the execution).
    """
    text = _CLAIM.format(
        target=_target("k") if targeted else "",
        issue=_ISSUE.format(**PER_ROW),
        caps=" AND ".join(_caps(PER_ROW).values()),
        cloneable=_cloneable(limits, targeted=targeted),
    )
    return _with_limits(text, limits)


def _walk(limits: ClaimLimits) -> str:
    """From the top of the claimable index, the first issue every cap allows (no locks)."""
    return (
        f"{_from(PER_ROW)} AND {' AND '.join(_caps(PER_ROW).values())}"
        f"{_cloneable(limits, targeted=False)} "
        "ORDER BY k.priority DESC, k.repository, k.number LIMIT 1"
    )


def _with_limits(text: str, limits: ClaimLimits) -> str:
    """Write the limits into the text as integer constants (see :func:`claim_sql`)."""
    for name, value in limits.params().items():
        text = text.replace(f"%({name})s", str(int(value)))
    return text


@lru_cache(maxsize=32)
def _free_probe_sql(limits: ClaimLimits) -> str:
    """Is any issue free of every cap, locks aside? The claim's walk without its locks."""
    text = f"SELECT 1 {_walk(limits)}"
    return _with_limits(text, limits)


@lru_cache(maxsize=64)
def claim_statement(agent_id: str, limits: ClaimLimits) -> str:
    """The untargeted claim for this agent, parameter-free (the text the benchmark times too);
    built once per agent and limits, not on every claim."""
    return claim_sql(limits).replace("%(agent)s", sql.Literal(agent_id).as_string(None))


@lru_cache(maxsize=64)
def _claim_direct(agent_id: str, limits: ClaimLimits) -> direct.Statement:
    return direct.Statement(claim_statement(agent_id, limits), parameters=False)


def _claimed(row: tuple[Any, ...]) -> ClaimedIssue:
    (repository, number, title, language, priority, category, cost, attempts, agent, at, data) = row
    return ClaimedIssue(
        repository=repository,
        number=number,
        title=title,
        language=language,
        priority=priority,
        category=category,
        cost_estimate=cost,
        attempts=attempts,
        agent_id=agent,
        claimed_at=at,
        data_json=data,
    )


def claim(
    conn: psycopg.Connection,
    agent_id: str,
    limits: ClaimLimits,
    *,
    target: tuple[str, int] | None = None,
) -> ClaimedIssue | None:
    """Claim the best issue the caps allow (or exactly ``target``); None when none was free."""
    if target is None:
        row = direct.first_row(conn, direct.execute(conn, _claim_direct(agent_id, limits)))
    else:
        params = {"agent": agent_id, "repository": target[0], "number": target[1]}
        row = conn.execute(claim_sql(limits, targeted=True), params).fetchone()
    return _claimed(row) if row else None


@dataclass(frozen=True)
class Diagnosis:
    """Why a claim found nothing, and whether trying again may help (lock contention)."""

    reason: str
    retry: bool = False
    budget_exhausted: bool = False


def diagnose(
    conn: psycopg.Connection, limits: ClaimLimits, *, target: tuple[str, int] | None = None
) -> Diagnosis:
    """Explain an empty claim without locking anything."""
    params: dict[str, Any] = dict(limits.params())
    week_tokens = conn.execute(f"SELECT {_WEEK_TOKENS}").fetchone()
    committed = int(week_tokens[0]) if week_tokens else 0
    if committed >= limits.weekly_tokens:
        return Diagnosis(
            f"weekly token budget exhausted ({committed:,} of {limits.weekly_tokens:,} tokens "
            "committed this week)",
            budget_exhausted=True,
        )
    if target is not None:
        params["repository"], params["number"] = target
        unavailable = _target_unavailable(conn, target)
        if unavailable is not None:
            return Diagnosis(unavailable)
    elif conn.execute(_free_probe_sql(limits), prepare=True).fetchone() is not None:
        # Something unclaimed passes every cap: other agents held its rows for a moment. Found
        # by walking from the top like the claim (a few rows), not by counting every candidate.
        return Diagnosis("candidates were locked by other agents", retry=True)
    caps = _caps(JOINED).values()
    scope = f"{_cloneable(limits, targeted=target is not None)}{_TARGET if target else ''}"
    counts = ", ".join(f"count(*) FILTER (WHERE NOT ({predicate}))" for predicate in caps)
    row = conn.execute(
        f"WITH {_COUNTS} "
        f"SELECT count(*), count(*) FILTER (WHERE {' AND '.join(caps)}), {counts} "
        f"{_from(JOINED)}{scope}",
        params,
    ).fetchone()
    assert row is not None
    candidates, free, *blocked = row
    if candidates == 0:
        if _cloneable(limits, targeted=target is not None):
            return Diagnosis("no available issues in a repository this world can clone")
        return Diagnosis("no available issues")
    if free:
        # Something unclaimed passes every cap: another agent held its row for a moment.
        return Diagnosis("candidates were locked by other agents", retry=True)
    held = [f"{n} by {name}" for name, n in zip(CAPS, blocked, strict=True) if n]
    return Diagnosis(f"all {candidates} candidates capped ({', '.join(held)})")


def _target_unavailable(conn: psycopg.Connection, target: tuple[str, int]) -> str | None:
    row = conn.execute(
        """
        SELECT i.assignment_status, i.assigned_to, i.state, i.do_not_touch,
               i.do_not_touch_reason, k.priority IS NULL, r.worth_working_on IS TRUE,
               COALESCE(f.opted_out, false)
        FROM issues i JOIN repositories r ON r.name = i.repository
        LEFT JOIN issue_fetch_state f ON f.repository = i.repository
        LEFT JOIN issue_rankings k ON k.repository = i.repository AND k.number = i.number
        WHERE i.repository = %s AND i.number = %s
        """,
        target,
    ).fetchone()
    key = f"{target[0]}#{target[1]}"
    if row is None:
        return f"{key} is not in the store"
    status, agent, state, dnt, dnt_reason, unranked, approved, opted_out = row
    if status == "assigned":
        return f"{key} is already claimed by {agent}"
    if status != "available":
        return f"{key} is {status}"
    if state != "open":
        return f"{key} is closed"
    if dnt or opted_out:
        return f"{key} is marked do-not-touch ({dnt_reason or 'repository opted out'})"
    if not approved:
        return f"{key} belongs to a repository not worth working on"
    if unranked:
        return f"{key} has no priority yet (run the ranking first)"
    return None


# Narrows a search for live claims to repositories with one (sql/0092: no index of `issues`
# mentions the assignment columns, so claims and completions rewrite rows in place). The trigger
# keeps repository_claims.active equal to the repository's assigned issues; the primary key's
# prefix then lists each one's issues.
ACTIVE_REPOSITORY = "i.repository IN (SELECT repository FROM repository_claims WHERE active > 0)"


def assignment_of(
    conn: psycopg.Connection, repository: str, number: int
) -> tuple[str, str | None] | None:
    """The issue's assignment state and the agent that last held it (None: no such issue)."""
    row = conn.execute(
        "SELECT assignment_status, last_agent FROM issues WHERE repository = %s AND number = %s",
        (repository, number),
    ).fetchone()
    return (row[0], row[1]) if row else None


def held_by(conn: psycopg.Connection, agent_id: str) -> list[ClaimedIssue]:
    """Issues this agent holds (after a lost connection: did my claim commit?)."""
    rows = conn.execute(
        f"""
        SELECT i.repository, i.number, i.title, r.language, k.priority, i.category,
               i.cost_estimate, i.attempts, i.assigned_to, i.assigned_at, i.data::text
        FROM issues i JOIN repositories r ON r.name = i.repository
        LEFT JOIN issue_rankings k ON k.repository = i.repository AND k.number = i.number
        WHERE i.assigned_to = %s AND i.assignment_status = 'assigned' AND {ACTIVE_REPOSITORY}
        ORDER BY i.assigned_at
        """,
        (agent_id,),
    ).fetchall()
    return [_claimed(row) for row in rows]


# An agent's own claim, as the heartbeat, completion and failure address it. Only the primary key
# may serve it: with ``assigned_to = agent`` or ``assignment_status = 'assigned'`` PostgreSQL
# could pick a partial index over those columns (sql/0092 dropped them; a mid-storm ANALYZE that
# saw few assigned rows made every completion walk the heartbeat index's dead entries, one per
# claim ever made). ``IS NOT DISTINCT FROM`` proves no such predicate, and the CHECK on issues
# ((status = 'assigned') = (assigned_to IS NOT NULL)) makes it mean the same: a row assigned to
# this agent. A test counts the index scans.
_MINE = "repository = %s AND number = %s AND assigned_to IS NOT DISTINCT FROM %s"


def heartbeat(conn: psycopg.Connection, agent_id: str, repository: str, number: int) -> bool:
    """Refresh the claim; False means it is no longer this agent's (released as stale)."""
    cur = conn.execute(
        f"UPDATE issues SET last_heartbeat_at = now() WHERE {_MINE}",
        (repository, number, agent_id),
    )
    return cur.rowcount == 1


# Parameters: result, repository, number, agent. Sent through store/direct.py, as the claim.
COMPLETE = direct.Statement(
    f"""
    UPDATE issues SET assignment_status = 'completed', assigned_to = NULL,
        finished_at = now(), result = %s, last_error = NULL
    WHERE {_MINE}
    """
)


def complete(
    conn: psycopg.Connection, agent_id: str, repository: str, number: int, result: str | None
) -> bool:
    """Mark the claimed issue completed; False when the claim was no longer this agent's."""
    done = direct.execute(conn, COMPLETE, (result, repository, number, agent_id))
    return done.command_tuples == 1


def fail(
    conn: psycopg.Connection,
    agent_id: str,
    repository: str,
    number: int,
    error: str,
    *,
    max_attempts: int,
    retry: bool = True,
) -> str | None:
    """End a failed attempt: back to available (attempts + 1) or, at the maximum or when a retry
    cannot help, failed. Returns the new status, None when the claim was not this agent's."""
    row = conn.execute(
        f"""
        UPDATE issues SET attempts = attempts + 1, assigned_to = NULL, last_error = %s,
            assignment_status = CASE WHEN %s AND attempts + 1 < %s THEN 'available'
                                     ELSE 'failed' END,
            finished_at = CASE WHEN %s AND attempts + 1 < %s THEN NULL ELSE now() END
        WHERE {_MINE}
        RETURNING assignment_status
        """,
        (error, retry, max_attempts, retry, max_attempts, repository, number, agent_id),
    ).fetchone()
    return row[0] if row else None


def release(
    conn: psycopg.Connection, agent_id: str, target: tuple[str, int] | None = None
) -> list[tuple[str, int]]:
    """Give claims back untouched (attempts unchanged): an agent stopping before it finished,
    or an operator freeing a dead agent's issues."""
    clause, params = "", [agent_id]
    if target is not None:
        clause = " AND repository = %s AND number = %s"
        params += list(target)
    rows = conn.execute(
        "UPDATE issues i SET assignment_status = 'available', assigned_to = NULL "
        f"WHERE assigned_to = %s AND assignment_status = 'assigned' AND {ACTIVE_REPOSITORY}"
        f"{clause} "
        "RETURNING repository, number",
        params,
    ).fetchall()
    return [(repo, number) for repo, number in rows]


@dataclass(frozen=True)
class StaleRelease:
    repository: str
    number: int
    agent_id: str
    status: str  # available again, or failed after the last attempt
    attempts: int


def release_stale(
    conn: psycopg.Connection, timeout_seconds: float, max_attempts: int
) -> list[StaleRelease]:
    """Claims without a heartbeat for ``timeout_seconds`` go back to available (attempts + 1),
    or to failed at ``max_attempts``. Rows being updated right now (a heartbeat, a completion)
    are skipped: their agent is alive. Locks are taken in key order so concurrent cleanups
    cannot deadlock."""
    rows = conn.execute(
        f"""
        WITH stale AS MATERIALIZED (
            SELECT repository, number FROM issues i
            WHERE assignment_status = 'assigned' AND {ACTIVE_REPOSITORY}
              AND COALESCE(last_heartbeat_at, assigned_at)
                  < now() - make_interval(secs => %(timeout)s)
            ORDER BY repository, number
            FOR NO KEY UPDATE SKIP LOCKED
        )
        UPDATE issues i SET
            attempts = i.attempts + 1,
            assignment_status = CASE WHEN i.attempts + 1 < %(max)s THEN 'available'
                                     ELSE 'failed' END,
            finished_at = CASE WHEN i.attempts + 1 < %(max)s THEN NULL ELSE now() END,
            last_error = format('no heartbeat from %%s since %%s (timeout %%s s)', i.assigned_to,
                                to_char(COALESCE(i.last_heartbeat_at, i.assigned_at)
                                        AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS "UTC"'),
                                %(timeout)s),
            assigned_to = NULL
        FROM stale s
        WHERE i.repository = s.repository AND i.number = s.number
        RETURNING i.repository, i.number, i.last_agent, i.assignment_status, i.attempts
        """,
        {"timeout": timeout_seconds, "max": max_attempts},
    ).fetchall()
    return [StaleRelease(*row) for row in rows]


def assignments(
    conn: psycopg.Connection,
    *,
    agent_id: str | None = None,
    stale_after_seconds: float | None = None,
) -> list[dict[str, Any]]:
    """Live claims with their heartbeat age (seconds), oldest first."""
    clauses = ["i.assignment_status = 'assigned'", ACTIVE_REPOSITORY]
    params: list[Any] = []
    if agent_id is not None:
        clauses.append("i.assigned_to = %s")
        params.append(agent_id)
    if stale_after_seconds is not None:
        clauses.append(
            "COALESCE(i.last_heartbeat_at, i.assigned_at) < now() - make_interval(secs => %s)"
        )
        params.append(stale_after_seconds)
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(
            f"""
            SELECT i.assigned_to AS agent_id, i.repository, i.number, i.title, r.language,
                   k.priority, i.attempts, i.assigned_at, i.last_heartbeat_at,
                   extract(epoch FROM now() - COALESCE(i.last_heartbeat_at, i.assigned_at))
                       ::double precision AS heartbeat_age,
                   extract(epoch FROM now() - i.assigned_at)::double precision AS held_for
            FROM issues i JOIN repositories r ON r.name = i.repository
            LEFT JOIN issue_rankings k ON k.repository = i.repository AND k.number = i.number
            WHERE {" AND ".join(clauses)}
            ORDER BY i.assigned_at, i.repository, i.number
            """,
            params,
        )
        return cur.fetchall()


def status_counts(conn: psycopg.Connection) -> dict[str, int]:
    """Open issues by assignment status (every status present, zero when empty)."""
    counts = dict.fromkeys(("available", "assigned", "completed", "failed"), 0)
    for status, n in conn.execute(
        "SELECT assignment_status, count(*) FROM issues WHERE state = 'open' GROUP BY 1"
    ).fetchall():
        counts[status] = n
    return counts


def recent_failures(conn: psycopg.Connection, limit: int = 10) -> list[dict[str, Any]]:
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(
            "SELECT repository, number, title, attempts, last_agent, last_error, finished_at "
            "FROM issues WHERE assignment_status = 'failed' "
            "ORDER BY finished_at DESC NULLS LAST LIMIT %s",
            (limit,),
        )
        return cur.fetchall()


def top_available(
    conn: psycopg.Connection, limits: ClaimLimits, limit: int
) -> list[tuple[str, int, int]]:
    """The issues claims would take next — (repository, number, attempts) — without locking,
    at most as many per repository as it has free agent slots (for the fix sensor)."""
    caps = " AND ".join(_caps(JOINED).values())
    rows = conn.execute(
        f"""
        WITH {_COUNTS}
        SELECT repository, number, attempts FROM (
            SELECT i.repository, i.number, i.attempts, k.priority,
                   row_number() OVER (PARTITION BY i.repository
                                      ORDER BY k.priority DESC, i.number) AS rank_in_repo,
                   %(max_active)s - rc.active AS free_slots
            {_from(JOINED)} AND {caps}{_cloneable(limits, targeted=False)}
        ) ranked
        WHERE rank_in_repo <= free_slots
        ORDER BY priority DESC, repository, number
        LIMIT %(limit)s
        """,
        {**limits.params(), "limit": limit},
    ).fetchall()
    return [(repo, number, attempts) for repo, number, attempts in rows]


def open_pull_requests(conn: psycopg.Connection) -> int:
    row = conn.execute("SELECT count(*) FROM pr_outcomes WHERE state = 'open'").fetchone()
    return int(row[0]) if row else 0
