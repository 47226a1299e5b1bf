-- Remember what the LLM answered for an issue, and for which version of it (its updated_at), so
-- a re-run spends no tokens on issues that did not change. Analysts' view gains the approval flag.

ALTER TABLE issues
    ADD COLUMN llm_category     text,
    ADD COLUMN llm_category_for timestamptz;

CREATE INDEX repositories_lower_name_idx ON repositories (lower(name));

CREATE OR REPLACE VIEW issue_priorities AS
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
       i.ranked_at,
       r.worth_working_on
FROM issues i
JOIN repositories r ON r.name = i.repository
LEFT JOIN redundancy d ON d.repository = i.repository
WHERE i.state = 'open';
