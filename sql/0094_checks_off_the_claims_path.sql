-- Every claim and completion wrote three tables with CHECK constraints (issues' assignment
-- check, token_budget's and repository_claims' value checks), and PostgreSQL reads each CHECK
-- from its stored text, plans it and compiles it again for every statement that writes its
-- table — in a claim trigger's statements as well. Measured with benchmarks/bench_claim_ab.py:
-- 13 % of the server's CPU per claim + completion (issues 6 %, token_budget 4 %,
-- repository_claims 3.5 %). The same rules now hold through means prepared once per session:
--
-- * Non-negative counters and amounts are domains: a domain's check is planned once per
--   backend (the type cache) and only compiled per statement, and only for the columns a
--   statement sets. budget_usage reads those columns, so it is dropped and created again as
--   sql/0050 defined it.
-- * token_budget's scope rules (scope is total, repository or language; key is '' exactly for
--   the total) are an AFTER trigger limited to inserts and changes of scope or key, as the
--   issue value checks are (sql/0093): never run by the counters' updates.
-- * issues' assignment rule (a known state; assigned exactly when assigned_to is set) moves
--   into the trigger every assignment change already runs (sql/0091), which now also runs
--   when assigned_to alone changes. PL/pgSQL keeps its expressions prepared for the session.
-- Bad values are refused as before, with check_violation and the statement undone.

CREATE DOMAIN nonnegative_integer AS integer CHECK (VALUE >= 0);
CREATE DOMAIN nonnegative_bigint AS bigint CHECK (VALUE >= 0);
CREATE DOMAIN nonnegative_usd AS numeric(14, 6) CHECK (VALUE >= 0);

DROP VIEW budget_usage;

ALTER TABLE repository_claims
    DROP CONSTRAINT repository_claims_valid,
    ALTER COLUMN active TYPE nonnegative_integer,
    ALTER COLUMN week_claims TYPE nonnegative_integer;

ALTER TABLE token_budget
    DROP CONSTRAINT token_budget_valid,
    ALTER COLUMN reserved TYPE nonnegative_bigint,
    ALTER COLUMN seconds TYPE nonnegative_bigint,
    ALTER COLUMN cost_usd TYPE nonnegative_usd,
    ALTER COLUMN claims TYPE nonnegative_integer;

CREATE TRIGGER token_budget_scope_check
    AFTER INSERT OR UPDATE OF scope, key ON token_budget
    FOR EACH ROW
    WHEN (NOT (NEW.scope IN ('total', 'repository', 'language')
               AND (NEW.scope = 'total') = (NEW.key = '')))
    EXECUTE FUNCTION raise_check_violation(
        'token_budget_scope_check',
        'scope is total, repository or language; key is empty exactly for the total');

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

ALTER TABLE issues DROP CONSTRAINT issues_assignment_check;

CREATE OR REPLACE FUNCTION issues_assignment_moved() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    was_assigned  boolean := TG_OP <> 'INSERT' AND OLD.assignment_status = 'assigned';
    is_assigned   boolean := TG_OP <> 'DELETE' AND NEW.assignment_status = 'assigned';
BEGIN
    IF TG_OP <> 'DELETE'
       AND NOT (NEW.assignment_status IN ('available', 'assigned', 'completed', 'failed')
                AND is_assigned = (NEW.assigned_to IS NOT NULL)) THEN
        RAISE EXCEPTION 'new row for relation "issues" violates check "issues_assignment_check"'
            USING ERRCODE = 'check_violation', TABLE = 'issues',
                  CONSTRAINT = 'issues_assignment_check',
                  DETAIL = 'assignment_status is available, assigned, completed or failed; '
                           'assigned exactly when assigned_to is set';
    END IF;
    IF was_assigned AND NOT is_assigned THEN
        UPDATE repository_claims SET active = active - 1 WHERE repository = OLD.repository;
    ELSIF is_assigned AND NOT was_assigned THEN
        UPDATE repository_claims
        SET active = active + 1,
            week_claims = CASE WHEN week_start = budget_week(now()) THEN week_claims + 1
                               ELSE 1 END,
            week_start = budget_week(now())
        WHERE repository = NEW.repository;
    END IF;
    -- The claim walks only rankings whose issue is available (issue_rankings_claimable_idx).
    IF TG_OP = 'UPDATE'
       AND (OLD.assignment_status = 'available') <> (NEW.assignment_status = 'available') THEN
        UPDATE issue_rankings SET available = (NEW.assignment_status = 'available')
        WHERE repository = NEW.repository AND number = NEW.number
          AND available <> (NEW.assignment_status = 'available');
    END IF;
    RETURN NULL;
END $$;

DROP TRIGGER issues_assignment_moved ON issues;
CREATE TRIGGER issues_assignment_moved
    AFTER INSERT OR DELETE OR UPDATE OF assignment_status, assigned_to ON issues
    FOR EACH ROW EXECUTE FUNCTION issues_assignment_moved();
