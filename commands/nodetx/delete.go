package nodetx

import (
	"fmt"
	"slices"

	"github.com/infrahub-go/infrahub/branch/graph"
	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/fault"
	"github.com/infrahub-go/infrahub/schema"
)

// DeleteNode deletes a node (node.delete, Infrahub's <Kind>Delete).
type DeleteNode struct {
	Branch string   `json:"branch,omitempty"`
	Kind   string   `json:"kind,omitempty"`
	ID     string   `json:"id,omitempty"`
	HFID   []string `json:"hfid,omitempty"`
}

// Delete deletes the node the payload names, with the peers of its cascading relationships.
func (t *Tx) Delete(in DeleteNode) (NodeOutcome, error) {
	n, err := t.parse.target(in.Kind, in.ID, in.HFID)
	if err != nil {
		return NodeOutcome{}, err
	}
	if n.kind == "IpamNamespace" {
		if a, ok := t.st.attr(n, "name"); ok && a.Value == "default" {
			return NodeOutcome{}, fmt.Errorf("%w: IpamNamespace default: the default IP namespace cannot be deleted", fault.ErrInvalid)
		}
	}
	out := t.outcomeOf(n, "deleted")
	var ns graph.NodeID
	isIP := ipAttr(n.model) != ""
	if isIP {
		ns, _, _ = t.ipam.of(n)
	}
	if err := t.delete(n); err != nil {
		return out, err
	}
	if isIP {
		return out, t.ipam.changed(ns)
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
func (t *Tx) ends(m *schema.Node) []end {
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

func (t *Tx) delete(root *txNode) error {
	// The nodes to delete: root and, transitively, the peers of cascading relationships.
	gone := []*txNode{root}
	in := map[graph.NodeID]bool{root.id: true}
	for i := 0; i < len(gone); i++ {
		for _, rf := range t.ends(gone[i].model) {
			if rf.rel == nil || rf.rel.OnDelete != "cascade" {
				continue
			}
			for _, p := range t.st.peersOf(gone[i].id, rf.field) {
				if pn := t.st.node(p); pn != nil && !in[p] {
					in[p] = true
					gone = append(gone, pn)
				}
			}
		}
	}
	// Refuse to leave a surviving peer without a mandatory relationship.
	for _, x := range gone {
		for _, rf := range t.ends(x.model) {
			for _, p := range t.st.peersOf(x.id, rf.field) {
				pn := t.st.node(p)
				if pn == nil || in[p] {
					continue
				}
				mr, ok := mirrorRel(t.set, pn.kind, rf.field)
				if !ok || !(!mr.IsOptional() || mr.MinCount > 0) {
					continue
				}
				left := 0
				for _, q := range t.st.peersOf(p, nodes.Mirror(rf.field)) {
					if !in[q] && t.st.node(q) != nil {
						left++
					}
				}
				if left < max(1, mr.MinCount) {
					return fmt.Errorf("%w: %s %s: deleting it would leave %s %q without its mandatory relationship %q (delete that node first, or declare on_delete: cascade)",
						fault.ErrConflict, x.kind, labelOr(t, x), pn.kind, labelOr(t, pn), mr.Name)
				}
			}
		}
	}
	users := t.profiles.users(gone, in)
	removed := make([][]nodes.Edge, len(gone))
	for i, x := range gone {
		global := isGlobal(x.model)
		ev := nodes.Deleted{ID: x.id.String(), Kind: x.kind, Global: global}
		for _, rf := range t.ends(x.model) {
			relGlobal := rf.global(global)
			for _, p := range slices.Clone(t.st.peersOf(x.id, rf.field)) {
				ev.Edges = append(ev.Edges, t.st.ownEdge(x.id, rf.field, p, true, relGlobal))
			}
		}
		if x.model != nil {
			claims, err := t.ident.reclaim(x, t.ident.keys(x), nil)
			if err != nil {
				return err
			}
			ev.Claims = claims
		}
		x.live = false
		t.st.emit(nodes.TypeDeleted, ev, global)
		t.outcome.of(x.kind).Deleted++
		removed[i] = ev.Edges
	}
	// The nodes left whose computed attributes read a deleted peer.
	for i, x := range gone {
		if err := t.computed.propagate(x, nil, removed[i]); err != nil {
			return err
		}
	}
	return t.profiles.refresh(users)
}

func labelOr(t *Tx, n *txNode) string {
	if n.model != nil {
		if l := t.ident.label(n); l != "" {
			return l
		}
	}
	return n.id.String()
}
