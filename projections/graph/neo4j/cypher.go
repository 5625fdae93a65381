package neo4j

// Every Cypher statement the adapter sends is one of these constants; the golden tests hold
// their text (testdata/*.golden). Data statements take one parameter, $rows, a list of maps,
// and work through it with UNWIND: one round trip per statement and batch segment.
//
// Each versioned edge carries Infrahub's properties (shared/spec/infrahub.md §2.2), set from
// the row's "edge" map: branch ("-global-" for branch-agnostic data), branch_level (1 for the
// default and global branches, 2 for the others), from (RecordedAt, ISO-8601 UTC with
// microseconds), from_pos (the log position), status ("active" or "deleted"); closing an edge
// sets to and to_pos.

// Schema statements, run once at start (each in its own transaction: Neo4j does not mix schema
// and data writes).
const (
	StmtConstraintRoot         = `CREATE CONSTRAINT infrahub_root_uuid IF NOT EXISTS FOR (n:Root) REQUIRE n.uuid IS UNIQUE`
	StmtConstraintNode         = `CREATE CONSTRAINT infrahub_node_uuid IF NOT EXISTS FOR (n:Node) REQUIRE n.uuid IS UNIQUE`
	StmtConstraintAttribute    = `CREATE CONSTRAINT infrahub_attribute_uuid IF NOT EXISTS FOR (n:Attribute) REQUIRE n.uuid IS UNIQUE`
	StmtConstraintRelationship = `CREATE CONSTRAINT infrahub_relationship_uuid IF NOT EXISTS FOR (n:Relationship) REQUIRE n.uuid IS UNIQUE`
	StmtConstraintBranch       = `CREATE CONSTRAINT infrahub_branch_name IF NOT EXISTS FOR (n:Branch) REQUIRE n.name IS UNIQUE`
	StmtConstraintCheckpoint   = `CREATE CONSTRAINT infrahub_checkpoint_name IF NOT EXISTS FOR (n:ProjectionCheckpoint) REQUIRE n.name IS UNIQUE`
	StmtIndexNodeKind          = `CREATE INDEX infrahub_node_kind IF NOT EXISTS FOR (n:Node) ON (n.kind)`
	StmtIndexAttributeName     = `CREATE INDEX infrahub_attribute_name IF NOT EXISTS FOR (n:Attribute) ON (n.name)`
	StmtIndexAttributeValue    = `CREATE INDEX infrahub_attribute_value IF NOT EXISTS FOR (n:AttributeValue) ON (n.json, n.is_default)`
	StmtIndexRelationshipName  = `CREATE INDEX infrahub_relationship_name IF NOT EXISTS FOR (n:Relationship) ON (n.name)`
	StmtIndexIsPartOf          = `CREATE INDEX infrahub_is_part_of_branch IF NOT EXISTS FOR ()-[r:IS_PART_OF]-() ON (r.branch, r.from_pos)`
	StmtIndexHasAttribute      = `CREATE INDEX infrahub_has_attribute_branch IF NOT EXISTS FOR ()-[r:HAS_ATTRIBUTE]-() ON (r.branch, r.from_pos)`
	StmtIndexHasValue          = `CREATE INDEX infrahub_has_value_branch IF NOT EXISTS FOR ()-[r:HAS_VALUE]-() ON (r.branch, r.from_pos)`
	StmtIndexIsRelated         = `CREATE INDEX infrahub_is_related_branch IF NOT EXISTS FOR ()-[r:IS_RELATED]-() ON (r.branch, r.from_pos)`
	StmtIndexIsProtected       = `CREATE INDEX infrahub_is_protected_branch IF NOT EXISTS FOR ()-[r:IS_PROTECTED]-() ON (r.branch, r.from_pos)`
	StmtIndexHasSource         = `CREATE INDEX infrahub_has_source_branch IF NOT EXISTS FOR ()-[r:HAS_SOURCE]-() ON (r.branch, r.from_pos)`
	StmtIndexHasOwner          = `CREATE INDEX infrahub_has_owner_branch IF NOT EXISTS FOR ()-[r:HAS_OWNER]-() ON (r.branch, r.from_pos)`
)

// SchemaStatements are the schema statements, in the order Init runs them.
var SchemaStatements = []string{
	StmtConstraintRoot, StmtConstraintNode, StmtConstraintAttribute, StmtConstraintRelationship,
	StmtConstraintBranch, StmtConstraintCheckpoint, StmtIndexNodeKind, StmtIndexAttributeName,
	StmtIndexAttributeValue, StmtIndexRelationshipName, StmtIndexIsPartOf, StmtIndexHasAttribute,
	StmtIndexHasValue, StmtIndexIsRelated, StmtIndexIsProtected, StmtIndexHasSource, StmtIndexHasOwner,
	StmtConstraintPosition, StmtIndexPositionAt, StmtConstraintUnique, StmtIndexHeld,
}

