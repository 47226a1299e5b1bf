-- Fleet claims: agents on any machine take issues through one statement (FOR UPDATE SKIP LOCKED).
--
-- `repository_claims` carries each repository's live claim count and its claims this budget week.
-- The claim statement locks that row together with the issue, so the per-repository concurrency
-- and weekly issue caps are checked on the row's newest version while no other agent can claim in
-- the same repository: the caps hold under any number of concurrent agents. A trigger on `issues`
-- keeps the counts equal to the claims, whichever path moves an issue in or out of `assigned`.

ALTER TABLE issues
    ADD COLUMN last_error  text,          -- why the latest attempt ended without a fix
    ADD COLUMN last_agent  text,          -- who held the latest claim (kept after it ends)
    ADD COLUMN finished_at timestamptz,   -- when it became completed or failed
    ADD COLUMN result      text;          -- what a completed attempt produced (e.g. the PR URL)

-- The claim scans available issues by priority; only claimable rows are in this index.
CREATE INDEX issues_claimable_idx ON issues (priority DESC, repository, number)
    WHERE assignment_status = 'available' AND state = 'open' AND NOT do_not_touch
      AND priority IS NOT NULL;
CREATE INDEX issues_heartbeat_idx ON issues (last_heartbeat_at)
    WHERE assignment_status = 'assigned';

CREATE TABLE repository_claims (
    repository  text PRIMARY KEY
                REFERENCES repositories (name) ON DELETE CASCADE ON UPDATE CASCADE,
    active      integer NOT NULL DEFAULT 0 CHECK (active >= 0),      -- issues assigned now
    week_start  date,                                                -- Monday (UTC) of week_claims
    week_claims integer NOT NULL DEFAULT 0 CHECK (week_claims >= 0)  -- claims made that week
);

INSERT INTO repository_claims (repository, active)
SELECT r.name, count(i.number) FILTER (WHERE i.assignment_status = 'assigned')
FROM repositories r LEFT JOIN issues i ON i.repository = r.name
GROUP BY r.name;

CREATE FUNCTION repository_claims_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO repository_claims (repository) VALUES (NEW.name) ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;

CREATE TRIGGER repositories_claims_row AFTER INSERT ON repositories
    FOR EACH ROW EXECUTE FUNCTION repository_claims_row();

-- Budget weeks start on Monday, UTC (as in store/llm_usage.py).
CREATE FUNCTION budget_week(at timestamptz) RETURNS date LANGUAGE sql IMMUTABLE AS $$
    SELECT date_trunc('week', at AT TIME ZONE 'UTC')::date
$$;

CREATE FUNCTION issues_claim_counts() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    was_assigned boolean := TG_OP <> 'INSERT' AND OLD.assignment_status = 'assigned';
    is_assigned  boolean := TG_OP <> 'DELETE' AND NEW.assignment_status = 'assigned';
    week         date := budget_week(now());
BEGIN
    IF was_assigned AND NOT is_assigned THEN
        UPDATE repository_claims SET active = active - 1 WHERE repository = OLD.repository;
    ELSIF is_assigned AND NOT was_assigned THEN
        UPDATE repository_claims
        SET active = active + 1,
            week_claims = CASE WHEN week_start = week THEN week_claims + 1 ELSE 1 END,
            week_start = week
        WHERE repository = NEW.repository;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER issues_claim_counts
    AFTER INSERT OR DELETE OR UPDATE OF assignment_status ON issues
    FOR EACH ROW EXECUTE FUNCTION issues_claim_counts();
