package neo4j

import "fmt"

// IPAMDepth bounds the walk of a prefix tree (nodes.View.NextAvailableAddress's).
const IPAMDepth = 128

// StmtIPAM reads the prefix tree under node $id in one statement (scope parameters as
// cypher_read.go): no row when the node does not exist in scope; else one row for the node and
// for every node reachable from it within IPAMDepth levels through Relationship vertices named
// in $tree, towards the children (a quantified path pattern, whatever the branch and time: a
// superset), each with its kind, its status in scope (status), the JSON text of its attribute
// $prefix_attr in scope (prefix) and its related peers through Relationship vertices named in
// $rels whose near edge is active in scope (peers: {name, side, peer, peer_kind, address}, side
// as endSide, address the JSON text of the peer's attribute $address_attr). A child prefix is
// one of the rows: its own status says whether it is live. The reader
// keeps the children and addresses of the root's schema (IPAMFromRows), so that the namespace
// is the one the prefix tree and its ip_addresses relationships hold.
var StmtIPAM = fmt.Sprintf(`MATCH (s:Node {uuid: $id})
%[1]s
OPTIONAL MATCH (s) ((:Node)<-[:IS_RELATED]-(hr:Relationship)<-[:IS_RELATED]-(:Node) WHERE hr.name IN $tree){1,%[2]d} (x:Node)
WITH s, collect(DISTINCT x) AS xs
UNWIND [s] + xs AS n
WITH DISTINCT n
%[3]s
%[4]s
CALL {
  WITH n
  OPTIONAL MATCH (n)-[:IS_RELATED]-(r:Relationship)-[:IS_RELATED]-(p:Node)
  WHERE r.name IN $rels AND p <> n
  WITH DISTINCT n, r, p
  %[5]s
  WITH n, r, p, rs WHERE rs = 'active'
  %[6]s
  RETURN collect({name: r.name, side: %[7]s, peer: p.uuid, peer_kind: p.kind, address: address}) AS peers
}
RETURN n.uuid AS id, n.kind AS kind, status, prefix, peers
ORDER BY id`, live("s", "s"), IPAMDepth, partStatus("n", "status", Visible("e")), valueIn("n", "prefix_attr", "prefix", Visible("e")),
	indent(relStatus("rs", Visible("e"))), indent(valueIn("p", "address_attr", "address", Visible("e"))), endSide("r"))

// utilPeers is, for a node of the kinds $prefix_kinds (IP prefixes; an empty list for the
// others), its peers through the Relationship vertices named in $util_rels whose near edge is
// active in scope, with the JSON text of each peer's attribute $prefix_attr, as column util
// ({name, side, peer, prefix}): what a prefix's utilization is computed from (Utilization).
var utilPeers = fmt.Sprintf(`CALL {
  WITH n
  OPTIONAL MATCH (n)-[:IS_RELATED]-(r:Relationship)-[:IS_RELATED]-(p:Node)
  WHERE n.kind IN $prefix_kinds AND r.name IN $util_rels AND p <> n
  WITH DISTINCT n, r, p
  %[1]s
  WITH n, r, p, rs WHERE rs = 'active'
  %[2]s
  RETURN collect({name: r.name, side: %[3]s, peer: p.uuid, prefix: pp}) AS util
}`, indent(relStatus("rs", Visible("e"))), indent(valueIn("p", "prefix_attr", "pp", Visible("e"))), endSide("r"))
