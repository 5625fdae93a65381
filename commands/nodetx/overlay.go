package nodetx

import (
	"maps"
	"slices"

	"github.com/infrahub-go/infrahub/branch/graph"
	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/schema"
)

// overlay is the branch as a command sees it while deciding: the View it started from plus what
// the command changed so far (nodes, edges, unique values), and the events decided.
type overlay struct {
	v      *nodes.View
	set    *schema.Set
	nodes  map[graph.NodeID]*txNode
	claims map[claimKey]graph.NodeID // zero id: released
	// edges changed by the command, per (node, relationship field)
	edges map[slotKey]*peerDelta
	// mirrors caches nodes.Mirror per field; mirrorRels, mirrorRel per peer kind and field
	mirrors    map[string]string
	mirrorRels map[[2]string]*schema.Relationship
	// attrFields holds the View's fields of the attributes read so far (attrField)
	attrFields []namedField
	events     []pendingEvent
	// stream bookkeeping: whether the command writes branch-agnostic and branch-aware data
	global, aware bool
	// ahead encodes the events on other goroutines as they are emitted (nil: Decide does)
	ahead *ahead
	// deltas holds the peerDeltas of edges not made yet: made many at a time (newDelta), the
	// first time deltasFirst at once (Tx.Reserve)
	deltas      []peerDelta
	deltasFirst int
	// perEvent is about the bytes of an event's payload, as the last build found them: the next
	// one makes its buffer that large at once
	perEvent int
}

// deltasAtOnce is the most peerDeltas newDelta makes at a time; it makes deltasAtFirst the
// first time (unless told otherwise), then twice as many as the last time: a command touching
// two slots does not make (and clear) the room of 128.
const (
	deltasAtOnce  = 128
	deltasAtFirst = 8
)

// newDelta is a new empty peerDelta.
func (o *overlay) newDelta() *peerDelta {
	if len(o.deltas) == cap(o.deltas) {
		n := min(max(2*cap(o.deltas), deltasAtFirst), deltasAtOnce)
		if o.deltasFirst > 0 {
			n, o.deltasFirst = o.deltasFirst, 0
		}
		o.deltas = make([]peerDelta, 0, n)
	}
	o.deltas = o.deltas[:len(o.deltas)+1]
	return &o.deltas[len(o.deltas)-1]
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
	// fresh is set on a node created with an id the command made (graph.NewNodeID): the View
	// holds nothing of it, so its peers are the ones the command gave it
	fresh bool
	attrs map[string]nodes.Attr
	peers map[string][]graph.NodeID // set by upsert's probe only: the peers it would have
	// computed holds the HFID and display label this command wrote (nil: not written here).
	computed *computed
	// shared is set while attrs is also the attributes of the event that created the node:
	// setAttr copies it before the first change, so that the event keeps what it stated.
	shared bool
	// text is id as text, once made (idText): a peer many nodes link to is written once
	text string
	// own holds what computed points to when set by setComputed: one allocation less per node
	own computed
	// read holds the attributes of a node of the View read so far and not set by the command
	// (attrs holds those set): most nodes read are a peer of which a create reads one or two
	// (its name, for a human-friendly id), not worth a map
	read []namedAttr
}

type namedAttr struct {
	name string
	a    nodes.Attr
}

// setComputed sets n.computed to c, held in n.
func (n *txNode) setComputed(c computed) {
	n.own = c
	n.computed = &n.own
}

// idText is the node's id as text, made once.
func (n *txNode) idText() string {
	if n.text == "" {
		n.text = n.id.String()
	}
	return n.text
}

// setAttr sets an attribute of the node as the command sees it.
func (n *txNode) setAttr(name string, a nodes.Attr) {
	if n.shared {
		n.attrs, n.shared = maps.Clone(n.attrs), false
	}
	if n.attrs == nil {
		n.attrs = map[string]nodes.Attr{}
	}
	n.attrs[name] = a
}

type computed struct {
	hfid  []string
	label string
	id    string // the node's id as text, when already made (else made from the node's id)
}

