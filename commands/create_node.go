package commands

import (
	"context"
	"fmt"
	"slices"

	"github.com/infrahub-go/infrahub/branch/graph"
	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/commands/values"
	"github.com/infrahub-go/infrahub/schema"
)

// TypeCreateNode creates one node (Infrahub's <Kind>Create).
const TypeCreateNode = "node.create"

// CreateNode is the payload of TypeCreateNode.
type CreateNode struct {
	Branch string `json:"branch,omitempty"`
	Kind   string `json:"kind"`
	ID     string `json:"id,omitempty"` // optional: a UUID chosen by the client
	Data   Data   `json:"data"`
}

// NodeOutcome is what a single node command answers in Result.Data.
type NodeOutcome struct {
	ID           string   `json:"id"`
	Kind         string   `json:"kind"`
	HFID         []string `json:"hfid,omitempty"`
	DisplayLabel string   `json:"display_label,omitempty"`
	Outcome      string   `json:"outcome"` // created, updated, unchanged, deleted
}

// CreateNode is the Handler of TypeCreateNode.
func (h *Nodes) CreateNode(ctx context.Context, cmd Command) (Result, error) {
	var in CreateNode
	if err := decodeStrict(cmd.Payload, &in); err != nil {
		return Result{}, err
	}
	var out NodeOutcome
	res, _, err := h.decide(ctx, cmd, in.Branch, func(t *tx) error {
		var err error
		out, err = t.createOp(in)
		return err
	})
	if err != nil {
		return Result{}, err
	}
	res.Data = out
	return res, nil
}

func (t *tx) createOp(in CreateNode) (NodeOutcome, error) {
	m, err := t.modelOf(in.Kind)
	if err != nil {
		return NodeOutcome{}, err
	}
	id := graph.NewNodeID()
	if in.ID != "" {
		if id, err = graph.ParseNodeID(in.ID); err != nil {
			return NodeOutcome{}, fmt.Errorf("%w: field \"id\": %q is not a UUID", ErrInvalid, in.ID)
		}
	}
	attrs, rels, err := t.parseData(m, in.Data)
	if err != nil {
		return NodeOutcome{}, err
	}
	if err := t.resolvePools(nil, m, attrs, rels); err != nil {
		return NodeOutcome{}, err
	}
	t.defaultNamespace(m, rels)
	n, err := t.createFromTemplate(m, id, attrs, rels)
	if err != nil {
		return NodeOutcome{}, err
	}
	return t.outcomeOf(n, "created"), nil
}

func (t *tx) outcomeOf(n *txNode, what string) NodeOutcome {
	if n.computed == nil { // not written by this command: compute them
		n.computed = &computed{hfid: t.hfid(n), label: t.displayLabel(n)}
	}
	return NodeOutcome{ID: n.id.String(), Kind: n.kind, HFID: n.computed.hfid, DisplayLabel: n.computed.label, Outcome: what}
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

// create adds a node with every attribute (defaults filled) and the given relationships.
func (t *tx) create(m *schema.Node, id graph.NodeID, attrs map[string]attrInput, rels map[string]relInput) (*txNode, error) {
	if t.node(id) != nil {
		return nil, fmt.Errorf("%w: field \"id\": node %s already exists", ErrConflict, id)
	}
	if err := t.numberPoolAttrs(m, attrs); err != nil {
		return nil, err
	}
	global := isGlobal(m)
	n := &txNode{id: id, kind: m.Kind, model: m, live: true, created: true,
		attrs: make(map[string]nodes.Attr, len(m.Attributes))}
	t.nodes[id] = n
	ev := nodes.Created{ID: id.String(), Kind: m.Kind, Global: global, Attributes: make(map[string]nodes.Attr, len(m.Attributes))}
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
				if in, ok := rels["profiles"]; !ok || len(in.peers) == 0 {
					return nil, nodeError(m.Kind, a.Name, fmt.Errorf("%w: the attribute is mandatory", ErrInvalid))
				}
				st.IsDefault = true
				missing = append(missing, a.Name) // a profile may give it
			} else {
				st.IsDefault = true
			}
		}
		if st.Value == nil && !a.Optional && !isComputed(a) {
			if in, ok := rels["profiles"]; ok && len(in.peers) > 0 {
				missing = append(missing, a.Name) // a profile may give it
			} else {
				return nil, nodeError(m.Kind, a.Name, fmt.Errorf("%w: the attribute is mandatory", ErrInvalid))
			}
		}
		if given {
			applyLineage(&st, in)
		}
		st.Global = a.Branch == schema.BranchAgnostic && !global
		n.attrs[a.Name] = st
		ev.Attributes[a.Name] = st
	}
	for _, r := range m.Relationships {
		if r.State == schema.StateAbsent || !mandatoryRel(r) {
			continue
		}
		if in, ok := rels[r.Name]; !ok || len(in.peers) == 0 {
			return nil, nodeError(m.Kind, r.Name, fmt.Errorf("%w: the relationship is mandatory", ErrInvalid))
		}
	}
	for _, name := range sortedKeys(rels) {
		in := rels[name]
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
	for name, st := range t.profileValues(n, attrs) {
		ev.Attributes[name] = st
	}
	vals, err := t.computedValues(n)
	if err != nil {
		return nil, err
	}
	for name, st := range vals {
		ev.Attributes[name] = st
	}
	for _, name := range missing {
		if n.attrs[name].Value == nil {
			return nil, nodeError(m.Kind, name, fmt.Errorf("%w: the attribute is mandatory (no profile of the node gives it)", ErrInvalid))
		}
	}
	claims, err := t.reclaim(n, nil, t.uniqueKeys(n))
	if err != nil {
		return nil, err
	}
	ev.Claims = append(claims, t.poolClaims(n.id, attrs)...)
	ev.HFID = t.hfid(n)
	ev.DisplayLabel = t.displayLabel(n)
	n.computed = &computed{hfid: ev.HFID, label: ev.DisplayLabel}
	t.emit(nodes.TypeCreated, ev, global)
	t.outcome.of(m.Kind).Created++
	if err := t.propagateComputed(n, nil, ev.Edges); err != nil {
		return nil, err
	}
	return n, t.ipamAfter(n)
}

func applyLineage(st *nodes.Attr, in attrInput) {
	if in.source != nil {
		st.Source = *in.source
	}
	if in.owner != nil {
		st.Owner = *in.owner
	}
	if in.isProtected != nil {
		st.IsProtected = *in.isProtected
	}
}

// link adds the edge n -r- p. When the far end is a cardinality-one relationship that already
// has another peer, that edge is removed first: the peer moves (an interface given to another
// device leaves the first one).
func (t *tx) link(n *txNode, r *schema.Relationship, field string, p graph.NodeID, out []nodes.Edge) []nodes.Edge {
	global := r.Branch == schema.BranchAgnostic && !isGlobal(n.model)
	if pn := t.node(p); pn != nil {
		if mr, ok := mirrorRel(t.set, pn.kind, field); ok && mr.Cardinality == "one" {
			mirror := nodes.Mirror(field)
			for _, old := range t.peersOf(p, mirror) {
				if old != n.id {
					out = append(out, t.edge(p, mirror, old, true, global))
				}
			}
		}
	}
	if t.hasPeer(n.id, field, p) {
		return out
	}
	e := t.edge(n.id, field, p, false, global)
	e.Node = "" // the event's node
	return append(out, e)
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
