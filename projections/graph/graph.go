// Package graph is the read port of the graph projection: what the query layer (GraphQL, REST)
// asks of the graph projection. Port gathers the small interfaces a consumer picks from:
//
//   - Reader: nodes of a branch at a log position, their peers, ancestors and descendants, and
//     the position current at a time;
//   - Differ: a branch's diff (branch.Diff);
//   - Dumper: every node of a branch, for backups and comparisons;
//   - IPAM: the next free address or prefix under an IP prefix (a prefix's utilization is its
//     "utilization" attribute, computed when read);
//   - Waiter: waiting until the projection has folded a log position (read-your-writes).
//
// projections/graph/memory answers from the embedded nodes.Store. Every adapter must pass the
// contract suite projections/graph/graphtest.
//
// Names follow Infrahub: filters are "<attr>__value", "<rel>__<attr>__values", "any__value"…
// (see ParseFilters), orders are the schema's order_by paths (see ResolveOrder).
package graph

import (
	"context"
	"fmt"
	"time"

	"github.com/infrahub-go/infrahub/branch"
	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/fault"
)

// Errors of the port. Adapters wrap them with details.
var (
	// ErrNotFound: the node does not exist on the branch at the position.
	ErrNotFound = fault.New(fault.ErrNotFound, "node not found")
	// ErrInvalidQuery: an unknown kind, relationship, filter or order path, or a value of the
	// wrong type. The message names the culprit.
	ErrInvalidQuery = fault.New(fault.ErrInvalid, "invalid query")
	// ErrBranchNotFound: the branch does not exist (branch.ErrNotFound, as in every layer).
	ErrBranchNotFound = branch.ErrNotFound
)

// MaxDepth bounds the walks of Ancestors and Descendants (Infrahub allows at most 20 levels).
const MaxDepth = 20

// Scope is what a read sees: one branch at one log position.
type Scope struct {
	Branch string          // "" is the default branch
	At     events.Position // log position; 0 is the head; a negative one is an ErrInvalidQuery
	// Time, read when At is 0 and Time is not zero, is the moment to read at: the scope is at
	// the position current then (PositionAt). Before the first write nothing exists: Get finds
	// nothing, List and Dump are empty (a Dump at position 0).
	Time time.Time
}

// Attribute is one attribute of a node with its properties.
type Attribute struct {
	Value       any // as encoding/json decodes it: string, float64, bool, nil, []any, map[string]any
	IsDefault   bool
	Source      string // node id
	Owner       string // node id
	IsProtected bool
	// IsFromProfile is true when the value came from one of the node's profiles (Source is it).
	IsFromProfile bool
}

// Node is one node as read. Relationships are read with Peers, in one call for many nodes.
type Node struct {
	ID           string
	Kind         string // the node's own kind, also when listed through a generic
	HFID         []string
	DisplayLabel string
	// Attributes holds every attribute of the kind's schema (an attribute never set reads as
	// {Value: nil, IsDefault: true}). The "utilization" attribute of an IP prefix (a kind
	// inheriting BuiltinIPPrefix) is computed when read: the percentage of its space its child
	// prefixes use (member_type prefix), else of its usable hosts its addresses use.
	Attributes           map[string]Attribute
	CreatedAt, UpdatedAt time.Time
	CreatedBy, UpdatedBy string
}

// Text is an attribute's value as text: a string as it is, another value as Go prints it, ""
// when the attribute is unset or absent.
func (n Node) Text(attr string) string {
	switch v := n.Attributes[attr].Value.(type) {
	case nil:
		return ""
	case string:
		return v
	default:
		return fmt.Sprint(v)
	}
}

// Order is one sort key: a path as in a schema's order_by ("name__value",
// "site__name__value" through a cardinality-one relationship, "node_metadata__created_at",
// "node_metadata__updated_at" or "id") and its direction. Missing values sort last in
// ascending order and first in descending order; the node id breaks ties.
type Order struct {
	Path string
	Desc bool
}

// Query selects nodes of a kind.
type Query struct {
	Kind string // a node kind or a generic (every kind in its used_by)
	// Filters use Infrahub's names (see ParseFilters); all must hold. The key "partial_match"
	// (bool) is accepted here too and is the same as PartialMatch.
	Filters      map[string]any
	PartialMatch bool
	// OrderBy nil is the kind's schema order_by, else by id; non-nil and empty is by id.
	OrderBy []Order
	Offset  int
	Limit   int // 0: no limit
	// Fields names the attributes the caller reads from the listed nodes: nil reads all, an
	// empty list none (filters and order still see every attribute). An adapter may return
	// more, never fewer.
	Fields []string
	// Omit names the parts of the listed nodes besides their attributes that the caller does
	// not read: an adapter may leave them empty. Zero reads them all.
	Omit NodeParts
}

// NodeParts are parts of a Node besides its id, kind and attributes.
type NodeParts uint8

const (
	OmitHFID  NodeParts = 1 << iota // HFID
	OmitLabel                       // DisplayLabel
	OmitMeta                        // CreatedAt, CreatedBy, UpdatedAt, UpdatedBy
)

// Page is the result of List.
type Page struct {
	Count int // every node matching, before Offset and Limit
	Nodes []Node
}

// Edge is one end of a relationship as seen from a node.
type Edge struct {
	Peer     string // the peer's id
	PeerKind string
	// Source, Owner and IsProtected are the relationship's properties on the near end.
	Source      string
	Owner       string
	IsProtected bool
}

// Reader answers reads of the graph projection. Every method is safe for concurrent use.
type Reader interface {
	// Get reads one node (ErrNotFound when it does not exist in scope).
	Get(ctx context.Context, scope Scope, id string) (Node, error)
	// List reads the nodes matching q, sorted, then paged.
	List(ctx context.Context, scope Scope, q Query) (Page, error)
	// Count counts the nodes of kind matching filters (as in Query.Filters) without reading them.
	Count(ctx context.Context, scope Scope, kind string, filters map[string]any) (int, error)
	// Peers reads relationship rel of kind (the node kind or the generic declaring it) for many
	// nodes at once, from whichever end the edges were written. Peers that no longer exist are
	// skipped. The edges of a node are in peer id order; a node without peers (or that does not
	// exist) may be missing from the map.
	Peers(ctx context.Context, scope Scope, ids []string, kind, rel string) (map[string][]Edge, error)
	// Ancestors walks the parent relationship of a node of a hierarchical kind: its parent first,
	// the root last (at most MaxDepth).
	Ancestors(ctx context.Context, scope Scope, id string) ([]Node, error)
	// Descendants walks the children relationship breadth first: the children, then their
	// children… (at most MaxDepth levels); within a level by parent, then by id.
	Descendants(ctx context.Context, scope Scope, id string) ([]Node, error)
	// PositionAt is the log position current at t (0 before the first write), so that a read
	// "at a time" (?at=<timestamp>) becomes Scope.At.
	PositionAt(ctx context.Context, t time.Time) (events.Position, error)
	// RecordedAt is when log position pos was written: the time a branch's base position
	// (branched_from) stands for. ok is false for position 0 and for a position the projection
	// has not folded.
	RecordedAt(ctx context.Context, pos events.Position) (at time.Time, ok bool, err error)
}
