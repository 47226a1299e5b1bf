-- GitHub's GraphQL id of each pull request: marking a draft ready and enabling auto-merge are
-- GraphQL mutations that take it. NULL on the local forge.
ALTER TABLE pr_outcomes ADD COLUMN node_id text;
