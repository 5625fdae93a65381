package commands

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"

	"github.com/infrahub-go/infrahub/branch/graph"
	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/schema"
)

// tx is one node command (or batch) being decided: the branch View it started from plus what
// the command changed so far, so that later operations of a batch see earlier ones (a node
// created in operation 1 can be referenced by operation 2, its name is taken for operation 3).
type tx struct {
	v      *nodes.View
	set    *schema.Set
	nodes  map[graph.NodeID]*txNode
	claims map[claimKey]graph.NodeID // zero id: released
	// edges changed by the command, per (node, relationship field): peer → present
	edges  map[slotKey]map[graph.NodeID]bool
	refs   map[string]graph.NodeID // batch labels
	events []pendingEvent
	// stream bookkeeping: whether the command writes branch-agnostic and branch-aware data
	global, aware bool
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
}

type claimKey struct{ kind, constraint, key string }

type slotKey struct {
	id    graph.NodeID
	field string
}

type pendingEvent struct {
	typ     string
	payload any
}

// txNode is a node as the command sees it: loaded lazily from the View, changed in place.
type txNode struct {
	id      graph.NodeID
	kind    string
	model   *schema.Node
	live    bool
	created bool // created by this command
	attrs   map[string]nodes.Attr
	peers   map[string][]graph.NodeID // set by upsert's probe only: the peers it would have
	// computed holds the HFID and display label this command wrote (nil: not written here).
	computed *computed
}

type computed struct {
	hfid  []string
	label string
}

func newTx(v *nodes.View) *tx {
	return &tx{v: v, set: v.Schema, nodes: map[graph.NodeID]*txNode{}, claims: map[claimKey]graph.NodeID{},
		edges: map[slotKey]map[graph.NodeID]bool{}, refs: map[string]graph.NodeID{}, outcome: Outcomes{}, hints: &sync.Map{}}
}

// node returns the node as the command sees it, nil when it does not exist.
func (t *tx) node(id graph.NodeID) *txNode {
	if n, ok := t.nodes[id]; ok {
		if !n.live {
			return nil
		}
		return n
	}
	kind, ok := t.v.Kind(id)
	if !ok {
		return nil
	}
	model, _ := t.set.Node(kind)
	n := &txNode{id: id, kind: kind, model: model, live: true, attrs: map[string]nodes.Attr{}}
	t.nodes[id] = n
	return n
}

// attr is the current state of an attribute.
func (t *tx) attr(n *txNode, name string) (nodes.Attr, bool) {
	if a, ok := n.attrs[name]; ok {
		return a, true
	}
	if n.created {
		return nodes.Attr{}, false
	}
	a, ok := t.v.Attr(n.id, name)
	if ok {
		n.attrs[name] = a
	}
	return a, ok
}

// peersOf is the current peer set of a relationship field of a node (any node, live or not):
// the View's, changed by what the command did.
func (t *tx) peersOf(id graph.NodeID, field string) []graph.NodeID {
	if n, ok := t.nodes[id]; ok && n.peers != nil {
		if p, ok := n.peers[field]; ok {
			return p
		}
	}
	base := t.v.Peers(id, field)
	d := t.edges[slotKey{id, field}]
	if len(d) == 0 {
		return base
	}
	out := make([]graph.NodeID, 0, len(base)+len(d))
	for _, p := range base {
		if present, changed := d[p]; !changed || present {
			out = append(out, p)
		}
	}
	for p, present := range d {
		if present && !slices.Contains(base, p) {
			out = append(out, p)
		}
	}
	slices.SortFunc(out, graph.NodeID.Compare)
	return out
}

// hasPeer reports whether p is in a relationship field of a node, without reading the set.
func (t *tx) hasPeer(id graph.NodeID, field string, p graph.NodeID) bool {
	if present, ok := t.edges[slotKey{id, field}][p]; ok {
		return present
	}
	return t.v.HasPeer(id, field, p)
}

// edge adds or removes the edge (near, field) - far on both ends and returns the fact.
func (t *tx) edge(near graph.NodeID, field string, far graph.NodeID, remove, global bool) nodes.Edge {
	set := func(id graph.NodeID, f string, p graph.NodeID) {
		k := slotKey{id, f}
		d := t.edges[k]
		if d == nil {
			d = map[graph.NodeID]bool{}
			t.edges[k] = d
		}
		d[p] = !remove
	}
	set(near, field, far)
	set(far, nodes.Mirror(field), near)
	return nodes.Edge{Node: near.String(), Field: field, Peer: far.String(), Remove: remove, Global: global}
}

