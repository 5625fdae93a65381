package nodetx

import (
	"fmt"

	"github.com/infrahub-go/infrahub/branch/graph"
	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/commands/values"
	"github.com/infrahub-go/infrahub/fault"
	"github.com/infrahub-go/infrahub/schema"
)

// CreateNode creates one node (the payload of the node.create command, Infrahub's <Kind>Create).
type CreateNode struct {
	Branch string `json:"branch,omitempty"`
	Kind   string `json:"kind"`
	ID     string `json:"id,omitempty"` // optional: a UUID chosen by the client
	Data   Data   `json:"data"`

	values map[string]any // Data's values decoded (Prepare)
	prep   *prepared      // Data's attributes parsed (Tx.PrepareCreate)
}

// Prepare decodes the values of the payload's data ahead of Create, which then does not decode
// them again: a batch prepares its operations concurrently, then decides them in order. Values
// that do not decode are left to Create, which refuses them.
func (in *CreateNode) Prepare() { in.values = prepare(in.Data) }

// Create creates a node of the payload's kind: its data checked, defaults, pools, profiles,
// computed attributes and its object template applied, its unique values claimed.
func (t *Tx) Create(in CreateNode) (NodeOutcome, error) {
	m, err := t.parse.model(in.Kind)
	if err != nil {
		return NodeOutcome{}, err
	}
	id, fresh := graph.NewNodeID(), in.ID == ""
	if !fresh {
		if id, err = graph.ParseNodeID(in.ID); err != nil {
			return NodeOutcome{}, fmt.Errorf("%w: field \"id\": %q is not a UUID", fault.ErrInvalid, in.ID)
		}
	}
	attrs, rels, err := t.parse.data(m, in.Data, in.values, in.prep)
	if err != nil {
		return NodeOutcome{}, err
	}
	if err := t.pools.resolve(nil, m, attrs, rels); err != nil {
		return NodeOutcome{}, err
	}
	t.ipam.defaultNamespace(m, rels)
	n, err := t.templates.create(m, id, fresh, attrs, rels)
	if err != nil {
		return NodeOutcome{}, err
	}
	return t.outcomeOf(n, "created"), nil
}

