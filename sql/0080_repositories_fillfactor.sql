-- Half of each repositories page stays free, so rewriting a repository's scores (impact and
-- health for a whole ecosystem, verdicts) puts the new row version on the same page: a HOT
-- update, which none of the table's eight indexes (one a GIN on `data`) has to follow. With full
-- pages every rewritten row was inserted into all eight (about 60 % of the impact write-back's
-- server CPU at 10^5 repositories). Existing pages thin out as their rows are next rewritten.
ALTER TABLE repositories SET (fillfactor = 50);
