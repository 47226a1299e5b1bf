-- PostgreSQL prepares every CHECK constraint of a table for every statement that writes it (the
-- stored expression is parsed and planned again per statement), whichever columns the statement
-- sets. A claim and its completion set only the assignment columns of `issues`, yet each paid
-- for nine checks; the language counter's upsert paid for six on `token_budget`. In a 100-agent
-- claim storm that was ~12 % of the server's CPU.
--
-- * `issues`: the checks on columns a claim never writes move into one trigger limited to those
--   columns (`UPDATE OF`), whose condition is plain SQL evaluated without a function call (the
--   function runs only to raise the error, which aborts the statement). A claim or completion
--   never looks at it; an insert or an update of those columns checks exactly what the
--   constraints checked (a NULL passes, as in a CHECK). It is an AFTER trigger: any BEFORE
--   UPDATE row trigger, enabled for the statement or not, makes every update of the table fetch
--   and lock the old row first. The assignment checks stay, as one CHECK constraint.
-- * `token_budget`, `repository_claims`: every write touches the checked columns, so their
--   checks are folded into one constraint per table (one preparation instead of six / two).

CREATE FUNCTION raise_check_violation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'new row for relation "%" violates check "%"', TG_TABLE_NAME, TG_ARGV[0]
        USING ERRCODE = 'check_violation', TABLE = TG_TABLE_NAME, CONSTRAINT = TG_ARGV[0],
              DETAIL = TG_ARGV[1];
END $$;

ALTER TABLE issues
    DROP CONSTRAINT issues_number_check,
    DROP CONSTRAINT issues_state_check,
    DROP CONSTRAINT issues_attempts_check,
    DROP CONSTRAINT issues_complexity_check,
    DROP CONSTRAINT issues_cost_estimate_check,
    DROP CONSTRAINT issues_solvability_check,
    DROP CONSTRAINT issues_urgency_check,
    DROP CONSTRAINT issues_assignment_status_check,
    DROP CONSTRAINT issues_check,
    ADD CONSTRAINT issues_assignment_check CHECK (
        assignment_status IN ('available', 'assigned', 'completed', 'failed')
        AND (assignment_status = 'assigned') = (assigned_to IS NOT NULL));

CREATE TRIGGER issues_values_check
    AFTER INSERT OR UPDATE OF number, state, attempts, complexity, cost_estimate, solvability,
                               urgency ON issues
    FOR EACH ROW
    WHEN (NOT (NEW.number > 0 AND NEW.state IN ('open', 'closed') AND NEW.attempts >= 0
               AND NEW.complexity BETWEEN 1 AND 10 AND NEW.cost_estimate >= 0
               AND NEW.solvability BETWEEN 0 AND 1 AND NEW.urgency BETWEEN 0 AND 1))
    EXECUTE FUNCTION raise_check_violation(
        'issues_values_check',
        'number > 0, state open or closed, attempts >= 0, complexity 1-10, cost_estimate >= 0, '
        'solvability and urgency in [0, 1]');

ALTER TABLE token_budget
    DROP CONSTRAINT token_budget_check,
    DROP CONSTRAINT token_budget_claims_check,
    DROP CONSTRAINT token_budget_cost_usd_check,
    DROP CONSTRAINT token_budget_reserved_check,
    DROP CONSTRAINT token_budget_scope_check,
    DROP CONSTRAINT token_budget_seconds_check,
    ADD CONSTRAINT token_budget_valid CHECK (
        scope IN ('total', 'repository', 'language') AND (scope = 'total') = (key = '')
        AND reserved >= 0 AND seconds >= 0 AND cost_usd >= 0 AND claims >= 0);

ALTER TABLE repository_claims
    DROP CONSTRAINT repository_claims_active_check,
    DROP CONSTRAINT repository_claims_week_claims_check,
    ADD CONSTRAINT repository_claims_valid CHECK (active >= 0 AND week_claims >= 0);