// create adds a node with every attribute (defaults filled) and the given relationships. fresh
// says id was just made (graph.NewNodeID) for it: neither the View nor the transaction holds
// it, which spares looking it up.
func (t *Tx) create(m *schema.Node, id graph.NodeID, fresh bool, attrs map[string]attrInput, rels *relSet) (*txNode, error) {
	if !fresh && t.st.node(id) != nil {
		return nil, fmt.Errorf("%w: field \"id\": node %s already exists", fault.ErrConflict, id)
	}
	if err := t.pools.numberAttrs(m, attrs); err != nil {
		return nil, err
	}
	t.ipam.markDefaultNamespace(m, attrs)
	global := isGlobal(m)
	n := &txNode{id: id, kind: m.Kind, model: m, live: true, created: true, fresh: fresh,
		attrs: make(map[string]nodes.Attr, len(m.Attributes))}
	t.st.nodes[id] = n
	ev := nodes.Created{ID: id.String(), Kind: m.Kind, Global: global}
	var missing []string // mandatory attributes left to profiles
	for _, a := range m.Attributes {
		if a.State == schema.StateAbsent {
			continue
		}
		in, given := attrs[a.Name]
		var st nodes.Attr
		switch {
		case given && in.hasValue:
			st.Value = in.value
		default:
			if d, ok := values.Default(a); ok {
				st.Value, st.IsDefault = nodes.Canon(d), true
			} else if !a.Optional && !isComputed(a) {
				if in, ok := rels.get("profiles"); !ok || len(in.peers) == 0 {
					return nil, nodeError(m.Kind, a.Name, fmt.Errorf("%w: the attribute is mandatory", fault.ErrInvalid))
				}
				st.IsDefault = true
				missing = append(missing, a.Name) // a profile may give it
			} else {
				st.IsDefault = true
			}
		}
		if st.Value == nil && !a.Optional && !isComputed(a) {
			if in, ok := rels.get("profiles"); ok && len(in.peers) > 0 {
				missing = append(missing, a.Name) // a profile may give it
			} else {
				return nil, nodeError(m.Kind, a.Name, fmt.Errorf("%w: the attribute is mandatory", fault.ErrInvalid))
			}
		}
		if given {
			applyLineage(&st, in)
		}
		st.Global = a.Branch == schema.BranchAgnostic && !global
		n.attrs[a.Name] = st
	}
	for _, r := range m.Relationships {
		if r.State == schema.StateAbsent || !mandatoryRel(r) {
			continue
		}
		if in, ok := rels.get(r.Name); !ok || len(in.peers) == 0 {
			return nil, nodeError(m.Kind, r.Name, fmt.Errorf("%w: the relationship is mandatory", fault.ErrInvalid))
		}
	}
	edges := 0
	for _, in := range rels.all() {
		edges += len(in.peers)
	}
	if edges > 0 {
		ev.Edges = make([]nodes.Edge, 0, edges) // a peer moved from another node adds one more
	}
	for _, in := range rels.all() { // in name order
		for _, p := range in.peers {
			ev.Edges = t.link(n, in.rel, in.field, p, ev.Edges)
		}
		if in.props != nil {
			if ev.RelProps == nil {
				ev.RelProps = map[string]nodes.Props{}
			}
			p := *in.props
			p.Global = in.rel.Branch == schema.BranchAgnostic && !global
			ev.RelProps[in.field] = p
		}
	}
	// profiles and computed attributes change n.attrs: the event states them all
	t.profiles.values(n, attrs)
	if _, err := t.computed.values(n); err != nil {
		return nil, err
	}
	for _, name := range missing {
		if n.attrs[name].Value == nil {
			return nil, nodeError(m.Kind, name, fmt.Errorf("%w: the attribute is mandatory (no profile of the node gives it)", fault.ErrInvalid))
		}
	}
	var room [4]constraintKey // the keys are read into the claims: not kept
	keys, hfid := t.ident.keyList(n, room[:0])
	claims, err := t.ident.claimNew(n, keys)
	if err != nil {
		return nil, err
	}
	ev.Claims = append(claims, t.pools.claims(n.id, attrs)...)
	ev.HFID = hfid // claiming changed no value it is made of
	ev.DisplayLabel = t.ident.label(n)
	n.setComputed(computed{hfid: ev.HFID, label: ev.DisplayLabel, id: ev.ID})
	ev.Attributes, n.shared = n.attrs, true // one map for both until the node changes again
	t.st.emit(nodes.TypeCreated, ev, global)
	t.outcome.of(m.Kind).Created++
	if err := t.computed.propagate(n, nil, ev.Edges); err != nil {
		return nil, err
	}
	return n, t.ipam.after(n)
}

func applyLineage(st *nodes.Attr, in attrInput) {
	if in.extra == nil {
		return
	}
	if x := in.extra; x.source != nil {
		st.Source = *x.source
	}
	if x := in.extra; x.owner != nil {
		st.Owner = *x.owner
	}
	if x := in.extra; x.isProtected != nil {
		st.IsProtected = *x.isProtected
	}
}

// link adds the edge n -r- p. When the far end is a cardinality-one relationship that already
// has another peer, that edge is removed first: the peer moves (an interface given to another
// device leaves the first one).
func (t *Tx) link(n *txNode, r *schema.Relationship, field string, p graph.NodeID, out []nodes.Edge) []nodes.Edge {
	global := r.Branch == schema.BranchAgnostic && !isGlobal(n.model)
	pn := t.st.node(p)
	if pn != nil {
		if mr, ok := t.st.mirrorRel(pn.kind, field); ok && mr.Cardinality == "one" {
			mirror := t.st.mirror(field)
			for _, old := range t.st.peersOf(p, mirror) {
				if old != n.id {
					out = append(out, t.st.edge(p, mirror, old, true, global))
				}
			}
		}
	}
	if t.st.hasPeerOf(n, field, p) {
		return out
	}
	if pn != nil {
		return append(out, t.st.ownEdgeTo(n.id, field, pn, false, global))
	}
	return append(out, t.st.ownEdge(n.id, field, p, false, global))
}

// isComputed reports an attribute whose value the system computes.
func isComputed(a *schema.Attribute) bool {
	return a.ComputedAttribute != nil && a.ComputedAttribute.Kind != "" && a.ComputedAttribute.Kind != "User"
}

// mandatoryRel reports a relationship a node must have from its creation on (a component's
// parent, a mandatory peer). The parent side of a component is filled after its creation.
func mandatoryRel(r *schema.Relationship) bool {
	return (!r.IsOptional() || r.MinCount > 0) && r.Kind != schema.RelComponent
}
