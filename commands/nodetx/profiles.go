package nodetx

import (
	"fmt"
	"slices"
	"strings"

	"github.com/infrahub-go/infrahub/branch/graph"
	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/commands/values"
	"github.com/infrahub-go/infrahub/fault"
	"github.com/infrahub-go/infrahub/schema"
)

// profiler gives nodes the values of their profiles.
type profiler struct{ tx *Tx }

// defaultPriority is a profile's priority when it gives none.
const defaultPriority = 1000.0

// isProfileKind reports the kinds generated as profiles.
func isProfileKind(kind string) bool { return strings.HasPrefix(kind, "Profile") }

// sourced reports whether a stored attribute's value came from a profile.
func (rx profiler) sourced(st nodes.Attr) bool {
	t := rx.tx
	if st.Source == "" || st.IsDefault {
		return false
	}
	id, err := graph.ParseNodeID(st.Source)
	if err != nil {
		return false
	}
	if src, ok := t.st.nodes[id]; ok { // deleted by this command too
		return isProfileKind(src.kind)
	}
	kind, ok := t.v.Kind(id)
	return ok && isProfileKind(kind)
}

// of lists the live profiles of a node, highest precedence first.
func (rx profiler) of(n *txNode) []*txNode {
	t := rx.tx
	r := n.model.Relationship("profiles")
	if r == nil {
		return nil
	}
	var out []*txNode
	for _, id := range t.st.peersOf(n.id, nodes.RelField(r.Identifier, r.Direction)) {
		if p := t.st.node(id); p != nil && p.live {
			out = append(out, p)
		}
	}
	priority := func(p *txNode) float64 {
		if a, ok := t.st.attr(p, "profile_priority"); ok {
			if f, ok := a.Value.(float64); ok {
				return f
			}
		}
		return defaultPriority
	}
	slices.SortStableFunc(out, func(a, b *txNode) int {
		pa, pb := priority(a), priority(b)
		switch {
		case pa < pb:
			return -1
		case pa > pb:
			return 1
		}
		return a.id.Compare(b.id)
	})
	return out
}

// values recomputes the attributes of n that its profiles give (those in explicit were
// given by the command and win) and returns the ones that changed, already set on n.
func (rx profiler) values(n *txNode, explicit map[string]attrInput) map[string]nodes.Attr {
	t := rx.tx
	if n.model == nil || n.model.Relationship("profiles") == nil {
		return nil
	}
	profiles := t.profiles.of(n)
	if len(profiles) == 0 && n.created {
		return nil // a new node without profiles: nothing comes from one
	}
	var changed map[string]nodes.Attr
	for _, a := range n.model.Attributes {
		if a.State == schema.StateAbsent {
			continue
		}
		if in, given := explicit[a.Name]; given && in.hasValue {
			continue
		}
		cur, _ := t.st.attr(n, a.Name)
		fromProfile := t.profiles.sourced(cur)
		if !cur.IsDefault && !fromProfile && cur.Value != nil {
			continue // the node's own value
		}
		next, found := cur, false
		for _, p := range profiles {
			if p.model.Attribute(a.Name) == nil {
				continue
			}
			if pv, ok := t.st.attr(p, a.Name); ok && pv.Value != nil && !pv.IsDefault {
				next = nodes.Attr{Value: pv.Value, Source: p.id.String(), Global: cur.Global}
				found = true
				break
			}
		}
		if !found {
			if !fromProfile {
				continue
			}
			next = nodes.Attr{IsDefault: true, Global: cur.Global}
			if d, ok := values.Default(a); ok {
				next.Value = nodes.Canon(d)
			}
		}
		if equalValue(next.Value, cur.Value) && next.Source == cur.Source && next.IsDefault == cur.IsDefault {
			continue
		}
		if changed == nil {
			changed = map[string]nodes.Attr{}
		}
		n.setAttr(a.Name, next)
		changed[a.Name] = next
	}
	return changed
}

// propagate recomputes the nodes that use a profile after it changed.
func (rx profiler) propagate(p *txNode) error {
	t := rx.tx
	r := p.model.Relationship("related_nodes")
	if r == nil {
		return nil
	}
	for _, id := range t.st.peersOf(p.id, nodes.RelField(r.Identifier, r.Direction)) {
		n := t.st.node(id)
		if n == nil || !n.live {
			continue
		}
		if _, err := t.update(n, nil, nil); err != nil {
			return err
		}
	}
	return nil
}

// users lists the nodes outside gone that use a profile of gone.
func (rx profiler) users(gone []*txNode, in map[graph.NodeID]bool) []*txNode {
	t := rx.tx
	var out []*txNode
	for _, p := range gone {
		if p.model == nil || !isProfileKind(p.kind) {
			continue
		}
		r := p.model.Relationship("related_nodes")
		if r == nil {
			continue
		}
		for _, id := range t.st.peersOf(p.id, nodes.RelField(r.Identifier, r.Direction)) {
			if n := t.st.node(id); n != nil && n.live && !in[id] && !slices.Contains(out, n) {
				out = append(out, n)
			}
		}
	}
	return out
}

// refresh recomputes the nodes that used deleted profiles: values they took from
// one come from their next profile or go back to the default. A mandatory attribute left
// without a value refuses the deletion.
func (rx profiler) refresh(users []*txNode) error {
	t := rx.tx
	for _, n := range users {
		if _, err := t.update(n, nil, nil); err != nil {
			return err
		}
		for _, a := range n.model.Attributes {
			if st, _ := t.st.attr(n, a.Name); st.Value == nil && !a.Optional && !isComputed(a) && a.State != schema.StateAbsent {
				return fmt.Errorf("%w: %s %q takes its mandatory attribute %q from this profile only: give it a value or another profile first",
					fault.ErrConflict, n.kind, labelOr(t, n), a.Name)
			}
		}
	}
	return nil
}
