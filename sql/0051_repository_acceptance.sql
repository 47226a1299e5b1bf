-- Learning from pull-request outcomes (core/learning.py): per repository, what became of the
-- pull requests GlobaLLM opened there, the posterior acceptance and the signal the ranking adds
-- (0.5 neutral), and an opt-out a maintainer asked for on one of them.
--
-- A learned opt-out outlives re-fetches: issue fetches rewrite issue_fetch_state.opted_out from
-- the repository's own opt-out file and topics, so a trigger keeps it set while the learned one
-- stands. Clearing repository_acceptance.opted_out (an operator's decision) lets the next fetch
-- decide again.

CREATE TABLE repository_acceptance (
    repository     text PRIMARY KEY,     -- as its pull requests name it
    merged         integer NOT NULL DEFAULT 0 CHECK (merged >= 0),
    closed         integer NOT NULL DEFAULT 0 CHECK (closed >= 0),   -- without merging
    ignored        integer NOT NULL DEFAULT 0 CHECK (ignored >= 0),  -- open, silent, old
    pending        integer NOT NULL DEFAULT 0 CHECK (pending >= 0),  -- open, still undecided
    acceptance     double precision NOT NULL CHECK (acceptance BETWEEN 0 AND 1),
    signal         double precision NOT NULL CHECK (signal BETWEEN 0 AND 1),
    opted_out      boolean NOT NULL DEFAULT false,
    opt_out_reason text,
    opted_out_at   timestamptz,
    learned_at     timestamptz NOT NULL DEFAULT now(),
    CHECK (NOT opted_out OR (opt_out_reason IS NOT NULL AND opted_out_at IS NOT NULL))
);
CREATE UNIQUE INDEX repository_acceptance_lower_idx ON repository_acceptance (lower(repository));

CREATE FUNCTION issue_fetch_state_learned_opt_out() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    reason text;
BEGIN
    IF NOT NEW.opted_out THEN
        SELECT a.opt_out_reason INTO reason FROM repository_acceptance a
        WHERE lower(a.repository) = lower(NEW.repository) AND a.opted_out;
        IF FOUND THEN
            NEW.opted_out := true;
            NEW.opt_out_reason := 'maintainer asked on a pull request: ' || reason;
        END IF;
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER issue_fetch_state_learned_opt_out
    BEFORE INSERT OR UPDATE ON issue_fetch_state
    FOR EACH ROW EXECUTE FUNCTION issue_fetch_state_learned_opt_out();

-- The analyst views gain what was learned (columns appended; the earlier ones are unchanged).
CREATE OR REPLACE VIEW top_repositories AS
WITH issue_counts AS (
    SELECT repository,
           count(*) FILTER (WHERE state = 'open')                           AS open_issues,
           count(*) FILTER (WHERE state = 'open' AND priority IS NOT NULL)  AS ranked_issues,
           max(priority) FILTER (WHERE state = 'open')                      AS top_priority
    FROM issues
    GROUP BY repository
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
       count(*) FILTER (WHERE i.priority IS NOT NULL)                       AS ranked,
       count(*) FILTER (WHERE i.assignment_status = 'available')            AS available,
       count(*) FILTER (WHERE i.assignment_status = 'assigned')             AS assigned,
       count(*) FILTER (WHERE i.assignment_status = 'completed')            AS completed,
       count(*) FILTER (WHERE i.assignment_status = 'failed')               AS failed,
       round(avg(i.priority)::numeric, 4)::float8                           AS avg_priority,
       round(max(i.priority)::numeric, 4)::float8                           AS max_priority,
       round(avg(i.solvability)::numeric, 4)::float8                        AS avg_solvability,
       round(avg(i.urgency)::numeric, 4)::float8                            AS avg_urgency,
       round(avg(i.complexity)::numeric, 2)::float8                         AS avg_complexity,
       sum(i.cost_estimate)                                                 AS expected_tokens,
       round(avg((pc ->> 'c_health')::float8)::numeric, 4)::float8          AS avg_c_health,
       round(avg((pc ->> 'c_impact')::float8)::numeric, 4)::float8          AS avg_c_impact,
       round(avg((pc ->> 'c_solvability')::float8)::numeric, 4)::float8     AS avg_c_solvability,
       round(avg((pc ->> 'c_urgency')::float8)::numeric, 4)::float8         AS avg_c_urgency,
       round(avg((pc ->> 'c_redundancy')::float8)::numeric, 4)::float8      AS avg_c_redundancy,
       round(avg((pc ->> 'c_cost')::float8)::numeric, 4)::float8            AS avg_c_cost,
       round(avg((pc ->> 'c_acceptance')::float8)::numeric, 4)::float8      AS avg_c_acceptance
FROM issues i
JOIN repositories r ON r.name = i.repository
CROSS JOIN LATERAL (SELECT i.scores -> 'priority_components' AS pc) components
WHERE i.state = 'open'
GROUP BY r.language, COALESCE(i.category, 'uncategorized');

CREATE OR REPLACE VIEW pr_acceptance AS
WITH prs AS (
    SELECT lower(repository)                                                AS key,
           min(repository)                                                  AS repository,
           count(*)                                                         AS opened,
           count(*) FILTER (WHERE state = 'open')                           AS open,
           count(*) FILTER (WHERE state = 'merged')                         AS merged,
           count(*) FILTER (WHERE state = 'closed')                         AS closed,
           avg(merged_at - opened_at) FILTER (WHERE state = 'merged')       AS avg_time_to_merge,
           max(opened_at)                                                   AS last_opened_at
    FROM pr_outcomes
    GROUP BY 1
),
spend AS (
    SELECT lower(repository)                                                AS key,
           min(repository)                                                  AS repository,
           count(*)                                                         AS fix_attempts,
           count(*) FILTER (WHERE outcome = 'validated')                    AS validated,
           sum(input_tokens + output_tokens)                                AS tokens,
           sum(cost_usd)                                                    AS cost_usd
    FROM solutions
    GROUP BY 1
)
SELECT COALESCE(p.repository, s.repository)                                 AS repository,
       COALESCE(s.fix_attempts, 0)                                          AS fix_attempts,
       COALESCE(s.validated, 0)                                             AS validated,
       COALESCE(p.opened, 0)                                                AS prs_opened,
       COALESCE(p.open, 0)                                                  AS prs_open,
       COALESCE(p.merged, 0)                                                AS prs_merged,
       COALESCE(p.closed, 0)                                                AS prs_closed,
       round(p.merged::numeric / NULLIF(p.merged + p.closed, 0), 4)::float8 AS merge_rate,
       p.avg_time_to_merge,
       COALESCE(s.tokens, 0)                                                AS tokens,
       COALESCE(round(s.cost_usd, 6)::float8, 0)                            AS cost_usd,
       round(s.tokens::numeric / NULLIF(p.merged, 0), 1)::float8            AS tokens_per_merged_pr,
       round(s.cost_usd / NULLIF(p.merged, 0), 6)::float8                   AS cost_per_merged_pr,
       p.last_opened_at,
       COALESCE(a.ignored, 0)                                               AS prs_ignored,
       round(a.acceptance::numeric, 4)::float8                              AS acceptance,
       round(a.signal::numeric, 4)::float8                                  AS acceptance_signal,
       COALESCE(a.opted_out, false)                                         AS opted_out,
       a.opt_out_reason
FROM prs p
FULL JOIN spend s ON s.key = p.key
LEFT JOIN repository_acceptance a ON lower(a.repository) = COALESCE(p.key, s.key);
