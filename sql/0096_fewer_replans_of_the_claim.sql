-- Every automatic VACUUM or ANALYZE of a table rewrites its pg_class row, and that invalidates
-- every cached plan that reads the table in every backend: each agent's next claim is parsed,
-- analysed and planned again (~3 ms on a quiet server, more in a storm), and so are the
-- assignment trigger's statements. The claim reads issue_rankings, issues, repository_claims
-- and token_budget, which claims and completions change on every call, so autovacuum visited
-- them all the time: in a 20 s storm of 100 agents (10⁵ issues) repository_claims was vacuumed
-- 5 times and analysed 5–6, token_budget 5 and 5–6, issue_rankings 2–4 and 1–2, issues
-- analysed twice — ~25 invalidations, each costing ~100 backends a replan. With the settings
-- below one vacuum of issue_rankings remained; the storm's server CPU per claim + completion
-- was 0.81–0.97 of the same storm's beside it (three pairs, alternating), and planning had
-- been ~10 % of the server's samples (perf).
--
-- * repository_claims, token_budget: counters updated in place (HOT); page pruning keeps them
--   compact without a vacuum, and their statistics do not change what a claim does. Vacuumed
--   and analysed after 100,000 changed rows (a busy fleet's week) instead of every few seconds.
-- * issues: claims and completions rewrite rows in place (sql/0092); analysed after half the
--   table changed rather than a tenth (a bulk fetch still crosses that), vacuumed after a full
--   table's worth of dead rows.
-- * issue_rankings: a claim leaves a dead entry in the claimable index (sql/0095), so this one
--   is still vacuumed on a fixed count — 10,000 rather than 2,000: the walk's extra pages up to
--   10,000 dead entries (~35 index pages) cost less than the replans five times as many
--   vacuums caused. Analysed after half the table changed (a ranking write rewrites all of it).
ALTER TABLE repository_claims SET (autovacuum_vacuum_scale_factor = 0,
                                   autovacuum_vacuum_threshold = 100000,
                                   autovacuum_analyze_scale_factor = 0,
                                   autovacuum_analyze_threshold = 100000);
ALTER TABLE token_budget SET (autovacuum_vacuum_scale_factor = 0,
                              autovacuum_vacuum_threshold = 100000,
                              autovacuum_analyze_scale_factor = 0,
                              autovacuum_analyze_threshold = 100000);
ALTER TABLE issues SET (autovacuum_vacuum_scale_factor = 1,
                        autovacuum_analyze_scale_factor = 0.5);
ALTER TABLE issue_rankings SET (autovacuum_vacuum_threshold = 10000,
                                autovacuum_analyze_scale_factor = 0.5);
