package neo4j

import (
	"fmt"

	"github.com/infrahub-go/infrahub/projections/graph"
)

// The statements of Dump, PositionAt, RecordedAt, Ancestors and Descendants (the scope
// parameters and the branch rule are those of cypher_read.go).
var (
	// StmtDump reads every live node of the kinds $kinds, sorted by kind then id, with its
	// stored attributes (as StmtReadNodes, plus whether the winning value is on the global
	// branch) and, for each Relationship vertex whose winning IS_RELATED edge on the node is
	// active, the relationship identifier, the direction of the near edge (near_out: node ->
	// Relationship) and of the peer edge (peer_out: Relationship -> peer), the peer and whether
	// the peer is live.
	StmtDump = `MATCH (n:Node)
WHERE n.kind IN $kinds
` + live("n", "n") + `
CALL {
  WITH n
  MATCH (n)-[ha:HAS_ATTRIBUTE]->(a:Attribute)
  WHERE ` + Visible("ha") + `
  WITH DISTINCT a
  CALL {
    WITH a
    MATCH (a)-[e:HAS_VALUE]->(v:AttributeValue)
    WHERE ` + Visible("e") + `
    RETURN v, e.branch AS vb, e.from_pos AS vp
    ` + Latest("e") + `
  }
  OPTIONAL MATCH (a)-[:IS_PROTECTED {branch: vb, from_pos: vp}]->(pr:Boolean)
  OPTIONAL MATCH (a)-[:HAS_SOURCE {branch: vb, from_pos: vp}]->(src:Node)
  OPTIONAL MATCH (a)-[:HAS_OWNER {branch: vb, from_pos: vp}]->(own:Node)
  RETURN collect({name: a.name, json: v.json, is_default: v.is_default, is_protected: coalesce(pr.value, false),
    source: src.uuid, owner: own.uuid, global: vb = '` + GlobalBranch + `'}) AS attrs
}
CALL {
  WITH n
  MATCH (n)-[:IS_RELATED]-(r:Relationship)-[:IS_RELATED]-(p:Node)
  WHERE p <> n
  WITH DISTINCT n, r, p
  CALL {
    WITH n, r
    MATCH (n)-[e:IS_RELATED]-(r)
    WHERE ` + Visible("e") + `
    RETURN e.status AS rel_status, startNode(e) = n AS near_out
    ` + Latest("e") + `
  }
  WITH n, r, p, near_out, rel_status WHERE rel_status = 'active'
  WITH n, r, p, near_out
  CALL {
    WITH p
    OPTIONAL MATCH (p)-[e:IS_PART_OF]->(:Root)
    WHERE ` + Visible("e") + `
    RETURN e.status AS peer_status
    ` + Latest("e") + `
  }
  RETURN collect({name: r.name, near_out: near_out, peer_out: EXISTS { (r)-[:IS_RELATED]->(p) },
    peer: p.uuid, live: coalesce(peer_status = 'active', false)}) AS rels
}
RETURN n.uuid AS id, n.kind AS kind, attrs, rels
ORDER BY kind, id`
)

// StmtAncestors and StmtDescendants read the hierarchy around node $id in one statement: the
// node (no row when it does not exist in scope), then every node reachable from it within
// graph.MaxDepth levels through Relationship vertices named in $rels (the hierarchical
// identifiers), towards the parents (StmtAncestors) or the children (StmtDescendants), whatever
// the branch and time (a quantified path pattern, Neo4j 5.9+: a superset), and for each of
// them (column id) its live parents or children in scope under the branch rule (column peers:
// {rel, peer}, as StmtPeersOut and StmtPeersIn decide). The walk itself (the first live parent
// of each level; the children level by level) is done by the reader over these rows.
var (
	StmtAncestors   = hierarchyWalk("out")
	StmtDescendants = hierarchyWalk("in")
)

func hierarchyWalk(side string) string {
	hop := "(:Node)-[:IS_RELATED]->(hr:Relationship)-[:IS_RELATED]->(:Node)"
	if side == "in" {
		hop = "(:Node)<-[:IS_RELATED]-(hr:Relationship)<-[:IS_RELATED]-(:Node)"
	}
	return fmt.Sprintf(`MATCH (s:Node {uuid: $id})
%[1]s
OPTIONAL MATCH (s) (%[2]s WHERE hr.name IN $rels){1,%[3]d} (x:Node)
WITH s, collect(DISTINCT x) AS xs
UNWIND [s] + xs AS n
WITH DISTINCT s, n
CALL {
  WITH n
  MATCH %[4]s
  WHERE r.name IN $rels AND p <> n
  WITH DISTINCT n, r, p
  CALL {
    WITH n, r
    MATCH (n)-[e:IS_RELATED]-(r)
    WHERE %[5]s
    RETURN e.status AS rel_status
    %[6]s
  }
  WITH n, r, p, rel_status WHERE rel_status = 'active'
  WITH n, r, p
  %[7]s
  RETURN collect({rel: r.name, peer: p.uuid}) AS peers
}
RETURN s.kind AS kind, n.uuid AS id, peers
ORDER BY id`, live("s", "s"), hop, graph.MaxDepth, relPattern(side), Visible("e"), Latest("e"), indent(live("p", "n, r, p")))
}

// MoreStatements are the statements of cypher_more.go, for the golden test.
func MoreStatements() map[string]string {
	return map[string]string{"StmtDump": StmtDump, "StmtPositionAt": StmtPositionAt, "StmtRecordedAt": StmtRecordedAt,
		"StmtAncestors": StmtAncestors, "StmtDescendants": StmtDescendants}
}

// Position vertices: one per folded log position, with the time it was recorded (ISO-8601 UTC
// with microseconds, as the edges' from), written by the batch that folds it (StmtPositions,
// the last statement of a Plan), so that PositionAt and RecordedAt answer from Neo4j. The
// constraint and index run at start with the other schema statements.
const (
	StmtConstraintPosition = `CREATE CONSTRAINT infrahub_position_pos IF NOT EXISTS FOR (n:Position) REQUIRE n.pos IS UNIQUE`
	StmtIndexPositionAt    = `CREATE INDEX infrahub_position_at IF NOT EXISTS FOR (n:Position) ON (n.at)`
	StmtPositions          = `UNWIND $rows AS row
MERGE (p:Position {pos: row.pos})
SET p.at = row.at`
)

// Reads of the Position vertices.
const (
	// StmtPositionAt is the highest position recorded at or before $time (no row: none).
	StmtPositionAt = `MATCH (p:Position)
WHERE p.at <= $time
RETURN p.pos AS position
ORDER BY p.at DESC, p.pos DESC
LIMIT 1`
	// StmtRecordedAt is the time of the last position recorded at or before $pos, and the
	// projector's checkpoint (a position past it is not folded).
	StmtRecordedAt = `OPTIONAL MATCH (c:ProjectionCheckpoint {name: $name})
CALL {
  OPTIONAL MATCH (p:Position)
  WHERE p.pos <= $pos
  RETURN p.at AS at
  ORDER BY p.pos DESC
  LIMIT 1
}
RETURN coalesce(c.position, 0) AS checkpoint, at`
)
