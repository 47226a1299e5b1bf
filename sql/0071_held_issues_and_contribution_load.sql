-- Two lookups that lost or never had an index:
--
-- * The ranking write hashes the issues that are not available (assigned, completed, failed) to
--   mark their rows unclaimable; it found them through issues_assignment_status_idx, which 0070
--   dropped (claims and completions paid for it on every row). A partial index of only those
--   rows serves it, and costs a claim one small entry.
-- * Every claim counts the forge's load per repository (store/claims.py: pushes in flight and
--   pull requests opened in the last hour) from `contributions`, which had no index on status:
--   a sequential scan of every attempt ever made, per claim.
CREATE INDEX issues_held_idx ON issues (repository, number)
    WHERE assignment_status <> 'available';
CREATE INDEX contributions_status_idx ON contributions (status, created_at);