// node returns the node as the command sees it, nil when it does not exist.
func (o *overlay) node(id graph.NodeID) *txNode {
	if n, ok := o.nodes[id]; ok {
		if !n.live {
			return nil
		}
		return n
	}
	kind, ok := o.v.Kind(id)
	if !ok {
		return nil
	}
	model, _ := o.set.Node(kind)
	// attrs is made by the first setAttr: most nodes read are a peer linked to, whose attributes
	// the command never reads (a turn of creates reads a few per create)
	n := &txNode{id: id, kind: kind, model: model, live: true}
	o.nodes[id] = n
	return n
}

// attr is the current state of an attribute.
func (o *overlay) attr(n *txNode, name string) (nodes.Attr, bool) {
	if a, ok := n.attrs[name]; ok {
		return a, true
	}
	if n.created {
		return nodes.Attr{}, false
	}
	for i := range n.read {
		if n.read[i].name == name {
			return n.read[i].a, true
		}
	}
	f, ok := o.attrField(name)
	if !ok {
		return nodes.Attr{}, false // never stored: View.Attr answers none
	}
	a, ok := o.v.AttrAt(n.id, f)
	if ok {
		n.read = append(n.read, namedAttr{name, a})
	}
	return a, ok
}

// attrField is the View's field of attribute name (what View.Attr looks up each time), found
// once per name: a command reads the same few attributes of many nodes.
func (o *overlay) attrField(name string) (graph.FieldID, bool) {
	for _, x := range o.attrFields {
		if x.name == name {
			return x.f, true
		}
	}
	f, ok := o.v.FieldOf(nodes.AttrField(name))
	if ok && len(o.attrFields) < maxAttrFields { // a name not found is looked up again, as View.Attr does
		o.attrFields = append(o.attrFields, namedField{name, f})
	}
	return f, ok
}

// maxAttrFields bounds the list of attrField: a command reading many attributes looks the
// others up each time.
const maxAttrFields = 16

type namedField struct {
	name string
	f    graph.FieldID
}

// peersOf is the current peer set of a relationship field of a node (any node, live or not):
// the View's, changed by what the command did.
func (o *overlay) peersOf(id graph.NodeID, field string) []graph.NodeID {
	if n, ok := o.nodes[id]; ok && n.peers != nil {
		if p, ok := n.peers[field]; ok {
			return p
		}
	}
	base := o.v.Peers(id, field)
	d := o.edges[slotKey{id, field}]
	if d.len() == 0 {
		return base
	}
	out := make([]graph.NodeID, 0, len(base)+d.len())
	for _, p := range base {
		if present, changed := d.get(p); !changed || present {
			out = append(out, p)
		}
	}
	d.each(func(p graph.NodeID, present bool) {
		if present && !slices.Contains(base, p) {
			out = append(out, p)
		}
	})
	slices.SortFunc(out, graph.NodeID.Compare)
	return out
}

// onlyPeer is the peer of a relationship field of a node when it holds exactly one: what
// peersOf answers when it answers one peer, without making the list.
func (o *overlay) onlyPeer(id graph.NodeID, field string) (graph.NodeID, bool) {
	if n, ok := o.nodes[id]; ok && n.peers != nil {
		if p, ok := n.peers[field]; ok {
			if len(p) != 1 {
				return graph.NodeID{}, false
			}
			return p[0], true
		}
	}
	base := o.v.Peers(id, field)
	d := o.edges[slotKey{id, field}]
	if d.len() == 0 {
		if len(base) != 1 {
			return graph.NodeID{}, false
		}
		return base[0], true
	}
	var one graph.NodeID
	count := 0
	for _, p := range base {
		if present, changed := d.get(p); !changed || present {
			one, count = p, count+1
		}
	}
	d.each(func(p graph.NodeID, present bool) {
		if present && !slices.Contains(base, p) {
			one, count = p, count+1
		}
	})
	return one, count == 1
}

// idText is the id of node id as text: made once for a node the command read.
func (o *overlay) idText(id graph.NodeID) string {
	if n, ok := o.nodes[id]; ok {
		return n.idText()
	}
	return id.String()
}

// hasPeer reports whether p is in a relationship field of a node, without reading the set.
func (o *overlay) hasPeer(id graph.NodeID, field string, p graph.NodeID) bool {
	if present, ok := o.edges[slotKey{id, field}].get(p); ok {
		return present
	}
	return o.v.HasPeer(id, field, p)
}

