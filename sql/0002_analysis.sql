-- Discovery and analysis: typed popularity columns, every health/impact component, the dependency
-- graph as an edge table, and the HTTP ETag cache that keeps GitHub re-runs cheap.

ALTER TABLE repositories
    ADD COLUMN stars        integer NOT NULL DEFAULT 0,
    ADD COLUMN forks        integer NOT NULL DEFAULT 0,
    ADD COLUMN source       text,
    ADD COLUMN is_library   boolean,
    ADD COLUMN health       jsonb,   -- every health component (core/health.py)
    ADD COLUMN impact       jsonb,   -- every impact component (core/impact.py)
    ADD COLUMN health_at    timestamptz,
    ADD COLUMN impact_at    timestamptz,
    ADD COLUMN last_seen_at timestamptz;

CREATE INDEX repositories_stars_idx ON repositories (language, stars DESC);

-- `dependent` depends on `dependency`; both are repository names, mapped from package edges.
CREATE TABLE dependency_edges (
    ecosystem  text NOT NULL,
    dependent  text NOT NULL,
    dependency text NOT NULL,
    PRIMARY KEY (ecosystem, dependent, dependency),
    CHECK (dependent <> dependency)
);
CREATE INDEX dependency_edges_dependency_idx ON dependency_edges (dependency);

-- Package → repository mapping seen when the graph was built (analysts join through it).
CREATE TABLE packages (
    ecosystem   text NOT NULL,
    name        text NOT NULL,
    repository  text,
    version     text,
    data        jsonb NOT NULL DEFAULT '{}',
    fetched_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (ecosystem, name)
);
CREATE INDEX packages_repository_idx ON packages (repository);

-- Conditional-request cache: a 304 answer reuses the stored body.
CREATE TABLE http_cache (
    key        text PRIMARY KEY,
    etag       text NOT NULL,
    body       bytea NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE VIEW repository_scores AS
SELECT name,
       language,
       stars,
       forks,
       health_score,
       impact_score,
       worth_working_on,
       verdict_reason,
       (impact ->> 'direct_dependents')::integer     AS direct_dependents,
       (impact ->> 'transitive_dependents')::integer AS transitive_dependents,
       (impact ->> 'pagerank')::double precision     AS pagerank,
       health,
       impact,
       analyzed_at
FROM repositories;
