-- The dependency graph as arrays: node ids per ecosystem and edges as int4[] blocks, so a graph of
-- 3·10^7 edges moves between PostgreSQL and numpy in a few large values instead of one row (and
-- one Python object) per edge. `dependency_edges` stays, as a view with its old columns.

-- One row per distinct repository name (GitHub names ignore case) seen in an ecosystem's graph;
-- ids are dense from 0 in each ecosystem, so they index numpy arrays directly.
CREATE TABLE graph_nodes (
    ecosystem text    NOT NULL,
    id        integer NOT NULL CHECK (id >= 0),
    name      text    NOT NULL,
    PRIMARY KEY (ecosystem, id)
);
CREATE UNIQUE INDEX graph_nodes_name_idx ON graph_nodes (ecosystem, lower(name));

-- Edges `src` (the dependent) → `dst` (the dependency), graph_nodes ids, up to a million a block.
CREATE TABLE graph_edge_blocks (
    ecosystem text    NOT NULL,
    block     integer NOT NULL CHECK (block >= 0),
    src       integer[] NOT NULL,
    dst       integer[] NOT NULL,
    PRIMARY KEY (ecosystem, block),
    CHECK (cardinality(src) = cardinality(dst))
);
-- Node ids do not compress; skipping pglz saves the CPU both ways.
ALTER TABLE graph_edge_blocks ALTER COLUMN src SET STORAGE EXTERNAL;
ALTER TABLE graph_edge_blocks ALTER COLUMN dst SET STORAGE EXTERNAL;

-- One row per stored graph: its version moves whenever its edges change, so a scorer can tell
-- that nothing did; `fingerprint` is what impact was last computed from (graph version, the
-- ecosystem's repositories with stars and forks, weights), so a second language partition of
-- the same ecosystem (JavaScript and TypeScript share npm) does not score it again.
CREATE TABLE graph_versions (
    ecosystem          text PRIMARY KEY,
    version            bigint  NOT NULL DEFAULT 1,
    nodes              integer NOT NULL DEFAULT 0,
    edges              bigint  NOT NULL DEFAULT 0,
    built_at           timestamptz NOT NULL DEFAULT now(),
    impact_fingerprint text,
    impact_at          timestamptz
);

-- Carry over the stored edges.
INSERT INTO graph_nodes (ecosystem, id, name)
SELECT ecosystem, (row_number() OVER (PARTITION BY ecosystem ORDER BY key) - 1)::integer, name
FROM (
    SELECT DISTINCT ON (ecosystem, lower(name)) ecosystem, lower(name) AS key, name
    FROM (SELECT ecosystem, dependent AS name FROM dependency_edges
          UNION ALL
          SELECT ecosystem, dependency FROM dependency_edges) AS ends
    ORDER BY ecosystem, lower(name), name
) AS distinct_names;

INSERT INTO graph_edge_blocks (ecosystem, block, src, dst)
SELECT e.ecosystem, 0, array_agg(s.id ORDER BY d.id, s.id), array_agg(d.id ORDER BY d.id, s.id)
FROM dependency_edges e
JOIN graph_nodes s ON s.ecosystem = e.ecosystem AND lower(s.name) = lower(e.dependent)
JOIN graph_nodes d ON d.ecosystem = e.ecosystem AND lower(d.name) = lower(e.dependency)
GROUP BY e.ecosystem;

INSERT INTO graph_versions (ecosystem, nodes, edges)
SELECT b.ecosystem, (SELECT count(*) FROM graph_nodes n WHERE n.ecosystem = b.ecosystem),
       sum(cardinality(b.src))
FROM graph_edge_blocks b
GROUP BY b.ecosystem;

DROP TABLE dependency_edges;

-- What analysts queried before, unchanged: `dependent` depends on `dependency`.
CREATE VIEW dependency_edges AS
SELECT b.ecosystem, s.name AS dependent, d.name AS dependency
FROM graph_edge_blocks b
CROSS JOIN LATERAL unnest(b.src, b.dst) AS e (src, dst)
JOIN graph_nodes s ON s.ecosystem = b.ecosystem AND s.id = e.src
JOIN graph_nodes d ON d.ecosystem = b.ecosystem AND d.id = e.dst;
