package neo4j

import (
	"fmt"
	"strings"
)

// The read side's statements. Every read runs with the scope parameters:
//
//	$branch   the branch read ("main" for the default branch)
//	$base     the default branch ("main")
//	$at       the log position read at (the head: the largest int64)
//	$base_at  the default branch's position the branch sees: min($at, branched_from)
//
// An edge is visible when it was written on the branch or on the global branch up to $at, or on
// the default branch up to $base_at (Visible). Of the visible edges of one slot (a node's
// IS_PART_OF, an attribute's HAS_VALUE, a node's IS_RELATED to a Relationship vertex) the
// branch's own win, then the latest: the highest branch_level, then the highest from_pos
// (Latest, Infrahub's order). Before a rebase both orders agree (a branch's edges come after
// its base); after one, the branch's edges still beat the default branch's edges up to the new
// base, as the memory adapter's overlay does. A node exists when
// its winning IS_PART_OF edge is active; a relationship holds when its winning IS_RELATED edge
// on the near node is active and the peer exists.
//
// The statements are built once from these fragments (package variables, never changed) or,
// for List, by ListStatement from a parsed query; the golden tests hold their text.

// Visible is the visibility predicate of edge variable e in a scope.
func Visible(e string) string {
	return fmt.Sprintf("((%[1]s.branch IN [$branch, '%[2]s'] AND %[1]s.from_pos <= $at) OR (%[1]s.branch = $base AND %[1]s.from_pos <= $base_at))", e, GlobalBranch)
}

// Latest orders the visible edges e of one slot, the branch's first, then latest first, and
// keeps the winner.
func Latest(e string) string {
	return fmt.Sprintf("ORDER BY %[1]s.branch_level DESC, %[1]s.from_pos DESC\n  LIMIT 1", e)
}

// live keeps the rows whose node variable n exists in scope (vars: the variables to keep).
func live(n, vars string) string {
	return fmt.Sprintf(`CALL {
  WITH %[1]s
  MATCH (%[1]s)-[e:IS_PART_OF]->(:Root)
  WHERE %[3]s
  RETURN e.status AS %[1]s_status
  %[4]s
}
WITH %[2]s, %[1]s_status WHERE %[1]s_status = 'active'
WITH %[2]s`, n, vars, Visible("e"), Latest("e"))
}

// attrValue reads the winning value of attribute $<param> of node n as columns <col>_json and
// <col>_value (null when never set).
func attrValue(n, param, col string) string {
	return fmt.Sprintf(`CALL {
  WITH %[1]s
  OPTIONAL MATCH (%[1]s)-[ha:HAS_ATTRIBUTE]->(a:Attribute {name: $%[2]s})
  WHERE %[4]s
  OPTIONAL MATCH (a)-[e:HAS_VALUE]->(v:AttributeValue)
  WHERE %[5]s
  RETURN v.json AS %[3]s_json, v.value AS %[3]s_value
  %[6]s
}`, n, param, col, Visible("ha"), Visible("e"), Latest("e"))
}

// relPattern is the pattern from near node n through Relationship vertex r to peer p, by the
// side of the relationship end (nodes.SideOut, SideIn, SideBoth).
func relPattern(side string) string {
	switch side {
	case "out":
		return "(n)-[:IS_RELATED]->(r:Relationship)-[:IS_RELATED]->(p:Node)"
	case "in":
		return "(p:Node)-[:IS_RELATED]->(r:Relationship)-[:IS_RELATED]->(n)"
	}
	return "(n)-[:IS_RELATED]->(r:Relationship)<-[:IS_RELATED]-(p:Node)"
}

// livePeers matches the live peers p of n through relationship $<param> (keeping vars).
func livePeers(side, param, vars string) string {
	return fmt.Sprintf(`MATCH %[1]s
WHERE r.name = $%[2]s AND p <> n
WITH DISTINCT %[3]s, r, p
CALL {
  WITH n, r
  MATCH (n)-[e:IS_RELATED]-(r)
  WHERE %[4]s
  RETURN e.status AS rel_status
  %[5]s
}
WITH %[3]s, p, rel_status WHERE rel_status = 'active'
WITH %[3]s, p
%[6]s`, relPattern(side), param, vars, Visible("e"), Latest("e"), live("p", vars+", p"))
}

// Read statements.
var (
	// StmtReadBranch reads the base position of a branch other than the default one.
	StmtReadBranch = `MATCH (b:Branch {name: $name})
RETURN b.branched_from AS branched_from`

	// StmtReadNodes reads the live nodes among $ids with their visible attributes: for each,
	// the winning HAS_VALUE and the IS_PROTECTED, HAS_SOURCE and HAS_OWNER edges written with it;
	// and, for an IP prefix, what its utilization is computed from (utilPeers).
	StmtReadNodes = `UNWIND $ids AS id
MATCH (n:Node {uuid: id})
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
    source: src.uuid, source_kind: src.kind, owner: own.uuid}) AS attrs
}
` + utilPeers + `
RETURN n.uuid AS id, n.kind AS kind, n.created_at AS created_at, n.created_by AS created_by,
  n.updated_at AS updated_at, n.updated_by AS updated_by, attrs, util
ORDER BY id`

	// StmtPeersOut, StmtPeersIn and StmtPeersBoth read the live peers of the nodes $ids through
	// relationship identifier $rel, by the side of the end read.
	StmtPeersOut  = peers("out")
	StmtPeersIn   = peers("in")
	StmtPeersBoth = peers("both")
)

func peers(side string) string {
	return `UNWIND $ids AS id
MATCH (n:Node {uuid: id})
` + livePeers(side, "rel", "id, n") + `
RETURN id, p.uuid AS peer, p.kind AS peer_kind
ORDER BY id, peer`
}

// ReadStatements are the read side's named statements, for the golden test.
func ReadStatements() map[string]string {
	return map[string]string{"StmtReadBranch": StmtReadBranch, "StmtReadNodes": StmtReadNodes,
		"StmtPeersOut": StmtPeersOut, "StmtPeersIn": StmtPeersIn, "StmtPeersBoth": StmtPeersBoth}
}

// indent indents every line of s but the first by two spaces.
func indent(s string) string { return strings.ReplaceAll(s, "\n", "\n  ") }
