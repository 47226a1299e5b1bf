-- The local forge: bare git repositories under the data dir (see local_forge_repositories.bare_path)
-- and everything a code host keeps beside them — pull requests, reviews and comments, check runs,
-- merges. The demo's pull requests and merges happen here; inspect them with git and SQL.

CREATE TABLE local_forge_repositories (
    name             text PRIMARY KEY,                -- owner/repo
    bare_path        text NOT NULL UNIQUE,
    default_branch   text NOT NULL DEFAULT 'main',
    -- argv of the required check, run sandboxed on each pull request's merge result;
    -- NULL: the repository requires no check.
    check_command    text[],
    allow_auto_merge boolean NOT NULL DEFAULT true,
    created_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE local_pull_requests (
    id           bigserial PRIMARY KEY,
    repository   text NOT NULL REFERENCES local_forge_repositories (name) ON DELETE CASCADE,
    number       integer NOT NULL CHECK (number > 0),
    title        text NOT NULL,
    body         text NOT NULL DEFAULT '',
    author       text NOT NULL,
    issue_number integer,                             -- the issue it fixes ("Fixes #n")
    head_branch  text NOT NULL,
    head_sha     text NOT NULL,
    base_branch  text NOT NULL,
    draft        boolean NOT NULL DEFAULT false,
    labels       text[] NOT NULL DEFAULT '{}',
    state        text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'closed', 'merged')),
    auto_merge   boolean NOT NULL DEFAULT false,
    merge_method text CHECK (merge_method IN ('merge', 'squash', 'rebase')),
    merge_sha    text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    merged_at    timestamptz,
    closed_at    timestamptz,
    UNIQUE (repository, number),
    CHECK ((state = 'merged') = (merge_sha IS NOT NULL))
);
-- Like GitHub: one open pull request per head branch.
CREATE UNIQUE INDEX local_pull_requests_open_head_idx
    ON local_pull_requests (repository, head_branch) WHERE state = 'open';

-- Reviews (APPROVED / CHANGES_REQUESTED / COMMENTED) and comments: a comment with a path is a
-- review comment on a line of the diff, one without is a conversation comment.
CREATE TABLE local_pr_reviews (
    id           bigserial PRIMARY KEY,
    pr_id        bigint NOT NULL REFERENCES local_pull_requests (id) ON DELETE CASCADE,
    author       text NOT NULL,
    state        text NOT NULL CHECK (state IN ('APPROVED', 'CHANGES_REQUESTED', 'COMMENTED')),
    body         text NOT NULL DEFAULT '',
    submitted_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE local_pr_comments (
    id         bigserial PRIMARY KEY,
    pr_id      bigint NOT NULL REFERENCES local_pull_requests (id) ON DELETE CASCADE,
    author     text NOT NULL,
    body       text NOT NULL,
    path       text,
    line       integer,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- One run of a required check on a pull request's merge result (base_sha + head_sha, committed
-- as merge_sha and kept in the bare repository as refs/pull/<n>/merge).
CREATE TABLE local_check_runs (
    id           bigserial PRIMARY KEY,
    pr_id        bigint NOT NULL REFERENCES local_pull_requests (id) ON DELETE CASCADE,
    name         text NOT NULL,
    head_sha     text NOT NULL,
    base_sha     text NOT NULL,
    merge_sha    text,
    status       text NOT NULL CHECK (status IN ('queued', 'in_progress', 'completed')),
    conclusion   text CHECK (conclusion IN ('success', 'failure', 'cancelled', 'timed_out')),
    summary      text NOT NULL DEFAULT '',
    started_at   timestamptz NOT NULL DEFAULT now(),
    completed_at timestamptz,
    CHECK ((status = 'completed') = (conclusion IS NOT NULL))
);
CREATE INDEX local_check_runs_pr_idx ON local_check_runs (pr_id, id DESC);
