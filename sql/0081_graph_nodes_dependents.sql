-- Each graph node's number of direct dependents (distinct repositories with an edge to it),
-- written with the graph, so discovery's dependents filter reads one column instead of grouping
-- every edge of every ecosystem through the `dependency_edges` view (3·10^7 rows at scale).
ALTER TABLE graph_nodes ADD COLUMN dependents integer NOT NULL DEFAULT 0 CHECK (dependents >= 0);

-- Stored edges are distinct and free of self-loops, so a count of edges is a count of dependents.
UPDATE graph_nodes n SET dependents = c.k
FROM (SELECT b.ecosystem, e.d AS id, count(*) AS k
      FROM graph_edge_blocks b CROSS JOIN LATERAL unnest(b.dst) AS e (d)
      GROUP BY 1, 2) AS c
WHERE n.ecosystem = c.ecosystem AND n.id = c.id;