// StmtRoot creates the Root vertex every node hangs off (IS_PART_OF).
const StmtRoot = `MERGE (:Root {uuid: 'root'})`

// Checkpoint statements: the projector's position is a ProjectionCheckpoint vertex written in
// the same transaction as the batch it covers. StmtCheckpointLock also write-locks the vertex,
// so that two projectors writing the same database serialise instead of interleaving.
const (
	StmtCheckpointLock = `MERGE (c:ProjectionCheckpoint {name: $name})
ON CREATE SET c.position = 0, c.version = $version
SET c.locked_at = datetime()
RETURN c.position AS position, c.version AS version`
	StmtCheckpointRead = `OPTIONAL MATCH (c:ProjectionCheckpoint {name: $name})
RETURN coalesce(c.position, 0) AS position, coalesce(c.version, 0) AS version`
	StmtCheckpointSave = `MERGE (c:ProjectionCheckpoint {name: $name})
SET c.position = $position, c.version = $version`
)

// StmtReset deletes every vertex of the projection (and the checkpoints) in batches; it runs in
// an auto-commit transaction, as CALL … IN TRANSACTIONS requires.
const StmtReset = `MATCH (n)
WHERE n:Root OR n:Node OR n:Attribute OR n:AttributeValue OR n:Boolean OR n:Relationship OR n:Branch OR n:ProjectionCheckpoint OR n:Position OR n:UniqueValue
CALL { WITH n DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS`

// Node statements.
const (
	// StmtNodeCreate: the Node vertex (shared by every branch) and its active IS_PART_OF edge.
	StmtNodeCreate = `UNWIND $rows AS row
MATCH (root:Root {uuid: 'root'})
MERGE (n:Node {uuid: row.id})
ON CREATE SET n.kind = row.kind, n.branch_support = row.branch_support, n.created_at = row.at, n.created_by = row.actor
CREATE (n)-[e:IS_PART_OF]->(root)
SET e = row.edge`
	// StmtNodeDelete closes the branch's active IS_PART_OF edge and adds a deleted one (a
	// tombstone that hides the node on that branch, as Infrahub's NodeDeleteQuery).
	StmtNodeDelete = `UNWIND $rows AS row
MATCH (root:Root {uuid: 'root'})
MATCH (n:Node {uuid: row.id})
CALL {
  WITH n, row
  MATCH (n)-[r:IS_PART_OF]->(:Root)
  WHERE r.branch = row.edge.branch AND r.to IS NULL
  SET r.to = row.edge.from, r.to_pos = row.edge.from_pos
}
CREATE (n)-[e:IS_PART_OF]->(root)
SET e = row.edge, e.status = 'deleted'`
	// StmtNodeTouch records the last change of a node made on the default or global branch.
	StmtNodeTouch = `UNWIND $rows AS row
MATCH (n:Node {uuid: row.id})
SET n.updated_at = row.at, n.updated_by = row.actor`
)

// StmtAttributeSet writes one attribute's value and properties on a branch: the Attribute
// vertex (one per node and name) and its HAS_ATTRIBUTE edge on the branch when missing, the
// shared AttributeValue vertex (MERGEd on its JSON encoding and is_default) and Boolean vertex,
// then closes the branch's active HAS_VALUE, IS_PROTECTED, HAS_SOURCE and HAS_OWNER edges of the
// attribute and creates new ones (Infrahub's attribute _update: only same-branch edges close).
const StmtAttributeSet = `UNWIND $rows AS row
MATCH (n:Node {uuid: row.node})
MERGE (a:Attribute {uuid: row.uuid})
ON CREATE SET a.name = row.name, a.branch_support = row.branch_support
MERGE (n)-[ha:HAS_ATTRIBUTE {branch: row.edge.branch}]->(a)
ON CREATE SET ha = row.edge
MERGE (v:AttributeValue {json: row.json, is_default: row.is_default})
ON CREATE SET v.value = row.value
MERGE (p:Boolean {value: row.is_protected})
WITH a, v, p, row
CALL {
  WITH a, row
  MATCH (a)-[r:HAS_VALUE|IS_PROTECTED|HAS_SOURCE|HAS_OWNER]->()
  WHERE r.branch = row.edge.branch AND r.to IS NULL
  SET r.to = row.edge.from, r.to_pos = row.edge.from_pos
}
CREATE (a)-[hv:HAS_VALUE]->(v)
SET hv = row.edge
CREATE (a)-[ip:IS_PROTECTED]->(p)
SET ip = row.edge
WITH a, row
CALL {
  WITH a, row
  OPTIONAL MATCH (s:Node {uuid: row.source})
  OPTIONAL MATCH (o:Node {uuid: row.owner})
  FOREACH (x IN CASE WHEN s IS NULL THEN [] ELSE [s] END | CREATE (a)-[hs:HAS_SOURCE]->(x) SET hs = row.edge)
  FOREACH (x IN CASE WHEN o IS NULL THEN [] ELSE [o] END | CREATE (a)-[ho:HAS_OWNER]->(x) SET ho = row.edge)
}`

