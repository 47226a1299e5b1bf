-- LLM token accounting: every call's usage, and the weekly budget reserved atomically in SQL
-- (a reservation is one UPDATE that fails when it would exceed the limit, never check-then-spend).

CREATE TABLE llm_usage (
    id            bigserial PRIMARY KEY,
    at            timestamptz NOT NULL DEFAULT now(),
    purpose       text NOT NULL,              -- categorize | fix | …
    provider      text NOT NULL,
    model         text NOT NULL,
    input_tokens  integer NOT NULL CHECK (input_tokens >= 0),
    output_tokens integer NOT NULL CHECK (output_tokens >= 0),
    repository    text,
    operation_id  text
);
CREATE INDEX llm_usage_at_idx ON llm_usage (at);
CREATE INDEX llm_usage_repository_idx ON llm_usage (repository) WHERE repository IS NOT NULL;

CREATE TABLE token_budget (
    week_start date PRIMARY KEY,              -- Monday (UTC) of the budget week
    reserved   bigint NOT NULL DEFAULT 0 CHECK (reserved >= 0)
);
