-- Which world a database holds. GlobaLLM keeps the real world (GitHub and the registries) and
-- the simulated one in separate databases (`globallm` / `globallm_demo`); this one row says which
-- one a database holds, and for a simulated world its seed and size (store/world.py).
CREATE TABLE world (
    singleton          boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    kind               text NOT NULL CHECK (kind IN ('github', 'simulated')),
    seed               integer,
    repos_per_language integer,
    created_at         timestamptz NOT NULL DEFAULT now(),
    CHECK ((kind = 'simulated') = (seed IS NOT NULL AND repos_per_language IS NOT NULL))
);

-- Before this migration demos and real runs shared one database. Simulated repositories (and
-- their issues, scores, edges and packages) leave it: the simulated world now has its own
-- database and is rebuilt there by the next demo. A new database has nothing to delete.
DELETE FROM dependency_edges e
    USING repositories r
    WHERE r.source = 'simulated' AND (e.dependent = r.name OR e.dependency = r.name);
DELETE FROM packages p
    USING repositories r
    WHERE r.source = 'simulated' AND p.repository = r.name;
DELETE FROM repositories WHERE source = 'simulated';
