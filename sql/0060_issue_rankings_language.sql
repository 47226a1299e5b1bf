-- Each ranked row carries the language of the partition that wrote it, with an index, so a
-- language's ranking write reads and compares only its own rows.
--
-- The language lives on `repositories`: finding a partition's stored rows meant joining every
-- row of `issue_rankings` with `repositories` and hashing the whole table three times (removed,
-- changed, new), once per language partition. The tag is the language the row was last ranked
-- under; a repository that changes language has its rows removed by the old language's
-- partition and written by the new one's (whichever runs first, the end state is the same).
-- NULL only for rows whose repository is gone (a ranking of every language removes them).

ALTER TABLE issue_rankings ADD COLUMN language text;

UPDATE issue_rankings k SET language = r.language
FROM repositories r WHERE r.name = k.repository;

CREATE INDEX issue_rankings_language_idx ON issue_rankings (language);

-- Rows written without a language (by hand, by seeding code) take their repository's, so the
-- language's partition finds them. The ranking's own writes always name it: no call per row.
CREATE FUNCTION issue_rankings_language() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT r.language INTO NEW.language FROM repositories r WHERE r.name = NEW.repository;
    RETURN NEW;
END $$;

CREATE TRIGGER issue_rankings_language
    BEFORE INSERT ON issue_rankings
    FOR EACH ROW WHEN (NEW.language IS NULL)
    EXECUTE FUNCTION issue_rankings_language();