// Relationship statements. A relationship instance (one identifier, one pair of nodes) is a
// Relationship vertex linked to both nodes by IS_RELATED edges; the direction encodes the
// schema's: outbound src->rel->dst, bidirectional src->rel<-dst (Infrahub's model).
const (
	StmtRelAddDirected = `UNWIND $rows AS row
MERGE (src:Node {uuid: row.src})
MERGE (dst:Node {uuid: row.dst})
MERGE (r:Relationship {uuid: row.uuid})
ON CREATE SET r.name = row.name, r.branch_support = row.branch_support
CREATE (src)-[e1:IS_RELATED]->(r)
SET e1 = row.edge
CREATE (r)-[e2:IS_RELATED]->(dst)
SET e2 = row.edge`
	StmtRelAddBoth = `UNWIND $rows AS row
MERGE (src:Node {uuid: row.src})
MERGE (dst:Node {uuid: row.dst})
MERGE (r:Relationship {uuid: row.uuid})
ON CREATE SET r.name = row.name, r.branch_support = row.branch_support
CREATE (src)-[e1:IS_RELATED]->(r)
SET e1 = row.edge
CREATE (dst)-[e2:IS_RELATED]->(r)
SET e2 = row.edge`
	// StmtRelRemoveDirected and StmtRelRemoveBoth close the branch's active edges of the
	// relationship and add deleted ones (Infrahub's RelationshipDeleteQuery).
	StmtRelRemoveDirected = `UNWIND $rows AS row
MATCH (src:Node {uuid: row.src}), (dst:Node {uuid: row.dst}), (r:Relationship {uuid: row.uuid})
CALL {
  WITH r, row
  MATCH (r)-[e:IS_RELATED]-(:Node)
  WHERE e.branch = row.edge.branch AND e.to IS NULL
  SET e.to = row.edge.from, e.to_pos = row.edge.from_pos
}
CREATE (src)-[e1:IS_RELATED]->(r)
SET e1 = row.edge, e1.status = 'deleted'
CREATE (r)-[e2:IS_RELATED]->(dst)
SET e2 = row.edge, e2.status = 'deleted'`
	StmtRelRemoveBoth = `UNWIND $rows AS row
MATCH (src:Node {uuid: row.src}), (dst:Node {uuid: row.dst}), (r:Relationship {uuid: row.uuid})
CALL {
  WITH r, row
  MATCH (r)-[e:IS_RELATED]-(:Node)
  WHERE e.branch = row.edge.branch AND e.to IS NULL
  SET e.to = row.edge.from, e.to_pos = row.edge.from_pos
}
CREATE (src)-[e1:IS_RELATED]->(r)
SET e1 = row.edge, e1.status = 'deleted'
CREATE (dst)-[e2:IS_RELATED]->(r)
SET e2 = row.edge, e2.status = 'deleted'`
)

// Branch statements.
const (
	StmtBranchCreate = `UNWIND $rows AS row
MERGE (b:Branch {name: row.name})
SET b.status = 'OPEN', b.description = row.description, b.sync_with_git = row.sync_with_git,
    b.branched_from = row.branched_from, b.created_at = row.at, b.origin_branch = row.origin_branch,
    b.hierarchy_level = 2, b.is_default = false, b.is_global = false`
	StmtBranchRebase = `UNWIND $rows AS row
MATCH (b:Branch {name: row.name})
SET b.branched_from = row.branched_from`
	StmtBranchMerged = `UNWIND $rows AS row
MATCH (b:Branch {name: row.name})
SET b.status = 'MERGED'`
	// StmtBranchDelete removes the branch's edges, then the vertices left without edges that
	// only it used (nodes created on it, their attributes and relationships, unique values), then the Branch
	// vertex (Infrahub's DeleteBranchEdgesQuery).
	StmtBranchDelete = `UNWIND $rows AS row
CALL {
  WITH row
  MATCH ()-[e:IS_PART_OF|HAS_ATTRIBUTE|HAS_VALUE|IS_RELATED|IS_PROTECTED|HAS_SOURCE|HAS_OWNER|HELD]->()
  WHERE e.branch = row.name
  DELETE e
}
CALL {
  MATCH (n)
  WHERE (n:Node OR n:Attribute OR n:Relationship OR n:UniqueValue) AND NOT (n)--()
  DELETE n
}
OPTIONAL MATCH (b:Branch {name: row.name})
DELETE b`
)
