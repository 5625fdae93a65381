package neo4j

import "fmt"

// The statements of Diff. A diff reads three sides of every slot the branch wrote: the branch's
// head (Visible: the branch rule of cypher_read.go with $base_at the branch's base), the default
// branch at the base (OnMain with $base_at) and the default branch's head (OnMain with $at).
// Global data never makes a diff: a slot is found through the branch's own edges.

// OnMain is the visibility predicate of edge variable e on the default branch up to position
// parameter $<at>.
func OnMain(e, at string) string {
	return fmt.Sprintf("(%[1]s.branch IN [$base, '%[2]s'] AND %[1]s.from_pos <= $%[3]s)", e, GlobalBranch, at)
}

// partStatus is the status of the winning IS_PART_OF edge of node variable n under pred, as
// column col (null: none).
func partStatus(n, col, pred string) string {
	return fmt.Sprintf(`CALL {
  WITH %[4]s
  OPTIONAL MATCH (%[4]s)-[e:IS_PART_OF]->(:Root)
  WHERE %[2]s
  RETURN e.status AS %[1]s
  %[3]s
}`, col, pred, Latest("e"), n)
}

// attrSide is the winning value of attribute a under pred, with the lineage written with it, as
// column col: a map {json, is_default, is_protected, source, owner}, null when never set.
func attrSide(col, pred string) string {
	return fmt.Sprintf(`CALL {
  WITH a
  OPTIONAL MATCH (a)-[e:HAS_VALUE]->(v:AttributeValue)
  WHERE %[2]s
  WITH a, e, v
  %[3]s
  OPTIONAL MATCH (a)-[:IS_PROTECTED {branch: e.branch, from_pos: e.from_pos}]->(pr:Boolean)
  OPTIONAL MATCH (a)-[:HAS_SOURCE {branch: e.branch, from_pos: e.from_pos}]->(src:Node)
  OPTIONAL MATCH (a)-[:HAS_OWNER {branch: e.branch, from_pos: e.from_pos}]->(own:Node)
  RETURN CASE WHEN e IS NULL THEN null ELSE {json: v.json, is_default: v.is_default,
    is_protected: coalesce(pr.value, false), source: src.uuid, owner: own.uuid} END AS %[1]s
}`, col, pred, Latest("e"))
}

// relStatus is the status of the winning IS_RELATED edge between node n and Relationship r
// under pred, as column col (null: none).
func relStatus(col, pred string) string {
	return fmt.Sprintf(`CALL {
  WITH n, r
  OPTIONAL MATCH (n)-[e:IS_RELATED]-(r)
  WHERE %[2]s
  RETURN e.status AS %[1]s
  %[3]s
}`, col, pred, Latest("e"))
}

// holder is the holder of unique value c under pred (the winning HELD edge's, null when it is
// a release or there is none), as column col.
func holder(col, pred string) string {
	return fmt.Sprintf(`CALL {
  WITH c
  OPTIONAL MATCH (c)-[e:HELD]->(:Root)
  WHERE %[2]s
  RETURN CASE WHEN e.status = 'active' THEN e.holder ELSE null END AS %[1]s
  %[3]s
}`, col, pred, Latest("e"))
}

// endSide is the side of node n's end of Relationship vertex r: 'in' (r points to n), 'out' (n
// points to r, r to the peer) or 'both' (both point to r), as DumpedNodeFromRow decides.
func endSide(r string) string {
	return fmt.Sprintf("CASE WHEN NOT EXISTS { (n)-[:IS_RELATED]->(%[1]s) } THEN 'in' WHEN EXISTS { (%[1]s)-[:IS_RELATED]->(:Node) } THEN 'out' ELSE 'both' END", r)
}

// valueIn is the JSON text of the winning value of attribute $<param> of node variable n under
// pred, as column col (null: never set).
func valueIn(n, param, col, pred string) string {
	return fmt.Sprintf(`CALL {
  WITH %[5]s
  OPTIONAL MATCH (%[5]s)-[:HAS_ATTRIBUTE]->(a:Attribute {name: $%[1]s})-[e:HAS_VALUE]->(v:AttributeValue)
  WHERE %[3]s
  RETURN v.json AS %[2]s
  %[4]s
}`, param, col, pred, Latest("e"), n)
}

