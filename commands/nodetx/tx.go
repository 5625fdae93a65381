// Package nodetx is the node domain: the rules Infrahub applies when nodes are written, decided
// as one transaction over a branch. A Tx starts from a branch View (branch/nodes), applies
// operations (create, update, upsert, delete, relationship add and remove, object files,
// resource pool allocations), each seeing the earlier ones, and ends with the events to append.
// It enforces the schema (kinds, attribute values, mandatory fields, cardinality, read-only and
// unique values, hierarchies), computes human-friendly ids, display labels and computed
// attributes, and keeps profiles, object templates, resource pools and the IPAM tree.
//
// A Tx only decides: it reads the View and writes nothing. The command layer (package commands)
// appends what it decided and decides again on a newer View when another writer got there first.
package nodetx

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"sync"

	"github.com/infrahub-go/infrahub/branch"
	"github.com/infrahub-go/infrahub/branch/graph"
	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/fault"
	"github.com/infrahub-go/infrahub/limits"
	"github.com/infrahub-go/infrahub/schema"
)

// Tx is one node command (or batch) being decided: the branch View it started from plus what
// the command changed so far, so that later operations of a batch see earlier ones (a node
// created in operation 1 can be referenced by operation 2, its name is taken for operation 3).
type Tx struct {
	v   *nodes.View
	set *schema.Set
	st  *overlay
	// the rules, each over this Tx
	ident     identity
	parse     parser
	computed  computer
	profiles  profiler
	templates templater
	pools     pooler
	ipam      ipamRules

	refs map[string]graph.NodeID // batch labels (nil: none yet)
	// allocates is set when the command takes resources from a pool
	allocates bool
	// hints holds, per pool, the last resource this process gave from it (where the next
	// search starts); gave, what this command gave (published once it is written)
	hints *sync.Map
	gave  map[string]string
	// numbers caches, per number range, the values its kind's nodes hold on this branch
	numbers map[string]map[int64]bool
	// ipamBusy is set while the IPAM tree is being brought up to date (its own writes do not
	// trigger it again)
	ipamBusy bool
	// computeDepth counts the nested recomputations of computed attributes (a change reaching
	// nodes that read it through their peers)
	computeDepth int
	outcome      Outcomes
	lim          limits.Limits
	// fields caches, per relationship, its storage field (relField)
	fields map[*schema.Relationship]string
	// peerRoom is room for the peers the next creates are given (parser.data)
	peerRoom []graph.NodeID
	ctx      context.Context // of the command: checked between the steps of a large decision
	stream   events.StreamID // the branch's stream, once made (Decide)
}

// New starts a transaction on a branch View. hints, shared by the transactions of one process,
// remembers where each resource pool's next search starts (nil: none); lim bounds the values the
// transaction takes (attribute value sizes). A transaction deciding many objects stops between
// two of them once ctx ends (the caller left, or its deadline passed).
func New(ctx context.Context, v *nodes.View, hints *sync.Map, lim limits.Limits) *Tx {
	if hints == nil {
		hints = &sync.Map{}
	}
	t := &Tx{v: v, set: v.Schema, outcome: Outcomes{}, hints: hints, lim: lim, ctx: ctx,
		st: &overlay{v: v, set: v.Schema, nodes: map[graph.NodeID]*txNode{}, claims: map[claimKey]graph.NodeID{},
			edges: map[slotKey]*peerDelta{}}}
	t.ident, t.parse, t.computed, t.profiles = identity{t}, parser{t}, computer{t}, profiler{t}
	t.templates, t.pools, t.ipam = templater{t}, pooler{t}, ipamRules{t}
	return t
}

// Expect readies a transaction that has decided nothing yet for about ops operations (a
// batch's) and a Decide with catalogue cat and metadata meta: its maps are made at their size
// once instead of growing step by step, and the events it emits are encoded on other
// processors while it decides the next ones (see ahead).
func (t *Tx) Expect(ops int, cat *events.Catalogue, meta events.Metadata) {
	o := t.st
	if len(o.nodes) > 0 || len(o.claims) > 0 || len(o.edges) > 0 || len(o.events) > 0 || ops <= 1 {
		return
	}
	o.encodeAhead(cat, meta, ops)
	// a created node: itself and a few peers; two unique values (a constraint and its human-
	// friendly id); a few relationship slots at both ends
	o.reserve(Sizes{nodes: ops, claims: 2 * ops, edges: 2 * ops})
}

