-- Initial schema (from the seeds): repositories and their issues, with the claim columns agents use.

CREATE TABLE repositories (
    name             text PRIMARY KEY,             -- owner/repo
    language         text NOT NULL,
    data             jsonb NOT NULL DEFAULT '{}',  -- the source's metadata record
    health_score     double precision CHECK (health_score BETWEEN 0 AND 1),
    impact_score     double precision CHECK (impact_score BETWEEN 0 AND 1),
    worth_working_on boolean,
    verdict_reason   text,
    discovered_at    timestamptz NOT NULL DEFAULT now(),
    analyzed_at      timestamptz,
    updated_at       timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX repositories_language_idx ON repositories (language);
CREATE INDEX repositories_name_pattern_idx ON repositories (name text_pattern_ops);
CREATE INDEX repositories_worth_idx ON repositories (language, worth_working_on);
CREATE INDEX repositories_data_gin ON repositories USING gin (data jsonb_path_ops);

CREATE TABLE issues (
    repository        text NOT NULL REFERENCES repositories (name) ON DELETE CASCADE,
    number            integer NOT NULL CHECK (number > 0),
    data              jsonb NOT NULL DEFAULT '{}',
    title             text,
    state             text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'closed')),
    category          text,
    priority          double precision,
    assigned_to       text,
    assigned_at       timestamptz,
    last_heartbeat_at timestamptz,
    assignment_status text NOT NULL DEFAULT 'available'
                      CHECK (assignment_status IN ('available', 'assigned', 'completed', 'failed')),
    attempts          integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    created_at        timestamptz,
    updated_at        timestamptz,
    fetched_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (repository, number),
    -- An assigned issue always names its agent; other states never do.
    CHECK ((assignment_status = 'assigned') = (assigned_to IS NOT NULL))
);

CREATE INDEX issues_repository_idx ON issues (repository);
CREATE INDEX issues_assignment_status_idx ON issues (assignment_status);
CREATE INDEX issues_assigned_to_idx ON issues (assigned_to) WHERE assigned_to IS NOT NULL;
CREATE INDEX issues_priority_idx ON issues (priority DESC NULLS LAST) WHERE state = 'open';
CREATE INDEX issues_data_gin ON issues USING gin (data jsonb_path_ops);
