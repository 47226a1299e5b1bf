-- A claim moved an issue through two row triggers (sql/0040: the repository's claim counts;
-- sql/0059: the ranking's `available` flag), each a PL/pgSQL call with its own statement. One
-- trigger now does both, so a claim pays for one call.
--
-- Two indexes of `issues` that no reader uses go too: every claim and completion rewrites the
-- issue's row (not HOT: the assignment columns are indexed) and added an entry to each.
-- * issues_repository_idx (repository): the primary key (repository, number) serves the same
--   lookups.
-- * issues_category_idx (category): nothing selects issues by category (the analyst view
--   groups every open issue, a scan either way).
DROP INDEX IF EXISTS issues_repository_idx;
DROP INDEX IF EXISTS issues_category_idx;

DROP TRIGGER issue_rankings_available ON issues;
DROP TRIGGER issues_claim_counts ON issues;
DROP FUNCTION issue_rankings_available();
DROP FUNCTION issues_claim_counts();

CREATE FUNCTION issues_assignment_moved() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    was_assigned  boolean := TG_OP <> 'INSERT' AND OLD.assignment_status = 'assigned';
    is_assigned   boolean := TG_OP <> 'DELETE' AND NEW.assignment_status = 'assigned';
BEGIN
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

CREATE TRIGGER issues_assignment_moved
    AFTER INSERT OR DELETE OR UPDATE OF assignment_status ON issues
    FOR EACH ROW EXECUTE FUNCTION issues_assignment_moved();