// Sizes is how many nodes, unique values and relationship slots a transaction touched: what
// the next transaction of a similar workload (a branch's next turn) makes room for at once.
type Sizes struct{ nodes, claims, edges, perEvent int }

// SizesOf is what transaction t touched so far.
func SizesOf(t *Tx) Sizes {
	return Sizes{nodes: len(t.st.nodes), claims: len(t.st.claims), edges: len(t.st.edges), perEvent: t.st.perEvent}
}

// Reserve makes room, in transaction t that has decided nothing yet, for about s (the Sizes of
// an earlier transaction): its maps are made at their size once instead of growing (and being
// rehashed) step by step as a turn of commands fills them.
func (s Sizes) Reserve(t *Tx) {
	o := t.st
	if len(o.nodes) > 0 || len(o.claims) > 0 || len(o.edges) > 0 || len(o.events) > 0 {
		return
	}
	o.reserve(s)
}

// maxReserve bounds what Reserve makes room for: a transaction that touched very many nodes
// (a large cascade) does not make every later one that large.
const maxReserve = 4096

func (o *overlay) reserve(s Sizes) {
	s.nodes, s.claims, s.edges = min(s.nodes, maxReserve), min(s.claims, maxReserve), min(s.edges, maxReserve)
	o.nodes = make(map[graph.NodeID]*txNode, s.nodes)
	o.claims = make(map[claimKey]graph.NodeID, s.claims)
	o.edges = make(map[slotKey]*peerDelta, s.edges)
	// the peerDeltas of the slots, made at once
	o.deltasFirst = min(s.edges, deltasAtOnce)
	o.perEvent = s.perEvent
}

// Outcomes counts, per kind, what a command did.
type Outcomes map[string]*Outcome