// taken is the holder of a unique value as the command sees it.
func (t *tx) taken(k claimKey) (graph.NodeID, bool) {
	if id, ok := t.claims[k]; ok {
		return id, !id.IsZero()
	}
	return t.v.Taken(k.kind, k.constraint, k.key)
}

// byHFID finds a live node of kind (node kind or generic) by human-friendly id.
func (t *tx) byHFID(kind string, hfid []string) (graph.NodeID, bool) {
	key := nodes.HFIDKey(hfid)
	for _, k := range t.v.Kinds(kind) {
		if id, ok := t.taken(claimKey{k, nodes.ConstraintHFID, key}); ok && t.node(id) != nil {
			return id, true
		}
	}
	return graph.NodeID{}, false
}

func (t *tx) emit(typ string, payload any, global bool) {
	t.events = append(t.events, pendingEvent{typ: typ, payload: payload})
	if global {
		t.global = true
	} else {
		t.aware = true
	}
}

// build turns the pending facts into envelopes.
func (t *tx) build(cat *events.Catalogue, cmd Command) ([]events.Envelope, error) {
	out := make([]events.Envelope, 0, len(t.events))
	for _, e := range t.events {
		ev, err := cat.New(e.typ, e.payload, events.Metadata{CommandID: cmd.ID, Actor: cmd.Actor})
		if err != nil {
			return nil, err
		}
		out = append(out, ev)
	}
	return out, nil
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

// isGlobal reports whether a kind is branch-agnostic.
func isGlobal(m *schema.Node) bool { return m != nil && m.Branch == schema.BranchAgnostic }

// canonKey is the claim key of a value.
func canonKey(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	raw, _ := json.Marshal(v)
	return string(raw)
}

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

// path values: "name__value", "device" (a peer's id), "device__name__value" (a peer's attribute).
// value reads one of them for a node; ok is false when a part is unset.
func (t *tx) pathValue(n *txNode, path string) (any, bool) {
	head, rest, _ := strings.Cut(path, "__")
	if a, ok := attrOf(n.model, head); ok {
		cur, ok := t.attr(n, a.Name)
		if !ok || cur.Value == nil {
			return nil, false
		}
		return cur.Value, true
	}
	r, field, ok := relOf(n.model, head)
	if !ok || r.Cardinality != "one" {
		return nil, false
	}
	peers := t.peersOf(n.id, field)
	if len(peers) != 1 {
		return nil, false
	}
	if rest == "" || rest == "id" {
		return peers[0].String(), true
	}
	p := t.node(peers[0])
	if p == nil || p.model == nil {
		return nil, false
	}
	return t.pathValue(p, rest)
}

// hfid computes a node's human-friendly id; nil when its kind has none or a part is unset.
func (t *tx) hfid(n *txNode) []string {
	if len(n.model.HumanFriendlyID) == 0 {
		return nil
	}
	out := make([]string, 0, len(n.model.HumanFriendlyID))
	for _, p := range n.model.HumanFriendlyID {
		v, ok := t.pathValue(n, p)
		if !ok {
			return nil
		}
		out = append(out, fmt.Sprint(v))
	}
	return out
}

// displayLabel computes a node's display label: display_label as a path ("name__value") or as a
// Jinja2 template (rendered as computed attributes are); else display_labels joined by spaces;
// else the HFID.
func (t *tx) displayLabel(n *txNode) string {
	m := n.model
	show := func(path string) string {
		v, ok := t.pathValue(n, strings.TrimSpace(path))
		if !ok {
			return ""
		}
		return fmt.Sprint(v)
	}
	if m.DisplayLabel != nil && *m.DisplayLabel != "" {
		dl := *m.DisplayLabel
		if !strings.Contains(dl, "{{") && !strings.Contains(dl, "{%") {
			return show(dl)
		}
		tpl, err := t.set.Template(dl)
		if err != nil {
			return "" // refused when the schema was loaded
		}
		s, err := t.render(n, tpl, nil)
		if err != nil {
			return ""
		}
		return strings.TrimSpace(s)
	}
	if len(m.DisplayLabels) > 0 {
		parts := make([]string, 0, len(m.DisplayLabels))
		for _, p := range m.DisplayLabels {
			if s := show(p); s != "" {
				parts = append(parts, s)
			}
		}
		return strings.Join(parts, " ")
	}
	return strings.Join(t.hfid(n), " ")
}

// constraints lists a node kind's uniqueness constraints: each unique attribute and each entry
// of uniqueness_constraints, named as Infrahub names them.
func constraints(m *schema.Node) [][]string {
	var out [][]string
	for _, a := range m.Attributes {
		if a.Unique && a.State != schema.StateAbsent {
			out = append(out, []string{a.Name + "__value"})
		}
	}
	for _, c := range m.UniquenessConstraints {
		if len(c) == 1 && slices.ContainsFunc(out, func(x []string) bool { return x[0] == c[0] }) {
			continue
		}
		out = append(out, c)
	}
	if c := ipConstraint(m); c != nil && !slices.ContainsFunc(out, func(x []string) bool { return slices.Equal(x, c) }) {
		out = append(out, c)
	}
	return out
}

func joinConstraint(c []string) string { return strings.Join(c, ",") }

// uniqueKeys computes the claim keys of a node (constraint name → key), HFID included; parts
// that are unset leave their constraint out.
func (t *tx) uniqueKeys(n *txNode) map[string]string {
	out := map[string]string{}
	for _, c := range constraints(n.model) {
		vals := make([]any, 0, len(c))
		complete := true
		for _, p := range c {
			v, ok := t.pathValue(n, p)
			if !ok {
				complete = false
				break
			}
			vals = append(vals, nodes.Canon(v))
		}
		if !complete {
			continue
		}
		name := joinConstraint(c)
		if len(vals) == 1 {
			out[name] = canonKey(vals[0])
		} else {
			out[name] = canonKey(vals)
		}
	}
	if h := t.hfid(n); h != nil {
		out[nodes.ConstraintHFID] = nodes.HFIDKey(h)
	}
	return out
}

// UniquenessError is a write refused because another node holds a unique value.
type UniquenessError struct {
	Kind       string
	Constraint string
	Value      string
	Holder     string
}

func (e *UniquenessError) Error() string {
	if e.Constraint == nodes.ConstraintHFID {
		return fmt.Sprintf("%s: human-friendly id %q is already used by node %s", e.Kind, strings.ReplaceAll(e.Value, "\x00", "/"), e.Holder)
	}
	return fmt.Sprintf("%s: violates uniqueness constraint %q: value %s is already used by node %s", e.Kind, e.Constraint, e.Value, e.Holder)
}

// Unwrap makes errors.Is(err, ErrConflict) true.
func (e *UniquenessError) Unwrap() error { return ErrConflict }

// reclaim moves a node's claims from old keys to new ones, refusing a value held by another
// node; it returns the claim facts.
func (t *tx) reclaim(n *txNode, old, next map[string]string) ([]nodes.Claim, error) {
	global := isGlobal(n.model)
	var out []nodes.Claim
	names := make([]string, 0, len(next))
	for c := range next {
		names = append(names, c)
	}
	// Constraints first, the human-friendly id last: a clash is reported by the constraint the
	// user declared.
	slices.SortFunc(names, func(a, b string) int {
		if (a == nodes.ConstraintHFID) != (b == nodes.ConstraintHFID) {
			if a == nodes.ConstraintHFID {
				return 1
			}
			return -1
		}
		return strings.Compare(a, b)
	})
	for _, c := range names {
		key := next[c]
		if prev, ok := old[c]; ok && prev == key {
			continue
		}
		k := claimKey{n.kind, c, key}
		if holder, ok := t.taken(k); ok && holder != n.id && t.node(holder) != nil {
			return nil, &UniquenessError{Kind: n.kind, Constraint: c, Value: key, Holder: holder.String()}
		}
		t.claims[k] = n.id
		out = append(out, nodes.Claim{Kind: n.kind, Constraint: c, Key: key, Global: global})
	}
	for c, key := range old {
		if next[c] == key {
			continue
		}
		k := claimKey{n.kind, c, key}
		if holder, ok := t.taken(k); ok && holder == n.id {
			t.claims[k] = graph.NodeID{}
			out = append(out, nodes.Claim{Kind: n.kind, Constraint: c, Key: key, Release: true, Global: global})
		}
	}
	return out, nil
}
