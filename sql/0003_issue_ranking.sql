-- Issues and ranking: per-issue scores with every component, incremental fetch state, README
-- embeddings cached by content hash, and redundancy clusters feeding the ranking's penalty.

ALTER TABLE issues
    ADD COLUMN closed_at          timestamptz,
    ADD COLUMN labels             text[] NOT NULL DEFAULT '{}',
    ADD COLUMN solvability        double precision CHECK (solvability BETWEEN 0 AND 1),
    ADD COLUMN urgency            double precision CHECK (urgency BETWEEN 0 AND 1),
    ADD COLUMN complexity         smallint CHECK (complexity BETWEEN 1 AND 10),
    ADD COLUMN cost_estimate      integer CHECK (cost_estimate >= 0),  -- expected LLM tokens
    ADD COLUMN do_not_touch       boolean NOT NULL DEFAULT false,
    ADD COLUMN do_not_touch_reason text,
    ADD COLUMN category_source    text,      -- rules | llm
    ADD COLUMN scores             jsonb,     -- every priority component, for analysts
    ADD COLUMN ranked_at          timestamptz;

CREATE INDEX issues_state_priority_idx ON issues (state, priority DESC NULLS LAST);
CREATE INDEX issues_category_idx ON issues (category);

-- Where the last incremental fetch of a repository's issues stopped (`since` cursor).
CREATE TABLE issue_fetch_state (
    repository      text PRIMARY KEY REFERENCES repositories (name) ON DELETE CASCADE,
    last_updated_at timestamptz,          -- newest issue.updated_at seen
    fetched_at      timestamptz NOT NULL DEFAULT now(),
    opted_out       boolean NOT NULL DEFAULT false,
    opt_out_reason  text
);

-- Sentence embeddings of README + description + topics, keyed by content hash and model, so only
-- changed READMEs are embedded again. Vectors are float32 little-endian bytes.
CREATE TABLE readme_embeddings (
    content_hash text NOT NULL,
    model        text NOT NULL,
    dim          integer NOT NULL CHECK (dim > 0),
    embedding    bytea NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (content_hash, model)
);

-- Functionally overlapping repositories, per language.
CREATE TABLE redundancy (
    repository     text PRIMARY KEY REFERENCES repositories (name) ON DELETE CASCADE,
    language       text NOT NULL,
    cluster_id     text,                  -- NULL when the repository overlaps with nothing
    max_similarity double precision NOT NULL DEFAULT 0 CHECK (max_similarity BETWEEN -1 AND 1),
    most_similar   text,
    penalty        double precision NOT NULL DEFAULT 0 CHECK (penalty BETWEEN 0 AND 1),
    recommendation text,                  -- keep | deprecate | merge
    reason         text,
    computed_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX redundancy_language_idx ON redundancy (language, cluster_id);

CREATE VIEW issue_priorities AS
SELECT i.repository,
       i.number,
       i.title,
       r.language,
       i.category,
       i.priority,
       i.solvability,
       i.urgency,
       i.complexity,
       i.cost_estimate,
       r.health_score,
       r.impact_score,
       COALESCE(d.penalty, 0) AS redundancy_penalty,
       i.do_not_touch,
       i.do_not_touch_reason,
       i.assignment_status,
       i.scores,
       i.ranked_at
FROM issues i
JOIN repositories r ON r.name = i.repository
LEFT JOIN redundancy d ON d.repository = i.repository
WHERE i.state = 'open';
