-- Analyst views: what the pipeline and the fleet produced, one question per view. Plain views
-- over the live tables (nothing to refresh). Scores and averages are rounded (to 4 decimals
-- unless said otherwise) and returned as double precision, costs in USD likewise. Repository
-- names are joined case-insensitively: a forge or a registry may spell them otherwise.

-- Repositories ranked by impact, with their health, verdict, backlog and pull requests.
CREATE VIEW top_repositories AS
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
       COALESCE(p.prs_merged, 0)                                            AS prs_merged
FROM repositories r
LEFT JOIN issue_fetch_state f ON f.repository = r.name
LEFT JOIN redundancy d ON d.repository = r.name
LEFT JOIN issue_counts ic ON ic.repository = r.name
LEFT JOIN pr_counts p ON p.key = lower(r.name)
WHERE r.impact_score IS NOT NULL;

-- Open issues per language and category: how many an agent may take, where they stand, and the
-- mean of every score and of every weighted priority component (issues.scores).
CREATE VIEW issue_backlog AS
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
       round(avg((pc ->> 'c_cost')::float8)::numeric, 4)::float8            AS avg_c_cost
FROM issues i
JOIN repositories r ON r.name = i.repository
CROSS JOIN LATERAL (SELECT i.scores -> 'priority_components' AS pc) components
WHERE i.state = 'open'
GROUP BY r.language, COALESCE(i.category, 'uncategorized');

-- Fix attempts (solutions) by repository, fixer and outcome: what they cost and how risky the
-- validated ones were.
CREATE VIEW fix_outcomes AS
SELECT s.repository,
       s.language,
       s.fixer,
       s.outcome,
       count(*)                                                             AS attempts,
       count(DISTINCT s.issue_number)                                       AS issues,
       sum(s.input_tokens + s.output_tokens)                                AS tokens,
       round(sum(s.cost_usd), 6)::float8                                    AS cost_usd,
       round(avg(s.turns)::numeric, 2)::float8                              AS avg_turns,
       round(avg(s.duration_s)::numeric, 2)::float8                         AS avg_duration_s,
       count(*) FILTER (WHERE s.risk_level = 'LOW')                         AS risk_low,
       count(*) FILTER (WHERE s.risk_level = 'MEDIUM')                      AS risk_medium,
       count(*) FILTER (WHERE s.risk_level = 'HIGH')                        AS risk_high,
       count(*) FILTER (WHERE s.risk_level = 'CRITICAL')                    AS risk_critical,
       max(s.created_at)                                                    AS last_attempt_at
FROM solutions s
GROUP BY s.repository, s.language, s.fixer, s.outcome;

-- Per repository: pull requests opened and what maintainers did with them, and what every fix
-- attempt there cost (failed ones included) per merged pull request.
CREATE VIEW pr_acceptance AS
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
       p.last_opened_at
FROM prs p
FULL JOIN spend s ON s.key = p.key;

-- The budget ledger by week and scope (the fleet, each repository, each language): committed
-- tokens and seconds, cost, claims, and the reservations behind them.
CREATE VIEW budget_usage AS
SELECT b.week_start,
       b.scope,
       NULLIF(b.key, '')                                                    AS key,
       b.reserved                                                           AS tokens_committed,
       b.seconds                                                            AS seconds_committed,
       round(b.cost_usd, 6)::float8                                         AS cost_usd,
       CASE WHEN b.scope = 'repository'
            THEN CASE WHEN rc.week_start = b.week_start THEN rc.week_claims ELSE 0 END
            WHEN b.scope = 'language' THEN b.claims
            ELSE (SELECT COALESCE(sum(l.claims), 0) FROM token_budget l
                  WHERE l.week_start = b.week_start AND l.scope = 'language')::integer
       END                                                                  AS claims,
       COALESCE(res.reservations, 0)                                        AS reservations,
       COALESCE(res.open_reservations, 0)                                   AS open_reservations,
       COALESCE(res.used_tokens, 0)                                         AS used_tokens,
       COALESCE(res.used_seconds, 0)                                        AS used_seconds
FROM token_budget b
LEFT JOIN repository_claims rc ON b.scope = 'repository' AND rc.repository = b.key
LEFT JOIN LATERAL (
    SELECT count(*)                                                         AS reservations,
           count(*) FILTER (WHERE r.state = 'open')                         AS open_reservations,
           sum(r.used_tokens)                                               AS used_tokens,
           sum(r.used_seconds)                                              AS used_seconds
    FROM budget_reservations r
    WHERE r.week_start = b.week_start
      AND (b.scope = 'total'
           OR (b.scope = 'repository' AND r.repository = b.key)
           OR (b.scope = 'language' AND r.language = b.key))
) res ON true;

-- Every model call by budget week, purpose and model.
CREATE VIEW llm_usage_weekly AS
SELECT budget_week(u.at)                                                    AS week_start,
       u.purpose,
       u.provider,
       u.model,
       count(*)                                                             AS calls,
       sum(u.input_tokens)                                                  AS input_tokens,
       sum(u.output_tokens)                                                 AS output_tokens,
       round(sum(u.cost_usd), 6)::float8                                    AS cost_usd
FROM llm_usage u
GROUP BY 1, 2, 3, 4;

-- Clusters of functionally overlapping repositories: the one to keep first, then the others by
-- impact, with the open issues that sit in the ones advised to be deprecated or merged.
CREATE VIEW redundancy_clusters AS
SELECT d.language,
       d.cluster_id,
       count(*)                                                             AS members,
       min(d.repository) FILTER (WHERE d.recommendation = 'keep')           AS keep,
       array_agg(d.repository ORDER BY d.recommendation = 'keep' DESC,
                 r.impact_score DESC NULLS LAST, d.repository)              AS repositories,
       array_agg(COALESCE(d.recommendation, 'none')
                 ORDER BY d.recommendation = 'keep' DESC,
                 r.impact_score DESC NULLS LAST, d.repository)              AS recommendations,
       round(max(d.max_similarity)::numeric, 4)::float8                     AS max_similarity,
       round(avg(d.penalty)::numeric, 4)::float8                            AS avg_penalty,
       COALESCE(sum(oi.n) FILTER (WHERE d.recommendation <> 'keep'), 0)
                                                                            AS open_issues_elsewhere
FROM redundancy d
LEFT JOIN repositories r ON r.name = d.repository
LEFT JOIN LATERAL (
    SELECT count(*) AS n FROM issues i WHERE i.repository = d.repository AND i.state = 'open'
) oi ON true
WHERE d.cluster_id IS NOT NULL
GROUP BY d.language, d.cluster_id;