// Outcome is what a command did to the nodes of one kind.
type Outcome struct {
	Created   int `json:"created"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
	Deleted   int `json:"deleted"`
}

func (o Outcomes) of(kind string) *Outcome {
	if x, ok := o[kind]; ok {
		return x
	}
	x := &Outcome{}
	o[kind] = x
	return x
}

// NodeOutcome is what a single node command answers in Result.Data.
type NodeOutcome struct {
	ID           string   `json:"id"`
	Kind         string   `json:"kind"`
	HFID         []string `json:"hfid,omitempty"`
	DisplayLabel string   `json:"display_label,omitempty"`
	Outcome      string   `json:"outcome"` // created, updated, unchanged, deleted
}

func (t *Tx) outcomeOf(n *txNode, what string) NodeOutcome {
	if n.computed == nil { // not written by this command: compute them
		n.setComputed(computed{hfid: t.ident.hfid(n), label: t.ident.label(n)})
	}
	id := n.computed.id
	if id == "" {
		id = n.id.String()
	}
	return NodeOutcome{ID: id, Kind: n.kind, HFID: n.computed.hfid, DisplayLabel: n.computed.label, Outcome: what}
}

func (t *Tx) saveOutcome() map[string]Outcome {
	saved := map[string]Outcome{}
	for k, o := range t.outcome {
		saved[k] = *o
	}
	return saved
}

func (t *Tx) restoreOutcome(saved map[string]Outcome) {
	for k, o := range t.outcome {
		if s, ok := saved[k]; ok {
			*o = s
		} else {
			*o = Outcome{}
		}
	}
}

// isGlobal reports whether a kind is branch-agnostic.
func isGlobal(m *schema.Node) bool { return m != nil && m.Branch == schema.BranchAgnostic }

func equalValue(a, b any) bool { return reflect.DeepEqual(nodes.Canon(a), nodes.Canon(b)) }

// relOf returns the relationship of model m, and its storage field.
func relOf(m *schema.Node, name string) (*schema.Relationship, string, bool) {
	for _, r := range m.Relationships {
		if r.Name == name && r.State != schema.StateAbsent {
			return r, nodes.RelField(r.Identifier, r.Direction), true
		}
	}
	return nil, "", false
}

// relNamed is relOf without the storage field (which it would make).
func relNamed(m *schema.Node, name string) (*schema.Relationship, bool) {
	for _, r := range m.Relationships {
		if r.Name == name && r.State != schema.StateAbsent {
			return r, true
		}
	}
	return nil, false
}

func attrOf(m *schema.Node, name string) (*schema.Attribute, bool) {
	for _, a := range m.Attributes {
		if a.Name == name && a.State != schema.StateAbsent {
			return a, true
		}
	}
	return nil, false
}

// mirrorRel is the relationship of the peer kind that is the far end of field, if declared.
func mirrorRel(set *schema.Set, peerKind, field string) (*schema.Relationship, bool) {
	m, ok := set.Node(peerKind)
	if !ok {
		return nil, false
	}
	want := nodes.Mirror(field)
	for _, r := range m.Relationships {
		if r.State != schema.StateAbsent && nodes.RelField(r.Identifier, r.Direction) == want {
			return r, true
		}
	}
	return nil, false
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// Decision is what a transaction decided: the events of one append to a stream at the version
// its View saw (no events: nothing to write). Payloads[i] is what decoding Events[i]'s payload
// gives (nil: decode it), for a fold in this process to skip the decoding (Store.ApplyDecoded).
type Decision struct {
	Stream   events.StreamID
	Version  int64
	Events   []events.Envelope
	Payloads []any
}

// Decide turns what t decided into one append: on the branch's stream, or on the default
// branch's for branch-agnostic data (every branch sees it). A command that changes both
// branch-agnostic and branch-aware data on another branch than the default one is refused.
func (t *Tx) Decide(cat *events.Catalogue, defaultBranch string, meta events.Metadata) (Decision, error) {
	d, err := decideStream(t, defaultBranch)
	if err != nil || len(t.st.events) == 0 {
		return d, err
	}
	evs, payloads, err := t.st.build(cat, meta)
	if err != nil {
		return Decision{}, err
	}
	d.Events, d.Payloads = evs, payloads
	return d, nil
}

// decideStream is t.Decide without the events: the stream they go to and its version.
func decideStream(t *Tx, defaultBranch string) (Decision, error) {
	v := t.v
	if t.stream == "" { // made once: a turn decides each of its commands on one transaction
		t.stream = branch.Stream(v.Branch)
	}
	d := Decision{Stream: t.stream, Version: v.Version}
	switch {
	case t.st.global && (v.Info.IsDefault || !t.st.aware):
		d.Stream, d.Version = branch.Stream(defaultBranch), v.MainVersion
	case t.st.global:
		return Decision{}, fmt.Errorf("%w: one command cannot change branch-agnostic and branch-aware nodes on branch %s; send them separately", fault.ErrInvalid, v.Branch)
	}
	return d, nil
}

// Written records, once the decision is appended, where the resource pools it took from stand:
// the next transaction of this process searches them from there.
func (t *Tx) Written() {
	for pool, last := range t.gave {
		t.hints.Store(pool, last)
	}
}

// Allocates reports whether the transaction took resources from a resource pool: such
// transactions take turns across branches (a resource is claimed on every branch at once).
func (t *Tx) Allocates() bool { return t.allocates }

// Outcomes counts, per kind, what the transaction did so far.
func (t *Tx) Outcomes() Outcomes { return t.outcome }

// Schema is the schema of the transaction's branch.
func (t *Tx) Schema() *schema.Set { return t.set }

// Branch is the transaction's branch.
func (t *Tx) Branch() string { return t.v.Branch }

// Label names the node id for the later operations of a batch ({"ref": label}).
func (t *Tx) Label(label, id string) error {
	nid, err := graph.ParseNodeID(id)
	if err != nil {
		return fmt.Errorf("operation answered a bad id %q: %w", id, err)
	}
	if _, dup := t.refs[label]; dup {
		return fmt.Errorf("%w: field \"ref\": label %q is used twice", fault.ErrInvalid, label)
	}
	if t.refs == nil {
		t.refs = map[string]graph.NodeID{}
	}
	t.refs[label] = nid
	return nil
}

// Add adds the counts of other to o.
func (o Outcomes) Add(other Outcomes) {
	for k, x := range other {
		sum := o.of(k)
		sum.Created += x.Created
		sum.Updated += x.Updated
		sum.Unchanged += x.Unchanged
		sum.Deleted += x.Deleted
	}
}