// hasPeerOf is hasPeer for node n: the View is not read for a fresh node.
func (o *overlay) hasPeerOf(n *txNode, field string, p graph.NodeID) bool {
	if present, ok := o.edges[slotKey{n.id, field}].get(p); ok {
		return present
	}
	return !n.fresh && o.v.HasPeer(n.id, field, p)
}

// edge adds or removes the edge (near, field) - far on both ends and returns the fact.
func (o *overlay) edge(near graph.NodeID, field string, far graph.NodeID, remove, global bool) nodes.Edge {
	o.setEdge(near, field, far, remove)
	return nodes.Edge{Node: near.String(), Field: field, Peer: far.String(), Remove: remove, Global: global}
}

// ownEdge is edge for the node of the event stating it: the fact leaves the near end out.
func (o *overlay) ownEdge(near graph.NodeID, field string, far graph.NodeID, remove, global bool) nodes.Edge {
	o.setEdge(near, field, far, remove)
	return nodes.Edge{Field: field, Peer: far.String(), Remove: remove, Global: global}
}

// ownEdgeTo is ownEdge to the far node fn (its id as text made once).
func (o *overlay) ownEdgeTo(near graph.NodeID, field string, fn *txNode, remove, global bool) nodes.Edge {
	o.setEdge(near, field, fn.id, remove)
	return nodes.Edge{Field: field, Peer: fn.idText(), Remove: remove, Global: global}
}

// setEdge adds or removes the edge (near, field) - far on both ends.
func (o *overlay) setEdge(near graph.NodeID, field string, far graph.NodeID, remove bool) {
	set := func(id graph.NodeID, f string, p graph.NodeID) {
		k := slotKey{id, f}
		d := o.edges[k]
		if d == nil {
			d = o.newDelta()
			o.edges[k] = d
		}
		d.set(p, !remove)
	}
	set(near, field, far)
	set(far, o.mirror(field), near)
}

// mirror is nodes.Mirror(field), made once per field.
func (o *overlay) mirror(field string) string {
	m, ok := o.mirrors[field]
	if !ok {
		if o.mirrors == nil {
			o.mirrors = map[string]string{}
		}
		m = nodes.Mirror(field)
		o.mirrors[field] = m
	}
	return m
}

// mirrorRel is mirrorRel on the branch's schema, found once per peer kind and field.
func (o *overlay) mirrorRel(peerKind, field string) (*schema.Relationship, bool) {
	k := [2]string{peerKind, field}
	r, ok := o.mirrorRels[k]
	if !ok {
		r, _ = mirrorRel(o.set, peerKind, field)
		if o.mirrorRels == nil {
			o.mirrorRels = map[[2]string]*schema.Relationship{}
		}
		o.mirrorRels[k] = r
	}
	return r, r != nil
}

// taken is the holder of a unique value as the command sees it.
func (o *overlay) taken(k claimKey) (graph.NodeID, bool) {
	if id, ok := o.claims[k]; ok {
		return id, !id.IsZero()
	}
	return o.v.Taken(k.kind, k.constraint, k.key)
}

// byHFID finds a live node of kind (node kind or generic) by human-friendly id.
func (o *overlay) byHFID(kind string, hfid []string) (graph.NodeID, bool) {
	key := nodes.HFIDKey(hfid)
	for _, k := range o.v.Kinds(kind) {
		if id, ok := o.taken(claimKey{k, nodes.ConstraintHFID, key}); ok && o.node(id) != nil {
			return id, true
		}
	}
	return graph.NodeID{}, false
}

// hfidMatches lists the live nodes of kind (a node kind or a generic) with a human-friendly id:
// one per node kind at most, so several only when kind is a generic.
func (o *overlay) hfidMatches(kind string, hfid []string) []graph.NodeID {
	key := nodes.HFIDKey(hfid)
	var out []graph.NodeID
	for _, k := range o.v.Kinds(kind) {
		if id, ok := o.taken(claimKey{k, nodes.ConstraintHFID, key}); ok && o.node(id) != nil {
			out = append(out, id)
		}
	}
	return out
}

func (o *overlay) emit(typ string, payload any, global bool) {
	o.events = append(o.events, pendingEvent{typ: typ, payload: payload})
	if o.ahead != nil {
		o.ahead.handOver(o.events)
	}
	if global {
		o.global = true
	} else {
		o.aware = true
	}
}
