-- Claims and completions rewrite an issue's row twice; every index of `issues` takes a new entry
-- each time (the assignment columns are indexed, so the updates cannot be HOT). Two of those
-- indexes serve no reader:
--
-- * `issues_data_gin` (jsonb_path_ops on the stored issue): nothing queries `issues.data` with a
--   containment operator. Each row version put ~4 entries in its pending list under an exclusive
--   lock on the GIN metapage — one lock every agent's claim and completion queued on.
-- * `issues_assignment_status_idx`: status counts scan the table anyway, and live claims are found
--   through `issues_heartbeat_idx` (partial: assigned rows only). The completion was planned on
--   it, walking every `assigned` entry (dead ones included) instead of the primary key. Failed
--   issues, the one rare state a reader looks up by itself (newest failures first), get a
--   partial index.
DROP INDEX IF EXISTS issues_data_gin;
DROP INDEX IF EXISTS issues_assignment_status_idx;
CREATE INDEX issues_failed_idx ON issues (finished_at DESC NULLS LAST)
    WHERE assignment_status = 'failed';
