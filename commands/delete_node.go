package commands

import (
	"context"
	"fmt"
	"slices"

	"github.com/infrahub-go/infrahub/branch/graph"
	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/schema"
)

// TypeDeleteNode deletes a node (Infrahub's <Kind>Delete), and with it the peers of its
// relationships declared `on_delete: cascade`. A delete that would leave another node without a
// mandatory relationship is refused.
const TypeDeleteNode = "node.delete"

// DeleteNode is the payload of TypeDeleteNode.
type DeleteNode struct {
	Branch string   `json:"branch,omitempty"`
	Kind   string   `json:"kind,omitempty"`
	ID     string   `json:"id,omitempty"`
	HFID   []string `json:"hfid,omitempty"`
}

// DeleteNode is the Handler of TypeDeleteNode.
func (h *Nodes) DeleteNode(ctx context.Context, cmd Command) (Result, error) {
	var in DeleteNode
	if err := decodeStrict(cmd.Payload, &in); err != nil {
		return Result{}, err
	}
	var out NodeOutcome
	res, _, err := h.decide(ctx, cmd, in.Branch, func(t *tx) error {
		var err error
		out, err = t.deleteOp(in)
		return err
	})
	if err != nil {
		return Result{}, err
	}
	res.Data = out
	return res, nil
}

func (t *tx) deleteOp(in DeleteNode) (NodeOutcome, error) {
	n, err := t.target(in.Kind, in.ID, in.HFID)
	if err != nil {
		return NodeOutcome{}, err
	}
	if n.kind == "IpamNamespace" {
		if a, ok := t.attr(n, "name"); ok && a.Value == "default" {
			return NodeOutcome{}, fmt.Errorf("%w: IpamNamespace default: the default IP namespace cannot be deleted", ErrInvalid)
		}
	}
	out := t.outcomeOf(n, "deleted")
	var ns graph.NodeID
	isIP := ipAttr(n.model) != ""
	if isIP {
		ns, _, _ = t.ipOf(n)
	}
	if err := t.delete(n); err != nil {
		return out, err
	}
	if isIP {
		return out, t.ipamChanged(ns)
	}
	return out, nil
}

// end is one relationship slot of a node kind: declared by the kind (rel), or only by the kind at
// the far end (far; the slot then holds the nodes that point at this one).
type end struct {
	field string
	rel   *schema.Relationship // nil when only the far side declares it
	far   *schema.Relationship
}

// ends lists every relationship slot a node of kind m may hold, declared on either side.
func (t *tx) ends(m *schema.Node) []end {
	if m == nil {
		return nil
	}
	var out []end
	seen := map[string]bool{}
	for _, r := range m.Relationships {
		if r.State == schema.StateAbsent {
			continue
		}
		f := nodes.RelField(r.Identifier, r.Direction)
		if !seen[f] {
			seen[f] = true
			out = append(out, end{field: f, rel: r})
		}
	}
	targets := map[string]bool{m.Kind: true, "CoreNode": true}
	for _, g := range m.InheritFrom {
		targets[g] = true
	}
	for _, other := range t.set.Nodes() {
		for _, r := range other.Relationships {
			if r.State == schema.StateAbsent || !targets[r.Peer] {
				continue
			}
			f := nodes.Mirror(nodes.RelField(r.Identifier, r.Direction))
			if !seen[f] {
				seen[f] = true
				out = append(out, end{field: f, far: r})
			}
		}
	}
	return out
}

func (e end) global(nodeGlobal bool) bool {
	r := e.rel
	if r == nil {
		r = e.far
	}
	return r.Branch == schema.BranchAgnostic && !nodeGlobal
}

func (t *tx) delete(root *txNode) error {
	// The nodes to delete: root and, transitively, the peers of cascading relationships.
	gone := []*txNode{root}
	in := map[graph.NodeID]bool{root.id: true}
	for i := 0; i < len(gone); i++ {
		for _, rf := range t.ends(gone[i].model) {
			if rf.rel == nil || rf.rel.OnDelete != "cascade" {
				continue
			}
			for _, p := range t.peersOf(gone[i].id, rf.field) {
				if pn := t.node(p); pn != nil && !in[p] {
					in[p] = true
					gone = append(gone, pn)
				}
			}
		}
	}
	// Refuse to leave a surviving peer without a mandatory relationship.
	for _, x := range gone {
		for _, rf := range t.ends(x.model) {
			for _, p := range t.peersOf(x.id, rf.field) {
				pn := t.node(p)
				if pn == nil || in[p] {
					continue
				}
				mr, ok := mirrorRel(t.set, pn.kind, rf.field)
				if !ok || !(!mr.IsOptional() || mr.MinCount > 0) {
					continue
				}
				left := 0
				for _, q := range t.peersOf(p, nodes.Mirror(rf.field)) {
					if !in[q] && t.node(q) != nil {
						left++
					}
				}
				if left < max(1, mr.MinCount) {
					return fmt.Errorf("%w: %s %s: deleting it would leave %s %q without its mandatory relationship %q (delete that node first, or declare on_delete: cascade)",
						ErrConflict, x.kind, labelOr(t, x), pn.kind, labelOr(t, pn), mr.Name)
				}
			}
		}
	}
	users := t.profileUsers(gone, in)
	removed := make([][]nodes.Edge, len(gone))
	for i, x := range gone {
		global := isGlobal(x.model)
		ev := nodes.Deleted{ID: x.id.String(), Kind: x.kind, Global: global}
		for _, rf := range t.ends(x.model) {
			relGlobal := rf.global(global)
			for _, p := range slices.Clone(t.peersOf(x.id, rf.field)) {
				e := t.edge(x.id, rf.field, p, true, relGlobal)
				e.Node = ""
				ev.Edges = append(ev.Edges, e)
			}
		}
		if x.model != nil {
			claims, err := t.reclaim(x, t.uniqueKeys(x), nil)
			if err != nil {
				return err
			}
			ev.Claims = claims
		}
		x.live = false
		t.emit(nodes.TypeDeleted, ev, global)
		t.outcome.of(x.kind).Deleted++
		removed[i] = ev.Edges
	}
	// The nodes left whose computed attributes read a deleted peer.
	for i, x := range gone {
		if err := t.propagateComputed(x, nil, removed[i]); err != nil {
			return err
		}
	}
	return t.refreshProfileUsers(users)
}

func labelOr(t *tx, n *txNode) string {
	if n.model != nil {
		if l := t.displayLabel(n); l != "" {
			return l
		}
	}
	return n.id.String()
}
