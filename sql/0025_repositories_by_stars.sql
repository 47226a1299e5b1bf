-- `repos list` shows the most-starred repositories first, with a limit: this index lets it read
-- only the rows it shows (repositories_stars_idx leads with the language, for one-language lists).
CREATE INDEX repositories_by_stars_idx ON repositories (stars DESC, name);
