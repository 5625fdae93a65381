package neo4j

// Unique values (the claims of uniqueness constraints, such as a human-friendly id): one
// UniqueValue vertex per kind, constraint and key (uuid "<kind>|<constraint>|<key>"), its
// holder the winning HELD edge to the Root (the branch rule of cypher_read.go): an active edge
// names the holding node in its holder property, a deleted one records a release. Diff reads
// them to report the conflicts on unique values (branch/graph's unique diffs).
const (
	StmtConstraintUnique = `CREATE CONSTRAINT infrahub_unique_uuid IF NOT EXISTS FOR (n:UniqueValue) REQUIRE n.uuid IS UNIQUE`
	StmtIndexHeld        = `CREATE INDEX infrahub_held_branch IF NOT EXISTS FOR ()-[r:HELD]-() ON (r.branch, r.from_pos)`
	// StmtUniqueSet closes the branch's active HELD edge of the value and adds one: active with
	// the holder for a claim, deleted without one for a release.
	StmtUniqueSet = `UNWIND $rows AS row
MATCH (root:Root {uuid: 'root'})
MERGE (c:UniqueValue {uuid: row.uuid})
ON CREATE SET c.kind = row.kind, c.constraint = row.constraint, c.key = row.key
WITH root, c, row
CALL {
  WITH c, row
  MATCH (c)-[r:HELD]->(:Root)
  WHERE r.branch = row.edge.branch AND r.to IS NULL
  SET r.to = row.edge.from, r.to_pos = row.edge.from_pos
}
CREATE (c)-[e:HELD]->(root)
SET e = row.edge, e.holder = row.holder`
)

// claim queues a claim (holder set) or a release (holder empty) of a unique value.
func (p *planner) claim(c evctx, kind, constraint, key, holder string, global bool) {
	edge := c.edge(global)
	if holder == "" {
		edge["status"] = "deleted"
	}
	uuid := kind + "|" + constraint + "|" + key
	p.add(StmtUniqueSet, "unique:"+uuid+"@"+edge["branch"].(string), map[string]any{"uuid": uuid, "kind": kind,
		"constraint": constraint, "key": key, "holder": nullable(holder), "edge": edge})
}
