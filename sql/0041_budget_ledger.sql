-- One budget ledger: every reservation (a model call or a fix run) with what it actually used, and
-- per-week totals for the whole fleet, each repository and each language that a reservation is
-- checked against in the same statement that charges it.
--
-- `token_budget` keeps its name and its week rows (scope 'total'); `reserved` stays "tokens
-- committed": open reservations plus settled usage. A reservation locks the rows it charges in a
-- fixed order, checks every limit on their newest versions and charges them, all in one statement.

ALTER TABLE token_budget
    ADD COLUMN scope    text NOT NULL DEFAULT 'total'
                        CHECK (scope IN ('total', 'repository', 'language')),
    ADD COLUMN key      text NOT NULL DEFAULT '',     -- repository or language; '' for total
    ADD COLUMN seconds  bigint NOT NULL DEFAULT 0 CHECK (seconds >= 0),
    ADD COLUMN cost_usd numeric(14, 6) NOT NULL DEFAULT 0 CHECK (cost_usd >= 0),
    ADD COLUMN claims   integer NOT NULL DEFAULT 0 CHECK (claims >= 0);  -- issues claimed
ALTER TABLE token_budget DROP CONSTRAINT token_budget_pkey;
ALTER TABLE token_budget ADD PRIMARY KEY (week_start, scope, key);
ALTER TABLE token_budget ADD CHECK ((scope = 'total') = (key = ''));

CREATE TABLE budget_reservations (
    id           bigserial PRIMARY KEY,
    week_start   date NOT NULL,
    purpose      text NOT NULL,               -- fix | categorize | …
    repository   text,
    language     text,
    issue_number integer,
    agent_id     text,
    tokens       bigint NOT NULL CHECK (tokens >= 0),    -- reserved
    seconds      bigint NOT NULL CHECK (seconds >= 0),   -- reserved
    used_tokens  bigint CHECK (used_tokens >= 0),
    used_seconds bigint CHECK (used_seconds >= 0),
    cost_usd     numeric(14, 6) CHECK (cost_usd >= 0),
    state        text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'settled')),
    reserved_at  timestamptz NOT NULL DEFAULT now(),
    settled_at   timestamptz,
    CHECK ((state = 'settled') = (settled_at IS NOT NULL))
);
CREATE INDEX budget_reservations_open_idx ON budget_reservations (week_start)
    WHERE state = 'open';
CREATE INDEX budget_reservations_repository_idx ON budget_reservations (repository, week_start);

ALTER TABLE llm_usage
    ADD COLUMN cost_usd       numeric(14, 6) CHECK (cost_usd >= 0),
    ADD COLUMN reservation_id bigint REFERENCES budget_reservations (id) ON DELETE SET NULL;
