-- Priorities move out of the wide `issues` table into a narrow one that is cheap to rewrite.
--
-- Ranking 10^6 issues rewrote every ranked row of `issues` (eight indexes, one a GIN on the
-- JSON) each run. `issue_rankings` holds only what the ranking computes: the priority and its
-- weighted components, with the one index readers need (priority order, ties by repository and
-- number: the claim's and `prioritize`'s order). An issue has a row only while it is ranked
-- (open, touchable, its repository approved); the ranking writes only rows whose values changed
-- and deletes only rows that exist and should not. `ranking_runs` remembers the weights each
-- scope was last ranked with, so `prioritize` knows when the stored order answers it.
--
-- Numbered after 0051: the analyst views of 0050/0051 read issues.priority and must be replaced
-- before the column can go, on a fresh database as on an existing one.
-- No foreign key to issues: a per-row check would cost more than the write itself; every reader
-- joins issues, and the ranking deletes rows whose issue is gone.

CREATE TABLE issue_rankings (
    repository    text NOT NULL,
    number        integer NOT NULL,
    priority      double precision NOT NULL,
    c_health      double precision,
    c_impact      double precision,
    c_solvability double precision,
    c_urgency     double precision,
    c_redundancy  double precision,
    c_cost        double precision,
    c_acceptance  double precision,
    ranked_at     timestamptz NOT NULL DEFAULT now(),  -- when this priority was last changed
    -- issues.assignment_status = 'available', kept by the trigger below: the claim walks only
    -- available rows, however many claimed, completed or failed ones rank above them.
    available     boolean NOT NULL DEFAULT true,
    PRIMARY KEY (repository, number)
);
CREATE INDEX issue_rankings_priority_idx ON issue_rankings (priority DESC, repository, number);
CREATE INDEX issue_rankings_claimable_idx ON issue_rankings (priority DESC, repository, number)
    WHERE available;

CREATE FUNCTION issue_rankings_available() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE issue_rankings SET available = (NEW.assignment_status = 'available')
    WHERE repository = NEW.repository AND number = NEW.number
      AND available IS DISTINCT FROM (NEW.assignment_status = 'available');
    RETURN NULL;
END $$;

CREATE TRIGGER issue_rankings_available
    AFTER UPDATE OF assignment_status ON issues
    FOR EACH ROW WHEN ((OLD.assignment_status = 'available')
                       IS DISTINCT FROM (NEW.assignment_status = 'available'))
    EXECUTE FUNCTION issue_rankings_available();

CREATE TABLE ranking_runs (
    scope     text PRIMARY KEY,   -- a language, or '*' for a ranking of every language at once
    weights   jsonb NOT NULL,     -- PriorityWeights used
    rows      integer NOT NULL,
    ranked_at timestamptz NOT NULL DEFAULT now()
);

INSERT INTO issue_rankings (repository, number, priority, c_health, c_impact, c_solvability,
                            c_urgency, c_redundancy, c_cost, c_acceptance, ranked_at, available)
SELECT repository, number, priority,
       (scores -> 'priority_components' ->> 'c_health')::float8,
       (scores -> 'priority_components' ->> 'c_impact')::float8,
       (scores -> 'priority_components' ->> 'c_solvability')::float8,
       (scores -> 'priority_components' ->> 'c_urgency')::float8,
       (scores -> 'priority_components' ->> 'c_redundancy')::float8,
       (scores -> 'priority_components' ->> 'c_cost')::float8,
       (scores -> 'priority_components' ->> 'c_acceptance')::float8,
       COALESCE(ranked_at, now()),
       assignment_status = 'available'
FROM issues WHERE priority IS NOT NULL;

-- The views keep their columns; priority, components and ranked_at now come from issue_rankings
-- (`scores` still carries `priority_components`, built from the narrow row).
CREATE OR REPLACE VIEW issue_priorities AS
SELECT i.repository,
       i.number,
       i.title,
       r.language,
       i.category,
       k.priority,
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
       CASE WHEN k.repository IS NULL THEN i.scores
            ELSE COALESCE(i.scores, '{}') || jsonb_build_object('priority_components',
                 jsonb_build_object('c_health', k.c_health, 'c_impact', k.c_impact,
                                    'c_solvability', k.c_solvability, 'c_urgency', k.c_urgency,
                                    'c_redundancy', k.c_redundancy, 'c_cost', k.c_cost,
                                    'c_acceptance', k.c_acceptance))
       END AS scores,
       k.ranked_at,
       r.worth_working_on
FROM issues i
JOIN repositories r ON r.name = i.repository
LEFT JOIN redundancy d ON d.repository = i.repository
LEFT JOIN issue_rankings k ON k.repository = i.repository AND k.number = i.number
WHERE i.state = 'open';

