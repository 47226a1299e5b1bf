-- Where a contribution's branch was pushed (the base repository or GlobaLLM's fork; the URL
-- carries no credentials), recorded before the push, and when that branch was deleted again.
-- A contribution that failed or was abandoned after its push keeps no branch on the forge: the
-- poll deletes what is recorded here and not yet deleted (services/contribute.py).
ALTER TABLE contributions
    ADD COLUMN push_repository   text,
    ADD COLUMN push_url          text,
    ADD COLUMN push_is_fork      boolean,
    ADD COLUMN branch_deleted_at timestamptz;

CREATE INDEX contributions_branch_cleanup_idx ON contributions (forge)
    WHERE status = 'failed' AND push_repository IS NOT NULL AND branch_deleted_at IS NULL;
