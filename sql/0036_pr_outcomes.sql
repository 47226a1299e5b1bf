-- Contributions: every attempt to turn a fix into a pull request, including the ones refused
-- (risk, secrets, etiquette) or failed, so nothing half-done can pass for success. pr_outcomes:
-- each pull request GlobaLLM opened on any forge, refreshed by a poll.

CREATE TABLE contributions (
    id           bigserial PRIMARY KEY,
    forge        text NOT NULL,                       -- github | local
    repository   text NOT NULL,
    issue_number integer NOT NULL,
    solution_id  bigint,
    branch       text,
    base_branch  text,
    head_sha     text,
    risk_level   text CHECK (risk_level IN ('LOW', 'MEDIUM', 'HIGH', 'CRITICAL')),
    -- reserved: holds a slot under the per-repository caps while pushing; pushed: the branch is
    -- on the forge but no pull request exists yet; opened: a pull request exists (pr_outcomes).
    status       text NOT NULL
                 CHECK (status IN ('reserved', 'pushed', 'opened', 'skipped', 'refused', 'failed')),
    reason       text,
    pr_number    integer,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CHECK ((status = 'opened') = (pr_number IS NOT NULL))
);
CREATE INDEX contributions_repository_idx ON contributions (forge, repository, created_at);
CREATE INDEX contributions_issue_idx ON contributions (repository, issue_number);

CREATE TABLE pr_outcomes (
    forge             text NOT NULL,
    repository        text NOT NULL,                  -- the base repository
    number            integer NOT NULL CHECK (number > 0),
    contribution_id   bigint REFERENCES contributions (id),
    issue_number      integer NOT NULL,
    solution_id       bigint,
    url               text NOT NULL,
    head_repository   text NOT NULL,                  -- the fork, or the repository itself
    head_branch       text NOT NULL,
    head_sha          text NOT NULL,
    base_branch       text NOT NULL,
    risk_level        text NOT NULL CHECK (risk_level IN ('LOW', 'MEDIUM', 'HIGH', 'CRITICAL')),
    draft             boolean NOT NULL,
    labels            text[] NOT NULL DEFAULT '{}',
    state             text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'merged', 'closed')),
    -- off: not allowed or not requested; waiting: allowed, not armed yet (a draft until its
    -- checks pass, or the base branch's slot is taken); enabled: armed, holds the slot;
    -- merged / cancelled / failed: how it ended.
    auto_merge        text NOT NULL DEFAULT 'off'
                      CHECK (auto_merge IN ('off', 'waiting', 'enabled', 'merged', 'cancelled',
                                            'failed')),
    auto_merge_via    text CHECK (auto_merge_via IN ('forge', 'poll')),
    auto_merge_reason text,
    notified          boolean NOT NULL DEFAULT false,
    merge_sha         text,
    checks            jsonb NOT NULL DEFAULT '[]',
    reviews           jsonb NOT NULL DEFAULT '[]',
    review_comments   jsonb NOT NULL DEFAULT '[]',
    tokens            integer,
    cost_usd          numeric(12, 6),
    opened_at         timestamptz NOT NULL DEFAULT now(),
    merged_at         timestamptz,
    closed_at         timestamptz,
    refreshed_at      timestamptz,
    PRIMARY KEY (forge, repository, number)
);
CREATE INDEX pr_outcomes_state_idx ON pr_outcomes (state, refreshed_at);
CREATE INDEX pr_outcomes_issue_idx ON pr_outcomes (repository, issue_number);
-- At most one armed auto-merge per base branch: a second one would be tested against a base the
-- first is about to move. Merging or closing the pull request frees the slot.
CREATE UNIQUE INDEX pr_outcomes_one_auto_merge_idx
    ON pr_outcomes (forge, repository, base_branch) WHERE auto_merge = 'enabled' AND state = 'open';