// Diff statements.
var (
	// StmtDiffBranch reads the branch $name (no row: unknown), the projector's checkpoint $name
	// and the times of the base and of the checkpoint (the last Position at or before each).
	StmtDiffBranch = `MATCH (b:Branch {name: $name})
OPTIONAL MATCH (c:ProjectionCheckpoint {name: $checkpoint})
WITH b, coalesce(c.position, 0) AS head
CALL {
  WITH b
  OPTIONAL MATCH (p:Position)
  WHERE p.pos <= b.branched_from
  RETURN p.at AS from_time
  ORDER BY p.pos DESC
  LIMIT 1
}
CALL {
  WITH head
  OPTIONAL MATCH (p:Position)
  WHERE p.pos <= head
  RETURN p.at AS to_time
  ORDER BY p.pos DESC
  LIMIT 1
}
RETURN b.branched_from AS branched_from, head, from_time, to_time`

	// StmtDiffChanges reads every slot the branch $branch wrote, each with its three sides
	// (columns b: the branch's head, base: the default branch at the base, main: the default
	// branch's head), one row per:
	//   - node whose existence the branch wrote (what 'node'; sides: IS_PART_OF statuses);
	//   - attribute the branch wrote, but the human-friendly id and display label (what
	//     'attribute', name; sides: attrSide maps);
	//   - Relationship vertex of a relationship end the branch wrote (what 'relationship', name,
	//     side, peer; sides: IS_RELATED statuses of the near edge): every Relationship vertex of
	//     that end, so that the three peer sets are whole;
	//   - unique value the branch claimed or released (what 'unique', kind, name: the
	//     constraint, peer: the key; sides: the holder's id, null when none).
	StmtDiffChanges = `MATCH (n:Node)-[x:IS_PART_OF]->(:Root)
WHERE x.branch = $branch
WITH DISTINCT n
` + partStatus("n", "b", Visible("e")) + `
` + partStatus("n", "base", OnMain("e", "base_at")) + `
` + partStatus("n", "main", OnMain("e", "at")) + `
RETURN 'node' AS what, n.uuid AS id, n.kind AS kind, null AS name, null AS side, null AS peer, b, base, main
UNION ALL
MATCH (n:Node)-[:HAS_ATTRIBUTE]->(a:Attribute)-[x:HAS_VALUE]->(:AttributeValue)
WHERE x.branch = $branch AND NOT a.name IN ['` + HFIDAttribute + `', '` + LabelAttribute + `']
WITH DISTINCT n, a
` + attrSide("b", Visible("e")) + `
` + attrSide("base", OnMain("e", "base_at")) + `
` + attrSide("main", OnMain("e", "at")) + `
RETURN 'attribute' AS what, n.uuid AS id, n.kind AS kind, a.name AS name, null AS side, null AS peer, b, base, main
UNION ALL
MATCH (n:Node)-[x:IS_RELATED]-(r0:Relationship)
WHERE x.branch = $branch
WITH DISTINCT n, r0.name AS name, ` + endSide("r0") + ` AS side
MATCH (n)-[:IS_RELATED]-(r:Relationship {name: name})-[:IS_RELATED]-(p:Node)
WHERE p <> n AND ` + endSide("r") + ` = side
WITH DISTINCT n, name, side, r, p
` + relStatus("b", Visible("e")) + `
` + relStatus("base", OnMain("e", "base_at")) + `
` + relStatus("main", OnMain("e", "at")) + `
RETURN 'relationship' AS what, n.uuid AS id, n.kind AS kind, name, side, p.uuid AS peer, b, base, main
UNION ALL
MATCH (c:UniqueValue)-[x:HELD]->(:Root)
WHERE x.branch = $branch
WITH DISTINCT c
` + holder("b", Visible("e")) + `
` + holder("base", OnMain("e", "base_at")) + `
` + holder("main", OnMain("e", "at")) + `
RETURN 'unique' AS what, c.uuid AS id, c.kind AS kind, c.constraint AS name, null AS side, c.key AS peer, b, base, main`

	// StmtDiffNodes reads what the diff shows of the nodes $ids (the changed nodes and the peers
	// added or removed): the kind; the existence and display label on the branch's head and the
	// default branch's head; the active peers through the relationships $parents (the Parent
	// relationships' identifiers) in both scopes; whether the default branch wrote the node's
	// attributes or relationships after the base, or touched it after $from_time (main_changed);
	// the time of the branch's last write of the node's existence or attributes (changed_at),
	// and the node's last update on the default branch (updated_at, else created_at).
	StmtDiffNodes = `UNWIND $ids AS id
MATCH (n:Node {uuid: id})
` + partStatus("n", "b", Visible("e")) + `
` + partStatus("n", "main", OnMain("e", "at")) + `
` + valueIn("n", "label", "b_label", Visible("e")) + `
` + valueIn("n", "label", "main_label", OnMain("e", "at")) + `
CALL {
  WITH n
  OPTIONAL MATCH (n)-[:IS_RELATED]-(r:Relationship)-[:IS_RELATED]-(p:Node)
  WHERE r.name IN $parents AND p <> n
  WITH DISTINCT n, r, p
  ` + indent(relStatus("pb", Visible("e"))) + `
  ` + indent(relStatus("pm", OnMain("e", "at"))) + `
  RETURN collect(CASE WHEN r IS NULL THEN null ELSE {name: r.name, side: ` + endSide("r") + `, peer: p.uuid,
    peer_kind: p.kind, branch: pb = 'active', main: pm = 'active'} END) AS parents
}
CALL {
  WITH n
  OPTIONAL MATCH (n)-[:HAS_ATTRIBUTE]->(:Attribute)-[e:HAS_VALUE]->()
  WHERE e.branch = $branch
  RETURN max(e.from) AS attr_at
}
CALL {
  WITH n
  OPTIONAL MATCH (n)-[e:IS_PART_OF]->(:Root)
  WHERE e.branch = $branch
  RETURN max(e.from) AS part_at
}
RETURN id, n.kind AS kind, b, main, b_label, main_label, parents,
  EXISTS { MATCH (n)-[:HAS_ATTRIBUTE]->(:Attribute)-[e:HAS_VALUE]->() WHERE e.branch = $base AND e.from_pos > $base_at }
    OR EXISTS { MATCH (n)-[e:IS_RELATED]-(:Relationship) WHERE e.branch = $base AND e.from_pos > $base_at }
    OR coalesce(n.updated_at > $from_time, false) AS main_changed,
  CASE WHEN attr_at IS NULL OR part_at > attr_at THEN part_at ELSE attr_at END AS changed_at, coalesce(n.updated_at, n.created_at) AS updated_at
ORDER BY id`
)

// DiffStatements are the statements of cypher_diff.go and cypher_ipam.go, for the golden test.
func DiffStatements() map[string]string {
	return map[string]string{"StmtDiffBranch": StmtDiffBranch, "StmtDiffChanges": StmtDiffChanges,
		"StmtDiffNodes": StmtDiffNodes, "StmtIPAM": StmtIPAM}
}
