-- A claim walks issue_rankings_claimable_idx (WHERE available) from the top. Claiming a ranking
-- sets available = false: its entry stays in the index, dead, until a vacuum removes it, and
-- every later claim steps over it (nothing is inserted there, so no page split prunes it). The
-- fleet claims from the top, so the dead entries pile up exactly where every walk starts:
-- measured on one connection over 10⁵ rankings, 14 index pages read per claim + completion at
-- first, 202 after 35,000 claims (server CPU per pair 0.78 → 1.04 ms), 27 again once autovacuum
-- ran at its default threshold — 20 % of the table, so the pile grows with the table's size.
-- This table is vacuumed after a fixed 2,000 changed rows instead (the embedded server also
-- looks every 5 s rather than every minute); the same run then stayed at 12–19 pages.
ALTER TABLE issue_rankings SET (autovacuum_vacuum_scale_factor = 0,
                                autovacuum_vacuum_threshold = 2000);
