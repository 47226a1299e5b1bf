-- The claim looks up the forge's load (open pull requests, pushes in flight, contributions in the
-- last hour) for the one repository it is checking, instead of aggregating the whole fleet's
-- load on every claim (store/claims.py): a claim's cost no longer grows with the number of
-- pull requests open across all repositories. Repository names are compared case-blind, as the
-- forge's own caps compare them (store/forge.py).
CREATE INDEX pr_outcomes_open_repository_idx ON pr_outcomes (lower(repository))
    WHERE state = 'open';
CREATE INDEX contributions_load_idx ON contributions (lower(repository), created_at)
    WHERE status IN ('reserved', 'pushed', 'opened');