CREATE OR REPLACE VIEW top_repositories AS
WITH issue_counts AS (
    SELECT i.repository,
           count(*) FILTER (WHERE i.state = 'open')                            AS open_issues,
           count(*) FILTER (WHERE i.state = 'open' AND k.priority IS NOT NULL) AS ranked_issues,
           max(k.priority) FILTER (WHERE i.state = 'open')                     AS top_priority
    FROM issues i
    LEFT JOIN issue_rankings k ON k.repository = i.repository AND k.number = i.number
    GROUP BY i.repository
),
pr_counts AS (
    SELECT lower(repository) AS key,
           count(*)                                                         AS prs_opened,
           count(*) FILTER (WHERE state = 'merged')                         AS prs_merged
    FROM pr_outcomes
    GROUP BY 1
)
SELECT rank() OVER (ORDER BY r.impact_score DESC)                          AS impact_rank,
       rank() OVER (PARTITION BY r.language ORDER BY r.impact_score DESC)   AS language_rank,
       r.name                                                               AS repository,
       r.language,
       r.stars,
       round(r.impact_score::numeric, 4)::float8                            AS impact,
       round(r.health_score::numeric, 4)::float8                            AS health,
       CASE WHEN r.worth_working_on THEN 'approved'
            WHEN NOT r.worth_working_on THEN 'rejected'
            ELSE 'undecided' END                                            AS verdict,
       r.verdict_reason,
       COALESCE(f.opted_out, false)                                         AS opted_out,
       (r.impact ->> 'direct_dependents')::integer                         AS direct_dependents,
       (r.impact ->> 'transitive_dependents')::integer                     AS transitive_dependents,
       d.cluster_id                                                         AS redundancy_cluster,
       d.recommendation                                                     AS redundancy_advice,
       COALESCE(ic.open_issues, 0)                                          AS open_issues,
       COALESCE(ic.ranked_issues, 0)                                        AS ranked_issues,
       round(ic.top_priority::numeric, 4)::float8                           AS top_priority,
       COALESCE(p.prs_opened, 0)                                            AS prs_opened,
       COALESCE(p.prs_merged, 0)                                            AS prs_merged,
       round(a.acceptance::numeric, 4)::float8                              AS acceptance,
       f.opt_out_reason
FROM repositories r
LEFT JOIN issue_fetch_state f ON f.repository = r.name
LEFT JOIN redundancy d ON d.repository = r.name
LEFT JOIN issue_counts ic ON ic.repository = r.name
LEFT JOIN pr_counts p ON p.key = lower(r.name)
LEFT JOIN repository_acceptance a ON lower(a.repository) = lower(r.name)
WHERE r.impact_score IS NOT NULL;

CREATE OR REPLACE VIEW issue_backlog AS
SELECT r.language,
       COALESCE(i.category, 'uncategorized')                                AS category,
       count(*)                                                             AS open_issues,
       count(*) FILTER (WHERE r.worth_working_on IS TRUE AND NOT i.do_not_touch)
                                                                            AS workable,
       count(*) FILTER (WHERE i.do_not_touch)                               AS do_not_touch,
       count(*) FILTER (WHERE k.priority IS NOT NULL)                       AS ranked,
       count(*) FILTER (WHERE i.assignment_status = 'available')            AS available,
       count(*) FILTER (WHERE i.assignment_status = 'assigned')             AS assigned,
       count(*) FILTER (WHERE i.assignment_status = 'completed')            AS completed,
       count(*) FILTER (WHERE i.assignment_status = 'failed')               AS failed,
       round(avg(k.priority)::numeric, 4)::float8                           AS avg_priority,
       round(max(k.priority)::numeric, 4)::float8                           AS max_priority,
       round(avg(i.solvability)::numeric, 4)::float8                        AS avg_solvability,
       round(avg(i.urgency)::numeric, 4)::float8                            AS avg_urgency,
       round(avg(i.complexity)::numeric, 2)::float8                         AS avg_complexity,
       sum(i.cost_estimate)                                                 AS expected_tokens,
       round(avg(k.c_health)::numeric, 4)::float8                           AS avg_c_health,
       round(avg(k.c_impact)::numeric, 4)::float8                           AS avg_c_impact,
       round(avg(k.c_solvability)::numeric, 4)::float8                      AS avg_c_solvability,
       round(avg(k.c_urgency)::numeric, 4)::float8                          AS avg_c_urgency,
       round(avg(k.c_redundancy)::numeric, 4)::float8                       AS avg_c_redundancy,
       round(avg(k.c_cost)::numeric, 4)::float8                             AS avg_c_cost,
       round(avg(k.c_acceptance)::numeric, 4)::float8                       AS avg_c_acceptance
FROM issues i
JOIN repositories r ON r.name = i.repository
LEFT JOIN issue_rankings k ON k.repository = i.repository AND k.number = i.number
WHERE i.state = 'open'
GROUP BY r.language, COALESCE(i.category, 'uncategorized');

-- The indexes on issues.priority go with the column (the claim walks issue_rankings' index).
DROP INDEX IF EXISTS issues_claimable_idx;
DROP INDEX IF EXISTS issues_priority_idx;
DROP INDEX IF EXISTS issues_state_priority_idx;
ALTER TABLE issues DROP COLUMN priority, DROP COLUMN ranked_at;
