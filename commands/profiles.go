package commands

import (
	"fmt"
	"slices"
	"strings"

	"github.com/infrahub-go/infrahub/branch/graph"
	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/commands/values"
	"github.com/infrahub-go/infrahub/schema"
)

// Profiles: a node linked to profiles takes each attribute from, in order, its own explicit
// value, the profile with the lowest profile_priority that sets it, the schema default. A value
// from a profile has the profile as its source (is_from_profile on reads); it follows the profile
// when the profile changes, and goes back to the default when no profile sets it any more.

// defaultPriority is a profile's priority when it gives none.
const defaultPriority = 1000.0

// isProfileKind reports the kinds generated as profiles.
func isProfileKind(kind string) bool { return strings.HasPrefix(kind, "Profile") }

// fromProfile reports whether a stored attribute's value came from a profile.
func (t *tx) fromProfile(st nodes.Attr) bool {
	if st.Source == "" || st.IsDefault {
		return false
	}
	id, err := graph.ParseNodeID(st.Source)
	if err != nil {
		return false
	}
	if src, ok := t.nodes[id]; ok { // deleted by this command too
		return isProfileKind(src.kind)
	}
	kind, ok := t.v.Kind(id)
	return ok && isProfileKind(kind)
}

// profilesOf lists the live profiles of a node, highest precedence first.
func (t *tx) profilesOf(n *txNode) []*txNode {
	r := n.model.Relationship("profiles")
	if r == nil {
		return nil
	}
	var out []*txNode
	for _, id := range t.peersOf(n.id, nodes.RelField(r.Identifier, r.Direction)) {
		if p := t.node(id); p != nil && p.live {
			out = append(out, p)
		}
	}
	priority := func(p *txNode) float64 {
		if a, ok := t.attr(p, "profile_priority"); ok {
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

// profileValues recomputes the attributes of n that its profiles give (those in explicit were
// given by the command and win) and returns the ones that changed, already set on n.
func (t *tx) profileValues(n *txNode, explicit map[string]attrInput) map[string]nodes.Attr {
	if n.model == nil || n.model.Relationship("profiles") == nil {
		return nil
	}
	profiles := t.profilesOf(n)
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
		cur, _ := t.attr(n, a.Name)
		fromProfile := t.fromProfile(cur)
		if !cur.IsDefault && !fromProfile && cur.Value != nil {
			continue // the node's own value
		}
		next, found := cur, false
		for _, p := range profiles {
			if p.model.Attribute(a.Name) == nil {
				continue
			}
			if pv, ok := t.attr(p, a.Name); ok && pv.Value != nil && !pv.IsDefault {
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
		n.attrs[a.Name] = next
		changed[a.Name] = next
	}
	return changed
}

// propagateProfile recomputes the nodes that use a profile after it changed.
func (t *tx) propagateProfile(p *txNode) error {
	r := p.model.Relationship("related_nodes")
	if r == nil {
		return nil
	}
	for _, id := range t.peersOf(p.id, nodes.RelField(r.Identifier, r.Direction)) {
		n := t.node(id)
		if n == nil || !n.live {
			continue
		}
		if _, err := t.update(n, nil, nil); err != nil {
			return err
		}
	}
	return nil
}

// profileUsers lists the nodes outside gone that use a profile of gone.
func (t *tx) profileUsers(gone []*txNode, in map[graph.NodeID]bool) []*txNode {
	var out []*txNode
	for _, p := range gone {
		if p.model == nil || !isProfileKind(p.kind) {
			continue
		}
		r := p.model.Relationship("related_nodes")
		if r == nil {
			continue
		}
		for _, id := range t.peersOf(p.id, nodes.RelField(r.Identifier, r.Direction)) {
			if n := t.node(id); n != nil && n.live && !in[id] && !slices.Contains(out, n) {
				out = append(out, n)
			}
		}
	}
	return out
}

// refreshProfileUsers recomputes the nodes that used deleted profiles: values they took from
// one come from their next profile or go back to the default. A mandatory attribute left
// without a value refuses the deletion.
func (t *tx) refreshProfileUsers(users []*txNode) error {
	for _, n := range users {
		if _, err := t.update(n, nil, nil); err != nil {
			return err
		}
		for _, a := range n.model.Attributes {
			if st, _ := t.attr(n, a.Name); st.Value == nil && !a.Optional && !isComputed(a) && a.State != schema.StateAbsent {
				return fmt.Errorf("%w: %s %q takes its mandatory attribute %q from this profile only: give it a value or another profile first",
					ErrConflict, n.kind, labelOr(t, n), a.Name)
			}
		}
	}
	return nil
}
