-- One row per fix attempt: what the fixer changed, the sandboxed test runs before and after, the
-- risk computed from the diff, what it cost, and how it ended. Issues fixed by URL may not be in
-- `issues`, so there is no foreign key; (repository, issue_number) is indexed instead.

CREATE TABLE solutions (
    id                    bigserial PRIMARY KEY,
    repository            text NOT NULL,
    issue_number          integer NOT NULL CHECK (issue_number > 0),
    issue_title           text NOT NULL,
    category              text,
    language              text,
    attempt               smallint NOT NULL CHECK (attempt >= 1),
    fixer                 text NOT NULL CHECK (fixer IN ('agent', 'codespell')),
    provider              text NOT NULL,          -- model label, "replay …", "scripted test double"
    outcome               text NOT NULL CHECK (outcome IN
                              ('validated', 'failed', 'refused', 'budget_exhausted', 'no_change',
                               'error')),
    reason                text NOT NULL DEFAULT '',
    branch                text NOT NULL,
    base_branch           text NOT NULL,
    base_sha              text NOT NULL,
    head_sha              text,                   -- the fix commit; NULL unless validated
    diff                  text NOT NULL DEFAULT '',
    files_changed         text[] NOT NULL DEFAULT '{}',
    tests_added           text[] NOT NULL DEFAULT '{}',
    before_run            jsonb,                  -- TestRun: command, exit code, counts, tail
    after_run             jsonb,
    suite_run             jsonb,
    existing_tests_passed boolean NOT NULL DEFAULT false,
    risk_level            text CHECK (risk_level IN ('LOW', 'MEDIUM', 'HIGH', 'CRITICAL')),
    risk_action           text,
    risk                  jsonb,                  -- level, action, reasons, secret findings
    summary               text NOT NULL DEFAULT '',
    turns                 integer NOT NULL DEFAULT 0 CHECK (turns >= 0),
    input_tokens          integer NOT NULL DEFAULT 0 CHECK (input_tokens >= 0),
    output_tokens         integer NOT NULL DEFAULT 0 CHECK (output_tokens >= 0),
    cost_usd              numeric(12, 6) NOT NULL DEFAULT 0 CHECK (cost_usd >= 0),
    duration_s            double precision NOT NULL DEFAULT 0 CHECK (duration_s >= 0),
    workspace             text,
    operation_id          text,
    created_at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX solutions_issue_idx ON solutions (repository, issue_number, created_at DESC);
CREATE INDEX solutions_outcome_idx ON solutions (outcome, created_at DESC);
